"""What order release asks of a real Tryton: a second warehouse, credit, prices, shipments.

One server for the module (the tests use different documents and compare
credit before and after), a fresh connector per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.connectors.tryton import TrytonConnector
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.errors import Rejected
from distsync.model.examples.fulfilment import example_sales_order
from distsync.model.examples.master import UPS, at, qty, usd
from distsync.model.inventory import AdjustmentReason, InventoryAdjustment
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.shipping import ShipmentConfirmation, ShipmentConfirmationLine
from distsync.model.warehouses import LocationKind
from tests.integration.tryton_fixtures import make_connector

pytestmark = pytest.mark.service

WEST = "WH-WEST"
HARBOR = PartyRef(party_id="CUS-2077", name="Harbor Tools")
KEYSTONE = PartyRef(party_id="CUS-3150", name="Keystone Builders")


@pytest.fixture(scope="module")
def sandbox(
    tryton_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrytonSandbox]:
    server = TrytonSandbox(directory=tmp_path_factory.mktemp("tryton"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def erp(sandbox: TrytonSandbox) -> AsyncIterator[TrytonConnector]:
    connector = make_connector(sandbox)
    await connector.connect()
    try:
        yield connector
    finally:
        await connector.close()


def sale(
    number: str,
    *lines: tuple[str, int, str, str],
    customer: PartyRef = HARBOR,
    warehouse: str = WEST,
) -> SalesOrder:
    """A sale of ``lines`` (SKU, quantity, unit, unit price) without a shipping charge."""
    return example_sales_order().model_copy(
        update={
            "order_number": number,
            "customer": customer,
            "ship_from_warehouse_id": warehouse,
            "shipping_charge": None,
            "lines": tuple(
                SalesOrderLine(
                    line_number=n, item=ItemRef(sku=sku), quantity=qty(q, u), unit_price=usd(p)
                )
                for n, (sku, q, u, p) in enumerate(lines, 1)
            ),
        }
    )


async def test_the_west_warehouse_is_read_and_a_sale_from_it_ships_from_there(
    erp: TrytonConnector,
) -> None:
    warehouses = {w.warehouse_id: w for w in await erp.read_warehouses()}
    stock = await erp.read_stock(WEST, ["LUB-5510"])
    order = sale("SO-T-WEST", ("FAS-10432", 40, "EA", "0.25"))

    await erp.create_sales_order(order)
    (shipment,) = await erp.read_outgoing_shipments(order.order_number)
    back = await erp.read_sales_order(order.order_number)

    assert set(warehouses) == {"WH-EAST", WEST}
    west = warehouses[WEST]
    assert (west.name, west.address.city) == ("West Distribution Center", "Cincinnati")
    assert {loc.kind: loc.location_id for loc in west.locations} == {
        LocationKind.RECEIVING: "W-IN",
        LocationKind.STORAGE: "W-STO",
        LocationKind.SHIPPING: "W-OUT",
    }
    assert [(b.sku, b.warehouse_id, b.on_hand) for b in stock.balances] == [
        ("LUB-5510", WEST, qty(0, "EA"))
    ]
    assert shipment.warehouse_id == WEST
    assert back is not None
    assert back.ship_from_warehouse_id == WEST


async def test_credit_is_read_per_customer_and_a_confirmed_sale_adds_to_the_exposure(
    erp: TrytonConnector,
) -> None:
    before = await erp.read_customer_credit(["CUS-1042", "CUS-2077", "CUS-3150", "CUS-NONE"])
    order = sale("SO-T-CREDIT", ("DRL-1800", 3, "EA", "149.00"), ("TAP-0048", 10, "RL", "5.99"))

    await erp.create_sales_order(order)
    after = (await erp.read_customer_credit(["CUS-2077"]))["CUS-2077"]

    assert sorted(before) == ["CUS-1042", "CUS-2077", "CUS-3150"]
    limits = {code: credit.credit_limit for code, credit in before.items()}
    assert limits == {"CUS-1042": usd("50000"), "CUS-2077": usd("20000"), "CUS-3150": usd("500")}
    assert all(credit.active and credit.currency == "USD" for credit in before.values())
    harbor = before["CUS-2077"]
    assert after.exposure.amount - harbor.exposure.amount == Decimal("506.90")
    assert after.credit_limit == harbor.credit_limit
    available = after.available()
    assert available is not None
    assert available.amount == Decimal(20000) - after.exposure.amount


async def test_tryton_refuses_to_confirm_a_sale_over_the_customer_s_credit_limit(
    erp: TrytonConnector,
) -> None:
    order = sale("SO-T-OVER", ("DRL-1800", 4, "EA", "149.00"), customer=KEYSTONE)

    with pytest.raises(Rejected, match="credit limit"):
        await erp.create_sales_order(order)

    credit = (await erp.read_customer_credit(["CUS-3150"]))["CUS-3150"]
    assert credit.exposure == usd("0")


async def test_only_salable_products_have_a_list_price(erp: TrytonConnector) -> None:
    prices = {price.sku: price for price in await erp.read_sales_prices()}
    some = await erp.read_sales_prices(["SKU-NS-1", "GLV-2211"])

    assert "SKU-NS-1" not in prices
    assert {"FAS-10432", "GLV-2211", "TAP-0048", "LUB-5500", "DRL-1800"} <= set(prices)
    gloves = prices["GLV-2211"]
    assert (gloves.price_id, gloves.price_list, gloves.unit_price, gloves.uom) == (
        "list:GLV-2211",
        "list",
        usd("12.90"),
        "BX",
    )
    assert prices["FAS-10432"].unit_price == usd("0.25")
    assert [price.sku for price in some] == ["GLV-2211"]


async def test_a_confirmation_naming_the_sale_s_reference_ships_its_shipment_once(
    erp: TrytonConnector,
) -> None:
    number = "SO-T-1-WH-WEST"
    await erp.create_sales_order(
        sale(number, ("FAS-10432", 100, "EA", "0.25"), ("GLV-2211", 4, "BX", "12.90"))
    )
    confirmation = ShipmentConfirmation(
        shipment_id="SHP-WEST-1",
        shipment_order_number=number,
        warehouse_id=WEST,
        shipped_at=at("2026-11-20T15:12:00-05:00"),
        carrier=UPS,
        lines=(
            ShipmentConfirmationLine(
                line_number=1, item=ItemRef(sku="FAS-10432"), shipped_quantity=qty(100, "EA")
            ),
            ShipmentConfirmationLine(
                line_number=2, item=ItemRef(sku="GLV-2211"), shipped_quantity=qty(3, "BX")
            ),
        ),
    )

    done = await erp.confirm_shipment(confirmation)
    again = await erp.confirm_shipment(confirmation)
    shipped = await erp.read_shipment_confirmation(number, carrier=UPS)
    confirmed, backorder = await erp.read_outgoing_shipments(number)

    assert (done.duplicate, again.duplicate) == (False, True)
    assert again.remote_id == done.remote_id, "not the backorder Tryton made of the short line"
    assert confirmed.shipment_order_number == number
    assert [(ln.item.sku, ln.quantity) for ln in backorder.lines] == [("GLV-2211", qty(1, "BX"))]
    assert shipped is not None
    assert shipped.warehouse_id == WEST
    assert [(ln.item.sku, ln.shipped_quantity) for ln in shipped.lines] == [
        ("FAS-10432", qty(100, "EA")),
        ("GLV-2211", qty(3, "BX")),
    ]
    stock = await erp.read_stock(WEST, ["FAS-10432", "GLV-2211"])
    assert [b.on_hand.value for b in stock.balances] == [Decimal(-100), Decimal(-3)]


async def test_a_delivered_sale_is_invoiced_once_for_what_it_shipped(
    erp: TrytonConnector, sandbox: TrytonSandbox
) -> None:
    number = "SO-T-2-WH-WEST"
    ordered = sale(number, ("FAS-10432", 50, "EA", "0.25"), ("GLV-2211", 4, "BX", "12.90"))
    await erp.create_sales_order(ordered)
    shipped = ordered.model_copy(
        update={
            "lines": (
                ordered.lines[0],
                ordered.lines[1].model_copy(update={"quantity": qty(3, "BX")}),
            )
        }
    )

    first = await erp.invoice_sales_order(shipped)
    again = await erp.invoice_sales_order(shipped)

    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.remote_id == first.remote_id
    invoice = customer_invoice(sandbox, int(first.remote_id))
    assert invoice["reference"] == number
    assert sorted((line["product.code"], line["quantity"]) for line in invoice["lines"]) == [
        ("FAS-10432", 50.0), ("GLV-2211", 3.0),
    ]  # fmt: skip
    assert invoice["untaxed_amount"] == Decimal("12.50") + Decimal("38.70")


def customer_invoice(sandbox: TrytonSandbox, invoice_id: int) -> dict[str, object]:
    """The draft customer invoice as Tryton holds it, with its lines."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        (row,) = rpc.model(
            "account.invoice",
            "read",
            [invoice_id],
            ["reference", "type", "state", "lines", "untaxed_amount"],
        )
        lines = rpc.model(
            "account.invoice.line", "read", row["lines"], ["product.code", "quantity", "origin"]
        )
        assert row["type"] == "out"
        assert row["state"] == "draft"
        assert all(str(line["origin"]).startswith("sale.line,") for line in lines)
        return {**row, "lines": [{**ln, "product.code": ln["product."]["code"]} for ln in lines]}
    finally:
        rpc.close()


async def test_a_warehouse_adjustment_moves_stock_to_lost_and_found_once(
    erp: TrytonConnector,
) -> None:
    before = await erp.read_stock(WEST, ["LUB-5500"])
    lost = InventoryAdjustment(
        adjustment_id="ADJ-WEST-1",
        warehouse_id=WEST,
        item=ItemRef(sku="LUB-5500"),
        delta=qty(-2, "EA"),
        reason_code=AdjustmentReason.DAMAGED,
        adjusted_at=at("2026-11-21T10:00:00-05:00"),
    )
    found = lost.model_copy(update={"adjustment_id": "ADJ-WEST-2", "delta": qty(5, "EA")})

    first = await erp.post_adjustment(lost)
    again = await erp.post_adjustment(lost)
    await erp.post_adjustment(found)
    after = await erp.read_stock(WEST, ["LUB-5500"])

    assert (first.duplicate, again.duplicate) == (False, True)
    on_hand = {b.sku: b.on_hand.value for b in before.balances}.get("LUB-5500", Decimal(0))
    assert [b.on_hand.value for b in after.balances] == [on_hand + 3]
