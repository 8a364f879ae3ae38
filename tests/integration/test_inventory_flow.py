"""The inventory flow on a real SQLite file: inventory events kept as available to promise.

Events enter the log as the senders append them (partition key
``<sku>@<warehouse>`` for adjustments and reservations, the warehouse for
snapshots); the worker runs the flow's ``inventory.atp`` subscription, wired
here through ``Overrides``, and the flow's book answers.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.inventory import InventoryFlow
from distsync.model.base import Document
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.examples import (
    example_inventory_adjustment,
    example_inventory_reservation,
    example_inventory_snapshot,
)
from distsync.model.inventory import (
    InventoryAdjustment,
    InventoryReservation,
    InventorySnapshot,
    ReservationStatus,
)
from distsync.rules.atp import SafetyStock
from distsync.testing import FrozenClock
from tests.integration.x12_partner_files import landscape_data

pytestmark = pytest.mark.asyncio

START = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
SKU = example_inventory_adjustment().item.sku
EAST, WEST = "WH-EAST", "WH-WEST"


def snapshot(number: int, warehouse: str, on_hand: int, hours: float) -> InventorySnapshot:
    """A count of the item in ``warehouse`` as of ``hours`` after the start."""
    as_of = START + timedelta(hours=hours)
    balance = example_inventory_snapshot().balances[1].model_dump() | {
        "sku": SKU,
        "warehouse_id": warehouse,
        "on_hand": {"value": on_hand, "uom": "BX"},
        "allocated": {"value": 0, "uom": "BX"},
        "as_of": as_of,
    }
    data = example_inventory_snapshot().model_dump() | {
        "snapshot_id": f"SNAP-{warehouse}-{number}",
        "warehouse_id": warehouse,
        "as_of": as_of,
        "balances": [balance],
    }
    return InventorySnapshot.model_validate(data)


def adjustment(number: int, warehouse: str, delta: int, hours: float) -> InventoryAdjustment:
    data = example_inventory_adjustment().model_dump() | {
        "adjustment_id": f"ADJ-{warehouse}-{number}",
        "warehouse_id": warehouse,
        "delta": {"value": delta, "uom": "BX"},
        "adjusted_at": START + timedelta(hours=hours),
        "on_hand_after": None,
    }
    return InventoryAdjustment.model_validate(data)


def reservation(
    number: int,
    warehouse: str,
    quantity: int,
    hours: float,
    status: ReservationStatus = ReservationStatus.ACTIVE,
) -> InventoryReservation:
    data = example_inventory_reservation().model_dump() | {
        "reservation_id": f"RSV-{number}",
        "item": example_inventory_adjustment().item.model_dump(),
        "warehouse_id": warehouse,
        "quantity": {"value": quantity, "uom": "BX"},
        "status": status,
        "reserved_at": START + timedelta(hours=hours),
        "expires_at": None,
    }
    return InventoryReservation.model_validate(data)


class World:
    def __init__(self, path: Path, safety: SafetyStock | None = None) -> None:
        path.mkdir(parents=True, exist_ok=True)
        landscape = build_landscape(landscape_data(path), base_dir=path)
        self.clock = FrozenClock(START)
        self.flow = InventoryFlow(self.clock, safety=safety)
        overrides = Overrides(inventory=self.flow, clock=self.clock)
        self.services: Services = build(landscape, overrides=overrides)

    async def receive(self, *documents: Document) -> None:
        """Each document appended as its own message (a fresh key), then the worker runs."""
        await self.services.intake.accept([self.envelope(doc) for doc in documents])
        await self.services.worker("test").drain()

    def envelope(self, document: Document) -> Envelope:
        now = self.clock()
        event_type, key = route(document)
        return Envelope(
            type=event_type,
            schema_version=1,
            source_system="partner:warehouse",
            correlation_id=f"inventory:{key}",
            idempotency_key=f"warehouse:test:{new_event_id()}",
            partition_key=key,
            occurred_at=now,
            received_at=now,
            payload=document.model_dump(mode="json"),
        )


def route(document: Document) -> tuple[str, str]:
    """The event type and partition key a sender gives the document."""
    match document:
        case InventorySnapshot():
            return "inventory.snapshot_received", document.warehouse_id
        case InventoryAdjustment():
            return "inventory.adjusted", f"{document.item.sku}@{document.warehouse_id}"
        case InventoryReservation():
            released = document.status is not ReservationStatus.ACTIVE
            event_type = "inventory.reservation_released" if released else "inventory.reserved"
            return event_type, f"{document.item.sku}@{document.warehouse_id}"
    raise AssertionError(f"no route for {document!r}")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = World(tmp_path, SafetyStock(default=Decimal(2)))
    yield opened
    await opened.services.close()


def state(flow: InventoryFlow) -> dict[str, Any]:
    return {"positions": flow.positions(SKU), "network": flow.network_available(SKU)}


async def test_a_count_then_adjustments_then_a_reservation_give_available_to_promise(
    world: World,
) -> None:
    await world.receive(snapshot(1, EAST, 40, 0))
    await world.receive(adjustment(1, EAST, -10, 1), adjustment(2, EAST, 5, 2))
    await world.receive(reservation(1, EAST, 3, 3))

    (east,) = world.flow.positions(SKU)
    assert (east.on_hand, east.reserved, east.safety_stock) == (35, 3, 2)
    assert east.available == 30
    assert world.flow.network_available(SKU) == 30


async def test_a_repeated_adjustment_and_an_older_count_change_nothing(world: World) -> None:
    await world.receive(snapshot(2, EAST, 40, 5), adjustment(1, EAST, -10, 6))
    await world.receive(adjustment(1, EAST, -10, 6), snapshot(1, EAST, 99, 1))

    (east,) = world.flow.positions(SKU)
    assert east.on_hand == 30


def history(count: int, seed: int) -> list[Document]:
    """``count`` documents for one item over two warehouses, in the order they happened."""
    pick = random.Random(seed)
    documents: list[Document] = []
    open_reservations: list[InventoryReservation] = []
    for step in range(count):
        warehouse = pick.choice((EAST, WEST))
        hours = step / 10
        roll = pick.random()
        if roll < 0.05:
            documents.append(snapshot(step, warehouse, pick.randint(100, 500), hours))
        elif roll < 0.7:
            documents.append(adjustment(step, warehouse, pick.choice((-3, -1, 2, 5)), hours))
        elif roll < 0.9 or not open_reservations:
            held = reservation(step, warehouse, pick.randint(1, 4), hours)
            open_reservations.append(held)
            documents.append(held)
        else:
            held = open_reservations.pop(pick.randrange(len(open_reservations)))
            released = held.model_copy(update={"status": ReservationStatus.RELEASED})
            documents.append(released)
    return documents


async def test_a_thousand_events_shuffled_and_repeated_end_as_in_order(tmp_path: Path) -> None:
    documents = history(1000, seed=7)
    arrivals = documents + random.Random(8).sample(documents, 300)
    random.Random(9).shuffle(arrivals)
    in_order, shuffled = World(tmp_path / "in-order"), World(tmp_path / "shuffled")
    try:
        await in_order.receive(*documents)
        await shuffled.receive(*arrivals)

        assert state(shuffled.flow) == state(in_order.flow)
        assert {view.warehouse_id for view in in_order.flow.positions(SKU)} == {EAST, WEST}
        assert in_order.flow.network_available(SKU) > 0

        rebuilt = InventoryFlow(shuffled.clock)
        assert await rebuilt.rebuild(shuffled.services.backend, page=97) == len(arrivals)
        assert state(rebuilt) == state(in_order.flow)
    finally:
        await in_order.services.close()
        await shuffled.services.close()


async def test_rebuild_from_the_log_gives_the_same_book(world: World) -> None:
    await world.receive(snapshot(1, EAST, 40, 0), snapshot(1, WEST, 12, 0))
    await world.receive(adjustment(1, EAST, -10, 1), reservation(1, WEST, 4, 2))
    await world.receive(
        reservation(2, EAST, 5, 3), reservation(2, EAST, 5, 3, ReservationStatus.RELEASED)
    )

    rebuilt = InventoryFlow(world.clock, safety=SafetyStock(default=Decimal(2)))
    assert await rebuilt.rebuild(world.services.backend, page=4) == 6
    assert state(rebuilt) == state(world.flow)
    assert rebuilt.network_available(SKU) == (30 - 2) + (12 - 4 - 2)
