"""Settling a claim on the SQL event log: outcomes, effects and cursors in one transaction.

A claim's deliveries are settled together (the worker always does): for each
slot the claim leased, the cursor moves to where the claim read to and the
lease is released. Outcomes of events read from the stream need no write when
acknowledged; a retry or a release puts the event in ``held``. Outcomes of
held events update or delete their row. An outcome whose slot lease was lost
(expired and taken by another consumer) is dropped with its effects.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, select, update

from distsync.runtime.backends.sql_append import InsertFactory, append, slot_of, upsert
from distsync.runtime.backends.sql_held import hold, unblock_next
from distsync.runtime.backends.sql_rows import dumps, iso
from distsync.runtime.ports import (
    Ack,
    DeadLetter,
    Outcome,
    Park,
    RecordStatus,
    Release,
    Retry,
    SettleResult,
)
from distsync.store.tables import (
    attempts,
    dead_letters,
    documents,
    exceptions,
    held,
    subscription_slots,
    subscriptions,
    watermarks,
)

SlotKey = tuple[str, int]


class IncompleteSettle(ValueError):
    """A claim's deliveries must be settled together, in one call."""


def settle(
    conn: Connection, outcomes: Sequence[Outcome], now: datetime, insert: InsertFactory
) -> SettleResult:
    if not outcomes:
        return SettleResult(0)
    groups: dict[SlotKey, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        d = outcome.delivery
        groups[(d.subscription, slot_of(d.envelope.partition_key))].append(outcome)
    leases = _leases(conn, list(groups))
    valid: list[Outcome] = []
    lost: list[str] = []
    for key, group in groups.items():
        if _holds(leases.get(key), group):
            valid.extend(group)
        else:
            lost.extend(o.delivery.delivery_id for o in group)
    _apply(conn, valid, now, insert)
    _advance_cursors(conn, [k for k in groups if _holds(leases.get(k), groups[k])], leases)
    return SettleResult(len(valid), tuple(lost))


def _leases(conn: Connection, keys: list[SlotKey]) -> dict[SlotKey, Any]:
    params = {"b_subs": list({sub for sub, _ in keys}), "b_slots": list({n for _, n in keys})}
    rows = conn.execute(_LEASES(), params).all()
    return {(r.subscription, r.slot): r for r in rows}


@functools.cache
def _LEASES() -> Any:
    ss = subscription_slots
    return select(
        ss.c.subscription, ss.c.slot, ss.c.lease_token, ss.c.claimed_to, ss.c.claimed_count
    ).where(
        ss.c.subscription.in_(bindparam("b_subs", expanding=True)),
        ss.c.slot.in_(bindparam("b_slots", expanding=True)),
    )


def _holds(lease: Any, group: list[Outcome]) -> bool:
    token = group[0].delivery.lease_token
    if lease is None or lease.lease_token != token:
        return False
    if len(group) != lease.claimed_count:
        raise IncompleteSettle(
            f"settling {len(group)} of the {lease.claimed_count} deliveries claimed together "
            f"from {group[0].delivery.subscription}: settle a claim's deliveries in one call"
        )
    return True


def _advance_cursors(conn: Connection, keys: list[SlotKey], leases: dict[SlotKey, Any]) -> None:
    if not keys:
        return
    conn.execute(
        _ADVANCE(),
        [{"b_sub": s, "b_slot": n, "b_cursor": leases[(s, n)].claimed_to} for s, n in keys],
    )


@functools.cache
def _ADVANCE() -> Any:
    ss = subscription_slots
    return (
        update(ss)
        .where(ss.c.subscription == bindparam("b_sub"), ss.c.slot == bindparam("b_slot"))
        .values(
            cursor=bindparam("b_cursor"),
            lease_token=None,
            lease_expires=0,
            claimed_to=None,
            claimed_count=0,
            redeliveries=0,
        )
    )


def _apply(conn: Connection, valid: list[Outcome], now: datetime, insert: InsertFactory) -> None:
    from_held = [o for o in valid if o.delivery.delivery_id.startswith("h")]
    from_stream = [o for o in valid if not o.delivery.delivery_id.startswith("h")]
    _settle_held(conn, from_held)
    _hold_from_stream(conn, from_stream)
    _record_failures(conn, [o for o in valid if isinstance(o, (Retry, DeadLetter, Park))], now)
    _apply_acks(conn, [o for o in valid if isinstance(o, Ack)], now, insert)


def _held_id(outcome: Outcome) -> int:
    return int(outcome.delivery.delivery_id[1:])


def _settle_held(conn: Connection, outcomes: list[Outcome]) -> None:
    done = [o for o in outcomes if isinstance(o, (Ack, DeadLetter, Park))]
    if done:
        conn.execute(delete(held).where(held.c.id.in_([_held_id(o) for o in done])))
        unblock_next(
            conn, [(o.delivery.subscription, o.delivery.envelope.partition_key) for o in done]
        )
    retries = [o for o in outcomes if isinstance(o, Retry)]
    if retries:
        conn.execute(
            update(held)
            .where(held.c.id == bindparam("b_id"))
            .values(available_at=bindparam("b_at"), reason="retry"),
            [{"b_id": _held_id(o), "b_at": o.at.timestamp()} for o in retries],
        )
    released = [_held_id(o) for o in outcomes if isinstance(o, Release)]
    if released:
        conn.execute(
            update(held).where(held.c.id.in_(released)).values(attempts=held.c.attempts - 1)
        )


def _hold_from_stream(conn: Connection, outcomes: list[Outcome]) -> None:
    """A retried or released stream event waits in ``held``, in stream order."""
    rows = [
        {
            "subscription": o.delivery.subscription,
            "slot": slot_of(o.delivery.envelope.partition_key),
            "seq": o.delivery.seq,
            "partition_key": o.delivery.envelope.partition_key,
            "reason": "retry" if isinstance(o, Retry) else "released",
            "attempts": o.delivery.attempt - (0 if isinstance(o, Retry) else 1),
            "available_at": o.at.timestamp() if isinstance(o, Retry) else 0.0,
        }
        for o in sorted(outcomes, key=lambda o: o.delivery.seq)
        if isinstance(o, (Retry, Release))
    ]
    hold(conn, rows)


def _record_failures(
    conn: Connection, outcomes: Sequence[Retry | DeadLetter | Park], now: datetime
) -> None:
    if not outcomes:
        return
    conn.execute(attempts.insert(), [_attempt_row(o, now) for o in outcomes])
    dead = [o for o in outcomes if isinstance(o, DeadLetter)]
    if dead:
        conn.execute(dead_letters.insert(), [_dead_row(o, now) for o in dead])
    parked = [o for o in outcomes if isinstance(o, Park)]
    if parked:
        conn.execute(exceptions.insert(), [_parked_row(o, now) for o in parked])


def _attempt_row(outcome: Retry | DeadLetter | Park, now: datetime) -> dict[str, Any]:
    if isinstance(outcome, Park):
        kind, error_class, message = "parked", outcome.reason_code, outcome.message
    else:
        kind = "retry" if isinstance(outcome, Retry) else "dead_letter"
        error_class, message = outcome.error.error_class, outcome.error.message
    delivery = outcome.delivery
    return {
        "event_id": delivery.envelope.event_id,
        "subscription": delivery.subscription,
        "attempt": delivery.attempt,
        "at": iso(now),
        "outcome": kind,
        "error_class": error_class,
        "message": message,
    }


def _dead_row(outcome: DeadLetter, now: datetime) -> dict[str, Any]:
    error = outcome.error
    return {
        "subscription": outcome.delivery.subscription,
        "seq": outcome.delivery.seq,
        "error_class": error.error_class,
        "message": error.message,
        "traceback": error.traceback,
        "retryable": error.retryable,
        "attempts": outcome.delivery.attempt,
        "dead_at": iso(now),
        "status": RecordStatus.OPEN.value,
    }


def _parked_row(outcome: Park, now: datetime) -> dict[str, Any]:
    return {
        "subscription": outcome.delivery.subscription,
        "seq": outcome.delivery.seq,
        "reason_code": outcome.reason_code,
        "document_ref": outcome.document_ref,
        "message": outcome.message,
        "resolutions": dumps([list(r) for r in outcome.resolutions]),
        "facts": dumps(dict(outcome.facts)),
        "parked_at": iso(now),
        "status": RecordStatus.OPEN.value,
    }


def _apply_acks(
    conn: Connection, acks: Sequence[Ack], now: datetime, insert: InsertFactory
) -> None:
    if not acks:
        return
    emitted = [env for ack in acks for env in ack.effects.emitted]
    append(conn, emitted, now, insert)
    _write_documents(conn, acks, now, insert)
    _advance_watermarks(conn, acks, insert)
    counts = Counter(ack.delivery.subscription for ack in acks)
    conn.execute(_COUNT_ACKED(), [{"b_name": name, "b_n": n} for name, n in counts.items()])


@functools.cache
def _COUNT_ACKED() -> Any:
    return (
        update(subscriptions)
        .where(subscriptions.c.name == bindparam("b_name"))
        .values(acked=subscriptions.c.acked + bindparam("b_n"))
    )


def _write_documents(
    conn: Connection, acks: Sequence[Ack], now: datetime, insert: InsertFactory
) -> None:
    """Upsert every written document; each write counts one version, the last body wins."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for ack in acks:
        for w in ack.effects.writes:
            previous = latest.get((w.kind, w.key))
            latest[(w.kind, w.key)] = {
                "kind": w.kind,
                "key": w.key,
                "version": 1 + (previous["version"] if previous else 0),
                "body": dumps(dict(w.body)),
                "updated_at": iso(now),
                "updated_by": ack.delivery.envelope.event_id,
            }
    if latest:
        conn.execute(
            upsert(
                insert,
                documents,
                ["kind", "key"],
                {
                    "version": lambda x: documents.c.version + x.version,
                    "body": lambda x: x.body,
                    "updated_at": lambda x: x.updated_at,
                    "updated_by": lambda x: x.updated_by,
                },
            ),
            list(latest.values()),
        )


def _advance_watermarks(conn: Connection, acks: Sequence[Ack], insert: InsertFactory) -> None:
    marks: dict[tuple[str, str], int] = {}
    for ack in acks:
        sequence = ack.delivery.envelope.source_sequence
        if sequence is not None:
            key = (ack.delivery.subscription, ack.delivery.envelope.partition_key)
            marks[key] = max(marks.get(key, sequence), sequence)
    if not marks:
        return
    newer = lambda x: case(  # noqa: E731
        (x.source_sequence > watermarks.c.source_sequence, x.source_sequence),
        else_=watermarks.c.source_sequence,
    )
    conn.execute(
        upsert(insert, watermarks, ["subscription", "partition_key"], {"source_sequence": newer}),
        [
            {"subscription": sub, "partition_key": key, "source_sequence": sequence}
            for (sub, key), sequence in marks.items()
        ],
    )
