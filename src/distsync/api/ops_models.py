"""The answers of ``/ops/messages`` and ``/ops/dead-letters``, and the replay requests.

Pydantic models with an example each, so the OpenAPI document shows what a
caller gets. Built from the runtime's records (``runtime/operations.py``);
error texts are redacted on the way (``api/ops_common.redacted``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from distsync.api.ops_common import redacted
from distsync.runtime.ports import AttemptRecord, DeadLetterRecord, DeliveryState, StoredEvent

EVENT_ID = "0190f5b2-7c1e-7a3b-9c2d-4e5f60718293"
AT = "2026-01-05T09:30:00Z"
MESSAGE_EXAMPLE: dict[str, Any] = {
    "event_id": EVENT_ID, "seq": 812, "type": "asn.received", "partner": "acme",
    "source_system": "partner:acme", "correlation_id": "po:4500012345", "causation_id": None,
    "idempotency_key": "x12:acme:856:000000812:1", "partition_key": "po:4500012345",
    "occurred_at": AT, "received_at": AT,
}  # fmt: skip


def _example(**fields: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [fields]})


class MessageOut(BaseModel):
    """One stored event (a message), without its payload."""

    model_config = _example(**MESSAGE_EXAMPLE)

    event_id: str
    seq: int
    type: str
    partner: str | None
    source_system: str
    correlation_id: str
    causation_id: str | None
    idempotency_key: str
    partition_key: str
    occurred_at: datetime
    received_at: datetime

    @classmethod
    def of(cls, stored: StoredEvent) -> MessageOut:
        envelope = stored.envelope
        return cls(seq=stored.seq, **envelope.model_dump(exclude={"payload", "tenant"}))


class MessagePage(BaseModel):
    """Messages newest first; ``next`` is the link to the following page, if any."""

    model_config = _example(items=[MESSAGE_EXAMPLE], next="/ops/messages?limit=1&before=812")

    items: list[MessageOut]
    next: str | None = None


class AttemptOut(BaseModel):
    """One delivery attempt: when, to which subscription, what came of it."""

    model_config = _example(
        attempt=1, at=AT, subscription="procure.asn", outcome="retry",
        error_class="ConnectionError", message="sending ASN 8812 to wms-east: timed out",
    )  # fmt: skip

    attempt: int
    at: datetime
    subscription: str
    outcome: str
    error_class: str
    message: str

    @classmethod
    def of(cls, record: AttemptRecord) -> AttemptOut:
        return cls(
            attempt=record.attempt,
            at=record.at,
            subscription=record.subscription,
            outcome=record.outcome,
            error_class=record.error_class,
            message=redacted(record.message) or "",
        )


class DeliveryOut(BaseModel):
    """Where the message stands in one subscription (``record``: its dead letter or exception)."""

    model_config = _example(subscription="procure.asn", state="dead_lettered",
                            detail="MalformedDocument", record="dead letter 7")  # fmt: skip

    subscription: str
    state: str
    detail: str
    record: str | None

    @classmethod
    def of(cls, state: DeliveryState) -> DeliveryOut:
        detail = redacted(state.detail) or ""
        return cls(subscription=state.subscription, state=state.state.value, detail=detail,
                   record=state.record)  # fmt: skip


class MessageDetail(BaseModel):
    """One message: the event, its payload, its attempts and its delivery states."""

    message: MessageOut
    payload: dict[str, Any]
    attempts: list[AttemptOut]
    deliveries: list[DeliveryOut]


class DeadLetterOut(BaseModel):
    """A failed delivery kept for a person: the error, the message it belongs to."""

    model_config = _example(
        id=7, status="open", subscription="procure.asn", event_id=EVENT_ID,
        event_type="asn.received", partner="acme", correlation_id="po:4500012345",
        error_class="MalformedDocument", error="reading ASN 8812: HL segment 3 has no parent",
        retryable=False, attempts=1, dead_at=AT,
    )  # fmt: skip

    id: int
    status: str
    subscription: str
    event_id: str
    event_type: str
    partner: str | None
    correlation_id: str
    error_class: str
    error: str
    retryable: bool
    attempts: int
    dead_at: datetime

    @classmethod
    def of(cls, record: DeadLetterRecord) -> DeadLetterOut:
        envelope = record.event.envelope
        return cls(
            id=record.id,
            status=record.status.value,
            subscription=record.subscription,
            event_id=envelope.event_id,
            event_type=envelope.type,
            partner=envelope.partner,
            correlation_id=envelope.correlation_id,
            error_class=record.error.error_class,
            error=redacted(record.error.message) or "",
            retryable=record.error.retryable,
            attempts=record.attempts,
            dead_at=record.dead_at,
        )


class DeadLetterDetail(DeadLetterOut):
    """One dead letter with its traceback, attempt history and payload."""

    traceback: str | None
    history: list[AttemptOut]
    payload: dict[str, Any]

    @classmethod
    def full(cls, record: DeadLetterRecord) -> DeadLetterDetail:
        return cls(
            **DeadLetterOut.of(record).model_dump(),
            traceback=redacted(record.error.traceback),
            history=[AttemptOut.of(h) for h in record.history],
            payload=record.event.envelope.payload,
        )


Reason = Field(min_length=1, max_length=2000, description="Why: kept in the audit trail.")


class ReplayOne(BaseModel):
    """Why a dead letter is run again (who: the caller's client id)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": "wms-east is back; the ASN was resent"}]})  # fmt: skip

    reason: str = Reason


class ReplayFilter(BaseModel):
    """What to run again, as ``distsync replay`` selects it; ``dry_run`` only counts."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "source": "dead-letters", "partner": "acme", "types": ["asn.*"],
        "since": "2026-01-05T00:00:00Z", "reason_code": "MalformedDocument",
        "reason": "acme fixed its HL loops", "dry_run": True}]})  # fmt: skip

    source: Literal["messages", "dead-letters", "exceptions"] = "messages"
    partner: str | None = None
    types: list[str] = Field(default_factory=list, description="Event types or patterns (asn.*).")
    since: datetime | None = None
    until: datetime | None = None
    correlation_id: str | None = None
    event_ids: list[str] = Field(default_factory=list)
    subscriptions: list[str] = Field(default_factory=list, description="Re-deliver only to them.")
    reason_code: str | None = Field(None, description="Exception reason or dead letter error.")
    reason: str = Reason
    dry_run: bool = False
    yes: bool = Field(False, description="Go ahead with more than 1000 (see dry_run).")


class ReplayDone(BaseModel):
    """How many were replayed (deliveries created), or would be with ``dry_run``."""

    model_config = _example(count=3, dry_run=False)

    count: int
    dry_run: bool
