"""The answers of ``/ops/exceptions``, ``/ops/partners`` and ``/ops/kpis``, and a resolution.

Pydantic models with an example each, so the OpenAPI document shows what a
caller gets. A partner's channel is shown without any secret: the names of
the variables and files that hold them, and its URL without a user or
password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from distsync.api.ops_common import redacted
from distsync.runtime.ports import ParkedRecord
from distsync.runtime.records import offered_resolutions

EVENT_ID = "0190f5b2-7c1e-7a3b-9c2d-4e5f60718293"
AT = "2026-01-05T09:30:00Z"
CHANNEL_EXAMPLE: dict[str, Any] = {
    "transport": "sftp", "url": "sftp://files.acme.example/in", "as2_id": None,
    "user": "northwind", "path": None, "secrets": {"password_env": "ACME_SFTP_PASSWORD"},
}  # fmt: skip
BACKLOG_EXAMPLE: dict[str, Any] = {
    "subscription": "procure.asn", "ordered": True, "backlog": 4, "pending": 3, "in_flight": 1,
    "waiting_retry": 0, "oldest_age_seconds": 12.5,
}  # fmt: skip


def _example(**fields: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [fields]})


class ActionOut(BaseModel):
    """A resolution the exception offers."""

    model_config = _example(action="map_sku", label="Map the supplier SKU, then replay")

    action: str
    label: str


class ExceptionOut(BaseModel):
    """A business case parked for a person."""

    model_config = _example(
        id=3, status="open", reason_code="unknown_sku", document_ref="asn:acme/8812",
        message="supplier SKU AC-778 is not mapped", subscription="procure.asn",
        event_id=EVENT_ID, event_type="asn.received", partner="acme", parked_at=AT,
        resolved_by=None, resolution=None, note=None,
    )  # fmt: skip

    id: int
    status: str
    reason_code: str
    document_ref: str
    message: str
    subscription: str
    event_id: str
    event_type: str
    partner: str | None
    parked_at: datetime
    resolved_by: str | None
    resolution: str | None
    note: str | None

    @classmethod
    def of(cls, record: ParkedRecord) -> ExceptionOut:
        envelope = record.event.envelope
        return cls(
            id=record.id,
            status=record.status.value,
            reason_code=record.reason_code,
            document_ref=record.document_ref,
            message=redacted(record.message) or "",
            subscription=record.subscription,
            event_id=envelope.event_id,
            event_type=envelope.type,
            partner=envelope.partner,
            parked_at=record.parked_at,
            resolved_by=record.resolved_by,
            resolution=record.resolution,
            note=record.note,
        )


class ExceptionDetail(ExceptionOut):
    """One exception: its facts, its payload, and the actions that resolve it (while open)."""

    facts: dict[str, str]
    actions: list[ActionOut]
    payload: dict[str, Any]

    @classmethod
    def full(cls, record: ParkedRecord) -> ExceptionDetail:
        return cls(
            **ExceptionOut.of(record).model_dump(),
            facts=dict(record.facts),
            actions=[ActionOut(action=a, label=label) for a, label in offered(record)],
            payload=record.event.envelope.payload,
        )


def offered(record: ParkedRecord) -> list[tuple[str, str]]:
    """What the exception offers, plus the actions every exception allows; none once closed."""
    return offered_resolutions(record) if record.status.value == "open" else []


class Resolve(BaseModel):
    """How to close an exception: one of its actions, the action's parameters, and why."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "action": "map_sku", "params": {"sku": "FAS-10432"},
        "reason": "AC-778 is our FAS-10432, confirmed by acme"}]})  # fmt: skip

    action: str = Field(min_length=1, max_length=64)
    params: dict[str, str] = Field(default_factory=dict)
    reason: str = Field(min_length=1, max_length=2000, description="Kept in the audit trail.")


class ChannelOut(BaseModel):
    """How the partner's documents travel; ``secrets`` names where each secret is read from."""

    model_config = _example(**CHANNEL_EXAMPLE)

    transport: str
    url: str | None
    as2_id: str | None
    user: str | None
    path: str | None
    secrets: dict[str, str]


class PartnerOut(BaseModel):
    """A trading partner as the landscape declares it (never a secret)."""

    model_config = _example(name="acme", kind="supplier", x12_id="ZZ/ACME", party_id="SUP-ACME",
                            sends=["x12-855", "x12-856"], receives=["x12-850"],
                            channel=CHANNEL_EXAMPLE)  # fmt: skip

    name: str
    kind: str
    x12_id: str | None
    party_id: str
    sends: list[str]
    receives: list[str]
    channel: ChannelOut | None


class PartnerDetail(PartnerOut):
    """A partner and how much of what is in the log is its."""

    messages: int
    dead_letters_open: int
    exceptions_open: int


class BacklogOut(BaseModel):
    """One subscription's backlog and the age of its oldest waiting delivery."""

    model_config = _example(**BACKLOG_EXAMPLE)

    subscription: str
    ordered: bool
    backlog: int
    pending: int
    in_flight: int
    waiting_retry: int
    oldest_age_seconds: float | None


class CertificateOut(BaseModel):
    """An AS2 certificate and how long until it expires (``state``: ok, expiring, expired,
    unreadable)."""

    owner: str
    subject: str | None
    path: str
    state: str
    not_valid_after: str | None
    days_left: float | None
    error: str | None


class Kpis(BaseModel):
    """The log at a glance: backlog per subscription, what failed and why, duplicates, volume."""

    model_config = _example(
        events=1812, appended_last_hour=42, duplicates=3, dead_letters_open=1,
        exceptions_open=2, dead_letters_by_reason={"MalformedDocument": 1},
        exceptions_by_reason={"unknown_sku": 2},
        subscriptions=[BACKLOG_EXAMPLE],
    )  # fmt: skip

    events: int
    appended_last_hour: int
    duplicates: int
    dead_letters_open: int
    exceptions_open: int
    dead_letters_by_reason: dict[str, int]
    exceptions_by_reason: dict[str, int]
    certificates: list[CertificateOut] = []
    subscriptions: list[BacklogOut]
