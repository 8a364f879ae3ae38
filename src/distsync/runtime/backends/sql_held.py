"""Held events: the exceptions to the stream (retries, events queued behind them, replays).

On an ordered subscription only the first held event of a key may run; the
ones behind it carry ``available_at = BLOCKED`` until it is finished, so that
"is something due in this slot" stays one indexed question.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, tuple_, update

from distsync.runtime.backends.sql_append import load_subscriptions
from distsync.store.tables import held

BLOCKED = 1e18
"""``available_at`` of an event waiting behind another of its key (far in the future)."""

KeyRef = tuple[str, str]  # (subscription, partition key)


def ordered_subscriptions(conn: Connection) -> set[str]:
    return {spec.name for spec in load_subscriptions(conn) if spec.ordered}


def hold(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert held rows in order; on ordered subscriptions, later ones of a key wait behind."""
    if not rows:
        return
    ordered = ordered_subscriptions(conn)
    waiting = _keys_with_held(conn, [(r["subscription"], r["partition_key"]) for r in rows])
    for row in rows:
        ref = (row["subscription"], row["partition_key"])
        if row["subscription"] in ordered and ref in waiting:
            row["available_at"] = BLOCKED
        waiting.add(ref)
    conn.execute(held.insert(), rows)


def unblock_next(conn: Connection, finished: Iterable[KeyRef]) -> None:
    """After a key's first held event is finished, the next one of that key may run."""
    refs = set(finished)
    if not refs:
        return
    first = (
        select(func.min(held.c.id))
        .where(
            held.c.subscription == bindparam("b_sub"),
            held.c.partition_key == bindparam("b_key"),
        )
        .scalar_subquery()
    )
    conn.execute(
        update(held)
        .where(held.c.id == first, held.c.available_at == BLOCKED)
        .values(available_at=0),
        [{"b_sub": sub, "b_key": key} for sub, key in refs],
    )


def _keys_with_held(conn: Connection, refs: list[KeyRef]) -> set[KeyRef]:
    query = select(held.c.subscription, held.c.partition_key).where(
        tuple_(held.c.subscription, held.c.partition_key).in_(set(refs))
    )
    return {(sub, key) for sub, key in conn.execute(query.distinct()).all()}
