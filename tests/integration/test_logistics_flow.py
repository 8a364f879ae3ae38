"""The shipment-status flow on a real SQLite file: carrier events folded per shipment.

Events enter the log as the 214 map and the carrier webhook append them
(``tracking.updated``, partition key the tracking number); the worker runs the
flow's ``logistics.tracking`` subscription, wired here through ``Overrides``.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.logistics import DELIVERED_EVENT, subscriptions
from distsync.flows.logistics_state import ShipmentRecord, load_shipment
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.examples import example_tracking_event
from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent
from distsync.runtime.ports import EventFilter
from distsync.testing import FrozenClock
from tests.integration.x12_partner_files import landscape_data

pytestmark = pytest.mark.asyncio

START = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
NUMBER = example_tracking_event().tracking_number
ORDER = example_tracking_event().shipment_order_number
CODES = {
    Milestone.LABEL_CREATED: "XB",
    Milestone.PICKED_UP: "AF",
    Milestone.IN_TRANSIT: "X2",
    Milestone.OUT_FOR_DELIVERY: "X1",
    Milestone.DELIVERED: "D1",
    Milestone.EXCEPTION: "A9",
}
POD = ProofOfDelivery(signed_by="LOPEZ", delivered_at=START + timedelta(hours=50))


def scan(milestone: Milestone, hours: float, **changes: Any) -> TrackingEvent:
    """One carrier event of the example parcel, ``hours`` after the start."""
    at = START + timedelta(hours=hours)
    data = example_tracking_event().model_dump() | {
        "milestone": milestone,
        "carrier_status_code": CODES.get(milestone, "XX"),
        "occurred_at": at,
        "proof_of_delivery": POD if milestone is Milestone.DELIVERED else None,
        "exception_reason": "REFUSED" if milestone is Milestone.EXCEPTION else None,
    }
    return TrackingEvent.model_validate(data | changes)


JOURNEY = [
    scan(Milestone.LABEL_CREATED, 0),
    scan(Milestone.PICKED_UP, 4),
    scan(Milestone.IN_TRANSIT, 20),
    scan(Milestone.IN_TRANSIT, 30, location={"city": "Columbus", "region": "OH"}),
    scan(Milestone.OUT_FOR_DELIVERY, 48),
    scan(Milestone.DELIVERED, 50),
]


class World:
    def __init__(self, tmp_path: Path) -> None:
        landscape = build_landscape(landscape_data(tmp_path), base_dir=tmp_path)
        self.clock = FrozenClock(START)
        overrides = Overrides(subscriptions=subscriptions(self.clock), clock=self.clock)
        self.services: Services = build(landscape, overrides=overrides)

    async def receive(self, *events: TrackingEvent) -> None:
        """Each event appended as its own carrier message (a fresh key), then the worker runs."""
        await self.services.intake.accept([self.envelope(event) for event in events])
        await self.services.worker("test").drain()

    def envelope(self, event: TrackingEvent) -> Envelope:
        now = self.clock()
        return Envelope(
            type="tracking.updated",
            schema_version=1,
            source_system="partner:carrier",
            partner="carrier",
            correlation_id=f"tracking:{event.tracking_number}",
            idempotency_key=f"carrier:test:{new_event_id()}",
            partition_key=event.tracking_number,
            occurred_at=now,
            received_at=now,
            payload=event.model_dump(mode="json"),
        )

    async def shipment(self) -> ShipmentRecord:
        record = await load_shipment(self.services.backend, NUMBER)
        assert record is not None, "no shipment document"
        return record

    async def delivered(self) -> list[Envelope]:
        stored = await self.services.backend.list_events(EventFilter(types=(DELIVERED_EVENT,)))
        return [event.envelope for event in stored]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    opened = World(tmp_path)
    yield opened
    await opened.services.close()


def tracked(record: ShipmentRecord) -> dict[str, Any]:
    """What the shipment is, leaving out how many copies arrived and under which ids."""
    body = record.body()
    kept = ("milestone", "current", "proof_of_delivery", "delivered_at", "order_complete")
    history = [(entry["event"], entry["fingerprints"]) for entry in body["history"]]
    return {key: body[key] for key in kept} | {"history": history}


async def test_a_journey_in_order_ends_delivered_with_its_proof_announced_once(
    world: World,
) -> None:
    for event in JOURNEY:
        await world.receive(event)

    record = await world.shipment()
    assert record.milestone is Milestone.DELIVERED
    assert record.proof_of_delivery == POD.model_dump(mode="json")
    assert record.counts == {"received": 6, "recorded": 6}
    (delivered,) = await world.delivered()
    assert delivered.partition_key == NUMBER
    assert delivered.idempotency_key == f"shipment.delivered:{NUMBER}"
    assert delivered.payload["tracking_number"] == NUMBER
    assert delivered.payload["order_number"] == ORDER
    assert delivered.payload["delivered_at"] == (START + timedelta(hours=50)).isoformat()
    assert delivered.payload["proof_of_delivery"]["signed_by"] == "LOPEZ"
    assert record.delivered_event_id == delivered.event_id


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_shuffled_and_duplicated_events_end_as_in_order(
    tmp_path: Path, world: World, seed: int
) -> None:
    for event in JOURNEY:
        await world.receive(event)
    in_order = tracked(await world.shipment())

    other = World(tmp_path / "shuffled")
    try:
        arrivals = JOURNEY + random.Random(seed).sample(JOURNEY, 3)
        random.Random(seed).shuffle(arrivals)
        for event in arrivals:
            await other.receive(event)
        record = await other.shipment()
        assert tracked(record) == in_order
        assert record.counts["duplicate"] == 3
        assert record.counts["received"] == len(arrivals)
        assert len(await other.delivered()) == 1
    finally:
        await other.services.close()


async def test_a_late_old_in_transit_after_delivered_does_not_move_it_back(
    world: World,
) -> None:
    await world.receive(*JOURNEY)
    await world.receive(scan(Milestone.IN_TRANSIT, 40, location={"city": "Dayton"}))

    record = await world.shipment()
    assert record.milestone is Milestone.DELIVERED
    assert record.counts == {"received": 7, "recorded": 7, "late": 1}
    assert len(record.history) == 7
    assert len(await world.delivered()) == 1
    assert await world.services.backend.exceptions() == []


async def test_a_second_delivered_scan_is_not_announced_again(world: World) -> None:
    await world.receive(*JOURNEY)
    await world.receive(scan(Milestone.DELIVERED, 51, proof_of_delivery=None))

    record = await world.shipment()
    assert record.proof_of_delivery == POD.model_dump(mode="json")
    assert len(await world.delivered()) == 1


async def test_an_unknown_carrier_status_is_parked_and_not_applied(world: World) -> None:
    await world.receive(*JOURNEY[:3])
    await world.receive(scan(Milestone.EXCEPTION, 25, carrier_status_code="Q7"))

    (parked,) = await world.services.backend.exceptions()
    assert parked.reason_code == "unknown_carrier_status"
    assert parked.document_ref == f"tracking:{NUMBER}"
    assert parked.facts["status_code"] == "Q7"
    assert parked.facts["source"] == "x12_214"
    record = await world.shipment()
    assert record.milestone is Milestone.IN_TRANSIT
    assert len(record.history) == 3


async def test_an_exception_after_delivery_parks_for_a_person_with_the_facts(
    world: World,
) -> None:
    await world.receive(*JOURNEY)
    await world.receive(scan(Milestone.EXCEPTION, 53))

    record = await world.shipment()
    assert record.milestone is Milestone.EXCEPTION
    assert record.order_complete
    assert record.proof_of_delivery == POD.model_dump(mode="json")
    (parked,) = await world.services.backend.exceptions()
    assert parked.reason_code == "shipment_reopened"
    assert parked.facts["previous_milestone"] == "delivered"
    assert parked.facts["reason"] == "REFUSED"
    assert parked.facts["order_number"] == ORDER
    assert len(await world.delivered()) == 1
