"""X12 945 Warehouse Shipping Advice ↔ ``ShipmentConfirmation`` (event ``shipment.confirmed``).

What the map reads and writes (4010 and 5010 alike; 5010 only relaxes W06):

=====================  ===========================================================
``W06``                01 reporting code (``F`` full detail), 02 depositor order
                       number → ``shipment_order_number``, 03 ship date, 04
                       shipment id → ``shipment_id`` (02 and 04 are required by
                       this map in both versions)
``N1 WH``/``SF``       → ``warehouse_id`` (code list ``warehouse``; else GS02)
``N1 CA``              carrier name; SCAC when 03 is ``2``
``N9 BM`` / ``N9 CN``  → ``bill_of_lading`` / ``master_tracking_number``
``G62 11``             shipped date, time (qualifier ``8``), time code →
                       ``shipped_at`` (else W06-03 at midnight UTC)
``W27``                01 transport method (``M``), 02 SCAC, 03 routing →
                       ``carrier``
``LX`` loops           see "packages" below
``W12``                01 status (``CC`` complete, ``PR`` partial, ``DS`` none
                       shipped; code list ``ship_status``), 02 ordered, 03 shipped,
                       05 unit (code list ``uom``), item ids in 07/08, 17/18,
                       21/22, 09 lot (read), 10-12 weight (gross, unit code)
``G69``                → ``item.description``
``N9 LI`` / ``LT`` /   line number / lot / one per serial number (``SE``)
``SE``
``W03``                01 units shipped: written; read and compared
=====================  ===========================================================

Packages: the LX loop is a carton (VICS style). An LX with ``MAN`` (``GM``
SSCC with its ``00`` application identifier, ``CP`` carrier package id, or
``ZZ`` for a package known by neither) or with an ``N9 2I`` tracking number is a
package; its W12 loops are its contents (the shipped quantity of each line in
it) and the sum of their weights is its weight. W12 loops in an LX without a
package are shipped quantities outside any package, and lines of which nothing
was shipped. A line's shipped quantity is the sum of its W12 loops; the line
number comes from ``N9 LI`` (or LX01 for an LX with one W12).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult, format_decimal
from distsync.formats.x12.maps.logistics_common import (
    Reading,
    chunks,
    compact,
    dated,
    find,
    finish,
    layout_version,
    product_id_elements,
    references,
    split,
    value,
    write_moment,
    writing_version,
)
from distsync.formats.x12.maps.m945_packages import ITEM_SLOTS, Entry, PackageReader
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import LoopSpec, SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.shipping import Package, ShipmentConfirmation, ShipmentConfirmationLine


def set_spec(version: str) -> SetSpec:
    """The 945 as this map reads and writes it."""
    return SetSpec("945", "Warehouse Shipping Advice", (
        seg("W06", "warehouse shipment identification",
            el(1, "reporting code", "ID", 1, 1, required=True),
            el(2, "depositor order number", "AN", 1, 22, required=True),
            el(3, "date", "DT", 8, 8, required=True),
            el(4, "shipment identification", "AN", 1, 30, required=True),
            el(5, "agent shipment id", "AN", 1, 12),
            el(6, "purchase order number", "AN", 1, 22), min_use=1),
        parties.n1_loop(min_use=1, max_use=10),
        parties.n9(10, version),
        parties.g62(5),
        seg("NTE", "note", el(1, "note reference", "ID", 3, 3),
            el(2, "description", "AN", 1, 80, required=True), max_use=20),
        seg("W27", "carrier detail", el(1, "transportation method", "ID", 1, 2, required=True),
            el(2, "SCAC", "ID", 2, 4), el(3, "routing", "AN", 1, 35),
            el(4, "shipment method of payment", "ID", 2, 2)),
        loop("LX",
             parties.lx(),
             seg("MAN", "marks and numbers", el(1, "marks qualifier", "ID", 1, 2, required=True),
                 el(2, "marks and numbers", "AN", 1, 48, required=True),
                 el(4, "marks qualifier", "ID", 1, 2), el(5, "marks and numbers", "AN", 1, 48),
                 max_use=10),
             parties.n9(5, version),
             _w12_loop(version),
             min_use=1, max_use=999999),
        seg("W03", "total shipment information",
            el(1, "units shipped", "R", 1, 10, required=True),
            el(2, "weight", "R", 1, 10), el(3, "weight unit", "ID", 2, 2)),
    ))  # fmt: skip


def _w12_loop(version: str) -> LoopSpec:
    return loop("W12",
                seg("W12", "warehouse item detail",
                    el(1, "shipment status", "ID", 2, 2, required=True),
                    el(2, "quantity ordered", "R", 1, 15),
                    el(3, "units shipped", "R", 1, 10, required=True),
                    el(4, "quantity difference", "R", 1, 9),
                    el(5, "unit of measure", "ID", 2, 2, required=True),
                    el(6, "U.P.C. case code", "AN", 12, 12),
                    el(9, "warehouse lot number", "AN", 1, 12),
                    el(10, "weight", "R", 1, 10), el(11, "weight qualifier", "ID", 1, 2),
                    el(12, "weight unit", "ID", 1, 1), *product_id_elements(ITEM_SLOTS), min_use=1),
                parties.g69(),
                parties.n9(200, version),
                max_use=9999)  # fmt: skip


class WarehouseShippingAdvice945:
    """945 ↔ ShipmentConfirmation."""

    set_id: ClassVar[str] = "945"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "SW"
    document: ClassVar[type[BaseModel]] = ShipmentConfirmation

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        spec = options.adjust(set_spec(layout_version(transaction, options)))
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        reading = Reading(transaction, options)
        data = _confirmation(reading)
        confirmation = None if reading.failed else reading.build(ShipmentConfirmation, data)
        return MapResult(confirmation, problems + reading.problems)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, ShipmentConfirmation):
            raise SchemaViolation(
                f"the 945 map writes a ShipmentConfirmation, not {type(document).__name__}"
            )
        segments = [*_heading(document, options), *_detail(document, options)]
        total = sum((line.shipped_quantity.value for line in document.lines), Decimal(0))
        segments.append(["W03", format_decimal(total)])
        return finish(segments, self.spec(options), options, f"945 for {document.describe()}")


# -- reading --------------------------------------------------------------------------


def _confirmation(reading: Reading) -> dict[str, Any]:
    head, groups, tail = split(reading.items(), "LX", frozenset({"W03"}))
    w06, refs, blocks = find(head, "W06") or head[0], references(head), parties.party_blocks(head)
    for name, position in (("shipment_order_number", 2), ("shipment_id", 4), ("shipped_at", 3)):
        reading.source(name, w06[0], position)
    packages = PackageReader(reading)
    entries = [entry for group in groups for entry in packages.read(group)]
    _check_total(reading, tail, entries)
    return compact(
        {
            "shipment_id": value(w06[1], 4),
            "shipment_order_number": value(w06[1], 2),
            "warehouse_id": parties.read_warehouse(reading, blocks, 2),
            "shipped_at": _shipped_at(reading, head),
            "carrier": _carrier(reading, head, blocks),
            "master_tracking_number": _reference(refs, reading.options.qualifier("tracking", "CN")),
            "bill_of_lading": _reference(refs, "BM"),
            "lines": _lines(reading, entries),
            "packages": packages.packages(),
        }
    )


def _reference(refs: dict[str, Any], qualifier: str) -> str | None:
    found = refs.get(qualifier)
    return value(found[0][1], 2) if found else None


def _shipped_at(reading: Reading, head: Sequence[Any]) -> Any:
    g62 = dated(head, "11")
    if g62 is not None:
        reading.source("shipped_at", g62[0], 2)
        return reading.moment(g62, 2, 4, 5, "shipped date (G6202)")
    return reading.moment(find(head, "W06") or head[0], 3, None, None, "ship date (W0603)")


def _carrier(reading: Reading, head: Sequence[Any], blocks: Sequence[parties.PartyBlock]) -> Any:
    w27 = find(head, "W27")
    reading.source("carrier", (w27 or head[0])[0], 2 if w27 else None)
    scac, service = (value(w27[1], 2), value(w27[1], 3)) if w27 else (None, None)
    return parties.read_carrier(reading, blocks, scac, service)


def _lines(reading: Reading, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    by_number: dict[int, list[Entry]] = {}
    for entry in entries:
        if entry.line_number is not None:
            by_number.setdefault(entry.line_number, []).append(entry)
    return [
        _line(reading, position, found)
        for position, (_, found) in enumerate(sorted(by_number.items()))
    ]


def _line(reading: Reading, position: int, entries: Sequence[Entry]) -> dict[str, Any]:
    first, path = entries[0], f"lines.{position}"
    for name, element in (
        ("", None),
        (".shipped_quantity", 3),
        (".ordered_quantity", 2),
        (".shipped_quantity.uom", 5),
        (".line_number", None),
    ):
        reading.source(path + name, first.w12[0], element)
    shipped = sum((e.shipped or Decimal(0) for e in entries), Decimal(0))
    ordered = next((e.ordered for e in entries if e.ordered is not None), None)
    lot = next((e.lot for e in entries if e.lot), None)
    text = next((e.description for e in entries if e.description), None)
    return compact(
        {
            "line_number": first.line_number,
            "item": first.item | compact({"description": text}),
            "ordered_quantity": {"value": ordered, "uom": first.uom}
            if ordered is not None
            else None,
            "shipped_quantity": {"value": shipped, "uom": first.uom},
            "lot": lot,
            "serial_numbers": [serial for e in entries for serial in e.serials],
        }
    )


def _check_total(reading: Reading, tail: Sequence[Any], entries: Sequence[Entry]) -> None:
    w03 = find(tail, "W03")
    if w03 is None:
        return
    stated = reading.decimal(w03, 1, "units shipped (W0301)")
    counted = sum((e.shipped or Decimal(0) for e in entries), Decimal(0))
    if stated is not None and stated != counted:
        message = f"units shipped {stated} does not match the lines ({counted})"
        reading.warn(w03[0], 1, "total_mismatch", message)


# -- writing ---------------------------------------------------------------------------


def _heading(confirmation: ShipmentConfirmation, options: MapOptions) -> list[list[str]]:
    day, clock, code = write_moment(confirmation.shipped_at, options)
    reporting = options.qualifier("reporting_code", "F")
    segments = [
        ["W06", reporting, confirmation.shipment_order_number, day, confirmation.shipment_id],
        parties.write_warehouse(confirmation.warehouse_id, options),
        parties.write_carrier_party(confirmation.carrier, options),
    ]
    if confirmation.bill_of_lading:
        segments.append(["N9", "BM", confirmation.bill_of_lading])
    if confirmation.master_tracking_number:
        qualifier = options.qualifier("tracking", "CN")
        segments.append(["N9", qualifier, confirmation.master_tracking_number])
    segments.append(["G62", "11", day, options.qualifier("shipped_time", "8"), clock, code])
    carrier, method = confirmation.carrier, options.qualifier("transport_method", "M")
    segments.append(["W27", method, carrier.scac or "", carrier.service or ""])
    return segments


def _detail(confirmation: ShipmentConfirmation, options: MapOptions) -> list[list[str]]:
    writer = _DetailWriter(confirmation, options)
    for number, package in enumerate(confirmation.packages, 1):
        writer.package(package, number)
    for line in confirmation.lines:
        writer.loose(line)
    return writer.segments


class _DetailWriter:
    """LX loops: one per package (its contents as W12 loops), then the loose quantities."""

    def __init__(self, confirmation: ShipmentConfirmation, options: MapOptions) -> None:
        self.options = options
        self.segments: list[list[str]] = []
        self.lines = {line.line_number: line for line in confirmation.lines}
        self.packed: dict[int, Decimal] = {}
        self.described: set[int] = set()
        self.what = confirmation.describe()

    def _lx(self) -> None:
        count = sum(1 for s in self.segments if s[0] == "LX")
        self.segments.append(["LX", str(count + 1)])

    def package(self, package: Package, number: int) -> None:
        self._lx()
        self.segments.append(_man(package, number))
        for position, content in enumerate(package.contents):
            line = self.lines[content.line_number]
            weight = package.weight if position == 0 else None
            self._w12_loop(line, content.quantity.value, weight)
            packed = self.packed.get(line.line_number, Decimal(0))
            self.packed[line.line_number] = packed + content.quantity.value

    def loose(self, line: ShipmentConfirmationLine) -> None:
        packed = self.packed.get(line.line_number)
        rest = line.shipped_quantity.value - (packed or Decimal(0))
        if rest < 0:
            raise SchemaViolation(
                f"writing 945 for {self.what}: the packages hold more of line "
                f"{line.line_number} than was shipped"
            )
        if packed is None or rest:
            self._lx()
            self._w12_loop(line, rest, None)

    def _w12_loop(self, line: ShipmentConfirmationLine, quantity: Decimal, weight: Any) -> None:
        first = line.line_number not in self.described
        self.described.add(line.line_number)
        self.segments.append(_w12(line, quantity, weight, self.options))
        if first and line.item.description:
            self.segments += [["G69", piece] for piece in chunks(line.item.description, 45)]
        self.segments.append(["N9", "LI", str(line.line_number)])
        if line.lot:
            self.segments.append(["N9", "LT", line.lot])
        if first:
            self.segments += [["N9", "SE", serial] for serial in line.serial_numbers]


def _man(package: Package, number: int) -> list[str]:
    marks: list[str] = []
    if package.sscc:
        marks += ["GM", "00" + package.sscc, ""]
    if package.tracking_number:
        marks += ["CP", package.tracking_number, ""]
    return ["MAN", *(marks or ["ZZ", str(number)])]


def _w12(
    line: ShipmentConfirmationLine, quantity: Decimal, weight: Any, options: MapOptions
) -> list[str]:
    ids = parties.slots(parties.write_item_ids(line.item, options), 3)
    ordered = line.ordered_quantity.value if line.ordered_quantity else None
    weights = ["", "", ""]
    if weight is not None:
        weights = [format_decimal(weight.value), "G", parties.weight_unit(weight.uom)]
    return [
        "W12",
        _status(line, options),
        "" if ordered is None else format_decimal(ordered),
        format_decimal(quantity),
        "",
        options.to_partner("uom", line.shipped_quantity.uom),
        "",
        *ids[0],
        "",
        *weights,
        "",
        "",
        "",
        "",
        *ids[1],
        "",
        "",
        *ids[2],
    ]


def _status(line: ShipmentConfirmationLine, options: MapOptions) -> str:
    shipped = line.shipped_quantity.value
    ordered = line.ordered_quantity.value if line.ordered_quantity else None
    code = "DS" if shipped == 0 else "CC" if ordered is None or shipped >= ordered else "PR"
    return options.to_partner("ship_status", code)


WAREHOUSE_SHIPPING_ADVICE_945 = WarehouseShippingAdvice945()
