"""Ship notices feed available to promise: inbound from a matched ASN until its receipt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.model.examples import REMOVE, variant
from distsync.model.examples.procurement import example_asn, example_purchase_order
from distsync.rules.atp import PositionView
from tests.integration.procure_world import ProcureWorld

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ProcureWorld]:
    opened = ProcureWorld.open(tmp_path, asn_date_tolerance_days=2)
    yield opened
    await opened.close()


DAY = 86_400


def inbound(world: ProcureWorld) -> dict[str, Decimal]:
    """Inbound per SKU in WH-EAST, on the clock's day (the notice is due 2024-05-20)."""
    assert world.services.inventory is not None
    views: list[PositionView] = []
    for sku in ("GLV-2211", "FAS-10432", "TAP-0048", "LUB-5500", "CAB-7781"):
        views += world.services.inventory.positions(sku)
    return {view.sku: view.inbound for view in views if view.inbound}


async def test_a_matched_notice_is_inbound_in_our_skus_and_base_units(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    asn = variant(example_asn(), {"asn_number": "ASN-1", "orders.0.packs.1": REMOVE})
    await world.receive(asn)
    assert inbound(world) == {}, "due beyond the 7-day horizon: not yet promised"
    world.clock.advance(5 * DAY)
    expected = await world.events("inventory.inbound_expected")
    assert len(expected) == 1
    assert expected[0].payload["ship_to_warehouse_id"] == "WH-EAST"
    figures = inbound(world)
    assert figures, "the notice's items count as inbound"
    assert all(quantity > 0 for quantity in figures.values())


async def test_a_cancelled_notice_is_no_longer_inbound(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    asn = variant(example_asn(), {"asn_number": "ASN-1", "orders.0.packs.1": REMOVE})
    await world.receive(asn)
    world.clock.advance(5 * DAY)
    assert inbound(world)
    await world.receive(variant(asn, {"purpose": "cancel"}))
    assert inbound(world) == {}
