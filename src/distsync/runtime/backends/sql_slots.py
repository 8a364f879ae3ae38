"""Slots of the SQL event log as a subscription sees them: which have work, leases, cursors."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, exists, or_, select, update

from distsync.store.tables import held, slot_heads, subscription_slots


@dataclass(slots=True)
class Slot:
    slot: int
    cursor: int
    head: int
    expired: bool
    redeliveries: int
    isolate_to: int
    has_held: bool
    has_due: bool

    @property
    def isolating(self) -> bool:
        return self.expired or self.cursor < self.isolate_to


def choose(slots: list[Slot], limit: int) -> tuple[list[Slot], int]:
    """The slots to read: a crashed one alone, one event at a time; else enough for ``limit``."""
    for slot in slots:
        if slot.isolating:
            return [slot], 1
    chosen: list[Slot] = []
    estimate = 0
    for slot in slots:
        chosen.append(slot)
        estimate += max(slot.head - slot.cursor, 0) + (limit if slot.has_due else 0)
        if estimate >= limit:
            break
    return chosen, limit


def slots_with_work(conn: Connection, subscription: str, now: float) -> list[Slot]:
    rows = conn.execute(_SLOTS_WITH_WORK(), {"sub": subscription, "now": now}).all()
    return [_slot(r) for r in rows]


@functools.cache
def _SLOTS_WITH_WORK() -> Any:
    ss = subscription_slots
    now: Any = bindparam("now")
    head = select(slot_heads.c.max_seq).where(slot_heads.c.slot == ss.c.slot).scalar_subquery()
    in_slot = (held.c.subscription == ss.c.subscription, held.c.slot == ss.c.slot)
    any_held = exists().where(*in_slot)
    due = exists().where(*in_slot, held.c.available_at <= now)
    return (
        select(
            ss.c.slot,
            ss.c.cursor,
            head.label("head"),
            ss.c.lease_token,
            ss.c.redeliveries,
            ss.c.claimed_to,
            ss.c.isolate_to,
            any_held.label("has_held"),
            due.label("has_due"),
        )
        .where(ss.c.subscription == bindparam("sub"), ss.c.lease_expires <= now)
        .where(or_(head > ss.c.cursor, due))
        .order_by(ss.c.cursor)
    )


def _slot(row: Any) -> Slot:
    expired = row.lease_token is not None
    return Slot(
        slot=row.slot,
        cursor=row.cursor,
        head=row.head or 0,
        expired=expired,
        redeliveries=row.redeliveries + (1 if expired else 0),
        isolate_to=max(row.isolate_to, row.claimed_to or 0) if expired else row.isolate_to,
        has_held=bool(row.has_held),
        has_due=bool(row.has_due),
    )


def lease_and_move(
    conn: Connection,
    subscription: str,
    slots: list[Slot],
    *,
    counts: Counter[int],
    cutoff: int | None,
    token: str,
    until: float,
) -> None:
    """Lease the slots that handed something out (``counts`` per slot); move the others' cursors.

    ``cutoff``: the last seq read when the claim filled up, ``None`` when every
    slot was read to its head, ``-1`` when nothing was read from the stream.
    """
    leased = [s for s in slots if counts[s.slot]]
    idle = [s for s in slots if not counts[s.slot]]
    if leased:
        conn.execute(
            _LEASE(),
            [
                {
                    "b_sub": subscription,
                    "b_slot": s.slot,
                    "b_token": token,
                    "b_until": until,
                    "b_to": cursor_after(s, cutoff),
                    "b_count": counts[s.slot],
                    "b_redeliveries": s.redeliveries,
                    "b_isolate": s.isolate_to,
                }
                for s in leased
            ],
        )
    if idle:
        conn.execute(
            _MOVE(),
            [
                {"b_sub": subscription, "b_slot": s.slot, "b_to": cursor_after(s, cutoff)}
                for s in idle
            ],
        )


def _one_slot() -> tuple[Any, ...]:
    ss = subscription_slots
    return (ss.c.subscription == bindparam("b_sub"), ss.c.slot == bindparam("b_slot"))


@functools.cache
def _LEASE() -> Any:
    return (
        update(subscription_slots)
        .where(*_one_slot())
        .values(
            lease_token=bindparam("b_token"),
            lease_expires=bindparam("b_until"),
            claimed_to=bindparam("b_to"),
            claimed_count=bindparam("b_count"),
            redeliveries=bindparam("b_redeliveries"),
            isolate_to=bindparam("b_isolate"),
        )
    )


@functools.cache
def _MOVE() -> Any:
    return (
        update(subscription_slots)
        .where(*_one_slot())
        .values(cursor=bindparam("b_to"), lease_token=None, lease_expires=0, claimed_to=None)
    )


def cursor_after(slot: Slot, cutoff: int | None) -> int:
    if cutoff is None:
        return slot.head
    if cutoff < 0:
        return slot.cursor
    return max(slot.cursor, min(slot.head, cutoff))


def extend(conn: Connection, tokens: set[tuple[str, str]], until: float) -> None:
    """Renew the slot leases of in-flight claims ((subscription, token) pairs)."""
    conn.execute(
        update(subscription_slots)
        .where(
            subscription_slots.c.subscription == bindparam("b_sub"),
            subscription_slots.c.lease_token == bindparam("b_token"),
        )
        .values(lease_expires=until),
        [{"b_sub": sub, "b_token": token} for sub, token in tokens],
    )
