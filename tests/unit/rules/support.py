"""Small builders for the rules' tests: items, open PO lines, ship notices, orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack
from distsync.model.items import Item, ItemRef, UomConversion
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.units import Quantity
from distsync.rules.asn_index import OpenLineIndex, OpenPoLine
from distsync.rules.asn_match import AsnMatch, match_asn
from distsync.rules.tolerances import Tolerances
from distsync.rules.xref import MappingXref

SUPPLIER = "SUP-ACME"
REQUESTED = date(2024, 5, 20)
ITEMS = {
    "BOLT": Item(
        sku="BOLT",
        description="Hex bolt",
        base_uom="EA",
        conversions=(
            UomConversion(uom="CA", base_quantity=Decimal(12)),
            UomConversion(uom="PL", base_quantity=Decimal(960)),
        ),
    ),
    "GLOVE": Item(
        sku="GLOVE",
        description="Gloves",
        base_uom="BX",
        conversions=(UomConversion(uom="CA", base_quantity=Decimal(10)),),
    ),
    "TAPE": Item(sku="TAPE", description="Tape", base_uom="RL"),
    "SPRAY": Item(sku="SPRAY", description="Spray 400", base_uom="EA"),
    "SPRAY-500": Item(sku="SPRAY-500", description="Spray 500", base_uom="EA"),
}


def d(value: str | int) -> Decimal:
    return Decimal(value)


def qty(value: str | int, uom: str = "EA") -> Quantity:
    return Quantity(value=Decimal(value), uom=uom)


def open_line(
    po: str = "PO-1",
    number: int = 1,
    sku: str = "BOLT",
    ordered: str | int = 100,
    *,
    uom: str = "EA",
    warehouse: str = "WH-EAST",
    requested: date = REQUESTED,
    shipped: str | int = 0,
    received: str | int = 0,
    supplier: str = SUPPLIER,
) -> OpenPoLine:
    return OpenPoLine(
        po_number=po,
        line_number=number,
        sku=sku,
        uom=uom,
        ordered=d(ordered),
        warehouse_id=warehouse,
        requested_delivery_date=requested,
        supplier_id=supplier,
        shipped=d(shipped),
        received=d(received),
    )


@dataclass(frozen=True)
class Ship:
    """One item of a ship notice."""

    po: str = "PO-1"
    line: int = 1
    sku: str = "BOLT"
    quantity: str | int = 10
    uom: str = "EA"
    part: str | None = None
    lot: str | None = None


def notice(
    *ships: Ship,
    number: str = "ASN-1",
    warehouse: str = "WH-EAST",
    delivery: date | None = REQUESTED,
    supplier: str = SUPPLIER,
) -> AdvanceShipNotice:
    """A notice with one carton per purchase order, items in the order given."""
    orders: dict[str, list[AsnItem]] = {}
    for ship in ships:
        ref = ItemRef(sku=ship.sku, supplier_part_number=ship.part)
        item = AsnItem(
            po_line_number=ship.line, item=ref, quantity=qty(ship.quantity, ship.uom), lot=ship.lot
        )
        orders.setdefault(ship.po, []).append(item)
    return AdvanceShipNotice(
        asn_number=number,
        issued_at=datetime(2024, 5, 16, 15, tzinfo=UTC),
        supplier=PartyRef(party_id=supplier),
        ship_to_warehouse_id=warehouse,
        shipped_at=datetime(2024, 5, 16, 14, tzinfo=UTC),
        expected_delivery_date=delivery,
        orders=tuple(
            AsnOrder(po_number=po, packs=(AsnPack(items=tuple(items)),))
            for po, items in orders.items()
        ),
    )


def match(
    asn: AdvanceShipNotice,
    index: OpenLineIndex,
    *,
    tolerances: Tolerances | None = None,
    xref: MappingXref | None = None,
    accepted: frozenset[str] = frozenset(),
) -> AsnMatch:
    return match_asn(
        asn,
        index,
        xref=xref or MappingXref(),
        items=ITEMS,
        tolerances=tolerances or Tolerances(),
        accepted=accepted,
    )


def order(
    *lines: tuple[int, str, str | int, str, str],
    number: str = "PO-1",
    revision: int = 0,
    currency: str = "USD",
) -> PurchaseOrder:
    """A purchase order from (line number, sku, quantity, unit, unit price)."""
    return PurchaseOrder(
        po_number=number,
        revision=revision,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2024, 5, 6),
        issued_at=datetime(2024, 5, 6, 9, tzinfo=UTC),
        buyer=PartyRef(party_id="NWD"),
        supplier=PartyRef(party_id=SUPPLIER),
        ship_to_warehouse_id="WH-EAST",
        currency=currency,
        lines=tuple(
            PurchaseOrderLine(
                line_number=n,
                item=ItemRef(sku=sku),
                quantity=qty(quantity, uom),
                unit_price=Money(amount=Decimal(price), currency=currency),
                requested_delivery_date=REQUESTED,
            )
            for n, sku, quantity, uom, price in lines
        ),
    )
