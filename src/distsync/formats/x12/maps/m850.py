"""850 Purchase Order ↔ ``PurchaseOrder`` (004010 and 005010, VICS conventions read too).

What is read and written:

==============================  ===================================================
segment                         canonical field
==============================  ===================================================
BEG01 purpose                   ``status``: 01 cancellation → cancelled, else
                                confirmed (written 00, 05 for a revision, 01)
BEG02 order type                written from the ``po_type`` qualifier (SA)
BEG03, BEG05                    ``po_number``, ``order_date``
REF*PP                          ``revision`` (absent: 0)
REF*IA                          supplier id when there is no supplier N1
CUR                             ``currency`` (absent: USD)
FOB (FOB04 01, FOB05)           ``incoterm``
ITD                             ``payment_terms``
DTM*097 (date, time, zone)      ``issued_at`` (absent: BEG05 at midnight UTC)
DTM*002 (or 106/064/063/        requested delivery date of every line without its
010/037/038)                    own
N9 + MSG                        ``note``
N1*BY / N1*SU (SE, VN)          ``buyer`` / ``supplier`` (absent: the interchange
                                sender / receiver)
N1*ST (BS) + N3/N4/REF/PER      ``ship_to_warehouse_id`` (N104), ``ship_to``
PO1                             line number, quantity and unit, unit price, item ids
CTP**UCP                        unit price when PO104 is empty (VICS)
PID*F                           item description
PO1 DTM, PO1 N1*ST              the line's delivery date and warehouse
CTT, AMT*TT                     line count, hash total, total (checked, written)
==============================  ===================================================

Declared but not mapped (the canonical order has no field for them): BEG04
release number, PER contacts, TD5 routing, PO4 pack sizes, SAC charges,
SDQ destination quantities (not declared: skipped with a warning), N1*BT
bill-to.

Versions: the element rules follow the set's GS08 (005010 allows 50
characters where 004010 allows 30 in REF02, N902, BAK08). VICS orders are
read as sent: ids under UL (GLN) in N1, prices in ``CTP**UCP``, delivery
windows in DTM 064/063; the same conventions are written on request through
the partner's options (``ship_to_id`` UL, ``delivery_date`` 064, ...).

Partner options (``MapOptions.qualifiers``): ``po_type`` (BEG02, SA),
``price_basis`` (PO105, UM), ``buyer_item`` (BP), ``vendor_item`` (VP),
``buyer_id`` / ``supplier_id`` / ``ship_to_id`` (N103, 92),
``supplier_entity`` (SU), ``delivery_date`` (002), ``fob_payment`` (FOB01,
DF), ``note`` (N901, L1); code lists ``uom`` and ``country``.

What does not survive a round trip: statuses other than confirmed and
cancelled (an 850 has no place for them; they are written as an order and
read back as confirmed), fractions of a second of ``issued_at``, and a
description word longer than 80 characters (PID05 pieces are joined with a
space).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import (
    MapOptions,
    MapResult,
    fields,
    format_date,
    format_decimal,
)
from distsync.formats.x12.maps.po_common import (
    SetReading,
    errors_in,
    finish,
    first,
    issued_at_segment,
    read_date,
    read_issued_at,
    read_options,
    read_revision,
    sections,
    value,
)
from distsync.formats.x12.maps.po_items import (
    PO1,
    hash_total,
    item_ids,
    price_text,
    quantity_fields,
)
from distsync.formats.x12.maps.po_order import (
    OrderParts,
    common_delivery,
    currency_segment,
    delivery_segment,
    incoterm_segments,
    line_details,
    note_segments,
    party_loops,
    read_order,
    revision_segments,
    terms_segments,
)
from distsync.formats.x12.maps.po_specs import PURPOSES
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.money import minor_unit
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus

from . import po_specs as specs

ORIGINAL, CANCELLATION, REPLACE = "00", "01", "05"


def spec_850(options: MapOptions) -> SetSpec:
    """The 850 as this map reads and writes it."""
    return SetSpec("850", "Purchase Order", (
        seg("BEG", "beginning segment for purchase order",
            el(1, "transaction set purpose code", "ID", 2, 2, required=True, codes=PURPOSES),
            el(2, "purchase order type code", "ID", 2, 2, required=True),
            el(3, "purchase order number", "AN", 1, 22, required=True),
            el(4, "release number", "AN", 1, 30),
            el(5, "date", "DT", 8, 8, required=True),
            min_use=1),
        specs.cur(), specs.ref(options), specs.per(options), specs.fob(),
        seg("CTP", "pricing information"), specs.header_charges(), specs.itd(),
        specs.dtm(), specs.pid(200), specs.td5(), specs.header_amounts(options),
        specs.notes(options), specs.parties(options),
        loop("PO1",
             seg("PO1", "baseline item data",
                 el(1, "assigned identification", "AN", 1, 20),
                 el(2, "quantity ordered", "R", 1, 15),
                 el(3, "unit or basis for measurement code", "ID", 2, 2),
                 el(4, "unit price", "R", 1, 17),
                 el(5, "basis of unit price code", "ID", 2, 2),
                 *specs.product_id_elements(6, 10),
                 min_use=1),
             specs.cur(), specs.line_prices(), loop("PID", specs.pid(), max_use=1000),
             specs.po4(), specs.ref(options), specs.per(options), specs.line_charges(),
             specs.itd(2), specs.fob(), specs.dtm(), specs.td5(),
             seg("MSG", "message text", el(1, "free-form message text", "AN", 1, 264)),
             specs.schedules(options), specs.notes(options), specs.line_parties(options),
             specs.line_amounts(options),
             min_use=1, max_use=100_000),
        specs.totals(),
    ))  # fmt: skip


class PurchaseOrder850:
    """The 850 map: a purchase order revision to a supplier, and back."""

    set_id: ClassVar[str] = "850"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "PO"
    document: ClassVar[type[BaseModel]] = PurchaseOrder

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(spec_850(options))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        options = read_options(transaction, options)
        problems = validate(transaction, self.spec(options))
        if errors_in(problems):
            return MapResult(None, problems)
        reading = SetReading(transaction, options, problems)
        return reading.result(_read(reading))

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, PurchaseOrder):
            raise SchemaViolation(f"writing an 850: expected a purchase order, got {document!r}")
        return finish(_body(document, options), self.spec(options), options)


PURCHASE_ORDER_850 = PurchaseOrder850()


def _read(reading: SetReading) -> PurchaseOrder | None:
    header, loops, summary = sections(reading.transaction.body, "PO1")
    beg = first(header, "BEG")
    assert beg is not None  # the spec requires it
    parts = OrderParts(beg, header, loops, summary, loops)
    own = {
        "po_number": value(beg, 3),
        "revision": read_revision(reading, parts.head, absent=0),
        "status": _status(beg),
        "order_date": read_date(reading, beg, 5, "BEG05"),
        "issued_at": read_issued_at(reading, parts.head, (beg, 5)),
    }
    return read_order(reading, parts, PO1, own)


def _status(beg: Segment) -> PurchaseOrderStatus:
    if beg.element(1) == CANCELLATION:
        return PurchaseOrderStatus.CANCELLED
    return PurchaseOrderStatus.CONFIRMED


# -- writing -------------------------------------------------------------------------


def _body(order: PurchaseOrder, options: MapOptions) -> list[Fields]:
    common = common_delivery(order)
    header = [
        _beg(order, options),
        currency_segment(order),
        *revision_segments(order),
        *incoterm_segments(order, options),
        *terms_segments(order),
        issued_at_segment(order.issued_at),
        *([delivery_segment(common, options)] if common else []),
        *note_segments(order, options),
        *party_loops(order, options),
    ]
    lines = [
        segment
        for line in order.lines
        for segment in _line(line, options, dated_lines=common is None)
    ]
    return [*header, *lines, *_totals(order)]


def _beg(order: PurchaseOrder, options: MapOptions) -> Fields:
    purpose = ORIGINAL if order.revision == 0 else REPLACE
    if order.status is PurchaseOrderStatus.CANCELLED:
        purpose = CANCELLATION
    kind = options.qualifier("po_type", "SA")
    return fields("BEG", purpose, kind, order.po_number, None, format_date(order.order_date))


def _line(line: PurchaseOrderLine, options: MapOptions, *, dated_lines: bool) -> list[Fields]:
    po1 = fields(
        "PO1", line.line_number, *quantity_fields(line.quantity, options),
        price_text(line.unit_price), options.qualifier("price_basis", "UM"),
        *item_ids(line.item, options),
    )  # fmt: skip
    return [po1, *line_details(line, options, dated_lines=dated_lines)]


def _totals(order: PurchaseOrder) -> list[Fields]:
    exact = sum((line.amount() for line in order.lines), Decimal(0))
    total = exact.quantize(minor_unit(order.currency), ROUND_HALF_UP)
    count = fields("CTT", len(order.lines), hash_total([line.quantity for line in order.lines]))
    return [count, fields("AMT", "TT", format_decimal(total))]
