"""The in-memory backend: the reference implementation of the event-log contract.

Everything lives in dicts and lists of one process; every method runs without
awaiting, so each call is atomic with respect to the event loop. It ships for
tests of flows and as the executable description of the contract; it keeps
nothing across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from distsync.model.envelope import Envelope, utcnow
from distsync.runtime.backends.memory_control import MemoryControlNumbers
from distsync.runtime.backends.memory_reads import NEVER, MemoryReads, Row, SubState
from distsync.runtime.ports import (
    Ack,
    AppendResult,
    AttemptRecord,
    AuditEntry,
    ClaimRequest,
    DeadLetter,
    DeadLetterRecord,
    Delivery,
    DocumentWrite,
    EventFilter,
    Outcome,
    Park,
    ParkedRecord,
    RecordStatus,
    Release,
    ReplaySelection,
    Retry,
    SettleResult,
    StoredDocument,
    StoredEvent,
    SubscriptionSpec,
)
from distsync.runtime.records import (
    check_resolution,
    reason_of,
    record_ids,
    selection_summary,
)
from distsync.runtime.resolution import resolution_event
from distsync.runtime.selection import event_matches, lease_token

R = TypeVar("R", DeadLetterRecord, ParkedRecord)


class InMemoryMessageLog(MemoryReads):
    """Event log, document store and ops records in process memory."""

    def __init__(self, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._events: list[StoredEvent] = []
        self._by_id: dict[str, StoredEvent] = {}
        self._by_key: dict[str, str] = {}
        self._duplicates: list[tuple[str, str, datetime]] = []
        self._subs: dict[str, SubState] = {}
        self._rows: dict[int, Row] = {}
        self._next_row = 1
        self._watermarks: dict[tuple[str, str], int] = {}
        self._documents: dict[tuple[str, str], StoredDocument] = {}
        self._dead: dict[int, DeadLetterRecord] = {}
        self._parked: dict[int, ParkedRecord] = {}
        self._attempts: dict[str, list[AttemptRecord]] = {}
        self._audit: list[AuditEntry] = []
        self._control_numbers = MemoryControlNumbers()

    # -- write side -------------------------------------------------------

    async def register(self, spec: SubscriptionSpec) -> None:
        state = self._subs.get(spec.name)
        if state is None:
            self._subs[spec.name] = SubState(spec, registered_after=len(self._events))
        else:
            state.spec = spec

    async def append(self, envelopes: Sequence[Envelope]) -> AppendResult:
        return self._append(envelopes)

    async def claim(
        self, subscription: str, *, consumer: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        state = self._subs[subscription]
        now = self._clock()
        token = lease_token(consumer)
        claimed: list[Delivery] = []
        rows = [r for r in self._rows.values() if r.subscription == subscription]
        suspects = [r for r in rows if r.lease_token and self._claimable(r, state, now)]
        if suspects:  # a consumer died holding these: one at a time isolates a poison message
            rows, limit = suspects[:1], 1
        for row in rows:
            if len(claimed) >= limit:
                break
            if not self._claimable(row, state, now):
                continue
            envelope = self._events[row.seq - 1].envelope
            if self._is_stale(subscription, envelope):
                del self._rows[row.id]
                state.skipped += 1
                continue
            row.attempts += 1
            row.lease_token = token
            row.lease_expires = now + _seconds(lease_seconds)
            claimed.append(
                Delivery(str(row.id), subscription, envelope, row.attempts, token, row.seq)
            )
        return claimed

    async def extend(self, deliveries: Sequence[Delivery], *, lease_seconds: float) -> None:
        until = self._clock() + _seconds(lease_seconds)
        for delivery in deliveries:
            row = self._rows.get(int(delivery.delivery_id))
            if row is not None and row.lease_token == delivery.lease_token:
                row.lease_expires = until

    async def settle(
        self, outcomes: Sequence[Outcome], *, then_claim: ClaimRequest | None = None
    ) -> SettleResult:
        lost: list[str] = []
        for outcome in outcomes:
            row = self._rows.get(int(outcome.delivery.delivery_id))
            if row is None or row.lease_token != outcome.delivery.lease_token:
                lost.append(outcome.delivery.delivery_id)
                continue
            self._apply(outcome, row)
        claimed: list[Delivery] = []
        if then_claim is not None:
            claimed = await self.claim(
                then_claim.subscription,
                consumer=then_claim.consumer,
                limit=then_claim.limit,
                lease_seconds=then_claim.lease_seconds,
            )
        return SettleResult(len(outcomes) - len(lost), tuple(lost), tuple(claimed))

    async def requeue(self, selection: ReplaySelection, *, actor: str, reason: str) -> int:
        targets = self._replay_targets(selection)
        for subscription, seq in targets:
            self._new_row(subscription, seq)
        self._record_audit(actor, f"replay {selection.source}", reason, selection, len(targets))
        return len(targets)

    async def resolve(
        self,
        exception_id: int,
        *,
        action: str,
        actor: str,
        note: str,
        params: Mapping[str, str] | None = None,
    ) -> ParkedRecord:
        record = self._parked.get(exception_id)
        status = check_resolution(record, exception_id, action)
        assert record is not None
        if action == "replay":
            self._new_row(record.subscription, record.event.seq)
        resolved = replace(record, status=status, resolved_by=actor, resolution=action, note=note)
        self._parked[exception_id] = resolved
        event = resolution_event(
            record, action=action, actor=actor, note=note, params=params or {}, now=self._clock()
        )
        self._append([event])
        selection = ReplaySelection("exceptions", ids=(str(exception_id),))
        self._record_audit(actor, f"resolve {action}", note, selection, 1)
        return resolved

    async def close(self) -> None:
        return None

    # -- internals ------------------------------------------------------------

    def _append(self, envelopes: Sequence[Envelope]) -> AppendResult:
        appended: list[str] = []
        duplicates: dict[str, str] = {}
        for envelope in envelopes:
            existing = self._by_key.get(envelope.idempotency_key)
            if existing is not None:
                duplicates[envelope.event_id] = existing
                self._duplicates.append((envelope.idempotency_key, existing, self._clock()))
                continue
            stored = StoredEvent(len(self._events) + 1, envelope)
            self._events.append(stored)
            self._by_id[envelope.event_id] = stored
            self._by_key[envelope.idempotency_key] = envelope.event_id
            appended.append(envelope.event_id)
            for state in self._subs.values():
                if state.spec.matches(envelope.type):
                    self._new_row(state.spec.name, stored.seq)
        return AppendResult(tuple(appended), duplicates)

    def _new_row(self, subscription: str, seq: int) -> None:
        key = self._events[seq - 1].envelope.partition_key
        self._rows[self._next_row] = Row(self._next_row, subscription, seq, key)
        self._next_row += 1

    def _claimable(self, row: Row, state: SubState, now: datetime) -> bool:
        if row.lease_expires > now or row.available_at > now:
            return False
        if not state.spec.ordered:
            return True
        return self._head_of(row.subscription, row.partition_key) == row.id

    def _head_of(self, subscription: str, partition_key: str) -> int:
        return min(
            r.id
            for r in self._rows.values()
            if r.subscription == subscription and r.partition_key == partition_key
        )

    def _is_stale(self, subscription: str, envelope: Envelope) -> bool:
        mark = self._watermarks.get((subscription, envelope.partition_key))
        sequence = envelope.source_sequence
        return mark is not None and sequence is not None and sequence <= mark

    def _apply(self, outcome: Outcome, row: Row) -> None:
        envelope = self._events[row.seq - 1].envelope
        if isinstance(outcome, Release):
            row.lease_token, row.lease_expires = None, NEVER
            row.attempts -= 1
        elif isinstance(outcome, Retry):
            row.lease_token, row.lease_expires = None, NEVER
            row.available_at = outcome.at
            error = outcome.error
            self._note_attempt(envelope, row, "retry", error.error_class, error.message)
        else:
            del self._rows[row.id]
            self._finish(outcome, row, envelope)

    def _finish(self, outcome: Ack | DeadLetter | Park, row: Row, envelope: Envelope) -> None:
        now = self._clock()
        stored = self._events[row.seq - 1]
        if isinstance(outcome, Ack):
            self._subs[row.subscription].acked += 1
            self._advance_watermark(row.subscription, envelope)
            self._append(outcome.effects.emitted)
            for write in outcome.effects.writes:
                self._write(write, envelope.event_id, now)
        elif isinstance(outcome, DeadLetter):
            error = outcome.error
            self._note_attempt(envelope, row, "dead_letter", error.error_class, error.message)
            new_id = len(self._dead) + 1
            self._dead[new_id] = DeadLetterRecord(
                new_id, row.subscription, stored, error, row.attempts, now, RecordStatus.OPEN
            )
        else:
            self._note_attempt(envelope, row, "parked", outcome.reason_code, outcome.message)
            new_id = len(self._parked) + 1
            self._parked[new_id] = ParkedRecord(
                new_id,
                row.subscription,
                stored,
                outcome.reason_code,
                outcome.document_ref,
                outcome.message,
                outcome.resolutions,
                dict(outcome.facts),
                now,
                RecordStatus.OPEN,
            )

    def _advance_watermark(self, subscription: str, envelope: Envelope) -> None:
        if envelope.source_sequence is None:
            return
        key = (subscription, envelope.partition_key)
        self._watermarks[key] = max(self._watermarks.get(key, -1), envelope.source_sequence)

    async def put_document(
        self, kind: str, key: str, body: Mapping[str, Any], *, by: str
    ) -> StoredDocument:
        self._write(DocumentWrite(kind, key, body), by, self._clock())
        return self._documents[(kind, key)]

    def _write(self, write: DocumentWrite, event_id: str, now: datetime) -> None:
        current = self._documents.get((write.kind, write.key))
        version = 1 if current is None else current.version + 1
        self._documents[(write.kind, write.key)] = StoredDocument(
            write.kind, write.key, version, dict(write.body), now, event_id
        )

    def _note_attempt(
        self, envelope: Envelope, row: Row, outcome: str, error_class: str, message: str
    ) -> None:
        record = AttemptRecord(
            row.attempts, self._clock(), outcome, error_class, message, row.subscription
        )
        self._attempts.setdefault(envelope.event_id, []).append(record)

    def _replay_targets(self, selection: ReplaySelection) -> list[tuple[str, int]]:
        if selection.source == "events":
            return self._event_targets(selection)
        if selection.source == "dead_letters":
            return self._record_targets(self._dead, selection, RecordStatus.REPLAYED)
        if selection.source == "exceptions":
            return self._record_targets(self._parked, selection, RecordStatus.REPLAYED)
        raise ValueError(f"unknown replay source {selection.source!r}")

    def _event_targets(self, selection: ReplaySelection) -> list[tuple[str, int]]:
        chosen = EventFilter(**{**selection.filter.__dict__, "event_ids": selection.ids})
        if not selection.ids:
            chosen = selection.filter
        targets: list[tuple[str, int]] = []
        for stored in self._events:
            if not event_matches(stored.envelope, chosen):
                continue
            for state in self._subs.values():
                wanted = not selection.subscriptions or state.spec.name in selection.subscriptions
                if wanted and state.spec.matches(stored.envelope.type):
                    targets.append((state.spec.name, stored.seq))
        return targets

    def _record_targets(
        self, records: dict[int, R], selection: ReplaySelection, new_status: RecordStatus
    ) -> list[tuple[str, int]]:
        targets: list[tuple[str, int]] = []
        for record_id, record in list(records.items()):
            if not _record_selected(record_id, record, selection):
                continue
            targets.append((record.subscription, record.event.seq))
            records[record_id] = replace(record, status=new_status)
        return targets

    def _record_audit(
        self, actor: str, action: str, reason: str, selection: ReplaySelection, count: int
    ) -> None:
        entry = AuditEntry(
            len(self._audit) + 1,
            self._clock(),
            actor,
            action,
            reason,
            selection_summary(selection),
            count,
        )
        self._audit.append(entry)

    # -- control numbers --------------------------------------------------------

    async def assign(self, partner: str, kind: str, key: str, count: int = 1) -> list[int]:
        return self._control_numbers.assign(partner, kind, key, count)


def _record_selected(
    record_id: int, record: DeadLetterRecord | ParkedRecord, selection: ReplaySelection
) -> bool:
    if record.status != RecordStatus.OPEN:
        return False
    if selection.ids:
        return record_id in record_ids(selection)
    if selection.reason_code is not None and reason_of(record) != selection.reason_code:
        return False
    if selection.subscriptions and record.subscription not in selection.subscriptions:
        return False
    return event_matches(record.event.envelope, selection.filter)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
