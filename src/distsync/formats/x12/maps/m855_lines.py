"""The line items of an 855: a PO1 loop with its ACK segments ↔ an ``AckLine``.

See ``m855`` for the codes. The substitute's description, which an ACK
cannot hold, travels in a PID*F with PID02 ``ZZ`` (mutually defined) in the
line's PO1 loop; the ordered item's description is the PID*F without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distsync.formats.x12.maps.base import MapOptions, fields, format_date
from distsync.formats.x12.maps.po_common import (
    SetReading,
    dated,
    first,
    groups,
    message_segments,
    read_date,
    read_message,
    value,
    wrap,
)
from distsync.formats.x12.maps.po_items import (
    ACK,
    DESCRIPTION_WIDTH,
    PO1,
    item_ids,
    price_text,
    product_ids,
    quantity_fields,
    read_item,
    read_price,
    read_quantity,
)
from distsync.formats.x12.maps.po_order import DEFAULT_CURRENCY, line_number
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.writer import Fields
from distsync.model.procurement import AckLine, AckLineStatus

_ACCEPTED, _CHANGED, _REJECTED = (
    AckLineStatus.ACCEPTED,
    AckLineStatus.CHANGED,
    AckLineStatus.REJECTED,
)
_BACKORDERED, _SUBSTITUTED = AckLineStatus.BACKORDERED, AckLineStatus.SUBSTITUTED
LINE_STATUS: dict[str, AckLineStatus] = {
    "IA": _ACCEPTED, "AC": _ACCEPTED, "AR": _ACCEPTED, "AA": _ACCEPTED,
    "IC": _CHANGED, "IP": _CHANGED, "IQ": _CHANGED, "DR": _CHANGED,
    "IR": _REJECTED, "ID": _REJECTED, **{f"R{n}": _REJECTED for n in range(1, 10)},
    "IB": _BACKORDERED, "BP": _BACKORDERED,
    "IS": _SUBSTITUTED,
}  # fmt: skip
HELD = frozenset({"IE", "IF", "IH", "IW", "SP"})  # price pending, on hold, date pending
LINE_CODES = sorted(set(LINE_STATUS) | HELD)
STATUS_CODES = {
    _ACCEPTED: "IA", _CHANGED: "IC", _REJECTED: "IR", _BACKORDERED: "IB", _SUBSTITUTED: "IS",
}  # fmt: skip
ACK_DATES = ("067", "017", "069", "002", "068")
SUBSTITUTE_MARK = "ZZ"  # PID02 of the substitute's description
_QUANTITY, _DATE = "changed_quantity", "changed_delivery_date"
_PRICE, _SUBSTITUTE = "changed_unit_price", "substitute_item"
# The change fields each status may carry (AckLine's rules).
MAY_CHANGE = {
    _CHANGED: (_QUANTITY, _DATE, _PRICE),
    _BACKORDERED: (_QUANTITY, _DATE),
    _SUBSTITUTED: (_QUANTITY, _DATE, _PRICE, _SUBSTITUTE),
}


def ack_dates(options: MapOptions) -> tuple[str, ...]:
    chosen = options.qualifier("ack_date", "067")
    return (chosen, *(q for q in ACK_DATES if q != chosen))


# -- reading -------------------------------------------------------------------------


def read_ack_line(
    reading: SetReading,
    loop: list[Segment],
    index: int,
    head: Sequence[Segment],
    *,
    rejecting: bool,
) -> AckLine | None:
    """One PO1 loop as the supplier's answer to that line."""
    own = groups(loop, "N1")[0]
    po1 = own[0]
    number = line_number(reading, po1, PO1, index)
    item = read_item(reading, po1, PO1, _description(own, substitute=False))
    ack = _speaking(reading, own)
    status = _line_status(reading, ack, rejecting=rejecting)
    if number is None or item is None or status is None:
        return None
    changes = _Changes(reading, own, head, ack).for_status(status)
    if changes is None:
        return None
    where = ack or po1
    line = reading.attempt(where, None, lambda: AckLine(
        line_number=number, item=item, status=status, reason=read_message(own), **changes,
    ))  # fmt: skip
    wrong = line.problem() if line else None
    if wrong:
        reading.fail(where, 1 if ack else None, f"line {number} {wrong}")
        return None
    return line


def _speaking(reading: SetReading, own: Sequence[Segment]) -> Segment | None:
    """The ACK that speaks for the line: the first that is not an acceptance, else the first."""
    acks = [s for s in own if s.tag == "ACK"]
    for ack in acks:
        code = reading.options.from_partner("line_status", ack.element(1))
        if LINE_STATUS.get(code) is not _ACCEPTED:
            return ack
    return acks[0] if acks else None


def _line_status(
    reading: SetReading, ack: Segment | None, *, rejecting: bool
) -> AckLineStatus | None:
    if ack is None:
        return _REJECTED if rejecting else _ACCEPTED
    code = reading.options.from_partner("line_status", ack.element(1))
    status = LINE_STATUS.get(code)
    if status is None:
        reading.fail(ack, 1, f"line status {code!r} (on hold or pending) has no canonical status")
    return status


def _description(own: Sequence[Segment], *, substitute: bool) -> str | None:
    pieces = [
        s.element(5)
        for s in own
        if s.tag == "PID"
        and s.element(1) == "F"
        and (s.element(2) == SUBSTITUTE_MARK) is substitute
    ]
    return " ".join(p for p in pieces if p) or None


class _Changes:
    """The change fields of one line, read only where its status allows them."""

    def __init__(
        self,
        reading: SetReading,
        own: Sequence[Segment],
        head: Sequence[Segment],
        ack: Segment | None,
    ) -> None:
        self.reading, self.own, self.head, self.ack = reading, own, head, ack

    def for_status(self, status: AckLineStatus) -> dict[str, Any] | None:
        """The change fields present, or None when one was refused (already reported)."""
        readers = {
            _QUANTITY: self._quantity, _DATE: self._date,
            _PRICE: self._price, _SUBSTITUTE: self._substitute,
        }  # fmt: skip
        found: dict[str, Any] = {}
        for field in MAY_CHANGE.get(status, ()):
            present, read = readers[field]()
            if present:
                found[field] = read
        return None if None in found.values() else found

    def _quantity(self) -> tuple[bool, Any]:
        if self.ack is None or not self.ack.element(2):
            return False, None
        return True, read_quantity(self.reading, self.ack, ACK)

    def _date(self) -> tuple[bool, Any]:
        qualifiers = ack_dates(self.reading.options)
        ack = self.ack
        if ack is not None and ack.element(5) and ack.element(4) in (*qualifiers, ""):
            return True, read_date(self.reading, ack, 5, "ACK05")
        dtm = dated(self.own, qualifiers) or dated(self.head, qualifiers)
        if dtm is None:
            return False, None
        return True, read_date(self.reading, dtm, 2, "DTM02")

    def _price(self) -> tuple[bool, Any]:
        po1 = self.own[0]
        if not po1.element(4):
            return False, None
        currency = value(first(self.own, "CUR"), 2) or value(first(self.head, "CUR"), 2)
        price = read_price(self.reading, po1, PO1, self.own, currency or DEFAULT_CURRENCY)
        return True, price

    def _substitute(self) -> tuple[bool, Any]:
        if self.ack is None or not product_ids(self.ack, ACK):
            where = self.ack or self.own[0]
            self.reading.fail(where, ACK.first_id, "a substitution names no substitute item")
            return True, None
        description = _description(self.own, substitute=True)
        return True, read_item(self.reading, self.ack, ACK, description)


# -- writing -------------------------------------------------------------------------


def ack_line_segments(line: AckLine, options: MapOptions, currency: str | None) -> list[Fields]:
    """PO1 (number, confirmed price, item), CUR when the price's currency differs, PID, ACK, N9."""
    price = line.changed_unit_price
    basis = options.qualifier("price_basis", "UM") if price else None
    po1 = fields(
        "PO1", line.line_number, None, None, price_text(price) if price else None, basis,
        *item_ids(line.item, options),
    )  # fmt: skip
    segments: list[Fields] = [po1]
    if price and price.currency != currency:
        segments.append(fields("CUR", "SE", price.currency))
    segments += _descriptions(line)
    segments.append(_ack(line, options))
    if line.reason:
        reference = fields("N9", options.qualifier("reason", "L1"), "LINE REASON")
        segments += [reference, *message_segments(line.reason)]
    return segments


def _descriptions(line: AckLine) -> list[Fields]:
    pieces: list[tuple[str | None, str]] = [
        (None, p) for p in wrap(line.item.description or "", DESCRIPTION_WIDTH) if p
    ]
    if line.substitute_item and line.substitute_item.description:
        text = line.substitute_item.description
        pieces += [(SUBSTITUTE_MARK, p) for p in wrap(text, DESCRIPTION_WIDTH)]
    return [fields("PID", "F", mark, None, None, piece) for mark, piece in pieces]


def _ack(line: AckLine, options: MapOptions) -> Fields:
    code = options.to_partner("line_status", STATUS_CODES[line.status])
    quantity: list[str | None] = [None, None]
    if line.changed_quantity:
        quantity = list(quantity_fields(line.changed_quantity, options))
    when: list[str | None] = [None, None]
    if line.changed_delivery_date:
        when = [options.qualifier("ack_date", "067"), format_date(line.changed_delivery_date)]
    substitute = item_ids(line.substitute_item, options) if line.substitute_item else []
    return fields("ACK", code, *quantity, *when, None, *substitute)
