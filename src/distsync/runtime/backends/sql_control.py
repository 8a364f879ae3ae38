"""Control numbers of outbound X12 in SQL: one counter row per partner and kind.

``assign`` runs inside the writer's transaction. On SQLite that transaction
began with ``BEGIN IMMEDIATE``, so it holds the write lock from its first
statement and two processes never read the same counter value; on a server
database the counter row is locked (``FOR UPDATE``, ignored by SQLite). The
numbering rules are those of ``memory_control``.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from distsync.runtime.backends.memory_control import (
    after,
    check_count,
    check_request,
    numbers_from,
)
from distsync.store.tables import control_assignments, control_counters


def assign(conn: Connection, partner: str, kind: str, key: str, count: int) -> list[int]:
    """The numbers of ``key``: those it already has, else the next ``count`` of the counter."""
    check_request(kind, key, count)
    existing = _assignment(conn, partner, kind, key)
    if existing is not None:
        check_count(kind, key, count, existing[1])
        return numbers_from(*existing)
    last = _last(conn, partner, kind)
    numbers = numbers_from(after(last or 0), count)
    _advance(conn, partner, kind, numbers[-1], known=last is not None)
    conn.execute(
        insert(control_assignments).values(
            partner=partner, kind=kind, key=key, first=numbers[0], count=count
        )
    )
    return numbers


def _assignment(conn: Connection, partner: str, kind: str, key: str) -> tuple[int, int] | None:
    table = control_assignments
    row = conn.execute(
        select(table.c.first, table.c.count).where(
            table.c.partner == partner, table.c.kind == kind, table.c.key == key
        )
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))  # Row.count is tuple.count


def _last(conn: Connection, partner: str, kind: str) -> int | None:
    table = control_counters
    query = (
        select(table.c.last)
        .where(table.c.partner == partner, table.c.kind == kind)
        .with_for_update()
    )
    value: int | None = conn.execute(query).scalar()
    return value


def _advance(conn: Connection, partner: str, kind: str, last: int, *, known: bool) -> None:
    table = control_counters
    if known:
        conn.execute(
            update(table).where(table.c.partner == partner, table.c.kind == kind).values(last=last)
        )
    else:
        conn.execute(insert(table).values(partner=partner, kind=kind, last=last))
