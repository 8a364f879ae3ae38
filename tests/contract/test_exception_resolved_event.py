"""Resolving an exception appends an ``exception.resolved`` event for the flow to act on."""

from __future__ import annotations

import pytest

from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.records import ResolutionRefused
from distsync.runtime.resolution import RESOLVED_EVENT
from distsync.testing import make_envelope
from tests.contract.test_event_log_records import SUB, park

REACTIONS = SubscriptionSpec("procure.resolutions", (RESOLVED_EVENT,), ordered=True)


async def resolved_events(log):
    return await log.claim("procure.resolutions", consumer="c", limit=10, lease_seconds=30)


async def test_the_resolution_event_carries_the_choice_and_what_was_parked(log) -> None:
    await log.register(SUB)
    await log.register(REACTIONS)
    parked = make_envelope("asn.received", partition="PO-7")
    await park(log, parked)
    (record,) = await log.exceptions()

    await log.resolve(
        record.id,
        action="map_sku",
        actor="maria",
        note="AC-778 is our SKU-1",
        params={"partner_sku": "AC-778", "sku": "SKU-1"},
    )

    (delivery,) = await resolved_events(log)
    event = delivery.envelope
    assert event.partition_key == "PO-7"
    assert event.correlation_id == parked.correlation_id
    assert event.causation_id == parked.event_id
    assert event.payload["action"] == "map_sku"
    assert event.payload["params"] == {"partner_sku": "AC-778", "sku": "SKU-1"}
    assert event.payload["reason_code"] == "unknown_sku"
    assert event.payload["facts"] == {"supplier_sku": "AC-778"}
    assert (event.payload["actor"], event.payload["note"]) == ("maria", "AC-778 is our SKU-1")
    assert event.payload["parked_event_id"] == parked.event_id


async def test_a_refused_resolution_appends_nothing(log) -> None:
    await log.register(SUB)
    await log.register(REACTIONS)
    await park(log, make_envelope("asn.received"))
    (record,) = await log.exceptions()
    await log.resolve(record.id, action="discard", actor="maria", note="sample data")

    with pytest.raises(ResolutionRefused):
        await log.resolve(record.id, action="discard", actor="maria", note="twice")

    assert len(await resolved_events(log)) == 1
