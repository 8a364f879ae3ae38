"""The tryton connector against a real trytond: every operation through the canonical model.

Each test gets its own copy of the sandbox template and its own server (see
``tryton_fixtures.py``); documents are counted in Tryton by reference with a
separate JSON-RPC client, so "one ERP document" is checked in the ERP itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from distsync.connectors.tryton import PurchaseCursor, TrytonConnector
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import clone_database
from distsync.errors import (
    AuthenticationFailed,
    NotConnected,
    PurchaseOrderNotFound,
    Rejected,
    RetryableError,
    SchemaViolation,
    UnknownSku,
)
from distsync.model.examples.fulfilment import example_sales_order
from distsync.model.examples.master import ACME, NORTHWIND, UPS, at, item_ref, qty, usd
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRole
from distsync.model.procurement import PurchaseOrderStatus
from distsync.model.sales import SalesOrderStatus
from distsync.model.shipping import ShipmentConfirmation, ShipmentConfirmationLine
from distsync.runtime.ports import OutboundRequest
from tests.integration.tryton_documents import (
    WAREHOUSE,
    count,
    purchase_order,
    receipt,
)
from tests.integration.tryton_fixtures import make_connector

pytestmark = pytest.mark.service


def on_hand(snapshot_skus: dict[str, Decimal], sku: str) -> Decimal:
    return snapshot_skus.get(sku, Decimal(0))


async def stock(erp: TrytonConnector) -> dict[str, Decimal]:
    snapshot = await erp.read_stock(WAREHOUSE)
    return {balance.sku: balance.on_hand.value for balance in snapshot.balances}


async def test_purchase_order_round_trips_and_a_second_create_is_a_duplicate(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    order = purchase_order("PO-RT-1")
    first = await erp.create_purchase_order(order)
    again = await erp.create_purchase_order(order)

    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.remote_id == again.remote_id
    assert count(tryton, "purchase.purchase", "PO-RT-1") == 1
    back = await erp.read_purchase_order("PO-RT-1")
    assert back is not None
    kept = {
        "po_number",
        "status",
        "order_date",
        "ship_to_warehouse_id",
        "currency",
        "note",
        "lines",
    }
    assert back.model_dump(include=kept) == order.model_dump(include=kept)
    assert (back.supplier.party_id, back.supplier.name) == (ACME.party_id, ACME.name)
    assert back.buyer.party_id == NORTHWIND.party_id


async def test_confirmed_purchase_orders_are_polled_once_each_across_restarts(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    for number in ("PO-POLL-1", "PO-POLL-2", "PO-POLL-3"):
        await erp.create_purchase_order(purchase_order(number))

    first, cursor = await erp.read_confirmed_purchase_orders(limit=2)
    assert cursor is not None
    restarted = make_connector(tryton)  # a new process resumes from the stored cursor
    try:
        rest, cursor2 = await restarted.read_confirmed_purchase_orders(
            PurchaseCursor.decode(cursor.encode()), limit=2
        )
        nothing, cursor3 = await restarted.read_confirmed_purchase_orders(cursor2)
    finally:
        await restarted.close()

    assert [po.po_number for po in first + rest] == ["PO-POLL-1", "PO-POLL-2", "PO-POLL-3"]
    assert (nothing, cursor3) == ([], cursor2)
    await erp.post_receipt(receipt("REC-POLL-2", "PO-POLL-2", (1, "FAS-10432", 100, "EA")))
    changed, _ = await erp.read_confirmed_purchase_orders(cursor2)
    assert [(po.po_number, po.status) for po in changed] == [
        ("PO-POLL-2", PurchaseOrderStatus.PARTIALLY_RECEIVED)
    ]


async def test_polling_holds_back_purchases_written_within_the_settle_window(
    tryton: TrytonSandbox,
) -> None:
    erp = make_connector(tryton, settle_seconds=600)
    try:
        await erp.create_purchase_order(purchase_order("PO-FRESH"))
        assert await erp.read_confirmed_purchase_orders() == ([], None)
    finally:
        await erp.close()


async def test_partial_receipts_leave_the_balance_open_until_it_arrives(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    await erp.create_purchase_order(purchase_order("PO-REC-1"))
    partial = receipt("REC-1", "PO-REC-1", (1, "FAS-10432", 300, "EA"), (2, "LUB-5500", 24, "EA"))

    posted = await erp.post_receipt(partial)
    repeated = await erp.post_receipt(partial)

    assert (posted.duplicate, repeated.duplicate) == (False, True)
    assert count(tryton, "stock.shipment.in", "REC-1") == 1
    order = await erp.read_purchase_order("PO-REC-1")
    assert order is not None
    assert order.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    read = await erp.read_receipt("REC-1")
    assert read is not None
    assert read.po_number == "PO-REC-1"
    assert [(ln.po_line_number, ln.item.sku, ln.received_quantity) for ln in read.lines] == [
        (1, "FAS-10432", qty(300, "EA")), (2, "LUB-5500", qty(2, "CA"))
    ]  # fmt: skip
    levels = await stock(erp)
    assert (levels["FAS-10432"], levels["LUB-5500"], on_hand(levels, "GLV-2211")) == (300, 24, 0)

    rest = receipt("REC-2", "PO-REC-1", (1, "FAS-10432", 200, "EA"), (3, "GLV-2211", 6, "BX"))
    await erp.post_receipt(rest)
    order = await erp.read_purchase_order("PO-REC-1")
    assert order is not None
    assert order.status is PurchaseOrderStatus.RECEIVED
    levels = await stock(erp)
    assert (levels["FAS-10432"], levels["GLV-2211"]) == (500, 6)


async def test_a_receipt_for_an_unknown_purchase_order_is_a_business_exception(
    erp: TrytonConnector,
) -> None:
    with pytest.raises(PurchaseOrderNotFound) as caught:
        await erp.post_receipt(receipt("REC-X", "PO-NOWHERE", (1, "FAS-10432", 1, "EA")))
    assert caught.value.document_ref == "receipt:REC-X"


async def test_sales_order_is_confirmed_and_its_shipment_shipped_with_quantities(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    await erp.create_purchase_order(
        purchase_order("PO-STOCK", ((1, "LUB-5500", 1, "CA", "55.20"),))
    )
    await erp.post_receipt(receipt("REC-STOCK", "PO-STOCK", (1, "LUB-5500", 12, "EA")))
    order = example_sales_order()

    created = await erp.create_sales_order(order)
    assert (await erp.create_sales_order(order)).duplicate
    assert not created.duplicate
    assert count(tryton, "sale.sale", order.order_number) == 1
    back = await erp.read_sales_order(order.order_number)
    assert back is not None
    assert back.status is SalesOrderStatus.CONFIRMED
    kept = {"order_number", "external_order_id", "channel", "customer", "requested_ship_date",
            "ship_from_warehouse_id", "currency", "shipping_charge"}  # fmt: skip
    assert back.model_dump(include=kept) == order.model_dump(include=kept)
    assert [(ln.line_number, ln.item.sku, ln.quantity, ln.unit_price) for ln in back.lines] == [
        (ln.line_number, ln.item.sku, ln.quantity, ln.unit_price) for ln in order.lines
    ]

    (shipment,) = await erp.read_outgoing_shipments(order.order_number)
    assert [(ln.line_number, ln.item.sku, ln.quantity) for ln in shipment.lines] == [
        (ln.line_number, ln.item.sku, ln.quantity) for ln in order.lines
    ]
    confirmation = ShipmentConfirmation(
        shipment_id="SHP-WH-EAST-1",
        shipment_order_number=shipment.shipment_order_number,
        warehouse_id=WAREHOUSE,
        shipped_at=at("2026-11-20T15:12:00-05:00"),
        carrier=UPS,
        lines=tuple(
            ShipmentConfirmationLine(line_number=n, item=item_ref(i), shipped_quantity=qty(q, u))
            for n, i, q, u in ((1, 2, 2, "RL"), (2, 4, 1, "EA"), (3, 3, 2, "EA"))
        ),
    )
    done = await erp.confirm_shipment(confirmation)
    assert (await erp.confirm_shipment(confirmation)).duplicate
    assert not done.duplicate

    shipped = await erp.read_shipment_confirmation(shipment.shipment_order_number, carrier=UPS)
    assert shipped is not None
    assert [(ln.item.sku, ln.shipped_quantity) for ln in shipped.lines] == [
        ("TAP-0048", qty(2, "RL")), ("DRL-1800", qty(1, "EA")), ("LUB-5500", qty(2, "EA"))
    ]  # fmt: skip
    after = await erp.read_sales_order(order.order_number)
    assert after is not None
    assert after.status is SalesOrderStatus.PARTIALLY_SHIPPED
    assert (await stock(erp))["LUB-5500"] == 10


async def test_supplier_invoice_is_recorded_once_as_a_draft_against_the_purchase(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    await erp.create_purchase_order(purchase_order("PO-INV-1"))
    lines = (
        InvoiceLine(line_number=1, po_line_number=1, item=ItemRef(sku="FAS-10432"),
                    quantity=qty(500, "EA"), unit_price=usd("0.08"), amount=usd("40.00")),
        InvoiceLine(line_number=2, po_line_number=2, item=ItemRef(sku="LUB-5500"),
                    quantity=qty(2, "CA"), unit_price=usd("55.20"), amount=usd("110.40")),
    )  # fmt: skip
    charges = (
        ChargeAllowance(indicator=ChargeIndicator.CHARGE, code="D240", amount=usd("12.50"),
                        description="Freight"),
        ChargeAllowance(indicator=ChargeIndicator.ALLOWANCE, code="C310", amount=usd("3.01"),
                        description="2% prompt payment"),
    )  # fmt: skip
    invoice = Invoice(
        invoice_number="INV-7001", invoice_date=date(2026, 11, 17), seller=ACME, buyer=NORTHWIND,
        po_number="PO-INV-1", currency="USD", lines=lines, charges=charges, total=usd("159.89"),
    )  # fmt: skip

    first = await erp.record_supplier_invoice(invoice)
    again = await erp.record_supplier_invoice(invoice)

    assert (first.duplicate, again.duplicate) == (False, True)
    assert count(tryton, "account.invoice", "INV-7001") == 1
    back = await erp.read_supplier_invoice("INV-7001")
    assert back is not None
    kept = {"invoice_number", "invoice_date", "po_number", "currency", "total"}
    assert back.seller.party_id == ACME.party_id
    assert back.model_dump(include=kept) == invoice.model_dump(include=kept)
    assert [(ln.po_line_number, ln.item.sku, ln.quantity, ln.amount) for ln in back.lines] == [
        (ln.po_line_number, ln.item.sku, ln.quantity, ln.amount) for ln in lines
    ]
    assert back.charges == charges


async def test_master_data_is_read_as_items_parties_and_warehouses(erp: TrytonConnector) -> None:
    items = {item.sku: item for item in await erp.read_items()}
    suppliers = {party.party_id: party for party in await erp.read_suppliers()}
    customers = {party.party_id: party for party in await erp.read_customers()}
    warehouses = {w.warehouse_id: w for w in await erp.read_warehouses()}
    assert set(warehouses) == {WAREHOUSE, "WH-WEST"}
    warehouse = warehouses[WAREHOUSE]

    assert items["FAS-10432"].gtin == "0614141104321"
    assert items["FAS-10432"].base_uom == "EA"
    assert items["LUB-5500"].base_quantity_per("CA") == 12
    assert items["GLV-2211"].base_uom == "BX"
    assert suppliers["SUP-ACME"].name == ACME.name
    assert suppliers["SUP-ACME"].roles == (PartyRole.SUPPLIER,)
    assert suppliers["SUP-ACME"].addresses[0].city == "Cleveland"
    assert "CUS-1042" in customers
    assert "SUP-ACME" not in customers
    assert warehouse.warehouse_id == WAREHOUSE
    assert warehouse.address.city == "Columbus"
    assert warehouse.managed_by == "erp"


async def test_send_takes_canonical_json_and_refuses_what_it_cannot_do(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    order = purchase_order("PO-SEND-1")

    def request(operation: str, body: dict[str, object]) -> OutboundRequest:
        return OutboundRequest("erp", operation, f"{operation}:x:0", body, "corr-1")

    answer = await erp.send(request("create_purchase_order", order.model_dump(mode="json")))
    assert answer.remote_id is not None
    assert not answer.duplicate
    replay = await erp.send(request("create_purchase_order", order.model_dump(mode="json")))
    assert replay.duplicate
    assert replay.remote_id == answer.remote_id
    assert count(tryton, "purchase.purchase", "PO-SEND-1") == 1
    with pytest.raises(Rejected, match="no operation"):
        await erp.send(request("delete_everything", {}))
    with pytest.raises(SchemaViolation):
        await erp.send(request("post_receipt", {"receipt_number": "R"}))


async def test_tryton_refusals_become_taxonomy_errors(erp: TrytonConnector) -> None:
    with pytest.raises(UnknownSku):
        await erp.create_purchase_order(purchase_order("PO-BAD-1", ((1, "NOPE-1", 1, "EA", "1"),)))
    nobody = purchase_order("PO-BAD-2").model_copy(
        update={"supplier": ACME.model_copy(update={"party_id": "SUP-NOBODY"})}
    )
    with pytest.raises(Rejected, match="SUP-NOBODY"):
        await erp.create_purchase_order(nobody)
    too_precise = purchase_order("PO-BAD-3", ((1, "FAS-10432", 1, "EA", "0.123456"),))
    with pytest.raises(Rejected, match="digits"):  # a UserError from Tryton's validation
        await erp.create_purchase_order(too_precise)


async def test_a_create_that_timed_out_while_the_server_committed_is_not_doubled(
    tryton: TrytonSandbox,
) -> None:
    hasty = make_connector(tryton, timeout_seconds=1.0)
    await hasty.read_purchase_order("PO-NONE")  # logged in, company known
    order = purchase_order("PO-LOST-1")
    blocker = sqlite3.connect(tryton.database_file, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # Tryton's writes wait for this lock (up to 5 s)
    attempt = asyncio.create_task(hasty.create_purchase_order(order))
    try:
        await asyncio.sleep(1.5)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    try:
        with pytest.raises(RetryableError, match="no answer within"):
            await attempt
    finally:
        await hasty.close()
    committed = await _settled_count(tryton, "PO-LOST-1")

    patient = make_connector(tryton)
    try:
        retried = await patient.create_purchase_order(order)
        back = await patient.read_purchase_order("PO-LOST-1")
    finally:
        await patient.close()
    assert committed == 1  # the server went on after the client gave up
    assert retried.duplicate
    assert count(tryton, "purchase.purchase", "PO-LOST-1") == 1
    assert back is not None
    assert back.status is PurchaseOrderStatus.CONFIRMED


@pytest.mark.parametrize(
    "lost",
    ["model.purchase.purchase.create", "model.purchase.purchase.confirm",
     "model.stock.shipment.in.create", "model.stock.shipment.in.do"],
)  # fmt: skip
async def test_an_answer_lost_after_any_step_is_finished_by_the_retry(
    erp: TrytonConnector, tryton: TrytonSandbox, monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    order = purchase_order("PO-LOSE-1")
    delivery = receipt("REC-LOSE-1", "PO-LOSE-1", (1, "FAS-10432", 200, "EA"))
    if "shipment" in lost:
        await erp.create_purchase_order(order)
    real = TrytonRpc._post

    def losing(rpc: TrytonRpc, method: str, params: list[Any], auth: str | None = None) -> Any:
        answer = real(rpc, method, params, auth)
        if method == lost:
            raise TimeoutError("the answer was lost on the way back")
        return answer

    monkeypatch.setattr(TrytonRpc, "_post", losing)
    with pytest.raises(RetryableError):
        await (
            erp.post_receipt(delivery) if "shipment" in lost else erp.create_purchase_order(order)
        )
    monkeypatch.undo()

    again = await erp.create_purchase_order(order)
    posted = await erp.post_receipt(delivery)
    assert again.duplicate
    assert posted.duplicate == ("shipment" in lost)
    assert count(tryton, "purchase.purchase", "PO-LOSE-1") == 1
    assert count(tryton, "stock.shipment.in", "REC-LOSE-1") == 1
    assert (await stock(erp))["FAS-10432"] == 200
    back = await erp.read_purchase_order("PO-LOSE-1")
    assert back is not None
    assert back.status is PurchaseOrderStatus.PARTIALLY_RECEIVED


async def test_a_purchase_confirmed_but_never_processed_is_processed_by_the_retry(
    erp: TrytonConnector, tryton: TrytonSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tryton commits ``confirmed`` and processes after the commit: a kill in between."""
    order = purchase_order("PO-HALF-1")
    real = TrytonRpc._post

    def dying(rpc: TrytonRpc, method: str, params: list[Any], auth: str | None = None) -> Any:
        if method != "model.purchase.purchase.confirm":
            return real(rpc, method, params, auth)
        with sqlite3.connect(tryton.database_file) as db:  # the first transaction committed
            db.execute("UPDATE purchase_purchase SET state = 'confirmed' WHERE id = ?", params[0])
        raise ConnectionResetError("the server died before processing the purchase")

    monkeypatch.setattr(TrytonRpc, "_post", dying)
    with pytest.raises(RetryableError):
        await erp.create_purchase_order(order)
    monkeypatch.undo()

    again = await erp.create_purchase_order(order)
    posted = await erp.post_receipt(receipt("REC-HALF-1", "PO-HALF-1", (1, "FAS-10432", 500, "EA")))
    assert again.duplicate
    assert not posted.duplicate
    assert count(tryton, "purchase.purchase", "PO-HALF-1") == 1
    assert (await stock(erp))["FAS-10432"] == 500


async def test_a_tryton_whose_queue_runs_elsewhere_still_gets_processed_orders(
    tryton: TrytonSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a queue worker configured, Tryton leaves processing to it; the connector does not."""
    monkeypatch.setenv("TRYTOND_QUEUE__WORKER", "True")  # and no worker runs
    tryton.server.stop()
    tryton.server.start()
    erp = make_connector(tryton)
    try:
        await erp.create_purchase_order(purchase_order("PO-QUEUE-1"))
        delivery = receipt("REC-QUEUE-1", "PO-QUEUE-1", (1, "FAS-10432", 500, "EA"))
        posted = await erp.post_receipt(delivery)
        sale = await erp.create_sales_order(example_sales_order())
        shipments = await erp.read_outgoing_shipments(example_sales_order().order_number)
    finally:
        await erp.close()
    assert not posted.duplicate
    assert sale.remote_id
    assert shipments, "the sale was processed: its outgoing shipment exists"


async def _settled_count(sandbox: TrytonSandbox, reference: str) -> int:
    """Purchases with ``reference`` once the request the client gave up on has landed."""
    for _ in range(30):
        found = count(sandbox, "purchase.purchase", reference)
        if found:
            return found
        await asyncio.sleep(0.1)
    return 0


async def test_the_connector_recovers_when_the_server_is_killed_and_restarted(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    first = purchase_order("PO-KILL-1")
    await erp.create_purchase_order(first)
    tryton.server.kill()
    with pytest.raises(NotConnected):
        await erp.create_purchase_order(purchase_order("PO-KILL-2"))
    tryton.server.start()

    again = await erp.create_purchase_order(first)
    second = await erp.create_purchase_order(purchase_order("PO-KILL-2"))
    posted = await erp.post_receipt(receipt("REC-KILL", "PO-KILL-2", (3, "GLV-2211", 6, "BX")))

    assert again.duplicate
    assert not second.duplicate
    assert not posted.duplicate
    counts = [count(tryton, "purchase.purchase", n) for n in ("PO-KILL-1", "PO-KILL-2")]
    assert counts == [1, 1]
    assert count(tryton, "stock.shipment.in", "REC-KILL") == 1


async def test_an_unknown_session_is_replaced_by_a_fresh_login(
    erp: TrytonConnector, tryton: TrytonSandbox, tryton_template: Path
) -> None:
    await erp.create_purchase_order(purchase_order("PO-SESSION-1"))
    tryton.server.stop()  # the database is restored from a backup: its sessions are gone
    clone_database(tryton_template, tryton.database_file)
    tryton.server.start()

    assert (await erp.create_purchase_order(purchase_order("PO-SESSION-2"))).remote_id
    assert count(tryton, "purchase.purchase", "PO-SESSION-2") == 1

    wrong = make_connector(tryton, password="not-the-password")
    try:
        with pytest.raises(AuthenticationFailed):
            await wrong.connect()
    finally:
        await wrong.close()


async def test_a_server_that_is_not_there_is_not_connected(tryton: TrytonSandbox) -> None:
    tryton.server.stop()
    erp = make_connector(tryton)
    try:
        with pytest.raises(NotConnected):
            await erp.connect()
    finally:
        await erp.close()
