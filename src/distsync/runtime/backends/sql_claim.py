"""Claiming from the SQL event log: slot leases over per-subscription cursors.

A claim leases whole slots. For each slot with work (its head is past the
subscription's cursor, or a held event is due) it hands out, in order:

1. held events that are due: for an ordered subscription only the first held
   event of each key, because the others wait behind it;
2. new events after the cursor whose type the subscription wants. On an
   ordered subscription an event whose key has held events is not handed out
   but queued behind them (``held``, reason ``blocked``): a failing event
   blocks its own key and nothing else.

Events not newer (by ``source_sequence``) than the last applied for their key,
or than one handed out before them in the same claim, are skipped and counted.
The cursor moves when the claim is settled (``sql_settle``). A slot whose
lease expired unsettled counts a redelivery against the event at its cursor,
and until the cursor has passed everything that claim held, the slot hands
out one event at a time: a message that kills its worker is isolated, its
attempts climb with each death, and the worker dead-letters it when they
exceed the policy.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    or_,
    select,
    union_all,
    update,
)

from distsync.runtime.backends.sql_append import load_subscription, slot_of
from distsync.runtime.backends.sql_held import hold, unblock_next
from distsync.runtime.backends.sql_recent import recent_of
from distsync.runtime.backends.sql_rows import EVENT_FIELDS, event_from_row
from distsync.runtime.backends.sql_slots import Slot, choose, lease_and_move, slots_with_work
from distsync.runtime.ports import Delivery, StoredEvent, SubscriptionSpec
from distsync.store.tables import (
    events,
    held,
    subscriptions,
    watermarks,
)

MAX_ROUNDS = 64


@dataclass
class _Batch:
    """What a claim hands out, and where each slot's cursor goes when it is settled."""

    held: list[tuple[int, int, StoredEvent]]  # (held id, attempts so far, event)
    fresh: list[StoredEvent]
    blocked: list[StoredEvent] = field(default_factory=list)
    stale_held: list[tuple[int, str]] = field(default_factory=list)  # (held id, key)
    stale_fresh: int = 0
    cutoff: int | None = None


def type_clause(spec: SubscriptionSpec) -> ColumnElement[bool]:
    """SQL for the subscription's shell-style type patterns."""
    return or_(*(events.c.type.like(like_pattern(p), escape="\\") for p in spec.event_types))


def like_pattern(pattern: str) -> str:
    """A shell-style pattern as a LIKE pattern with ``\\`` as escape (``_`` is literal)."""
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def claim(
    conn: Connection, subscription: str, *, token: str, limit: int, now: float, lease_seconds: float
) -> list[Delivery]:
    spec = load_subscription(conn, subscription)
    for _ in range(MAX_ROUNDS):  # a round that only skips or queues events moves cursors
        slots, room = choose(slots_with_work(conn, subscription, now), limit)
        if not slots:
            return []
        batch = _read(conn, spec, slots, room, now)
        _bookkeep(conn, spec, batch)
        handed = _deliveries(spec, slots, batch, token)
        if batch.held:
            ids = [h[0] for h in batch.held]
            conn.execute(
                update(held).where(held.c.id.in_(ids)).values(attempts=held.c.attempts + 1)
            )
        counts = Counter(slot_of(d.envelope.partition_key) for d in handed)
        lease_and_move(
            conn,
            spec.name,
            slots,
            counts=counts,
            cutoff=batch.cutoff,
            token=token,
            until=now + lease_seconds,
        )
        if handed:
            return handed
    return []


def _read(
    conn: Connection, spec: SubscriptionSpec, slots: list[Slot], limit: int, now: float
) -> _Batch:
    due_slots = [s.slot for s in slots if s.has_due]
    batch = _Batch(held=_due_held(conn, spec, due_slots, now, limit) if due_slots else [], fresh=[])
    room = limit - len(batch.held)
    if room > 0:
        batch.fresh, batch.cutoff = _fresh_events(conn, spec, slots, room)
    else:
        batch.cutoff = -1  # nothing read from the stream: no cursor moves
    if spec.ordered and batch.fresh and any(s.has_held for s in slots):
        waiting = _keys_with_held(conn, spec.name, {e.envelope.partition_key for e in batch.fresh})
        batch.blocked = [e for e in batch.fresh if e.envelope.partition_key in waiting]
        batch.fresh = [e for e in batch.fresh if e.envelope.partition_key not in waiting]
    _drop_stale(conn, spec.name, batch)
    return batch


def _due_held(
    conn: Connection, spec: SubscriptionSpec, slots: list[int], now: float, limit: int
) -> list[tuple[int, int, StoredEvent]]:
    """Held events due now, oldest first; on an ordered subscription one per key.

    Events queued behind another of their key wait with ``available_at =
    BLOCKED``, so only the first of each key can be due.
    """
    params = {"sub": spec.name, "slots": slots, "now": now, "limit": limit}
    due: list[tuple[int, int, StoredEvent]] = []
    keys: set[str] = set()
    for row in conn.execute(_DUE_HELD(), params):
        event = event_from_row(row[2:])
        key = event.envelope.partition_key
        if spec.ordered and key in keys:
            continue
        keys.add(key)
        due.append((row[0], row[1], event))
    return due


@functools.cache
def _DUE_HELD() -> Any:
    columns = [events.c[name] for name in EVENT_FIELDS]
    return (
        select(held.c.id, held.c.attempts, *columns)
        .join(events, events.c.seq == held.c.seq)
        .where(
            held.c.subscription == bindparam("sub"),
            held.c.slot.in_(bindparam("slots", expanding=True)),
            held.c.available_at <= bindparam("now"),
        )
        .order_by(held.c.id)
        .limit(bindparam("limit"))
    )


def _keys_with_held(conn: Connection, subscription: str, keys: set[str]) -> set[str]:
    """Which of these keys have held events (their new events must queue behind)."""
    rows = conn.execute(_KEYS_WITH_HELD(), {"sub": subscription, "keys": list(keys)})
    return {key for (key,) in rows}


@functools.cache
def _KEYS_WITH_HELD() -> Any:
    return (
        select(held.c.partition_key)
        .where(
            held.c.subscription == bindparam("sub"),
            held.c.partition_key.in_(bindparam("keys", expanding=True)),
        )
        .distinct()
    )


def _fresh_events(
    conn: Connection, spec: SubscriptionSpec, slots: list[Slot], room: int
) -> tuple[list[StoredEvent], int | None]:
    """The next ``room`` wanted events across the slots, oldest first, and the cut-off seq.

    The cut-off is the last seq read when ``room`` was filled (everything up to
    it in these slots has been seen), ``None`` when every slot was read to its head.
    Events this process appended recently come from memory; the rest are read.
    """
    readable = [s for s in slots if s.head > s.cursor]
    if not readable:
        return [], None
    params: dict[str, Any] = {"room": room}
    for i, s in enumerate(readable):
        params.update({f"s{i}": s.slot, f"c{i}": s.cursor, f"h{i}": s.head})
    for j, pattern in enumerate(spec.event_types):
        params[f"t{j}"] = like_pattern(pattern)
    statement = _fresh_statement(len(readable), len(spec.event_types))
    seqs = [row[0] for row in conn.execute(statement, params)]
    fresh = _events_by_seq(conn, seqs)
    return fresh, (seqs[-1] if len(seqs) == room else None)


def _events_by_seq(conn: Connection, seqs: list[int]) -> list[StoredEvent]:
    recent = recent_of(conn)
    found = {seq: hit for seq in seqs if recent and (hit := recent.get(seq)) is not None}
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        rows = conn.execute(_EVENTS_BY_SEQ(), {"seqs": missing})
        found.update((stored.seq, stored) for stored in map(event_from_row, rows))
    return [found[seq] for seq in seqs]


@functools.cache
def _EVENTS_BY_SEQ() -> Any:
    columns = [events.c[name] for name in EVENT_FIELDS]
    return select(*columns).where(events.c.seq.in_(bindparam("seqs", expanding=True)))


@functools.cache
def _fresh_statement(branches: int, patterns: int) -> Any:
    """One statement per shape, built once: SQLAlchemy then reuses its compiled form."""
    wanted = or_(*(events.c.type.like(bindparam(f"t{j}"), escape="\\") for j in range(patterns)))
    parts = [
        select(events.c.seq)
        .where(
            events.c.slot == bindparam(f"s{i}"),
            events.c.seq > bindparam(f"c{i}"),
            events.c.seq <= bindparam(f"h{i}"),
            wanted,
        )
        .order_by(events.c.seq)
        .limit(bindparam("room"))
        .subquery()
        for i in range(branches)
    ]
    union = union_all(*(select(part) for part in parts)).subquery()
    return select(union.c.seq).order_by(union.c.seq).limit(bindparam("room"))


def _drop_stale(conn: Connection, subscription: str, batch: _Batch) -> None:
    candidates = [e for _, _, e in batch.held] + batch.fresh
    keys = {e.envelope.partition_key for e in candidates if e.envelope.source_sequence is not None}
    if not keys:
        return
    marks = dict(
        conn.execute(
            select(watermarks.c.partition_key, watermarks.c.source_sequence).where(
                watermarks.c.subscription == subscription, watermarks.c.partition_key.in_(keys)
            )
        ).all()
    )
    batch.stale_held = [
        (held_id, event.envelope.partition_key)
        for held_id, _, event in batch.held
        if _is_stale(event, marks)
    ]
    stale_ids = {held_id for held_id, _ in batch.stale_held}
    batch.held = [h for h in batch.held if h[0] not in stale_ids]
    kept = [e for e in batch.fresh if not _is_stale(e, marks)]
    batch.stale_fresh = len(batch.fresh) - len(kept)
    batch.fresh = kept


def _is_stale(event: StoredEvent, marks: dict[str, int]) -> bool:
    """Not newer than what was applied, or handed out earlier in this claim; updates ``marks``."""
    sequence = event.envelope.source_sequence
    if sequence is None:
        return False
    key = event.envelope.partition_key
    mark = marks.get(key)
    if mark is not None and sequence <= mark:
        return True
    marks[key] = sequence
    return False


def _bookkeep(conn: Connection, spec: SubscriptionSpec, batch: _Batch) -> None:
    """Queue blocked events behind their key, drop stale held ones, count what was skipped."""
    hold(
        conn,
        [
            {
                "subscription": spec.name,
                "slot": slot_of(e.envelope.partition_key),
                "seq": e.seq,
                "partition_key": e.envelope.partition_key,
                "reason": "blocked",
            }
            for e in batch.blocked
        ],
    )
    if batch.stale_held:
        conn.execute(held.delete().where(held.c.id.in_([i for i, _ in batch.stale_held])))
        unblock_next(conn, [(spec.name, key) for _, key in batch.stale_held])
    skipped = len(batch.stale_held) + batch.stale_fresh
    if skipped:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.name == spec.name)
            .values(skipped_stale=subscriptions.c.skipped_stale + skipped)
        )


def _count_held_attempts(conn: Connection, batch: _Batch) -> None:
    if batch.held:
        ids = [h[0] for h in batch.held]
        conn.execute(update(held).where(held.c.id.in_(ids)).values(attempts=held.c.attempts + 1))


def _deliveries(
    spec: SubscriptionSpec, slots: list[Slot], batch: _Batch, token: str
) -> list[Delivery]:
    attempt = {s.slot: s.redeliveries + 1 for s in slots}
    if all(a == 1 for a in attempt.values()):  # the usual case: no slot saw a dead consumer
        return _handed(spec, batch, token, lambda _e: 1)
    return _handed(spec, batch, token, lambda e: attempt[slot_of(e.envelope.partition_key)])


def _handed(
    spec: SubscriptionSpec, batch: _Batch, token: str, attempt_of: Callable[[StoredEvent], int]
) -> list[Delivery]:
    handed = [
        Delivery(f"h{held_id}", spec.name, e.envelope, attempts + 1, token, e.seq)
        for held_id, attempts, e in batch.held
    ]
    handed += [
        Delivery(
            f"e{e.seq}",
            spec.name,
            e.envelope,
            attempt_of(e),
            token,
            e.seq,
        )
        for e in batch.fresh
    ]
    return handed
