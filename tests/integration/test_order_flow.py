"""The order-to-cash flow on a real SQLite file: release, allocation, shipment, delivery, invoice.

Endpoints are recording connectors and the ERP's credit and price reads a
stand-in (``orders_world.py``); ``test_order_tryton.py`` runs the same flow
against a real Tryton and the simulators.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.orders_world import (
    EAST,
    WEST,
    OrdersWorld,
    calls,
    confirmation,
    order,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[OrdersWorld]:
    w = OrdersWorld.open(tmp_path)
    yield w
    await w.close()


async def test_an_accepted_order_is_reserved_posted_and_sent_to_its_warehouse(
    world: OrdersWorld,
) -> None:
    await world.stock(EAST, {"FAS-100": 10, "FAS-200": 4})
    await world.receive(order("SO-1", [("FAS-100", 3), ("FAS-200", 4)]), "sales_order.received")
    record = await world.record("SO-1")
    assert record.state == "allocated"
    assert [p.shipment_order_number for p in record.portions] == ["SO-1-WH-EAST"]
    (sale,) = calls(world.erp, "create_sales_order")
    assert sale.body["order_number"] == "SO-1-WH-EAST"
    assert sale.body["ship_from_warehouse_id"] == EAST
    (shipment_order,) = calls(world.east, "x12-940")
    assert shipment_order.body["sales_order_number"] == "SO-1"
    assert [line["quantity"]["value"] for line in shipment_order.body["lines"]] == ["3", "4"]
    assert world.available("FAS-100", EAST) == 7
    assert world.available("FAS-200", EAST) == 0
    assert len(await world.events("inventory.reserved")) == 2


async def test_an_order_no_single_warehouse_holds_is_split_by_region_priority(
    world: OrdersWorld,
) -> None:
    await world.stock(EAST, {"FAS-100": 5})
    await world.stock(WEST, {"FAS-100": 1, "FAS-200": 2})
    await world.receive(order("SO-2", [("FAS-100", 4), ("FAS-200", 2)]), "sales_order.received")
    record = await world.record("SO-2")
    assert [(p.warehouse_id, dict(p.allocated)) for p in record.portions] == [
        (EAST, {1: Decimal(4)}),
        (WEST, {2: Decimal(2)}),
    ]
    assert sorted(r.body["order_number"] for r in calls(world.erp, "create_sales_order")) == [
        "SO-2-WH-EAST", "SO-2-WH-WEST",
    ]  # fmt: skip
    assert len(calls(world.east, "x12-940")) == 1
    assert len(calls(world.west, "shipment_order")) == 1


async def test_ship_complete_holds_an_order_it_would_have_to_split(tmp_path: Path) -> None:
    world = OrdersWorld.open(tmp_path, split=False)
    try:
        await world.stock(EAST, {"FAS-100": 5})
        await world.stock(WEST, {"FAS-200": 2})
        await world.receive(order("SO-3", [("FAS-100", 1), ("FAS-200", 1)]), "sales_order.received")
        assert (await world.record("SO-3")).state == "held"
        (parked,) = await world.exceptions("ship_complete")
        assert parked.document_ref == "sales_order:SO-3"
        assert not calls(world.erp, "create_sales_order")
    finally:
        await world.close()


async def test_a_credit_hold_parks_and_a_release_allocates_it(world: OrdersWorld) -> None:
    world.terms.customer("CUS-2077", limit="100", exposure="90")
    await world.stock(EAST, {"FAS-300": 3})
    await world.receive(order("SO-4", [("FAS-300", 1)]), "sales_order.received")
    record = await world.record("SO-4")
    assert record.state == "held"
    assert record.verdict is not None
    assert record.verdict["reasons"][0]["code"] == "credit_limit"
    (parked,) = await world.exceptions("credit_limit")
    assert {action for action, _ in parked.resolutions} >= {"release", "reject", "replay"}
    assert parked.facts["codes"] == "credit_limit"
    assert world.available("FAS-300", EAST) == 3
    await world.resolve(parked, "release")
    assert (await world.record("SO-4")).state == "allocated"
    assert world.available("FAS-300", EAST) == 2
    assert len(calls(world.erp, "create_sales_order")) == 1


async def test_a_held_order_can_be_rejected_by_a_person(world: OrdersWorld) -> None:
    await world.stock(EAST, {"FAS-100": 10})
    await world.receive(
        order("SO-5", [("FAS-100", 1)], price={"FAS-100": "4.00"}), "sales_order.received"
    )
    (parked,) = await world.exceptions("price_mismatch")
    await world.resolve(parked, "reject", reason="price not agreed")
    record = await world.record("SO-5")
    assert record.state == "rejected"
    assert "price not agreed" in record.history[-1].note
    assert len(await world.events("sales_order.rejected")) == 1


async def test_an_unknown_customer_is_rejected_and_nothing_is_sent(world: OrdersWorld) -> None:
    await world.stock(EAST, {"FAS-100": 10})
    await world.receive(
        order("SO-6", [("FAS-100", 1)], customer="CUS-9999"), "sales_order.received"
    )
    assert (await world.record("SO-6")).state == "rejected"
    assert not await world.exceptions()
    assert not world.erp.effects
    assert not world.east.effects
    (rejected,) = await world.events("sales_order.rejected")
    assert "CUS-9999" in rejected.payload["reason"]


async def test_a_repeated_order_is_released_once(world: OrdersWorld) -> None:
    await world.stock(EAST, {"FAS-100": 10})
    so = order("SO-7", [("FAS-100", 2)])
    await world.receive(so, "sales_order.received")
    await world.receive(so, "sales_order.received")
    assert world.available("FAS-100", EAST) == 8
    assert len(calls(world.erp, "create_sales_order")) == 1


async def test_a_stock_hold_is_released_on_replay_once_stock_arrives(world: OrdersWorld) -> None:
    await world.stock(EAST, {"FAS-100": 1})
    await world.receive(order("SO-8", [("FAS-100", 2)]), "sales_order.received")
    (parked,) = await world.exceptions("insufficient_stock")
    await world.stock(EAST, {"FAS-100": 5})
    await world.resolve(parked, "replay")
    assert (await world.record("SO-8")).state == "allocated"
    assert world.available("FAS-100", EAST) == 3


async def test_shipment_confirmation_posts_consumes_fulfils_and_backorders_the_short(
    world: OrdersWorld,
) -> None:
    await world.stock(EAST, {"FAS-100": 10, "FAS-200": 10})
    so = order("SO-9", [("FAS-100", 3), ("FAS-200", 2)], channel="shop", customer="shop/881")
    await world.receive(so, "sales_order.received")
    (sale,) = calls(world.erp, "create_sales_order")
    assert sale.body["customer"]["party_id"] == "CUS-1042"  # the shop's account in the ERP
    world.clock.advance(60)
    shipped = confirmation("SO-9-WH-EAST", EAST, {1: ("FAS-100", 3), 2: ("FAS-200", 1)},
                           world.clock(), "1ZTRACK0001")  # fmt: skip
    await world.receive(shipped, "shipment.confirmed")
    await world.receive(shipped, "shipment.confirmed")  # a duplicate 945
    record = await world.record("SO-9")
    assert record.state == "shipped"
    assert record.backorders == {2: Decimal(1)}
    (posted,) = calls(world.erp, "confirm_shipment")
    assert posted.body["shipment_order_number"] == "SO-9-WH-EAST"
    (fulfilment,) = calls(world.shop, "fulfillments")
    assert fulfilment.body["fulfillment"]["order_id"] == "EXT-SO-9"
    assert fulfilment.body["fulfillment"]["tracking_numbers"] == ["1ZTRACK0001"]
    assert world.available("FAS-100", EAST) == 7  # on hand 10 - 3 shipped, nothing reserved
    assert world.available("FAS-200", EAST) == 9
    assert len(await world.events("sales_order.backordered")) == 1


async def test_a_short_shipment_is_an_exception_when_the_policy_says_so(tmp_path: Path) -> None:
    world = OrdersWorld.open(tmp_path, short_shipment="exception")
    try:
        await world.stock(EAST, {"FAS-100": 10})
        await world.receive(order("SO-10", [("FAS-100", 3)]), "sales_order.received")
        shipped = confirmation("SO-10-WH-EAST", EAST, {1: ("FAS-100", 2)}, world.clock(), "1ZT2")
        await world.receive(shipped, "shipment.confirmed")
        (parked,) = await world.exceptions("short_shipment")
        assert parked.facts["short"] == "line 1: 1"
        assert len(calls(world.erp, "confirm_shipment")) == 1  # the shipment still posts
    finally:
        await world.close()


async def test_delivery_of_every_portion_completes_and_invoices_the_order(
    world: OrdersWorld,
) -> None:
    await world.stock(EAST, {"FAS-100": 5})
    await world.stock(WEST, {"FAS-200": 5})
    await world.receive(order("SO-11", [("FAS-100", 1), ("FAS-200", 1)]), "sales_order.received")
    portions = (
        ("SO-11-WH-EAST", EAST, 1, "FAS-100", "1ZEAST01"),
        ("SO-11-WH-WEST", WEST, 2, "FAS-200", "1ZWEST01"),
    )
    for number, warehouse, line, sku, tn in portions:
        shipped = confirmation(number, warehouse, {line: (sku, 1)}, world.clock(), tn)
        await world.receive(shipped, "shipment.confirmed")
    await world.receive_delivered("1ZEAST01")
    assert (await world.record("SO-11")).state == "shipped"
    assert not calls(world.erp, "invoice_sales_order")
    await world.receive_delivered("1ZEAST01")  # a repeat changes nothing
    await world.receive_delivered("1ZWEST01")
    record = await world.record("SO-11")
    assert record.state == "invoiced"
    assert sorted(r.body["order_number"] for r in calls(world.erp, "invoice_sales_order")) == [
        "SO-11-WH-EAST", "SO-11-WH-WEST",
    ]  # fmt: skip
    assert len(await world.events("sales_order.completed")) == 1


async def test_concurrent_orders_for_the_last_units_never_oversell(tmp_path: Path) -> None:
    world = OrdersWorld.open(tmp_path)
    try:
        await world.stock(EAST, {"FAS-100": 5})
        envelopes = [
            world.envelope(order(f"SO-C{n}", [("FAS-100", 1)]), "sales_order.received")
            for n in range(20)
        ]
        await world.services.intake.accept(envelopes)
        workers = [world.services.worker(f"w{n}") for n in range(4)]
        await asyncio.gather(*(w.drain() for w in workers))
        states = [(await world.record(f"SO-C{n}")).state for n in range(20)]
        assert states.count("allocated") == 5
        assert states.count("held") == 15
        assert world.available("FAS-100", EAST) == 0
        reserved = await world.events("inventory.reserved")
        assert sum(Decimal(e.payload["quantity"]["value"]) for e in reserved) == 5
    finally:
        await world.close()
