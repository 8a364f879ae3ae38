"""Procure-to-pay examples: PO-2024-00117 to ACME, its acknowledgement, ASN, receipt, invoice.

ACME ships lines 1, 2 (one case short), 4 (as a substitute) and 5 on two
pallets; line 3 is backordered. One case of gloves arrives damaged.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack, PackKind
from distsync.model.examples.master import (
    ACME,
    NORTHWIND,
    at,
    item_ref,
    qty,
    usd,
)
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine
from distsync.model.items import ItemRef
from distsync.model.parties import CarrierRef
from distsync.model.prices import Price
from distsync.model.procurement import (
    AckLine,
    AckLineStatus,
    AckStatus,
    PoAcknowledgement,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine

__all__ = [
    "PO_NUMBER",
    "example_asn",
    "example_invoice",
    "example_po_ack",
    "example_price",
    "example_purchase_order",
    "example_receipt",
]

PO_NUMBER = "PO-2024-00117"
ASN_NUMBER = "ASN-88120"
RLC = CarrierRef(party_id="CAR-RLC", name="R+L Carriers", scac="RLCA", service="LTL standard")
SUBSTITUTE = ItemRef(
    sku="LUB-5510",
    supplier_part_number="PL-500",
    gtin="0614141009992",
    description="Penetrating lubricant spray 500 ml",
)
DRILL_SERIALS = ("CD18-240512-0001", "CD18-240512-0002", "CD18-240512-0003")

# line number, catalog index, quantity, unit, unit price (per that unit)
PO_LINES = (
    (1, 0, 2, "CA", "100.80"),
    (2, 1, 6, "CA", "79.00"),
    (3, 2, 4, "CA", "75.60"),
    (4, 3, 10, "CA", "55.20"),
    (5, 4, 3, "EA", "89.00"),
)


def example_purchase_order() -> PurchaseOrder:
    """Five lines to ACME for the east warehouse, revision 0 (about 1.5 KB as JSON)."""
    return PurchaseOrder(
        po_number=PO_NUMBER,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2024, 5, 6),
        issued_at=at("2024-05-06T09:15:00-04:00"),
        buyer=NORTHWIND,
        supplier=ACME,
        ship_to_warehouse_id="WH-EAST",
        currency="USD",
        payment_terms="Net 30",
        lines=tuple(
            PurchaseOrderLine(
                line_number=number,
                item=item_ref(index, described=False),
                quantity=qty(quantity, uom),
                unit_price=usd(price),
                requested_delivery_date=date(2024, 5, 20),
            )
            for number, index, quantity, uom, price in PO_LINES
        ),
    )


def example_po_ack() -> PoAcknowledgement:
    """ACME accepts lines 1 and 5, cuts line 2, backorders line 3, substitutes line 4."""
    return PoAcknowledgement(
        po_number=PO_NUMBER,
        po_revision=0,
        ack_number="ACK-40931",
        acknowledged_at=at("2024-05-06T16:02:11-04:00"),
        supplier=ACME,
        status=AckStatus.ACCEPTED_WITH_CHANGES,
        lines=(
            AckLine(line_number=1, item=item_ref(0), status=AckLineStatus.ACCEPTED),
            AckLine(
                line_number=2,
                item=item_ref(1),
                status=AckLineStatus.CHANGED,
                changed_quantity=qty(5, "CA"),
                reason="Allocation limited",
            ),
            AckLine(
                line_number=3,
                item=item_ref(2),
                status=AckLineStatus.BACKORDERED,
                changed_delivery_date=date(2024, 6, 3),
            ),
            AckLine(
                line_number=4,
                item=item_ref(3),
                status=AckLineStatus.SUBSTITUTED,
                substitute_item=SUBSTITUTE,
                reason="400 ml discontinued; 500 ml at the same price",
            ),
            AckLine(line_number=5, item=item_ref(4), status=AckLineStatus.ACCEPTED),
        ),
    )


def example_asn() -> AdvanceShipNotice:
    """Two pallets by LTL carrier, with lots, expiry dates and drill serial numbers."""
    first_pallet = AsnPack(
        sscc="006141410000000012",
        kind=PackKind.PALLET,
        gross_weight=qty("212.5", "KG"),
        items=(
            AsnItem(po_line_number=1, item=item_ref(0), quantity=qty(2, "CA"), lot="L2405-118"),
            AsnItem(
                po_line_number=2,
                item=item_ref(1),
                quantity=qty(5, "CA"),
                lot="G2404-77",
                expiry_date=date(2027, 4, 30),
            ),
        ),
    )
    second_pallet = AsnPack(
        sscc="006141410000000029",
        kind=PackKind.PALLET,
        gross_weight=qty("148.0", "KG"),
        items=(
            AsnItem(
                po_line_number=4,
                item=SUBSTITUTE,
                quantity=qty(10, "CA"),
                lot="PL2405A",
                expiry_date=date(2026, 5, 31),
            ),
            AsnItem(
                po_line_number=5,
                item=item_ref(4),
                quantity=qty(3, "EA"),
                serial_numbers=DRILL_SERIALS,
            ),
        ),
    )
    return AdvanceShipNotice(
        asn_number=ASN_NUMBER,
        issued_at=at("2024-05-16T15:05:00-04:00"),
        supplier=ACME,
        ship_to_warehouse_id="WH-EAST",
        carrier=RLC,
        tracking_numbers=("RL44219807",),
        bill_of_lading="BOL-774120",
        shipped_at=at("2024-05-16T14:30:00-04:00"),
        expected_delivery_date=date(2024, 5, 20),
        orders=(AsnOrder(po_number=PO_NUMBER, packs=(first_pallet, second_pallet)),),
    )


def example_receipt() -> Receipt:
    """The east warehouse receives both pallets; one case of gloves is damaged."""

    def line(number: int, item: ItemRef, quantity: str, uom: str, **details: object) -> ReceiptLine:
        fields = {"line_number": number, "po_number": PO_NUMBER, "item": item}
        fields |= {"received_quantity": qty(quantity, uom), "location_id": "DOCK-3"}
        return ReceiptLine.model_validate(fields | details)

    return Receipt(
        receipt_number="REC-WH-EAST-5531",
        warehouse_id="WH-EAST",
        received_at=at("2024-05-20T10:42:00-04:00"),
        supplier=ACME,
        asn_number=ASN_NUMBER,
        po_number=PO_NUMBER,
        lines=(
            line(1, item_ref(0), "2", "CA", po_line_number=1, lot="L2405-118"),
            line(
                2,
                item_ref(1),
                "5",
                "CA",
                po_line_number=2,
                lot="G2404-77",
                expiry_date=date(2027, 4, 30),
                damaged_quantity=qty(1, "CA"),
                condition=ReceiptCondition.DAMAGED,
                note="One case crushed",
            ),
            line(
                3,
                SUBSTITUTE,
                "10",
                "CA",
                po_line_number=4,
                lot="PL2405A",
                expiry_date=date(2026, 5, 31),
            ),
            line(4, item_ref(4), "3", "EA", po_line_number=5, serial_numbers=DRILL_SERIALS),
        ),
    )


def example_invoice() -> Invoice:
    """ACME invoices what it shipped, plus freight, less a 2% prompt-payment allowance."""
    shipped = (
        (1, item_ref(0), 2, "CA", "100.80"),
        (2, item_ref(1), 5, "CA", "79.00"),
        (4, SUBSTITUTE, 10, "CA", "55.20"),
        (5, item_ref(4), 3, "EA", "89.00"),
    )
    lines = tuple(
        InvoiceLine(
            line_number=number,
            po_line_number=number,
            item=item,
            quantity=qty(quantity, uom),
            unit_price=usd(price),
            amount=usd(Decimal(price) * quantity),
        )
        for number, item, quantity, uom, price in shipped
    )
    charges = (
        ChargeAllowance(
            indicator=ChargeIndicator.CHARGE,
            code="D240",
            amount=usd("85.00"),
            description="Freight",
        ),
        ChargeAllowance(
            indicator=ChargeIndicator.ALLOWANCE,
            code="C310",
            amount=usd("28.31"),
            description="2% prompt payment discount",
        ),
    )
    return Invoice(
        invoice_number="INV-55012",
        invoice_date=date(2024, 5, 17),
        due_date=date(2024, 6, 16),
        seller=ACME,
        buyer=NORTHWIND,
        po_number=PO_NUMBER,
        asn_number=ASN_NUMBER,
        currency="USD",
        payment_terms="2% 10, Net 30",
        lines=lines,
        charges=charges,
        total=usd("1472.29"),
    )


def example_price() -> Price:
    """The web-retail price of duct tape for 2024."""
    return Price(
        price_id="WEB-RETAIL/TAP-0048/2024",
        sku="TAP-0048",
        price_list="WEB-RETAIL",
        unit_price=usd("5.99"),
        uom="RL",
        valid_from=date(2024, 1, 1),
        valid_to=date(2024, 12, 31),
    )
