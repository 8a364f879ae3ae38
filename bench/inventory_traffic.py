"""The inventory traffic ``bench/inventory.py`` replays, and books filled to a size.

Traffic is a seeded stream of the documents warehouses and order capture
send, as the senders put them in the log (event type, partition key
``<sku>@<warehouse>`` or the warehouse): partial stock snapshots (846-style,
``SNAPSHOT_LINES`` items each), adjustments (947-style), reservations and
their releases, each stated one second after the one before.

A filled book holds ``pairs`` positions, ``WAREHOUSES`` per item, each
counted once; it is built by applying counts to the book directly (no
documents), the fast way to reach a million positions.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from distsync.flows.inventory import ADJUSTED, RELEASED, RESERVED, SNAPSHOT, InventoryFlow
from distsync.model.base import Document
from distsync.model.envelope import Envelope
from distsync.model.inventory import (
    AdjustmentReason,
    InventoryAdjustment,
    InventoryBalance,
    InventoryReservation,
    InventorySnapshot,
    ReservationStatus,
)
from distsync.model.items import ItemRef
from distsync.model.units import Quantity
from distsync.rules.atp import AtpBook
from distsync.rules.atp_events import (
    InventoryEvent,
    OnHandCounted,
    adjustment_event,
    reservation_event,
    snapshot_events,
)

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
WAREHOUSES = 5
SNAPSHOT_LINES = 20
KINDS = ("snapshot", "adjustment", "reservation", "release")
SHARES = (0.05, 0.55, 0.25, 0.15)


def sku(number: int) -> str:
    return f"SKU-{number:07d}"


def warehouse(number: int) -> str:
    return f"WH-{number:02d}"


def _each(value: int) -> Quantity:
    return Quantity(value=Decimal(value), uom="EA")


class Traffic:
    """A stream of inventory documents over ``items`` items in ``WAREHOUSES`` warehouses."""

    def __init__(self, items: int, seed: int = 6) -> None:
        self._items = items
        self._pick = random.Random(seed)
        self._open: list[InventoryReservation] = []
        self._step = 0

    def documents(self, count: int) -> list[Document]:
        chosen = self._pick.choices(KINDS, SHARES, k=count)
        return [self._next(kind) for kind in chosen]

    def _next(self, kind: str) -> Document:
        self._step += 1
        at = START + timedelta(seconds=self._step)
        where = warehouse(self._pick.randrange(WAREHOUSES))
        if kind == "snapshot":
            return self._snapshot(where, at)
        if kind == "release" and self._open:
            held = self._open.pop(self._pick.randrange(len(self._open)))
            return held.model_copy(update={"status": ReservationStatus.RELEASED})
        item = ItemRef(sku=sku(self._pick.randrange(self._items)))
        if kind == "adjustment":
            return InventoryAdjustment(
                adjustment_id=f"ADJ-{self._step:08d}",
                warehouse_id=where,
                item=item,
                delta=_each(self._pick.choice((-3, -1, 2, 5))),
                reason_code=AdjustmentReason.CYCLE_COUNT,
                adjusted_at=at,
            )
        held = InventoryReservation(
            reservation_id=f"RSV-{self._step:08d}",
            item=item,
            warehouse_id=where,
            quantity=_each(self._pick.randint(1, 4)),
            reserved_at=at,
        )
        self._open.append(held)
        return held

    def _snapshot(self, where: str, at: datetime) -> InventorySnapshot:
        numbers = self._pick.sample(range(self._items), min(SNAPSHOT_LINES, self._items))
        balances = [
            InventoryBalance(
                sku=sku(n),
                warehouse_id=where,
                on_hand=_each(self._pick.randint(50, 500)),
                allocated=_each(0),
                as_of=at,
            )
            for n in numbers
        ]
        return InventorySnapshot(
            snapshot_id=f"SNAP-{where}-{self._step:08d}", warehouse_id=where, as_of=at,
            balances=tuple(balances),
        )  # fmt: skip


def route(document: Document) -> tuple[str, str]:
    """The event type and partition key a sender gives the document."""
    match document:
        case InventorySnapshot():
            return SNAPSHOT, document.warehouse_id
        case InventoryAdjustment():
            return ADJUSTED, f"{document.item.sku}@{document.warehouse_id}"
        case InventoryReservation():
            released = document.status is not ReservationStatus.ACTIVE
            return (
                RELEASED if released else RESERVED,
                f"{document.item.sku}@{document.warehouse_id}",
            )
    raise TypeError(f"no route for {type(document).__name__}")


def envelopes(documents: list[Document]) -> list[Envelope]:
    result = []
    for number, document in enumerate(documents):
        event_type, key = route(document)
        result.append(
            Envelope(
                type=event_type,
                schema_version=1,
                source_system="partner:warehouse",
                correlation_id=f"inventory:{key}",
                idempotency_key=f"bench:inventory:{number}",
                partition_key=key,
                occurred_at=START,
                payload=document.model_dump(mode="json"),
            )
        )
    return result


def rule_events(documents: list[Document]) -> list[InventoryEvent]:
    """The rule events the flow makes of ``documents`` (partial snapshots: no known items)."""
    result: list[InventoryEvent] = []
    for document in documents:
        match document:
            case InventorySnapshot():
                result += snapshot_events(document)
            case InventoryAdjustment():
                result.append(adjustment_event(document))
            case InventoryReservation():
                result.append(reservation_event(document))
    return result


def counts(pairs: int) -> Iterator[OnHandCounted]:
    """One count for each of ``pairs`` positions, ``WAREHOUSES`` per item."""
    for n in range(pairs):
        item, where = divmod(n, WAREHOUSES)
        yield OnHandCounted(sku(item), warehouse(where), Decimal(100 + n % 97), START, "FILL")


def filled_flow(pairs: int) -> InventoryFlow:
    """An inventory flow whose book holds ``pairs`` positions.

    The counts go to the flow's book directly: through documents a million
    positions would take minutes of validation. The collector is paused while
    the book grows and run once after, as a rebuild at start would be best run.
    """
    flow = InventoryFlow(lambda: datetime.now(UTC))
    book: AtpBook = flow._book  # the flow takes no book; filling it directly is the fast path
    gc.disable()
    try:
        for event in counts(pairs):
            book.apply(event)
    finally:
        gc.enable()
    gc.collect()
    return flow
