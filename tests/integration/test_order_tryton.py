"""Order to cash end to end: a real Tryton, distsync's API on 127.0.0.1 and the simulators.

Both warehouses are 3PL simulators that report their stock as an 846 and
answer each 940 with a 945 (WH-EAST ships one lubricant can short). A
web-shop order arrives as a signed webhook, is validated against Tryton's
credit and list prices, allocated, posted to Tryton as a sale and sent to
WH-EAST; its 945 does Tryton's shipment with the shipped quantities and
gives the shop a fulfilment with the tracking numbers. A B2B customer's 850
that only a split can fill becomes two Tryton sales and two 940s. The
carrier's tracker webhooks (shuffled, one late, the delivery sent twice)
deliver the parcels; once every portion of an order is delivered, Tryton
holds a draft customer invoice per portion for what shipped. An order over
the customer's credit limit is parked and never reaches Tryton. Two
warehouses numbering their shipments alike both ship in Tryton.

The shop sells at Tryton's list prices (``ShopBehaviour.prices``); its
shoppers live in states Tryton's seed has not loaded, so their addresses go
to Tryton without a state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import TrytonUnavailable
from distsync.formats.x12.writer import Party
from tests.integration.order_tryton_world import (
    EAST,
    SHOP_SECRET_ENV,
    WEST,
    OrderWorld,
    TrytonSales,
    customer_po,
    open_world,
)
from tests.integration.procure_tryton_world import PASSWORD_ENV

pytestmark = pytest.mark.service

SECRET = "order-shop-secret"
WAREHOUSES = {
    EAST: {"stock": {"FAS-10432": 500, "LUB-5500": 20}, "short_ship": {"LUB-5500": 1},
           "shipment_prefix": "E"},
    WEST: {"stock": {"DRL-1800": 10}, "shipment_prefix": "W"},
}  # fmt: skip
NORTHWIND = Party("ZZ", "NORTHWIND")


@pytest.fixture(scope="module")
def sandbox(
    tryton_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrytonSandbox]:
    server = TrytonSandbox(directory=tmp_path_factory.mktemp("tryton"))
    try:
        server.start()
    except TrytonUnavailable as exc:
        pytest.skip(f"Tryton is not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def world(
    sandbox: TrytonSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[OrderWorld]:
    monkeypatch.setenv(PASSWORD_ENV, sandbox.password)
    monkeypatch.setenv(SHOP_SECRET_ENV, SECRET)
    async with open_world(tmp_path, sandbox, warehouses=WAREHOUSES, secret=SECRET) as running:
        yield running


@pytest.fixture
def tryton(sandbox: TrytonSandbox) -> Iterator[TrytonSales]:
    sales = TrytonSales(sandbox)
    try:
        yield sales
    finally:
        sales.close()


async def test_orders_from_the_shop_and_a_customer_ship_deliver_and_invoice_in_tryton(
    world: OrderWorld, tryton: TrytonSales
) -> None:
    await report_stock(world)
    shop_order = await shop_order_ships_short_from_east(world, tryton)
    await customer_order_splits_across_warehouses(world, tryton)
    await deliveries_invoice_each_order_once_complete(world, tryton, shop_order)


async def report_stock(world: OrderWorld) -> None:
    """Each 3PL's 846 of its whole book fills distsync's stock book."""
    world.east.send_snapshot(to=NORTHWIND)
    world.west.send_snapshot(to=NORTHWIND)
    await world.quiet()
    assert world.available("FAS-10432", EAST) == 500
    assert world.available("LUB-5500", EAST) == 20
    assert world.available("DRL-1800", WEST) == 10
    assert world.available("DRL-1800", EAST) == 0


async def shop_order_ships_short_from_east(world: OrderWorld, tryton: TrytonSales) -> str:
    placed = world.shop.place_order({"FAS-10432": 40, "LUB-5500": 6})
    await world.quiet()
    number = f"shop-{placed.order_number}"
    portion = f"{number}-{EAST}"

    assert tryton.sales(number) == {portion: ("CUS-1042", EAST)}
    (order_940,) = world.east.received
    assert order_940.status == 202
    assert tryton.shipped(portion) == {"FAS-10432": Decimal(40), "LUB-5500": Decimal(5)}
    record = await world.record(number)
    assert record.verdict is not None
    assert record.verdict["decision"] == "accept"  # credit and list prices as Tryton has them
    assert record.state == "shipped"
    assert record.backorders == {2: Decimal(1)}
    (shipped,) = record.portions
    assert shipped.shipped == {1: Decimal(40), 2: Decimal(5)}
    (fulfilment,) = world.shop.fulfilments
    assert fulfilment.order_id == str(placed.order_id)
    assert set(fulfilment.tracking_numbers) == set(shipped.tracking_numbers)
    assert len(shipped.tracking_numbers) == 2
    assert sorted(fulfilment.lines) == [("FAS-10432", 40), ("LUB-5500", 5)]
    assert world.available("FAS-10432", EAST) == 460
    assert world.available("LUB-5500", EAST) == 15
    return number


async def customer_order_splits_across_warehouses(world: OrderWorld, tryton: TrytonSales) -> None:
    """Bolts only WH-EAST holds, drills only WH-WEST: two sales, two 940s."""
    po = customer_po("H-7001", [("FAS-10432", 100, "0.25"), ("DRL-1800", 2, "149.00")], "harbor")
    await world.send_po(po, "harbor")
    number = "harbor-H-7001"

    assert tryton.sales(number) == {
        f"{number}-{EAST}": ("CUS-2077", EAST),
        f"{number}-{WEST}": ("CUS-2077", WEST),
    }
    assert len(world.east.received) == 2
    assert len(world.west.received) == 1
    assert tryton.shipped(f"{number}-{EAST}") == {"FAS-10432": Decimal(100)}
    assert tryton.shipped(f"{number}-{WEST}") == {"DRL-1800": Decimal(2)}
    record = await world.record(number)
    assert record.state == "shipped"
    assert [(p.warehouse_id, p.allocated) for p in record.portions] == [
        (EAST, {1: Decimal(100)}),
        (WEST, {2: Decimal(2)}),
    ]
    assert world.available("DRL-1800", WEST) == 8


async def deliveries_invoice_each_order_once_complete(
    world: OrderWorld, tryton: TrytonSales, shop_order: str
) -> None:
    harbor = await world.record("harbor-H-7001")
    east, west = harbor.portions
    for tracking_number in east.tracking_numbers:
        world.carrier.track(tracking_number)
    await world.quiet()
    assert (await world.record(harbor.order["order_number"])).state == "shipped"
    assert tryton.invoices(east.shipment_order_number) == []

    shop = await world.record(shop_order)
    for tracking_number in [*west.tracking_numbers, *shop.portions[0].tracking_numbers]:
        world.carrier.track(tracking_number)
    await world.quiet()

    parcels = [*east.tracking_numbers, *west.tracking_numbers, *shop.portions[0].tracking_numbers]
    sent = world.carrier.sent
    assert sorted(s.tracking_number for s in sent if s.copy == 2) == sorted(parcels)
    assert all(s.delivered for s in sent)
    delivered = await world.events("shipment.delivered")
    assert sorted(e.payload["tracking_number"] for e in delivered) == sorted(parcels)

    assert (await world.record("harbor-H-7001")).state == "invoiced"
    assert (await world.record(shop_order)).state == "invoiced"
    assert tryton.invoices(east.shipment_order_number) == [
        ("out", "draft", {"FAS-10432": Decimal(100)})
    ]
    assert tryton.invoices(west.shipment_order_number) == [
        ("out", "draft", {"DRL-1800": Decimal(2)})
    ]
    assert tryton.invoices(shop.portions[0].shipment_order_number) == [
        ("out", "draft", {"FAS-10432": Decimal(40), "LUB-5500": Decimal(5)})
    ]
    stats = await world.services.backend.stats()
    assert (stats.dead_letters_open, stats.exceptions_open) == (0, 0)


async def test_an_order_over_the_credit_limit_is_parked_and_never_reaches_tryton(
    world: OrderWorld, tryton: TrytonSales
) -> None:
    await report_stock(world)
    po = customer_po("K-9001", [("DRL-1800", 4, "149.00")], "keystone")  # 596 over 500

    await world.send_po(po, "keystone")

    record = await world.record("keystone-K-9001")
    assert record.state == "held"
    assert record.verdict is not None
    assert [r["code"] for r in record.verdict["reasons"]] == ["credit_limit"]
    (parked,) = await world.exceptions("credit_limit")
    assert parked.document_ref == "sales_order:keystone-K-9001"
    assert tryton.sales("keystone-") == {}
    calls = await world.events("outbound.requested")
    assert [c.payload["destination"] for c in calls if c.payload["destination"] == "erp"] == []
    assert world.west.received == []
    assert world.available("DRL-1800", WEST) == 10


async def test_two_warehouses_numbering_shipments_alike_both_ship_in_tryton(
    sandbox: TrytonSandbox,
    tryton: TrytonSales,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, sandbox.password)
    monkeypatch.setenv(SHOP_SECRET_ENV, SECRET)
    alike = {wh: {"stock": settings["stock"]} for wh, settings in WAREHOUSES.items()}
    async with open_world(tmp_path, sandbox, warehouses=alike, secret=SECRET) as world:
        await report_stock(world)
        await world.send_po(customer_po("H-7100", [("FAS-10432", 10, "0.25")], "harbor"), "harbor")
        await world.send_po(customer_po("H-7200", [("DRL-1800", 1, "149.00")], "harbor"), "harbor")

        assert tryton.shipped(f"harbor-H-7100-{EAST}") == {"FAS-10432": Decimal(10)}
        assert tryton.shipped(f"harbor-H-7200-{WEST}") == {"DRL-1800": Decimal(1)}
