"""The read side of the in-memory backend: queries over its dicts and lists.

``InMemoryMessageLog`` (``memory.py``) owns the state and the writes; this
mixin answers the ``LogInspector`` and ``DocumentStore`` questions about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from distsync.model.envelope import utcnow
from distsync.runtime.ports import (
    AttemptRecord,
    AuditEntry,
    DeadLetterRecord,
    DeliveryState,
    DeliveryStateKind,
    EventFilter,
    LogStats,
    ParkedRecord,
    RecordStatus,
    StoredDocument,
    StoredEvent,
    SubscriptionSpec,
    SubscriptionStats,
)
from distsync.runtime.records import summarise_stats
from distsync.runtime.selection import event_matches

NEVER = datetime.min.replace(tzinfo=utcnow().tzinfo)


@dataclass
class Row:
    id: int
    subscription: str
    seq: int
    partition_key: str
    attempts: int = 0
    available_at: datetime = NEVER
    lease_token: str | None = None
    lease_expires: datetime = NEVER


@dataclass
class SubState:
    spec: SubscriptionSpec
    registered_after: int = 0  # seq of the last event stored before it existed
    acked: int = 0
    skipped: int = 0


class MemoryReads:
    """Read-side methods over the state ``InMemoryMessageLog`` keeps."""

    _clock: Callable[[], datetime]
    _events: list[StoredEvent]
    _by_id: dict[str, StoredEvent]
    _duplicates: list[tuple[str, str, datetime]]
    _subs: dict[str, SubState]
    _rows: dict[int, Row]
    _documents: dict[tuple[str, str], StoredDocument]
    _dead: dict[int, DeadLetterRecord]
    _parked: dict[int, ParkedRecord]
    _attempts: dict[str, list[AttemptRecord]]
    _audit: list[AuditEntry]

    def _claimable(self, row: Row, state: SubState, now: datetime) -> bool:
        raise NotImplementedError

    async def ping(self) -> None:
        return None

    async def get_event(self, event_id: str) -> StoredEvent | None:
        return self._by_id.get(event_id)

    async def list_events(
        self, selection: EventFilter, *, limit: int = 100, before_seq: int | None = None
    ) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        for stored in reversed(self._events):
            if before_seq is not None and stored.seq >= before_seq:
                continue
            if event_matches(stored.envelope, selection):
                found.append(stored)
                if len(found) >= limit:
                    break
        return found

    async def dead_letters(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[DeadLetterRecord]:
        records = [
            r
            for r in self._dead.values()
            if (status is None or r.status == status)
            and (partner is None or r.event.envelope.partner == partner)
        ]
        return [self._with_history(r) for r in reversed(records)][:limit]

    async def dead_letter(self, dead_letter_id: int) -> DeadLetterRecord | None:
        record = self._dead.get(dead_letter_id)
        return None if record is None else self._with_history(record)

    async def exceptions(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        reason_code: str | None = None,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[ParkedRecord]:
        records = [
            r
            for r in self._parked.values()
            if (status is None or r.status == status)
            and (reason_code is None or r.reason_code == reason_code)
            and (partner is None or r.event.envelope.partner == partner)
        ]
        return list(reversed(records))[:limit]

    async def exception(self, exception_id: int) -> ParkedRecord | None:
        return self._parked.get(exception_id)

    async def delivery_states(self, event_id: str) -> list[DeliveryState]:
        stored = self._by_id.get(event_id)
        if stored is None:
            return []
        now = self._clock()
        return [
            self._state_in(state, stored, now)
            for state in self._subs.values()
            if state.spec.matches(stored.envelope.type)
        ]

    def _state_in(self, state: SubState, stored: StoredEvent, now: datetime) -> DeliveryState:
        name = state.spec.name
        rows = [r for r in self._rows.values() if r.subscription == name and r.seq == stored.seq]
        if rows:
            return DeliveryState(
                name, *_row_state(rows[-1], self._claimable(rows[-1], state, now), now)
            )
        for records, kind, label in (
            (self._dead, DeliveryStateKind.DEAD_LETTERED, "dlq"),
            (self._parked, DeliveryStateKind.PARKED, "exception"),
        ):
            for record_id, record in records.items():
                same = record.subscription == name and record.event.seq == stored.seq
                if same and record.status == RecordStatus.OPEN:
                    return DeliveryState(name, kind, "", f"{label} {record_id}")
        if stored.seq <= state.registered_after:
            return DeliveryState(name, DeliveryStateKind.NOT_SUBSCRIBED, "registered later")
        return DeliveryState(name, DeliveryStateKind.DONE, "handled (or skipped as stale)")

    async def attempts(self, event_id: str) -> list[AttemptRecord]:
        return list(self._attempts.get(event_id, []))

    async def audit(self, *, limit: int = 100) -> list[AuditEntry]:
        return list(reversed(self._audit))[:limit]

    async def duplicates(self, *, limit: int = 100) -> list[tuple[str, str, datetime]]:
        return list(reversed(self._duplicates))[:limit]

    async def stats(self) -> LogStats:
        now = self._clock()
        per_sub = [self._sub_stats(state, now) for state in self._subs.values()]
        open_dead = sum(r.status == RecordStatus.OPEN for r in self._dead.values())
        open_parked = sum(r.status == RecordStatus.OPEN for r in self._parked.values())
        return LogStats(
            len(self._events), len(self._duplicates), open_dead, open_parked, tuple(per_sub)
        )

    async def get_document(self, kind: str, key: str) -> StoredDocument | None:
        return self._documents.get((kind, key))

    async def list_documents(
        self, kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]:
        keys = sorted(
            k for c, k in self._documents if c == kind and (after_key is None or k > after_key)
        )
        return [self._documents[(kind, key)] for key in keys[:limit]]

    def _with_history(self, record: DeadLetterRecord) -> DeadLetterRecord:
        every = self._attempts.get(record.event.envelope.event_id, [])
        history = tuple(a for a in every if a.subscription == record.subscription)
        return replace(record, history=history)

    def _sub_stats(self, state: SubState, now: datetime) -> SubscriptionStats:
        rows = [r for r in self._rows.values() if r.subscription == state.spec.name]
        received = [self._events[r.seq - 1].envelope.received_at for r in rows]
        return summarise_stats(
            state.spec,
            pending=sum(r.lease_expires <= now and r.available_at <= now for r in rows),
            in_flight=sum(r.lease_expires > now for r in rows),
            waiting=sum(r.available_at > now and r.lease_expires <= now for r in rows),
            oldest=min(received, default=None),
            acked=state.acked,
            skipped=state.skipped,
        )


def _row_state(row: Row, claimable: bool, now: datetime) -> tuple[DeliveryStateKind, str]:
    if row.lease_expires > now:
        return DeliveryStateKind.IN_FLIGHT, "claimed by a worker"
    if row.available_at > now:
        return DeliveryStateKind.WAITING_RETRY, f"next attempt at {row.available_at.isoformat()}"
    if not claimable:
        return DeliveryStateKind.QUEUED, "waits behind an earlier event of its key"
    return DeliveryStateKind.PENDING, "not yet claimed"
