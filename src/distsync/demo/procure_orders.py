"""The demo's purchase orders, as Northwind's buyer confirms them in Tryton.

Three orders for the east warehouse, one per supplier, in the units Tryton's
products are bought in: ACME (X12 004010) ships half of each line now and
the rest later; Globex (X12 005010) ships the tape under its own code, which
no cross-reference maps yet; Initech takes its order on its JSON portal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.units import Quantity

__all__ = ["ORDERS", "demo_orders"]

BUYER = PartyRef(party_id="NWD", name="Northwind Distribution")
WAREHOUSE = "WH-EAST"
# PO number, supplier, lines of (SKU, quantity, unit, unit price)
Line = tuple[str, int, str, str]
ORDERS: tuple[tuple[str, str, tuple[Line, ...]], ...] = (
    ("PO-DEMO-0001", "SUP-ACME",
     (("FAS-10432", 400, "EA", "0.08"), ("GLV-2211", 20, "BX", "7.90"))),
    ("PO-DEMO-0002", "SUP-GLOBEX",
     (("TAP-0048", 24, "RL", "3.15"), ("DRL-1800", 4, "EA", "89.00"))),
    ("PO-DEMO-0003", "SUP-INITECH", (("LUB-5500", 6, "CA", "55.20"),)),
)  # fmt: skip


def demo_orders(today: date | None = None) -> list[PurchaseOrder]:
    """The three orders, due a week from ``today``."""
    day = today or datetime.now(UTC).date()
    return [_order(number, supplier, lines, day) for number, supplier, lines in ORDERS]


def _order(number: str, supplier: str, lines: tuple[Line, ...], day: date) -> PurchaseOrder:
    issued = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return PurchaseOrder(
        po_number=number,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=day,
        issued_at=issued,
        buyer=BUYER,
        supplier=PartyRef(party_id=supplier),
        ship_to_warehouse_id=WAREHOUSE,
        currency="USD",
        lines=tuple(
            PurchaseOrderLine(
                line_number=index,
                item=ItemRef(sku=sku),
                quantity=Quantity(value=Decimal(quantity), uom=unit),
                unit_price=Money(amount=Decimal(price), currency="USD"),
                requested_delivery_date=day + timedelta(days=7),
            )
            for index, (sku, quantity, unit, price) in enumerate(lines, 1)
        ),
    )
