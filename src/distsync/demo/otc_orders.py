"""What the order-to-cash day sells, and the stock both warehouses open with.

The web shop sells bolts and the 500 ml lubricant to a shopper in Columbus:
only WH-WEST holds both, so it ships the order whole. Harbor Tools (Sandusky, Ohio) orders
gloves and the 500 ml lubricant in an X12 850: only WH-EAST has gloves,
only WH-WEST the lubricant, so the order splits; WH-EAST ships one box of
gloves short. ``OPENING`` is the least Tryton must hold of each item in
each warehouse before the day; what the procure day left counts towards it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from distsync.model.inventory import AdjustmentReason, InventoryAdjustment, InventorySnapshot
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.units import Quantity

__all__ = [
    "ABSENT",
    "B2B_LINES",
    "B2B_PO",
    "OPENING",
    "SHOP_LINES",
    "harbor_po",
    "opening_adjustment",
    "split_blocker",
]

OPENING: dict[str, dict[str, int]] = {
    "WH-EAST": {"GLV-2211": 20, "FAS-10432": 100},
    "WH-WEST": {"FAS-10432": 200, "LUB-5510": 24},
}
ABSENT = (("WH-WEST", "GLV-2211"), ("WH-EAST", "LUB-5510"))
"""Items a warehouse must not hold, or the B2B order would not need to split."""
SHOP_LINES = {"FAS-10432": 40, "LUB-5510": 2}
B2B_PO = "HT-5521"
SANDUSKY = Address(
    name="Harbor Tools", lines=("9 Wharf Road",), city="Sandusky", region="OH",
    postal_code="44870", country="US",
)  # fmt: skip
B2B_LINES = (("GLV-2211", 5, "BX"), ("LUB-5510", 6, "EA"))


def harbor_po(prices: dict[str, Decimal], today: date | None = None) -> PurchaseOrder:
    """Harbor Tools' purchase order to Northwind, at Northwind's list prices."""
    day = today or datetime.now(UTC).date()
    return PurchaseOrder(
        po_number=B2B_PO,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=day,
        issued_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8),
        buyer=PartyRef(party_id="CUS-2077", name="Harbor Tools"),
        supplier=PartyRef(party_id="NWD", name="Northwind Distribution"),
        ship_to_warehouse_id="SANDUSKY",
        ship_to=SANDUSKY,
        currency="USD",
        lines=tuple(
            PurchaseOrderLine(
                line_number=n,
                item=ItemRef(sku=sku),
                quantity=Quantity(value=Decimal(quantity), uom=unit),
                unit_price=Money(amount=prices[sku], currency="USD"),
                requested_delivery_date=day + timedelta(days=3),
            )
            for n, (sku, quantity, unit) in enumerate(B2B_LINES, 1)
        ),
    )


def opening_adjustment(warehouse: str, sku: str, least: int, have: Quantity) -> InventoryAdjustment:
    """What the stock controller posts in Tryton to bring ``sku`` up to ``least``."""
    return InventoryAdjustment(
        adjustment_id=f"OPEN-{warehouse}-{sku}",
        warehouse_id=warehouse,
        item=ItemRef(sku=sku),
        delta=Quantity(value=least - have.value, uom=have.uom),
        reason_code=AdjustmentReason.CORRECTION,
        adjusted_at=datetime.now(UTC),
        note="opening stock of the order-to-cash day",
    )


def split_blocker(stock: dict[str, InventorySnapshot]) -> str | None:
    """Why the B2B order would not split with this opening stock; None when it will."""
    for warehouse, sku in ABSENT:
        held = {b.sku: b.on_hand.value for b in stock[warehouse].balances}
        if held.get(sku, Decimal(0)) != 0:
            return f"{warehouse} holds {sku}: the B2B order would not need to split"
    return None
