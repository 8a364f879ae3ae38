"""Items, quantities and prices of the purchasing maps.

Product identifiers come in qualifier/value pairs (PO106/PO107 onwards,
POC08 onwards, ACK07 onwards):

==================  =====================================  ===========================
canonical           read from (first found)                written as
==================  =====================================  ===========================
``sku``             the partner's buyer qualifier, then    ``buyer_item`` (BP)
                    BP, IN, CB, PI; else the first id
``supplier_part_    the partner's vendor qualifier, then   ``vendor_item`` (VP)
number``            VP, VN, VC, VA
``gtin``            UP (12 digits), EN (13), UK (14),      by length: UP, EN, UK, EO
                    EO (8); the check digit must be right
``description``     PID*F (PID05), pieces joined by a      PID*F in pieces of 80
                    space
==================  =====================================  ===========================

Units of measure go through the partner's ``uom`` code list, then must be
known to the canonical model. A unit price is per one unit of the line's
quantity; when PO104 is empty, the VICS price ``CTP**UCP`` is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import (
    MapOptions,
    fields,
    format_decimal,
    x12_decimal,
)
from distsync.formats.x12.maps.po_common import SetReading, first, value, whole, wrap
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.writer import Fields
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.units import Quantity

BUYER_IDS = ("BP", "IN", "CB", "PI")
VENDOR_IDS = ("VP", "VN", "VC", "VA")
GTIN_BY_LENGTH = {12: "UP", 13: "EN", 14: "UK", 8: "EO"}
GTIN_IDS = ("UP", "EN", "UK", "EO")
DESCRIPTION_WIDTH = 80  # PID05
UNIT_COST = "UCP"  # CTP02: unit cost price


@dataclass(frozen=True)
class Layout:
    """Where a line segment keeps its values (element positions)."""

    number: int | None
    quantity: int
    uom: int
    price: int | None
    first_id: int
    id_pairs: int


PO1 = Layout(number=1, quantity=2, uom=3, price=4, first_id=6, id_pairs=10)
POC = Layout(number=1, quantity=3, uom=5, price=6, first_id=8, id_pairs=10)
ACK = Layout(number=None, quantity=2, uom=3, price=None, first_id=7, id_pairs=11)


def id_elements(layout: Layout) -> list[int]:
    """The positions of the product id qualifiers of a layout."""
    return [layout.first_id + 2 * k for k in range(layout.id_pairs)]


def product_ids(segment: Segment, layout: Layout) -> list[tuple[int, str, str]]:
    """(position of the value, qualifier, value) of every product id pair given."""
    found = []
    for position in id_elements(layout):
        qualifier, code = value(segment, position), value(segment, position + 1)
        if qualifier and code:
            found.append((position + 1, qualifier, code))
    return found


# -- reading -------------------------------------------------------------------------


def read_item(
    reading: SetReading, segment: Segment, layout: Layout, description: str | None
) -> ItemRef | None:
    """The item a line names by its product ids."""
    ids = product_ids(segment, layout)
    if not ids:
        reading.fail(segment, layout.first_id, "the line names no product (no product id)")
        return None
    options = reading.options
    sku = _pick(ids, _preferred(options.qualifier("buyer_item", "BP"), BUYER_IDS)) or ids[0]
    vendor = _pick(ids, _preferred(options.qualifier("vendor_item", "VP"), VENDOR_IDS))
    gtin = _pick(ids, GTIN_IDS)
    where = gtin[0] if gtin else sku[0]
    return reading.attempt(
        segment,
        where,
        lambda: ItemRef(
            sku=sku[2],
            supplier_part_number=vendor[2] if vendor else None,
            gtin=gtin[2] if gtin else None,
            description=description,
        ),
    )


def _preferred(chosen: str, defaults: Sequence[str]) -> tuple[str, ...]:
    return (chosen, *(q for q in defaults if q != chosen))


def _pick(
    ids: Sequence[tuple[int, str, str]], qualifiers: Sequence[str]
) -> tuple[int, str, str] | None:
    for qualifier in qualifiers:
        for found in ids:
            if found[1] == qualifier:
                return found
    return None


def read_description(segments: Sequence[Segment]) -> str | None:
    """Free-form descriptions (PID*F, PID05), joined by a space."""
    pieces = [s.element(5) for s in segments if s.tag == "PID" and s.element(1) == "F"]
    text = " ".join(p for p in pieces if p)
    return text or None


def read_quantity(reading: SetReading, segment: Segment, layout: Layout) -> Quantity | None:
    raw = segment.element(layout.quantity)
    if not raw:
        reading.fail(segment, layout.quantity, "the line has no quantity")
        return None
    unit = segment.components(layout.uom)[0] if segment.element(layout.uom) else ""
    uom = reading.options.from_partner("uom", unit)
    what = f"{segment.tag}{layout.quantity:02d}"
    return reading.attempt(
        segment,
        layout.uom if uom else layout.quantity,
        lambda: Quantity(value=x12_decimal(raw, what), uom=uom),
    )


def read_price(
    reading: SetReading, segment: Segment, layout: Layout, loop: Sequence[Segment], currency: str
) -> Money | None:
    """The unit price of a line (its price element, else ``CTP**UCP``)."""
    position = layout.price
    raw = segment.element(position) if position else ""
    where = segment
    if not raw:
        ctp = next((s for s in loop if s.tag == "CTP" and s.element(2) == UNIT_COST), None)
        if ctp is None:
            reading.fail(segment, position, "the line has no unit price")
            return None
        raw, where, position = ctp.element(3), ctp, 3
    what = f"{where.tag}{position:02d}"
    return reading.attempt(
        where, position, lambda: Money(amount=x12_decimal(raw, what), currency=currency)
    )


# -- writing -------------------------------------------------------------------------


def item_ids(item: ItemRef, options: MapOptions) -> list[str]:
    """Product id pairs for an item: our SKU, the supplier's part number, the GTIN."""
    pairs = [options.qualifier("buyer_item", "BP"), item.sku]
    if item.supplier_part_number:
        pairs += [options.qualifier("vendor_item", "VP"), item.supplier_part_number]
    if item.gtin:
        pairs += [GTIN_BY_LENGTH[len(item.gtin)], item.gtin]
    return pairs


def description_segments(item: ItemRef) -> list[Fields]:
    if not item.description:
        return []
    return [fields("PID", "F", None, None, None, piece) for piece in wrap(item.description, 80)]


def quantity_fields(quantity: Quantity, options: MapOptions) -> list[str]:
    """Quantity and unit; a unit X12 cannot write (355 has two characters) is refused."""
    unit = options.to_partner("uom", quantity.uom)
    if len(unit) != 2:
        raise SchemaViolation(
            f"writing quantity {quantity}: X12 units have two characters; "
            f"map {quantity.uom} in the partner's 'uom' code list"
        )
    return [format_decimal(quantity.value), unit]


def price_text(price: Money) -> str:
    return format_decimal(price.amount)


def hash_total(quantities: Sequence[Quantity]) -> str | None:
    """CTT02: the sum of the quantities, when all are whole numbers."""
    values = [q.value for q in quantities]
    if any(v != v.to_integral_value() for v in values):
        return None
    return format_decimal(sum(values, Decimal(0)))


def check_totals(
    reading: SetReading,
    loops: Sequence[list[Segment]],
    summary: Sequence[Segment],
    layout: Layout | None,
) -> None:
    """Warn when CTT's line count (or the hash total of the ``layout``'s quantity) disagrees."""
    ctt = first(summary, "CTT")
    if ctt is None:
        return
    count = value(ctt, 1)
    stated = whole(count)
    if stated is not None and stated != len(loops):
        message = f"CTT01 says {count} lines, the set has {len(loops)}"
        reading.warn(ctt, "line_count_mismatch", message, 1)
    if layout is None:
        return
    quantities = [whole(value(loop[0], layout.quantity)) for loop in loops]
    if value(ctt, 2) and None not in quantities:
        _check_hash(reading, ctt, sum(q for q in quantities if q is not None))


def _check_hash(reading: SetReading, ctt: Segment, total: int) -> None:
    try:
        stated = Decimal(value(ctt, 2))
    except InvalidOperation:
        return
    if stated != total:
        message = f"CTT02 hash total {value(ctt, 2)} is not the sum of the quantities ({total})"
        reading.warn(ctt, "hash_total_mismatch", message, 2)
