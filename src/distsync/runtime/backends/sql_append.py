"""Appending to the SQL event log, and registering subscriptions.

Each function runs inside the caller's transaction. The SQL is portable
between SQLite and PostgreSQL except the upsert, whose ``insert`` construct
the backend passes in (both dialects spell ``on_conflict_do_update`` alike).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Insert, Table, bindparam, func, select, update

from distsync.errors import ConfigError, SchemaViolation
from distsync.model.envelope import Envelope
from distsync.runtime.backends.sql_recent import note_appended
from distsync.runtime.backends.sql_rows import EVENT_FIELDS, dumps, envelope_values, iso
from distsync.runtime.ports import AppendResult, StoredEvent, SubscriptionSpec
from distsync.store.tables import (
    SLOTS,
    duplicates,
    events,
    slot_heads,
    subscription_slots,
    subscriptions,
)

InsertFactory = Callable[[Table], Insert]


def slot_of(partition_key: str) -> int:
    """The slot of a partition key: stable across processes, versions and machines."""
    return zlib.crc32(partition_key.encode()) % SLOTS


def upsert(insert: InsertFactory, table: Table, keys: list[str], update: dict[str, Any]) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET update``; ``excluded`` via a callable."""
    statement = insert(table)
    excluded = statement.excluded  # type: ignore[attr-defined]
    values = {
        name: (value(excluded) if callable(value) else value) for name, value in update.items()
    }
    return statement.on_conflict_do_update(index_elements=keys, set_=values)  # type: ignore[attr-defined]


def register(
    conn: Connection, spec: SubscriptionSpec, now: datetime, insert: InsertFactory
) -> None:
    """Create or update a subscription; a new one starts at the current end of every slot."""
    values = {"event_types": dumps(list(spec.event_types)), "ordered": spec.ordered}
    exists = conn.execute(
        select(subscriptions.c.name).where(subscriptions.c.name == spec.name)
    ).first()
    if exists is not None:
        conn.execute(update(subscriptions).where(subscriptions.c.name == spec.name).values(values))
        return
    last = conn.execute(_LAST_SEQ()).scalar_one()
    conn.execute(
        subscriptions.insert().values(
            name=spec.name, created_at=iso(now), registered_after=last, **values
        )
    )
    heads = dict(conn.execute(select(slot_heads.c.slot, slot_heads.c.max_seq)).all())
    conn.execute(
        subscription_slots.insert(),
        [
            {"subscription": spec.name, "slot": slot, "cursor": heads.get(slot, 0)}
            for slot in range(SLOTS)
        ],
    )


def load_subscriptions(conn: Connection) -> list[SubscriptionSpec]:
    rows = conn.execute(
        select(subscriptions.c.name, subscriptions.c.event_types, subscriptions.c.ordered)
    )
    return [
        SubscriptionSpec(name, tuple(orjson.loads(types)), bool(ordered))
        for name, types, ordered in rows
    ]


def load_subscription(conn: Connection, name: str) -> SubscriptionSpec:
    row = conn.execute(_ONE_SUBSCRIPTION(), {"name": name}).first()
    if row is None:
        raise UnknownSubscription(
            f"claiming from {name!r}: no subscription of that name is registered"
        )
    return SubscriptionSpec(name, tuple(orjson.loads(row.event_types)), bool(row.ordered))


class UnknownSubscription(ConfigError):
    """A claim or settle for a subscription nobody registered."""


@functools.cache
def _ONE_SUBSCRIPTION() -> Any:
    columns = (subscriptions.c.event_types, subscriptions.c.ordered)
    return select(*columns).where(subscriptions.c.name == bindparam("name"))


def append(
    conn: Connection, envelopes: Sequence[Envelope], now: datetime, insert: InsertFactory
) -> AppendResult:
    """Store new envelopes and move the slots' heads; record duplicates.

    Rows go in with "insert or ignore" in one round trip; the seqs that did not
    land are the duplicates (by idempotency key, within the batch or against
    the log), found afterwards with one range query.
    """
    if not envelopes:
        return AppendResult((), {})
    first = conn.execute(_LAST_SEQ()).scalar_one() + 1
    rows = [
        envelope_values(seq, slot_of(env.partition_key), env)
        for seq, env in enumerate(envelopes, first)
    ]
    insert_ignoring_conflicts(conn, events, EVENT_FIELDS, rows)
    stored = _stored_seqs(conn, first, first + len(rows) - 1)
    landed = [stored.get(row[0]) == env.event_id for row, env in zip(rows, envelopes, strict=True)]
    fresh = [env for env, ok in zip(envelopes, landed, strict=True) if ok]
    note_appended(
        conn,
        [
            StoredEvent(row[0], env)
            for row, env, ok in zip(rows, envelopes, landed, strict=True)
            if ok
        ],
    )
    dupes = _duplicates_of(
        conn, [env for env, ok in zip(envelopes, landed, strict=True) if not ok], now
    )
    heads = {row[1]: row[0] for row in rows if row[0] in stored}
    if heads:
        conn.execute(
            _MOVE_HEADS(insert), [{"slot": slot, "max_seq": seq} for slot, seq in heads.items()]
        )
    return AppendResult(tuple(env.event_id for env in fresh), dupes)


def insert_ignoring_conflicts(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Many rows in one ``executemany``, straight to the driver (no per-row compile)."""
    conn.exec_driver_sql(_insert_sql(conn.dialect.name, table.name, columns), rows)


@functools.cache
def _insert_sql(dialect: str, table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    if dialect == "sqlite":
        return f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"


def _stored_seqs(conn: Connection, low: int, high: int) -> dict[int, str]:
    return dict(conn.execute(_STORED(), {"low": low, "high": high}).all())


@functools.cache
def _LAST_SEQ() -> Any:
    return select(func.coalesce(func.max(events.c.seq), 0))


@functools.cache
def _STORED() -> Any:
    between = events.c.seq.between(bindparam("low"), bindparam("high"))
    return select(events.c.seq, events.c.event_id).where(between)


@functools.cache
def _MOVE_HEADS(insert: InsertFactory) -> Any:
    return upsert(insert, slot_heads, ["slot"], {"max_seq": lambda excluded: excluded.max_seq})


def _duplicates_of(conn: Connection, refused: list[Envelope], now: datetime) -> dict[str, str]:
    """Map each refused envelope to the stored event that holds its idempotency key."""
    if not refused:
        return {}
    keys = {env.idempotency_key for env in refused}
    query = select(events.c.idempotency_key, events.c.event_id)
    holders = dict(conn.execute(query.where(events.c.idempotency_key.in_(keys))).all())
    clashes = [env for env in refused if env.idempotency_key not in holders]
    if clashes:
        raise SchemaViolation(
            f"appending event {clashes[0].event_id}: that event id is already stored "
            "under another idempotency key"
        )
    conn.execute(
        duplicates.insert(),
        [
            {
                "idempotency_key": env.idempotency_key,
                "event_id": env.event_id,
                "original_event_id": holders[env.idempotency_key],
                "at": iso(now),
            }
            for env in refused
        ],
    )
    return {env.event_id: holders[env.idempotency_key] for env in refused}
