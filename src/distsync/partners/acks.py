"""The groups we send to partners, and what their 997/999 said about each.

Every functional group the partner channel sends is recorded in the event log
as an ``outbound.x12_group_sent`` event (a :class:`SentGroupRecord`: partner,
ISA13, GS06, set ids and controls, document numbers, when it was first sent,
when its acknowledgement is due, and the interchange text itself, so that a
retry sends the same bytes). Its correlation id is ``x12:<partner>/<GS06>``:
the log's correlation index finds it by partner and group number
(:func:`find_sent_group`), for a retry as for an acknowledgement.

A received 997/999 becomes an ``outbound.x12_group_acknowledged`` event
(:func:`acknowledgement_envelope`): the acknowledgement reconciled with
``ack_read.reconcile`` against the recorded group (outcome, rejected sets with
their codes and notes, sets not listed), under the correlation id of the
business transaction that sent the group (the PO's), so it shows in its trace.
An acknowledgement of a group nobody sent is recorded as ``unexpected``.

:func:`group_status` answers for one group; :func:`overdue_groups` lists the
groups with no acknowledgement past their deadline, for the ops queries.

Both event types start with ``outbound.``: intake refuses such types from
outside, so a sent group cannot be forged through an API. The log is the
store here because the document store takes writes only with a handler's ack,
and a connector has none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from distsync.config import Landscape
from distsync.formats.x12.ack_read import (
    AckOutcome,
    FunctionalAck,
    RejectedSet,
    SentGroup,
    reconcile,
)
from distsync.model.envelope import Envelope
from distsync.partners.keys import group_correlation_id
from distsync.runtime.ports import EventFilter, LogInspector, StoredEvent

__all__ = [
    "GROUP_ACKNOWLEDGED",
    "GROUP_SENT",
    "LOOKBACK",
    "GroupStatus",
    "SentGroupRecord",
    "ack_deadline",
    "acknowledgement_envelope",
    "find_sent_group",
    "group_status",
    "overdue_groups",
    "sent_group_envelope",
]

GROUP_SENT = "outbound.x12_group_sent"
GROUP_ACKNOWLEDGED = "outbound.x12_group_acknowledged"
SOURCE_SYSTEM = "distsync"
LOOKBACK = timedelta(days=30)
PAGE = 500


def ack_deadline(landscape: Landscape, partner: str | None = None) -> timedelta:
    """How long a partner has to acknowledge a group: ``partners.<name>.ack_deadline_hours``,
    else ``flows.procure.ack_deadline_hours``."""
    default = landscape.flows.procure.ack_deadline_hours
    profile = landscape.partners.get(partner) if partner is not None else None
    return timedelta(hours=default if profile is None else profile.ack_deadline(default))


@dataclass(frozen=True)
class SentGroupRecord:
    """One functional group sent to a partner (one interchange, one group, its sets)."""

    partner: str
    destination: str
    request_key: str  # the outbound request's idempotency key
    correlation_id: str  # the business transaction that sent it
    interchange_control: str
    group_control: str
    functional_id: str
    set_ids: tuple[str, ...]
    set_controls: tuple[str, ...]
    document_numbers: tuple[str, ...]
    sent_at: datetime
    ack_due: datetime
    file_name: str
    text: str
    event_id: str | None = None  # set when read back from the log

    def sent_group(self) -> SentGroup:
        return SentGroup(self.partner, self.group_control, self.functional_id, self.set_controls)

    def payload(self) -> dict[str, Any]:
        body = asdict(self)
        del body["event_id"]
        body["sent_at"], body["ack_due"] = self.sent_at.isoformat(), self.ack_due.isoformat()
        return body

    @classmethod
    def from_stored(cls, stored: StoredEvent) -> SentGroupRecord:
        body = dict(stored.envelope.payload)
        for name in ("set_ids", "set_controls", "document_numbers"):
            body[name] = tuple(body[name])
        for name in ("sent_at", "ack_due"):
            body[name] = datetime.fromisoformat(body[name])
        return cls(**body, event_id=stored.envelope.event_id)


def sent_group_envelope(record: SentGroupRecord) -> Envelope:
    """The log entry of a sent group; one per outbound request (its idempotency key)."""
    return Envelope(
        type=GROUP_SENT,
        schema_version=1,
        source_system=SOURCE_SYSTEM,
        partner=record.partner,
        correlation_id=group_correlation_id(record.partner, record.group_control),
        idempotency_key=f"x12-group:{record.partner}:{record.request_key}",
        partition_key=f"x12:{record.partner}",
        occurred_at=record.sent_at,
        received_at=record.sent_at,
        payload=record.payload(),
    )


async def find_sent_group(
    log: LogInspector, partner: str, group_control: str | int
) -> SentGroupRecord | None:
    """The latest group sent to ``partner`` with that GS06, if any."""
    selection = EventFilter(
        types=(GROUP_SENT,),
        partner=partner,
        correlation_id=group_correlation_id(partner, group_control),
    )
    found = await log.list_events(selection, limit=1)
    return SentGroupRecord.from_stored(found[0]) if found else None


def acknowledgement_envelope(
    ack: FunctionalAck,
    record: SentGroupRecord | None,
    *,
    idempotency_key: str,
    occurred_at: datetime,
    received_at: datetime,
) -> Envelope:
    """A received 997/999 reconciled against the group it names (``record``, if sent)."""
    (result, *_) = reconcile([record.sent_group()] if record else [], [ack])
    partner = ack.partner
    payload = {
        "partner": partner,
        "group_control": ack.group_control,
        "functional_id": ack.functional_id,
        "outcome": result.outcome.value,
        "rejected": [{"control": r.control, "codes": list(r.codes)} for r in result.rejected],
        "unlisted": list(result.unlisted),
        "sent_group_event_id": record.event_id if record else None,
        "interchange_control": record.interchange_control if record else None,
        "document_numbers": list(record.document_numbers) if record else [],
        "acknowledgement": orjson.loads(orjson.dumps(asdict(ack))),
    }
    correlation = (
        record.correlation_id if record else group_correlation_id(partner, ack.group_control)
    )
    numbers = record.document_numbers if record else ()
    return Envelope(
        type=GROUP_ACKNOWLEDGED,
        schema_version=1,
        source_system=f"partner:{partner}",
        partner=partner,
        correlation_id=correlation,
        idempotency_key=idempotency_key,
        partition_key=numbers[0] if numbers else f"x12:{partner}",
        occurred_at=occurred_at,
        received_at=received_at,
        payload=payload,
    )


@dataclass(frozen=True)
class GroupStatus:
    """Where one sent group stands: its record and the latest acknowledgement's verdict."""

    record: SentGroupRecord
    outcome: AckOutcome
    rejected: tuple[RejectedSet, ...] = ()
    acknowledged_at: datetime | None = None
    acknowledgement: dict[str, Any] | None = None

    def overdue(self, now: datetime) -> bool:
        return self.outcome is AckOutcome.NOT_ACKNOWLEDGED and now >= self.record.ack_due


async def group_status(
    log: LogInspector, partner: str, group_control: str | int
) -> GroupStatus | None:
    """The group sent to ``partner`` with that GS06 and what became of it; ``None`` if unsent."""
    record = await find_sent_group(log, partner, group_control)
    if record is None:
        return None
    selection = EventFilter(types=(GROUP_ACKNOWLEDGED,), correlation_id=record.correlation_id)
    for stored in await _every(log, selection):
        payload = stored.envelope.payload
        if payload.get("sent_group_event_id") == record.event_id:
            rejected = tuple(
                RejectedSet(r["control"], tuple(r["codes"])) for r in payload["rejected"]
            )
            return GroupStatus(
                record,
                AckOutcome(payload["outcome"]),
                rejected,
                stored.envelope.received_at,
                payload["acknowledgement"],
            )
    return GroupStatus(record, AckOutcome.NOT_ACKNOWLEDGED)


async def overdue_groups(
    log: LogInspector,
    *,
    now: datetime,
    partner: str | None = None,
    lookback: timedelta = LOOKBACK,
) -> list[SentGroupRecord]:
    """Groups sent in the last ``lookback`` with no acknowledgement and past their deadline.

    Oldest deadline first. A group whose acknowledgement is still missing after
    ``lookback`` drops out of this list; choose it longer than any deadline.
    """
    since = now - lookback
    sent = await _every(log, EventFilter(types=(GROUP_SENT,), partner=partner, since=since))
    acks = await _every(log, EventFilter(types=(GROUP_ACKNOWLEDGED,), partner=partner, since=since))
    answered = {a.envelope.payload.get("sent_group_event_id") for a in acks}
    records = [SentGroupRecord.from_stored(s) for s in sent if s.envelope.event_id not in answered]
    return sorted((r for r in records if r.ack_due <= now), key=lambda r: r.ack_due)


async def _every(log: LogInspector, selection: EventFilter) -> list[StoredEvent]:
    """Every stored event the filter selects, newest first, read page by page."""
    found: list[StoredEvent] = []
    before: int | None = None
    while True:
        page = await log.list_events(selection, limit=PAGE, before_seq=before)
        found += page
        if len(page) < PAGE:
            return found
        before = page[-1].seq
