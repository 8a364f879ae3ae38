"""860 Purchase Order Change ↔ ``PurchaseOrder`` (the revision the change makes).

The canonical purchase order travels whole: every revision carries all its
lines, and a line that is gone is simply absent (``model/procurement.py``).
The 860 maps onto that as follows.

Writing: BCH01 ``05`` (replace) with every line of the revision as a POC
with change type ``RZ`` (replace all values); a cancelled order is BCH01
``01`` with every line ``DI`` (delete). BCH05 carries the revision.
Because a revision holds no trace of the lines it dropped, the 860 cannot
name them; a supplier reads "replace" as "the order is now these lines".

Reading: every POC line that is not deleted becomes a line of the revision;
a line with change type ``DI`` (delete) or ``CF`` (cancel) is left out and
reported with a ``line_deleted`` warning at its POC, so the deletion is
visible in the problems. When the whole order is cancelled (BCH01 ``01``)
all its POC lines are kept, as the lines of the cancelled order. An 860
that lists only some lines (BCH01 ``04``, change) reads as a revision with
only those lines, reported with a ``partial_change`` warning: the canonical
model has no way to say "the other lines stay as they were".

==============================  ===================================================
segment                         canonical field
==============================  ===================================================
BCH01                           ``status``: 01 cancellation → cancelled
BCH03, BCH05, BCH06             ``po_number``, ``revision``, ``order_date``
DTM*097 / BCH11                 ``issued_at`` (BCH11 or BCH06 at midnight UTC)
POC01, 03, 05, 06, 08..27       line number, quantity, unit, unit price, item ids
==============================  ===================================================

Everything else (CUR, REF*IA, FOB, ITD, DTM, N9/MSG, N1 loops, PID, line DTM
and N1*ST, CTT) is read and written as in the 850 (``m850``), with the same
partner options; the ``change_type`` code list translates POC02 both ways.
POC04 (quantity left to receive) is written as the ordered quantity: the
canonical order does not track receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, MapResult, fields, format_date
from distsync.formats.x12.maps.po_common import (
    SetReading,
    errors_in,
    finish,
    first,
    issued_at_segment,
    read_date,
    read_issued_at,
    read_options,
    sections,
    value,
    whole,
)
from distsync.formats.x12.maps.po_items import (
    POC,
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
    terms_segments,
)
from distsync.formats.x12.maps.po_specs import PURPOSES
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus

from . import po_specs as specs

CANCELLATION, CHANGE, REPLACE = "01", "04", "05"
REPLACE_ALL, DELETE = "RZ", "DI"
DELETIONS = frozenset({"DI", "CF"})
CHANGE_TYPES = (
    "AI", "CA", "CF", "CT", "DI", "MU", "NC", "PC", "PQ", "PR", "QD", "QI", "RB", "RQ", "RS", "RZ",
)  # fmt: skip


def spec_860(options: MapOptions) -> SetSpec:
    """The 860 as this map reads and writes it."""
    return SetSpec("860", "Purchase Order Change Request - Buyer Initiated", (
        seg("BCH", "beginning segment for purchase order change",
            el(1, "transaction set purpose code", "ID", 2, 2, required=True, codes=PURPOSES),
            el(2, "purchase order type code", "ID", 2, 2, required=True),
            el(3, "purchase order number", "AN", 1, 22, required=True),
            el(4, "release number", "AN", 1, 30),
            el(5, "change order sequence number", "AN", 1, 8),
            el(6, "date", "DT", 8, 8, required=True),
            el(11, "date", "DT", 8, 8),
            min_use=1),
        specs.cur(), specs.ref(options), specs.per(options), specs.fob(),
        seg("CTP", "pricing information"), specs.header_charges(), specs.itd(),
        specs.dtm(), specs.pid(200), specs.td5(), specs.header_amounts(options),
        specs.notes(options), specs.parties(options),
        loop("POC",
             seg("POC", "line item change",
                 el(1, "assigned identification", "AN", 1, 20),
                 el(2, "change or response type code", "ID", 2, 2, required=True,
                    codes=CHANGE_TYPES),
                 el(3, "quantity ordered", "R", 1, 15),
                 el(4, "quantity left to receive", "R", 1, 9),
                 el(6, "unit price", "R", 1, 17),
                 el(7, "basis of unit price code", "ID", 2, 2),
                 *specs.product_id_elements(8, 10),
                 min_use=1),
             specs.cur(), specs.line_prices(), loop("PID", specs.pid(), max_use=1000),
             specs.po4(), specs.ref(options), specs.per(options), specs.line_charges(),
             specs.itd(2), specs.fob(), specs.dtm(), specs.td5(),
             specs.schedules(options), specs.notes(options), specs.line_parties(options),
             specs.line_amounts(options),
             max_use=100_000),
        specs.totals(),
    ))  # fmt: skip


class PurchaseOrderChange860:
    """The 860 map: a purchase order revision as a change request, and back."""

    set_id: ClassVar[str] = "860"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "PC"
    document: ClassVar[type[BaseModel]] = PurchaseOrder

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(spec_860(options))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        options = read_options(transaction, options)
        problems = validate(transaction, self.spec(options))
        if errors_in(problems):
            return MapResult(None, problems)
        reading = SetReading(transaction, options, problems)
        return reading.result(_read(reading))

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, PurchaseOrder):
            raise SchemaViolation(f"writing an 860: expected a purchase order, got {document!r}")
        return finish(_body(document, options), self.spec(options), options)


PURCHASE_ORDER_CHANGE_860 = PurchaseOrderChange860()


def _read(reading: SetReading) -> PurchaseOrder | None:
    header, loops, summary = sections(reading.transaction.body, "POC")
    bch = first(header, "BCH")
    assert bch is not None  # the spec requires it
    kept = _kept(reading, bch, loops)
    if not kept:
        reading.fail(bch, None, "the change leaves no line; a purchase order needs one")
    parts = OrderParts(bch, header, kept, summary, loops)
    day = (bch, 11) if bch.element(11) else (bch, 6)
    own = {
        "po_number": value(bch, 3),
        "revision": _revision(reading, bch),
        "status": _status(bch),
        "order_date": read_date(reading, bch, 6, "BCH06"),
        "issued_at": read_issued_at(reading, parts.head, day),
    }
    return read_order(reading, parts, POC, own)


def _kept(reading: SetReading, bch: Segment, loops: list[list[Segment]]) -> list[list[Segment]]:
    """The line loops of the revision: all but deleted ones (all of a cancelled order)."""
    purpose = bch.element(1)
    if purpose == CHANGE:
        message = "a change (BCH01 04) lists only changed lines; the revision holds just those"
        reading.warn(bch, "partial_change", message, 1)
    if purpose == CANCELLATION:
        return loops
    kept = []
    for line_loop in loops:
        poc = line_loop[0]
        if reading.options.from_partner("change_type", poc.element(2)) in DELETIONS:
            message = f"line {poc.element(1) or '?'} deleted: left out of the revision"
            reading.warn(poc, "line_deleted", message, 2)
        else:
            kept.append(line_loop)
    return kept


def _revision(reading: SetReading, bch: Segment) -> int | None:
    raw = value(bch, 5)
    number = whole(raw)
    if number is None:
        found = f"{raw!r} is not a" if raw else "no"
        reading.fail(bch, 5, f"{found} change order sequence number (the revision)")
    return number


def _status(bch: Segment) -> PurchaseOrderStatus:
    if bch.element(1) == CANCELLATION:
        return PurchaseOrderStatus.CANCELLED
    return PurchaseOrderStatus.CONFIRMED


# -- writing -------------------------------------------------------------------------


def _body(order: PurchaseOrder, options: MapOptions) -> list[Fields]:
    common = common_delivery(order)
    cancelled = order.status is PurchaseOrderStatus.CANCELLED
    header = [
        _bch(order, options, cancelled=cancelled),
        currency_segment(order),
        *incoterm_segments(order, options),
        *terms_segments(order),
        issued_at_segment(order.issued_at),
        *([delivery_segment(common, options)] if common else []),
        *note_segments(order, options),
        *party_loops(order, options),
    ]
    change = DELETE if cancelled else options.to_partner("change_type", REPLACE_ALL)
    lines = [
        segment
        for line in order.lines
        for segment in _line(line, change, options, dated_lines=common is None)
    ]
    count = fields("CTT", len(order.lines), hash_total([line.quantity for line in order.lines]))
    return [*header, *lines, count]


def _bch(order: PurchaseOrder, options: MapOptions, *, cancelled: bool) -> Fields:
    purpose = CANCELLATION if cancelled else REPLACE
    kind = options.qualifier("po_type", "SA")
    day = format_date(order.order_date)
    issued = format_date(order.issued_at.astimezone(UTC).date())
    return fields(
        "BCH", purpose, kind, order.po_number, None, order.revision, day, *[None] * 4, issued
    )


def _line(
    line: PurchaseOrderLine, change: str, options: MapOptions, *, dated_lines: bool
) -> list[Fields]:
    quantity, uom = quantity_fields(line.quantity, options)
    poc = fields(
        "POC", line.line_number, change, quantity, quantity, uom, price_text(line.unit_price),
        options.qualifier("price_basis", "UM"), *item_ids(line.item, options),
    )  # fmt: skip
    return [poc, *line_details(line, options, dated_lines=dated_lines)]
