"""Warehouse adjustments reach the ERP once each, in order per item and warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from distsync.model.examples.fulfilment import example_inventory_adjustment
from tests.integration.orders_world import OrdersWorld, calls

pytestmark = pytest.mark.asyncio


async def test_an_adjustment_is_posted_to_the_erp_once(tmp_path: Path) -> None:
    world = OrdersWorld.open(tmp_path)
    try:
        adjustment = example_inventory_adjustment()
        await world.receive(adjustment, "inventory.adjusted")
        await world.receive(adjustment, "inventory.adjusted")  # the 947 sent again
        assert not calls(world.erp, "post_adjustment"), "not forwarded unless configured"
    finally:
        await world.close()


async def test_with_an_erp_named_every_adjustment_is_posted_once(tmp_path: Path) -> None:
    world = OrdersWorld.open(tmp_path, inventory={"adjustments_erp": "erp"})
    try:
        adjustment = example_inventory_adjustment()
        other = adjustment.model_copy(update={"adjustment_id": "ADJ-OTHER"})
        for document in (adjustment, adjustment, other):
            await world.receive(document, "inventory.adjusted")
        posted = calls(world.erp, "post_adjustment")
        assert sorted(r.body["adjustment_id"] for r in posted) == sorted(
            [adjustment.adjustment_id, "ADJ-OTHER"]
        )
        assert posted[0].body == adjustment.model_dump(mode="json")
    finally:
        await world.close()
