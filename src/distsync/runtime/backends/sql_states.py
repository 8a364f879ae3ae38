"""Where one event stands in each subscription, from the SQL backend's records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from distsync.runtime.backends.sql_held import BLOCKED
from distsync.runtime.ports import DeliveryState, DeliveryStateKind, RecordStatus, SubscriptionSpec
from distsync.store.tables import (
    dead_letters,
    events,
    exceptions,
    held,
    subscription_slots,
    subscriptions,
)

Kind = DeliveryStateKind


def delivery_states(conn: Connection, event_id: str, now: float) -> list[DeliveryState]:
    event = conn.execute(
        select(events.c.seq, events.c.slot, events.c.type, events.c.received_at).where(
            events.c.event_id == event_id
        )
    ).first()
    if event is None:
        return []
    found = []
    for row in conn.execute(select(subscriptions)).mappings():
        spec = SubscriptionSpec(row["name"], tuple(orjson.loads(row["event_types"])))
        if spec.matches(event.type):
            found.append(_state(conn, spec.name, row["registered_after"], event, now))
    return found


def _state(
    conn: Connection, subscription: str, registered_after: int, event: Any, now: float
) -> DeliveryState:
    waiting = _held(conn, subscription, event.seq, now)
    if waiting is not None:
        return DeliveryState(subscription, *waiting)
    record = _open_record(conn, subscription, event.seq)
    if record is not None:
        return record
    slot = (
        conn.execute(
            select(subscription_slots).where(
                subscription_slots.c.subscription == subscription,
                subscription_slots.c.slot == event.slot,
            )
        )
        .mappings()
        .one()
    )
    return DeliveryState(subscription, *_by_cursor(slot, event, registered_after, now))


def _held(conn: Connection, subscription: str, seq: int, now: float) -> tuple[Kind, str] | None:
    row = conn.execute(
        select(held.c.reason, held.c.available_at)
        .where(held.c.subscription == subscription, held.c.seq == seq)
        .order_by(held.c.id.desc())
    ).first()
    if row is None:
        return None
    if row.available_at >= BLOCKED:
        return Kind.QUEUED, "waits behind an earlier event of its key"
    if row.available_at > now:
        at = datetime.fromtimestamp(row.available_at).astimezone().isoformat(timespec="seconds")
        return Kind.WAITING_RETRY, f"next attempt at {at}"
    return Kind.PENDING, f"held ({row.reason}), due now"


def _open_record(conn: Connection, subscription: str, seq: int) -> DeliveryState | None:
    for table, kind, label in (
        (dead_letters, Kind.DEAD_LETTERED, "dlq"),
        (exceptions, Kind.PARKED, "exception"),
    ):
        row = conn.execute(
            select(table.c.id).where(
                table.c.subscription == subscription,
                table.c.seq == seq,
                table.c.status == RecordStatus.OPEN.value,
            )
        ).first()
        if row is not None:
            return DeliveryState(subscription, kind, "", f"{label} {row.id}")
    return None


def _by_cursor(slot: Any, event: Any, registered_after: int, now: float) -> tuple[Kind, str]:
    if event.seq <= registered_after:
        return Kind.NOT_SUBSCRIBED, "the subscription was registered after this event"
    if event.seq <= slot["cursor"]:
        return Kind.DONE, "handled (or skipped as stale)"
    leased = slot["lease_token"] is not None and slot["lease_expires"] > now
    if leased and event.seq <= (slot["claimed_to"] or 0):
        return Kind.IN_FLIGHT, "claimed by a worker"
    return Kind.PENDING, "not yet claimed"
