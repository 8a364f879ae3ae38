"""X12 944 Warehouse Stock Transfer Receipt Advice ↔ ``Receipt`` (``receipt.recorded``).

What the map reads and writes:

=====================  ===========================================================
``W17``                01 reporting code (``F``), 02 date, 06 time qualifier
                       (``F`` unloading completed), 07 time → ``received_at`` (no
                       time code: UTC, written in UTC), 03 warehouse receipt
                       number (12 characters) → ``receipt_number``, 04 depositor
                       order number → ``asn_number``
``N1 WH``/``SF``       → ``warehouse_id`` (code list ``warehouse``; else GS02)
``N1 SU``              → ``supplier`` (``qualifiers["supplier"]``)
``N9 PO``              → ``po_number``
``LX`` (5010 only)     the 5010 944 wraps each W07 loop in an LX loop (LX01 is the
                       line number when no N9 LI says it) with ``MAN GM`` → SSCC;
                       the 4010 944 has W07 loops at the detail level and no SSCC
``W07``                01/02 quantity and unit (code list ``uom``), item ids in
                       04/05, 06/07, 10/11, 03 U.P.C. case code read as GTIN,
                       08 lot (read)
``G69``                → ``item.description``
``N9`` in the W07 loop ``LI`` line number (else the W07's position), ``PO``/``BV``
                       purchase order and its line, ``LT`` lot with 04 the expiry
                       date, ``SE`` one per serial number, ``WS`` storage
                       location, ``L1`` the line's note (45-character pieces in 03)
``W13``                01 quantity, 02 unit, 03 receiving condition: ``01``
                       damaged → ``damaged_quantity`` (and condition ``damaged``
                       when more than zero), ``09`` hold → condition
                       ``quarantined``; shortage and overage are read past
``W14``                01 quantity received: written; read and compared
=====================  ===========================================================

A line booked as damaged without a damaged quantity is written as damaged in
full (W13 with the received quantity), and reads back that way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult, format_decimal
from distsync.formats.x12.maps.logistics_common import (
    Indexed,
    Reading,
    chunks,
    compact,
    find,
    find_all,
    finish,
    layout_version,
    references,
    split,
    value,
    writing_version,
)
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import LoopSpec, SetSpec, Usage, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine

ITEM_SLOTS = (4, 6, 10)
DAMAGED, ON_HOLD = "01", "09"


def set_spec(version: str) -> SetSpec:
    """The 944 as this map reads and writes it (the detail differs between 4010 and 5010)."""
    detail: Usage = _w07_loop(version, min_use=1)
    if version >= "005010":
        detail = loop("LX", parties.lx(),
                      seg("MAN", "marks and numbers",
                          el(1, "marks qualifier", "ID", 1, 2, required=True),
                          el(2, "marks and numbers", "AN", 1, 48, required=True)),
                      parties.n9(5, version), _w07_loop(version, min_use=1),
                      min_use=1, max_use=999999)  # fmt: skip
    return SetSpec("944", "Warehouse Stock Transfer Receipt Advice", (
        seg("W17", "warehouse receipt identification",
            el(1, "reporting code", "ID", 1, 1, required=True),
            el(2, "date", "DT", 8, 8, required=True),
            el(3, "warehouse receipt number", "AN", 1, 12, required=True),
            el(4, "depositor order number", "AN", 1, 22),
            el(5, "shipment identification", "AN", 1, 30),
            el(6, "time qualifier", "ID", 1, 2), el(7, "time", "TM", 4, 8), min_use=1),
        parties.n1_loop(min_use=1, max_use=10),
        parties.n9(10, version),
        parties.g62(5),
        detail,
        seg("W14", "total receipt information",
            el(1, "quantity received", "R", 1, 7, required=True),
            el(3, "quantity damaged or on hold", "R", 1, 9), min_use=1),
    ))  # fmt: skip


def _w07_loop(version: str, *, min_use: int) -> LoopSpec:
    ids = [e for p in ITEM_SLOTS for e in (el(p, "product id qualifier", "ID", 2, 2),
                                           el(p + 1, "product id", "AN", 1, 48))]  # fmt: skip
    return loop("W07",
                seg("W07", "item detail for stock receipt",
                    el(1, "quantity received", "R", 1, 7, required=True),
                    el(2, "unit of measure", "ID", 2, 2, required=True),
                    el(3, "U.P.C. case code", "AN", 12, 12), *ids,
                    el(8, "warehouse lot number", "AN", 1, 12), min_use=1),
                parties.g69(),
                parties.n9(200, version),
                loop("W13",
                     seg("W13", "item detail exception",
                         el(1, "quantity", "R", 1, 15, required=True),
                         el(2, "unit of measure", "ID", 2, 2, required=True),
                         el(3, "receiving condition", "ID", 2, 2, required=True), min_use=1),
                     parties.n9(200, version), max_use=50),
                min_use=min_use, max_use=9999)  # fmt: skip


class WarehouseReceiptAdvice944:
    """944 ↔ Receipt."""

    set_id: ClassVar[str] = "944"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "RE"
    document: ClassVar[type[BaseModel]] = Receipt

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        version = layout_version(transaction, options)
        problems = validate(transaction, options.adjust(set_spec(version)))
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        reading = Reading(transaction, options)
        data = _receipt(reading, version)
        receipt = None if reading.failed else reading.build(Receipt, data)
        return MapResult(receipt, problems + reading.problems)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, Receipt):
            raise SchemaViolation(f"the 944 map writes a Receipt, not {type(document).__name__}")
        segments = _heading(document, options)
        for line in document.lines:
            segments += _line_loop(line, options)
        total = sum((line.received_quantity.value for line in document.lines), Decimal(0))
        segments.append(["W14", format_decimal(total)])
        return finish(segments, self.spec(options), options, f"944 for {document.describe()}")


# -- reading --------------------------------------------------------------------------


def _receipt(reading: Reading, version: str) -> dict[str, Any]:
    start = "LX" if version >= "005010" else "W07"
    head, groups, tail = split(reading.items(), start, frozenset({"W14"}))
    w17, blocks = find(head, "W17") or head[0], parties.party_blocks(head)
    for name, position in (("receipt_number", 3), ("received_at", 2), ("asn_number", 4)):
        reading.source(name, w17[0], position)
    loops = [(g, None) for g in groups] if start == "W07" else _lx_loops(groups)
    lines = [_line(reading, items, lx, n) for n, (items, lx) in enumerate(loops)]
    _check_total(reading, tail, lines)
    supplier = parties.block_for(blocks, reading.options.qualifier("supplier", "SU"))
    po = references(head).get("PO")
    return compact(
        {
            "receipt_number": value(w17[1], 3),
            "warehouse_id": parties.read_warehouse(reading, blocks, 2),
            "received_at": reading.moment(w17, 2, 7, None, "receipt date (W1702)"),
            "supplier": parties.read_party(reading, supplier, "supplier") if supplier else None,
            "asn_number": value(w17[1], 4),
            "po_number": value(po[0][1], 2) if po else None,
            "lines": lines,
        }
    )


def _lx_loops(groups: Sequence[Sequence[Indexed]]) -> list[tuple[list[Indexed], list[Indexed]]]:
    """(W07 loop, LX part) pairs of 5010 LX loops; the LX part holds LX, MAN and N9."""
    found = []
    for group in groups:
        marks, w07_loops, _ = split(group, "W07")
        found += [(w07_loop, marks) for w07_loop in w07_loops]
    return found


def _line(
    reading: Reading, items: Sequence[Indexed], lx: Sequence[Indexed] | None, n: int
) -> dict[str, Any]:
    path, w07, refs = f"lines.{n}", items[0], references(_own(items))
    reading.source(path, w07[0], None)
    reading.source(f"{path}.received_quantity", w07[0], 1)
    reading.source(f"{path}.received_quantity.uom", w07[0], 2)
    uom = value(w07[1], 2)
    item = parties.read_item(reading, w07, ITEM_SLOTS, 3, f"{path}.item")
    exceptions = _exceptions(reading, items, uom, path)
    return compact(
        {
            "line_number": _line_number(reading, refs, lx, n),
            "po_number": _ref(refs, "PO"),
            "po_line_number": _ref_number(reading, refs, "BV", "purchase order line (N902)"),
            "item": item | compact({"description": parties.description(items)}),
            "received_quantity": {
                "value": reading.decimal(w07, 1, "quantity received (W0701)"),
                "uom": _uom(reading, uom),
            },
            **exceptions,
            "lot": _ref(refs, "LT") or value(w07[1], 8),
            "serial_numbers": [v for _, s in refs.get("SE", []) if (v := value(s, 2))],
            "expiry_date": _expiry(reading, refs),
            "sscc": _sscc(lx or []),
            "location_id": _ref(refs, reading.options.qualifier("location", "WS")),
            "note": "".join(s.element(3) for _, s in refs.get("L1", [])).strip() or None,
        }
    )


def _own(items: Sequence[Indexed]) -> list[Indexed]:
    """The W07 loop without its W13 loops (whose N9s belong to the exception)."""
    head, _, _ = split(items, "W13")
    return head


def _uom(reading: Reading, uom: str | None) -> str | None:
    return reading.options.from_partner("uom", uom) if uom else None


def _ref(refs: dict[str, list[Indexed]], qualifier: str) -> str | None:
    found = refs.get(qualifier)
    return value(found[0][1], 2) if found else None


def _ref_number(
    reading: Reading, refs: dict[str, list[Indexed]], qualifier: str, what: str
) -> int | None:
    found = refs.get(qualifier)
    return reading.integer(found[0], 2, what) if found else None


def _line_number(
    reading: Reading, refs: dict[str, list[Indexed]], lx: Sequence[Indexed] | None, n: int
) -> int | None:
    if "LI" in refs:
        return _ref_number(reading, refs, "LI", "line item (N902)")
    if lx:
        return reading.integer(lx[0], 1, "assigned number (LX01)")
    return n + 1


def _expiry(reading: Reading, refs: dict[str, list[Indexed]]) -> Any:
    found = refs.get("LT")
    return reading.day(found[0], 4, "expiry date (N904)") if found else None


def _sscc(lx: Sequence[Indexed]) -> str | None:
    for _, segment in find_all(lx, "MAN"):
        mark = value(segment, 2) or ""
        if segment.element(1) in ("GM", "AA"):
            return mark[2:] if len(mark) == 20 and mark.startswith("00") else mark
    return None


def _exceptions(
    reading: Reading, items: Sequence[Indexed], uom: str | None, path: str
) -> dict[str, Any]:
    w13s = find_all(items, "W13")
    damaged = [w for w in w13s if w[1].element(3) == DAMAGED]
    held = any(w[1].element(3) == ON_HOLD for w in w13s)
    found: dict[str, Any] = {}
    if damaged:
        reading.source(f"{path}.damaged_quantity", damaged[0][0], 1)
        what = "damaged quantity (W1301)"
        total = sum((reading.decimal(w, 1, what) or Decimal(0) for w in damaged), Decimal(0))
        unit = _uom(reading, value(damaged[0][1], 2) or uom)
        found["damaged_quantity"] = {"value": total, "uom": unit}
        if total > 0:
            found["condition"] = ReceiptCondition.DAMAGED
    if held:
        found["condition"] = ReceiptCondition.QUARANTINED
    return found


def _check_total(reading: Reading, tail: Sequence[Indexed], lines: Sequence[Any]) -> None:
    w14 = find(tail, "W14")
    if w14 is None:
        return
    stated = reading.decimal(w14, 1, "quantity received (W1401)")
    counted = sum((line["received_quantity"]["value"] or 0 for line in lines), Decimal(0))
    if stated is not None and stated != counted:
        message = f"quantity received {stated} does not match the lines ({counted})"
        reading.warn(w14[0], 1, "total_mismatch", message)


# -- writing ---------------------------------------------------------------------------


def _heading(receipt: Receipt, options: MapOptions) -> list[list[str]]:
    moment = receipt.received_at.astimezone(UTC)
    clock = moment.strftime("%H%M%S" if moment.second else "%H%M")
    segments = [
        [
            "W17",
            options.qualifier("reporting_code", "F"),
            moment.strftime("%Y%m%d"),
            receipt.receipt_number,
            receipt.asn_number or "",
            "",
            options.qualifier("received_time", "F"),
            clock,
        ],
        parties.write_warehouse(receipt.warehouse_id, options),
    ]
    if receipt.supplier is not None:
        entity = options.qualifier("supplier", "SU")
        segments.append(parties.write_party(entity, receipt.supplier, options))
    if receipt.po_number:
        segments.append(["N9", "PO", receipt.po_number])
    return segments


def _line_loop(line: ReceiptLine, options: MapOptions) -> list[list[str]]:
    segments: list[list[str]] = []
    if writing_version(options) >= "005010":
        segments.append(["LX", str(line.line_number)])
        if line.sscc:
            segments.append(["MAN", "GM", "00" + line.sscc])
    ids = parties.slots(parties.write_item_ids(line.item, options), 3)
    uom = options.to_partner("uom", line.received_quantity.uom)
    segments.append(
        [
            "W07",
            format_decimal(line.received_quantity.value),
            uom,
            "",
            *ids[0],
            *ids[1],
            "",
            "",
            *ids[2],
        ]
    )
    if line.item.description:
        segments += [["G69", piece] for piece in chunks(line.item.description, 45)]
    return segments + _references(line, options) + _w13s(line, uom)


def _references(line: ReceiptLine, options: MapOptions) -> list[list[str]]:
    segments = [["N9", "LI", str(line.line_number)]]
    if line.po_number:
        segments.append(["N9", "PO", line.po_number])
    if line.po_line_number is not None:
        segments.append(["N9", "BV", str(line.po_line_number)])
    if line.lot or line.expiry_date:
        expiry = line.expiry_date.strftime("%Y%m%d") if line.expiry_date else ""
        segments.append(["N9", "LT", line.lot or "", "" if line.lot else "EXPIRY", expiry])
    segments += [["N9", "SE", serial] for serial in line.serial_numbers]
    if line.location_id:
        segments.append(["N9", options.qualifier("location", "WS"), line.location_id])
    if line.note:
        segments += [["N9", "L1", "", piece] for piece in chunks(line.note, 45)]
    return segments


def _w13s(line: ReceiptLine, uom: str) -> list[list[str]]:
    segments = []
    received = line.received_quantity.value
    if line.damaged_quantity is not None:
        segments.append(["W13", format_decimal(line.damaged_quantity.value), uom, DAMAGED])
    elif line.condition is ReceiptCondition.DAMAGED:
        segments.append(["W13", format_decimal(received), uom, DAMAGED])
    if line.condition is ReceiptCondition.QUARANTINED:
        segments.append(["W13", format_decimal(received), uom, ON_HOLD])
    return segments


WAREHOUSE_RECEIPT_ADVICE_944 = WarehouseReceiptAdvice944()
