"""Canonical documents for the Tryton tests, and a count of ERP records asked of Tryton itself."""

from __future__ import annotations

from datetime import date

from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.model.examples.master import ACME, NORTHWIND, at, qty, usd
from distsync.model.items import ItemRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.receipts import Receipt, ReceiptLine

WAREHOUSE = "WH-EAST"
# line number, SKU, quantity, unit, unit price
PO_LINES = ((1, "FAS-10432", 500, "EA", "0.08"), (2, "LUB-5500", 2, "CA", "55.20"),
            (3, "GLV-2211", 6, "BX", "7.90"))  # fmt: skip


def purchase_order(
    number: str, lines: tuple[tuple[int, str, int, str, str], ...] = PO_LINES
) -> PurchaseOrder:
    return PurchaseOrder(
        po_number=number,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2026, 11, 2),
        issued_at=at("2026-11-02T09:15:00-05:00"),
        buyer=NORTHWIND,
        supplier=ACME,
        ship_to_warehouse_id=WAREHOUSE,
        currency="USD",
        note="Dock 3, mornings only",
        lines=tuple(
            PurchaseOrderLine(
                line_number=n,
                item=ItemRef(sku=sku),
                quantity=qty(quantity, uom),
                unit_price=usd(price),
                requested_delivery_date=date(2026, 11, 16),
            )
            for n, sku, quantity, uom, price in lines
        ),
    )


def receipt(number: str, po_number: str, *lines: tuple[int, str, int, str]) -> Receipt:
    return Receipt(
        receipt_number=number,
        warehouse_id=WAREHOUSE,
        received_at=at("2026-11-16T10:42:00-05:00"),
        supplier=ACME,
        po_number=po_number,
        lines=tuple(
            ReceiptLine(
                line_number=index,
                po_number=po_number,
                po_line_number=po_line,
                item=ItemRef(sku=sku),
                received_quantity=qty(quantity, uom),
            )
            for index, (po_line, sku, quantity, uom) in enumerate(lines, 1)
        ),
    )


def count(sandbox: TrytonSandbox, model: str, reference: str) -> int:
    """How many records of ``model`` carry ``reference``, asked of Tryton directly."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        return int(rpc.model(model, "search_count", [["reference", "=", reference]]))
    finally:
        rpc.close()
