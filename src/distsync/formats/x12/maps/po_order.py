"""The parts of a ``PurchaseOrder`` that the 850 and the 860 carry alike.

Header: currency (CUR02; US dollars when CUR is absent, as X12 guides
have it), payment terms (ITD), Incoterm (FOB05 under FOB04 ``01``), the
note (MSG lines of the header N9 loops), buyer (N1*BY), supplier (N1*SU,
SE or VN) and ship-to (N1*ST: warehouse id and address). Lines: number,
item, quantity, unit price, requested delivery date (the line's DTM, else
the header's: 002 delivery requested, 106 required by, 064/063 delivery
window, 010 requested ship, 037/038 ship window) and the line's own ship-to
warehouse (a line N1*ST).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from distsync.formats.x12.maps.base import MapOptions, fields, format_date
from distsync.formats.x12.maps.po_common import (
    REVISION,
    SetReading,
    dated,
    first,
    groups,
    message_segments,
    read_date,
    read_message,
    value,
    whole,
)
from distsync.formats.x12.maps.po_items import (
    Layout,
    check_totals,
    description_segments,
    read_description,
    read_item,
    read_price,
    read_quantity,
)
from distsync.formats.x12.maps.po_parties import (
    BUYER,
    SHIP_TO,
    party_from,
    party_loop,
    party_segments,
    read_party,
    read_ship_to,
    ship_to_segments,
    supplier_entities,
)
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.writer import Fields
from distsync.model.parties import Address, PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine

DEFAULT_CURRENCY = "USD"
DELIVERY_DATES = ("002", "106", "064", "063", "010", "037", "038")
INCOTERMS = "01"  # FOB04: Incoterms
VENDOR_NUMBER = "IA"  # REF01: internal vendor number
TERMS = re.compile(r"^(?:(\d+(?:\.\d+)?)% (\d+), )?Net (\d+)$")


@dataclass
class OrderParts:
    """A purchase order set cut up: header, the line loops to map, the summary.

    ``anchor`` (BEG or BCH) is where problems of the whole order are located;
    ``counted`` are all line loops, which CTT counts.
    """

    anchor: Segment
    header: list[Segment]
    lines: list[list[Segment]]
    summary: list[Segment]
    counted: list[list[Segment]]

    @property
    def head(self) -> list[Segment]:
        """The header before its N1 loops."""
        return groups(self.header, "N1")[0]


@dataclass
class Header:
    """What the lines need from the header: the currency and the default delivery date."""

    currency: str
    delivery: date | None
    delivery_dates: tuple[str, ...]


def delivery_dates(options: MapOptions) -> tuple[str, ...]:
    chosen = options.qualifier("delivery_date", "002")
    return (chosen, *(q for q in DELIVERY_DATES if q != chosen))


# -- reading the order ---------------------------------------------------------------


def read_order(
    reading: SetReading, parts: OrderParts, layout: Layout, own: Mapping[str, object]
) -> PurchaseOrder | None:
    """The order from its parts; ``own`` holds what the set's first segment gave."""
    head = parts.head
    currency = read_currency(head)
    defaults = read_header(reading, head, currency)
    lines = [read_line(reading, lp, i, layout, defaults) for i, lp in enumerate(parts.lines)]
    check_totals(reading, parts.counted, parts.summary, layout)
    values = {**own, **_places(reading, parts)}
    if reading.failed or None in values.values() or None in lines:
        return None
    rest = {
        "currency": currency, "lines": lines, "payment_terms": read_terms(head),
        "incoterm": read_incoterm(head), "note": read_note(head),
    }  # fmt: skip
    return reading.attempt_document(
        parts.anchor,
        [lp[0] for lp in parts.lines],
        lambda: PurchaseOrder.model_validate(values | rest),
    )


def _places(reading: SetReading, parts: OrderParts) -> dict[str, object]:
    buyer, supplier = read_parties(reading, parts.header, parts.anchor)
    warehouse, address = read_ship_to_loop(reading, parts.header, parts.anchor)
    values: dict[str, object] = {
        "buyer": buyer, "supplier": supplier, "ship_to_warehouse_id": warehouse,
    }  # fmt: skip
    return values | {"ship_to": address} if address else values


# -- reading the header --------------------------------------------------------------


def read_currency(head: Sequence[Segment]) -> str:
    return value(first(head, "CUR"), 2) or DEFAULT_CURRENCY


def read_header(reading: SetReading, head: Sequence[Segment], currency: str) -> Header:
    qualifiers = delivery_dates(reading.options)
    dtm = dated(head, qualifiers)
    delivery = read_date(reading, dtm, 2, "delivery date") if dtm else None
    return Header(currency, delivery, qualifiers)


def read_terms(head: Sequence[Segment]) -> str | None:
    """ITD12, else words made of the discount and net days (``2% 10, Net 30``)."""
    itd = first(head, "ITD")
    if itd is None:
        return None
    if value(itd, 12):
        return value(itd, 12)
    discount, days, net = value(itd, 3), value(itd, 5), value(itd, 7)
    words = [f"{discount}% {days}"] if discount and days else []
    words += [f"Net {net}"] if net else []
    return ", ".join(words) or None


def read_incoterm(head: Sequence[Segment]) -> str | None:
    for fob in (s for s in head if s.tag == "FOB"):
        if value(fob, 4) in (INCOTERMS, "") and value(fob, 5):
            return value(fob, 5)
    return None


def read_note(head: Sequence[Segment]) -> str | None:
    return read_message(head)


def read_parties(
    reading: SetReading, header: Sequence[Segment], anchor: Segment
) -> tuple[PartyRef | None, PartyRef | None]:
    """Buyer and supplier; when an N1 is missing, the interchange sender or receiver stands in."""
    head, loops = groups(header, "N1")
    interchange = reading.transaction.interchange
    buyer_loop = party_loop(loops, BUYER)
    buyer = (
        read_party(reading, buyer_loop)
        if buyer_loop
        else party_from(reading, anchor, interchange.sender()[1], "buyer")
    )
    supplier_loop = party_loop(loops, supplier_entities(reading.options))
    if supplier_loop:
        return buyer, read_party(reading, supplier_loop)
    vendor_number = value(first(head, "REF", VENDOR_NUMBER), 2)
    fallback = vendor_number or interchange.receiver()[1]
    return buyer, party_from(reading, anchor, fallback, "supplier")


def read_ship_to_loop(
    reading: SetReading, header: Sequence[Segment], anchor: Segment
) -> tuple[str | None, Address | None]:
    loop = party_loop(groups(header, "N1")[1], SHIP_TO)
    if loop is None:
        reading.fail(anchor, None, "no ship-to (N1*ST): the order needs our warehouse id")
        return None, None
    return read_ship_to(reading, loop)


# -- reading lines -------------------------------------------------------------------


def read_line(
    reading: SetReading, loop: list[Segment], index: int, layout: Layout, header: Header
) -> PurchaseOrderLine | None:
    """One line loop (PO1 or POC and what follows) as a canonical line."""
    own, line_loops = groups(loop, "N1")
    segment = own[0]
    number = line_number(reading, segment, layout, index)
    item = read_item(reading, segment, layout, read_description(own))
    quantity = read_quantity(reading, segment, layout)
    price = read_price(reading, segment, layout, own, _line_currency(own, header))
    delivery = _delivery(reading, own, header)
    ship_to = party_loop(line_loops, SHIP_TO)
    warehouse = value(ship_to[0], 4) if ship_to else None
    if number is None or item is None or quantity is None or price is None or delivery is None:
        return None
    return reading.attempt(segment, None, lambda: PurchaseOrderLine(
        line_number=number, item=item, quantity=quantity, unit_price=price,
        requested_delivery_date=delivery, ship_to_warehouse_id=warehouse or None,
    ))  # fmt: skip


def line_number(reading: SetReading, segment: Segment, layout: Layout, index: int) -> int | None:
    """The line's assigned number; its position in the set when the partner leaves it out."""
    raw = value(segment, layout.number) if layout.number else ""
    if not raw:
        return index + 1
    number = whole(raw)
    if number is None:
        reading.fail(segment, layout.number, f"{raw!r} is not a line number")
    return number


def _line_currency(own: Sequence[Segment], header: Header) -> str:
    return value(first(own, "CUR"), 2) or header.currency


def _delivery(reading: SetReading, own: Sequence[Segment], header: Header) -> date | None:
    dtm = dated(own, header.delivery_dates)
    if dtm is not None:
        return read_date(reading, dtm, 2, "requested delivery date")
    if header.delivery is None:
        reading.fail(own[0], None, "no requested delivery or ship date, on the line or the order")
    return header.delivery


# -- writing -------------------------------------------------------------------------


def currency_segment(order: PurchaseOrder) -> Fields:
    return fields("CUR", "BY", order.currency)


def revision_segments(order: PurchaseOrder) -> list[Fields]:
    return [fields("REF", REVISION, order.revision)] if order.revision else []


def incoterm_segments(order: PurchaseOrder, options: MapOptions) -> list[Fields]:
    if order.incoterm is None:
        return []
    payment = options.qualifier("fob_payment", "DF")
    return [fields("FOB", payment, None, None, INCOTERMS, order.incoterm)]


def terms_segments(order: PurchaseOrder) -> list[Fields]:
    """ITD with the terms as text (ITD12) and, for ``[P% D, ]Net N``, as numbers too."""
    text = order.payment_terms
    if text is None:
        return []
    found = TERMS.match(text)
    discount, days, net = found.groups() if found else (None, None, None)
    kind = "08" if discount else "01"
    return [fields("ITD", kind, "3", discount, None, days, None, net, *[None] * 4, text)]


def common_delivery(order: PurchaseOrder) -> date | None:
    """The requested delivery date when every line has the same one."""
    days = {line.requested_delivery_date for line in order.lines}
    return days.pop() if len(days) == 1 else None


def delivery_segment(day: date, options: MapOptions) -> Fields:
    return fields("DTM", options.qualifier("delivery_date", "002"), format_date(day))


def note_segments(order: PurchaseOrder, options: MapOptions) -> list[Fields]:
    if order.note is None:
        return []
    reference = fields("N9", options.qualifier("note", "L1"), "SPECIAL INSTRUCTIONS")
    return [reference, *message_segments(order.note)]


def party_loops(order: PurchaseOrder, options: MapOptions) -> list[Fields]:
    supplier_entity = options.qualifier("supplier_entity", "SU")
    return [
        *party_segments("BY", order.buyer, options, "buyer"),
        *ship_to_segments(order.ship_to_warehouse_id, order.ship_to, options),
        *party_segments(supplier_entity, order.supplier, options, "supplier"),
    ]


def line_details(
    line: PurchaseOrderLine, options: MapOptions, *, dated_lines: bool
) -> list[Fields]:
    """What follows a line's PO1/POC: description, delivery date, its own ship-to."""
    details = description_segments(line.item)
    if dated_lines:
        details.append(delivery_segment(line.requested_delivery_date, options))
    if line.ship_to_warehouse_id:
        details += ship_to_segments(line.ship_to_warehouse_id, None, options)
    return details
