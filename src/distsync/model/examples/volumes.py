"""Documents of any size, for benchmarks and load tests: the same on every call.

``sized_asn(number, orders, packs, items)`` is a ship notice from ACME with
``orders`` purchase orders, ``packs`` labelled cartons per order (valid
SSCC-18s) and ``items`` lines per carton, with GTINs, lots and expiry dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack
from distsync.model.examples.master import ACME, CATALOG, UPS
from distsync.model.identifiers import gs1_check_digit
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity

SHIPPED = datetime(2026, 1, 5, 18, 30, tzinfo=UTC)
EXTENSION_DIGIT = "0"
COMPANY_PREFIX = "0614141"


def sized_asn(number: int, orders: int, packs: int, items: int) -> AdvanceShipNotice:
    """Ship notice ``number`` with orders x packs x items lines."""
    return AdvanceShipNotice(
        asn_number=f"ASN-{number:07d}",
        issued_at=SHIPPED + timedelta(minutes=30),
        supplier=PartyRef(party_id=ACME.party_id, name=ACME.name),
        ship_to_warehouse_id="WH-EAST",
        carrier=UPS.model_copy(update={"service": None}),
        tracking_numbers=(f"1Z999999{number:010d}",),
        bill_of_lading=f"BOL-{number:07d}",
        shipped_at=SHIPPED,
        expected_delivery_date=date(2026, 1, 8),
        orders=tuple(_order(number, o, packs, items) for o in range(orders)),
    )


def sscc(number: int, order: int, pack: int) -> str:
    """A valid SSCC-18: extension digit, company prefix, a serial, the check digit."""
    serial = f"{(number * 1_000 + order * 100 + pack) % 10**9:09d}"
    digits = EXTENSION_DIGIT + COMPANY_PREFIX + serial
    return digits + str(gs1_check_digit(digits))


def _order(number: int, order: int, packs: int, items: int) -> AsnOrder:
    cartons = tuple(
        AsnPack(
            sscc=sscc(number, order, pack),
            gross_weight=Quantity(value=Decimal("12.5"), uom="KG"),
            items=tuple(_item(line, number + order + pack + line) for line in range(items)),
        )
        for pack in range(packs)
    )
    return AsnOrder(po_number=f"PO-{number:07d}-{order}", packs=cartons)


def _item(line: int, serial: int) -> AsnItem:
    entry = CATALOG[serial % len(CATALOG)]
    ref = ItemRef(
        sku=entry.sku,
        supplier_part_number=entry.acme_part_number,
        gtin=entry.gtin,
        description=entry.description,
    )
    return AsnItem(
        po_line_number=line + 1,
        item=ref,
        quantity=Quantity(value=Decimal(6), uom="CA"),
        lot=f"L2601-{serial % 10_000:04d}",
        expiry_date=date(2028, 4, 30),
    )
