"""The write side of the event-log contract as SQLAlchemy Core on one connection.

Each function runs inside the caller's transaction, so ``settle`` commits a
batch of acks together with the events and documents the handlers produced.
The SQL is portable between SQLite and PostgreSQL except the upsert, whose
``insert`` construct the backend passes in (both dialects spell
``on_conflict_do_update`` the same way).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Insert,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    select,
    update,
)

from distsync.model.envelope import Envelope
from distsync.runtime.backends.sql_rows import dumps, envelope_row, iso, stored_event
from distsync.runtime.ports import (
    Ack,
    AppendResult,
    DeadLetter,
    Delivery,
    Outcome,
    Park,
    RecordStatus,
    Release,
    Retry,
    SettleResult,
    SubscriptionSpec,
)
from distsync.store.tables import (
    attempts,
    dead_letters,
    deliveries,
    documents,
    duplicates,
    events,
    exceptions,
    subscriptions,
    watermarks,
)

InsertFactory = Callable[[Table], Insert]


def register(
    conn: Connection, spec: SubscriptionSpec, now: datetime, insert: InsertFactory
) -> None:
    values = {"event_types": dumps(list(spec.event_types)), "ordered": spec.ordered}
    statement = insert(subscriptions).values(name=spec.name, created_at=iso(now), **values)
    conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))  # type: ignore[attr-defined]


def load_subscriptions(conn: Connection) -> list[SubscriptionSpec]:
    rows = conn.execute(
        select(subscriptions.c.name, subscriptions.c.event_types, subscriptions.c.ordered)
    )
    return [
        SubscriptionSpec(name, tuple(orjson.loads(types)), bool(ordered))
        for name, types, ordered in rows
    ]


def append(conn: Connection, envelopes: Sequence[Envelope], now: datetime) -> AppendResult:
    """Store new envelopes, record duplicates, fan out one delivery per matching subscription."""
    if not envelopes:
        return AppendResult((), {})
    fresh, dupes = _split_duplicates(conn, envelopes)
    if dupes:
        conn.execute(
            duplicates.insert(),
            [
                {
                    "idempotency_key": env.idempotency_key,
                    "event_id": env.event_id,
                    "original_event_id": original,
                    "at": iso(now),
                }
                for env, original in dupes
            ],
        )
    if fresh:
        _insert_fresh(conn, fresh)
    return AppendResult(
        tuple(env.event_id for env in fresh), {env.event_id: orig for env, orig in dupes}
    )


def _split_duplicates(
    conn: Connection, envelopes: Sequence[Envelope]
) -> tuple[list[Envelope], list[tuple[Envelope, str]]]:
    keys = list({env.idempotency_key for env in envelopes})
    known = dict(
        conn.execute(
            select(events.c.idempotency_key, events.c.event_id).where(
                events.c.idempotency_key.in_(keys)
            )
        ).all()
    )
    fresh: list[Envelope] = []
    dupes: list[tuple[Envelope, str]] = []
    for env in envelopes:
        original = known.get(env.idempotency_key)
        if original is None:
            known[env.idempotency_key] = env.event_id
            fresh.append(env)
        else:
            dupes.append((env, original))
    return fresh, dupes


def _insert_fresh(conn: Connection, fresh: list[Envelope]) -> None:
    last = conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()
    rows = [envelope_row(last + i, env) for i, env in enumerate(fresh, start=1)]
    conn.execute(events.insert(), rows)
    specs = load_subscriptions(conn)
    fanout = [
        {"subscription": spec.name, "seq": row["seq"], "partition_key": row["partition_key"]}
        for row in rows
        for spec in specs
        if spec.matches(row["type"])
    ]
    if fanout:
        conn.execute(deliveries.insert(), fanout)


def new_deliveries(conn: Connection, targets: Sequence[tuple[str, int]]) -> None:
    """Fresh deliveries for already stored events (replay)."""
    if not targets:
        return
    seqs = list({seq for _, seq in targets})
    keys = dict(
        conn.execute(
            select(events.c.seq, events.c.partition_key).where(events.c.seq.in_(seqs))
        ).all()
    )
    conn.execute(
        deliveries.insert(),
        [{"subscription": sub, "seq": seq, "partition_key": keys[seq]} for sub, seq in targets],
    )


def claim(
    conn: Connection,
    subscription: str,
    *,
    token: str,
    limit: int,
    now: float,
    lease_seconds: float,
) -> list[Delivery]:
    """Lease the oldest claimable deliveries; skip (and count) stale ones.

    Skipping a stale head of an ordered key uncovers the next event of that
    key, so the claim goes round again until it has work or nothing is left.
    """
    ordered = conn.execute(
        select(subscriptions.c.ordered).where(subscriptions.c.name == subscription)
    ).scalar_one()
    found: list[Delivery] = []
    while len(found) < limit:
        candidates = _claimable(
            subscription, ordered=bool(ordered), now=now, limit=limit - len(found)
        )
        leased = _lease(conn, subscription, candidates, token, now + lease_seconds)
        fresh = _drop_stale(conn, subscription, leased)
        found.extend(fresh)
        if len(fresh) == len(leased):
            break
    return found


def _lease(
    conn: Connection, subscription: str, candidates: Any, token: str, until: float
) -> list[Delivery]:
    leased = conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(candidates))
        .values(attempts=deliveries.c.attempts + 1, lease_token=token, lease_expires=until)
        .returning(deliveries.c.id, deliveries.c.attempts, deliveries.c.seq)
    ).all()
    if not leased:
        return []
    seqs = [r.seq for r in leased]
    rows = conn.execute(select(events).where(events.c.seq.in_(seqs))).mappings()
    by_seq = {row["seq"]: row for row in rows}
    return [
        Delivery(r.id, subscription, stored_event(by_seq[r.seq]).envelope, r.attempts, token, r.seq)
        for r in sorted(leased, key=lambda r: r.id)
    ]


def _claimable(subscription: str, *, ordered: bool, now: float, limit: int) -> Any:
    d = deliveries
    query = select(d.c.id).where(
        d.c.subscription == subscription, d.c.lease_expires <= now, d.c.available_at <= now
    )
    if ordered:
        earlier = deliveries.alias("earlier")
        query = query.where(
            ~exists().where(
                earlier.c.subscription == d.c.subscription,
                earlier.c.partition_key == d.c.partition_key,
                earlier.c.id < d.c.id,
            )
        )
    return query.order_by(d.c.id).limit(limit).scalar_subquery()


def _drop_stale(conn: Connection, subscription: str, found: list[Delivery]) -> list[Delivery]:
    sequenced = [d for d in found if d.envelope.source_sequence is not None]
    if not sequenced:
        return found
    keys = list({d.envelope.partition_key for d in sequenced})
    marks = dict(
        conn.execute(
            select(watermarks.c.partition_key, watermarks.c.source_sequence).where(
                watermarks.c.subscription == subscription, watermarks.c.partition_key.in_(keys)
            )
        ).all()
    )
    stale = {
        d.delivery_id
        for d in sequenced
        if d.envelope.partition_key in marks
        and d.envelope.source_sequence is not None
        and d.envelope.source_sequence <= marks[d.envelope.partition_key]
    }
    if not stale:
        return found
    conn.execute(delete(deliveries).where(deliveries.c.id.in_(stale)))
    _bump(conn, "skipped_stale", Counter({subscription: len(stale)}))
    return [d for d in found if d.delivery_id not in stale]


def extend(conn: Connection, deliveries_: Sequence[Delivery], until: float) -> None:
    conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == bindparam("b_id"), deliveries.c.lease_token == bindparam("b_token")
        )
        .values(lease_expires=until),
        [{"b_id": d.delivery_id, "b_token": d.lease_token} for d in deliveries_],
    )


def settle(
    conn: Connection, outcomes: Sequence[Outcome], now: datetime, insert: InsertFactory
) -> SettleResult:
    """Apply outcomes whose lease is still held; report the others as lost."""
    ids = [o.delivery.delivery_id for o in outcomes]
    held = dict(
        conn.execute(
            select(deliveries.c.id, deliveries.c.lease_token).where(deliveries.c.id.in_(ids))
        ).all()
    )
    valid: list[Outcome] = []
    lost: list[int] = []
    for o in outcomes:
        if held.get(o.delivery.delivery_id) == o.delivery.lease_token:
            valid.append(o)
        else:
            lost.append(o.delivery.delivery_id)
    finished = [o.delivery.delivery_id for o in valid if isinstance(o, (Ack, DeadLetter, Park))]
    if finished:
        conn.execute(delete(deliveries).where(deliveries.c.id.in_(finished)))
    _reschedule(conn, [o for o in valid if isinstance(o, (Retry, Release))])
    _record_failures(conn, [o for o in valid if isinstance(o, (Retry, DeadLetter, Park))], now)
    _apply_acks(conn, [o for o in valid if isinstance(o, Ack)], now, insert)
    return SettleResult(len(valid), tuple(lost))


def _reschedule(conn: Connection, outcomes: Sequence[Retry | Release]) -> None:
    if not outcomes:
        return
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            lease_token=None,
            lease_expires=0,
            available_at=case(
                (bindparam("b_at") < 0, deliveries.c.available_at), else_=bindparam("b_at")
            ),
            attempts=deliveries.c.attempts - bindparam("b_back"),
        ),
        [
            {
                "b_id": o.delivery.delivery_id,
                "b_at": o.at.timestamp() if isinstance(o, Retry) else -1.0,
                "b_back": 0 if isinstance(o, Retry) else 1,
            }
            for o in outcomes
        ],
    )


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
    kind = {Retry: "retry", DeadLetter: "dead_letter", Park: "parked"}[type(outcome)]
    if isinstance(outcome, Park):
        error_class, message = outcome.reason_code, outcome.message
    else:
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
    append(conn, emitted, now)
    _write_documents(conn, acks, now, insert)
    _advance_watermarks(conn, acks, insert)
    _bump(conn, "acked", Counter(ack.delivery.subscription for ack in acks))


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
    if not latest:
        return
    statement = insert(documents)
    excluded = statement.excluded  # type: ignore[attr-defined]
    conn.execute(
        statement.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=["kind", "key"],
            set_={
                "version": documents.c.version + excluded.version,
                "body": excluded.body,
                "updated_at": excluded.updated_at,
                "updated_by": excluded.updated_by,
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
    statement = insert(watermarks)
    newer = statement.excluded.source_sequence  # type: ignore[attr-defined]
    conn.execute(
        statement.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=["subscription", "partition_key"],
            set_={
                "source_sequence": case(
                    (newer > watermarks.c.source_sequence, newer),
                    else_=watermarks.c.source_sequence,
                )
            },
        ),
        [
            {"subscription": sub, "partition_key": key, "source_sequence": sequence}
            for (sub, key), sequence in marks.items()
        ],
    )


def _bump(conn: Connection, column: str, counts: Counter[str]) -> None:
    target = subscriptions.c[column]
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.name == bindparam("b_name"))
        .values({column: target + bindparam("b_n")}),
        [{"b_name": name, "b_n": n} for name, n in counts.items()],
    )


__all__ = [
    "append",
    "claim",
    "extend",
    "load_subscriptions",
    "new_deliveries",
    "register",
    "settle",
]
