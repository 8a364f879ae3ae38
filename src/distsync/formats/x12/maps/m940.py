"""X12 940 Warehouse Shipping Order ↔ ``ShipmentOrder`` (event ``shipment_order.released``).

What the map reads and writes (4010 and 5010 alike for these segments):

=====================  ===========================================================
``W05``                01 order status (``N`` written; ``F``/``R`` read with a
                       warning: the document has no purpose field), 02 depositor
                       order number → ``shipment_order_number``; 03 the customer's
                       PO number is not kept
``N1 WH``/``SF``       04 → ``warehouse_id`` (code list ``warehouse``; else GS03)
``N1 ST`` (or ``CN``)  with ``N3``, ``N4``, ``PER`` → ``ship_to``
``N1 BT``              → ``customer`` (``qualifiers["customer"]``)
``N1 CA``              carrier name (and SCAC when 03 is ``2``)
``N9 CO``              → ``sales_order_number`` (``qualifiers["sales_order"]``)
``G62 04``             order date, time qualifier ``B`` (released), time, time code
                       → ``released_at``; without it the group's GS04/GS05
``G62 10``             requested ship date → ``requested_ship_date`` (else the
                       release date: ship as soon as released)
``NTE``                one per line of ``note`` (80 characters each)
``W66``                01 payment (``PP``), 02 transport method (``M``), 05
                       routing → ``carrier.service``, 10 SCAC → ``carrier.scac``
``LX``                 01 → ``lines[].line_number``
``W01``                01/02 quantity and unit (code list ``uom``), item ids in
                       04/05, 06/07, 15/16 (SKU ``VN``, GTIN, supplier part ``VP``),
                       03 U.P.C. case code read as GTIN
``G69``                → ``item.description`` (45-character pieces)
``N9 LI`` / ``N9 LT``  → ``sales_order_line_number`` / ``lot``
``W76``                01 total quantity: written; read and compared (a warning
                       when it does not match the lines)
=====================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult, format_date, format_decimal
from distsync.formats.x12.maps.logistics_common import (
    Indexed,
    Reading,
    chunks,
    compact,
    dated,
    find,
    find_all,
    finish,
    group_moment,
    layout_version,
    product_id_elements,
    references,
    split,
    value,
    write_moment,
    writing_version,
)
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.shipping import ShipmentOrder, ShipmentOrderLine

ITEM_SLOTS = (4, 6, 15)


def set_spec(version: str) -> SetSpec:
    """The 940 as this map reads and writes it."""
    return SetSpec("940", "Warehouse Shipping Order", (
        seg("W05", "shipping order identification",
            el(1, "order status", "ID", 1, 1, required=True, codes=("N", "F", "R")),
            el(2, "depositor order number", "AN", 1, 22, required=True),
            el(3, "purchase order number", "AN", 1, 22), min_use=1),
        parties.n1_loop(max_use=10),
        parties.n9(10, version),
        parties.g62(10),
        seg("NTE", "note", el(1, "note reference", "ID", 3, 3),
            el(2, "description", "AN", 1, 80, required=True), max_use=100),
        seg("W66", "warehouse carrier information",
            el(1, "shipment method of payment", "ID", 2, 2, required=True),
            el(2, "transportation method", "ID", 1, 2, required=True),
            el(5, "routing", "AN", 1, 35), el(10, "SCAC", "ID", 2, 4)),
        loop("LX",
             parties.lx(),
             loop("W01",
                  seg("W01", "line item detail", el(1, "quantity", "R", 1, 15, required=True),
                      el(2, "unit of measure", "ID", 2, 2, required=True),
                      el(3, "U.P.C. case code", "AN", 12, 12),
                      *product_id_elements(ITEM_SLOTS), min_use=1),
                  parties.g69(),
                  parties.n9(200, version),
                  min_use=1, max_use=9999)),
        seg("W76", "total shipping order", el(1, "total quantity", "R", 1, 15, required=True),
            el(2, "weight", "R", 1, 10), el(3, "weight unit", "ID", 2, 2)),
    ))  # fmt: skip


class WarehouseShippingOrder940:
    """940 ↔ ShipmentOrder."""

    set_id: ClassVar[str] = "940"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "OW"
    document: ClassVar[type[BaseModel]] = ShipmentOrder

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        spec = options.adjust(set_spec(layout_version(transaction, options)))
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        reading = Reading(transaction, options)
        data = _order(reading)
        order = None if reading.failed else reading.build(ShipmentOrder, data)
        return MapResult(order, problems + reading.problems)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, ShipmentOrder):
            raise SchemaViolation(
                f"the 940 map writes a ShipmentOrder, not {type(document).__name__}"
            )
        segments = [*_heading(document, options), *_detail(document, options)]
        total = sum((line.quantity.value for line in document.lines), Decimal(0))
        segments.append(["W76", format_decimal(total)])
        return finish(segments, self.spec(options), options, f"940 for {document.describe()}")


# -- reading --------------------------------------------------------------------------


def _order(reading: Reading) -> dict[str, Any]:
    head, groups, tail = split(reading.items(), "LX", frozenset({"W76"}))
    w05 = find(head, "W05") or head[0]
    _check_status(reading, w05)
    reading.source("shipment_order_number", w05[0], 2)
    blocks = parties.party_blocks(head)
    lines = [_line(reading, group, n) for n, group in enumerate(groups)]
    _check_total(reading, tail, lines)
    released_at = _released(reading, head)
    return compact(
        {
            "shipment_order_number": value(w05[1], 2),
            "sales_order_number": _reference(head, reading.options.qualifier("sales_order", "CO")),
            "warehouse_id": parties.read_warehouse(reading, blocks, 3),
            "released_at": released_at,
            "requested_ship_date": _ship_date(reading, head, released_at),
            "customer": _customer(reading, blocks),
            "ship_to": _ship_to(reading, blocks),
            "carrier": _carrier(reading, head, blocks),
            "note": "\n".join(s.element(2) for _, s in find_all(head, "NTE")) or None,
            "lines": lines,
        }
    )


def _check_status(reading: Reading, w05: Indexed) -> None:
    status = w05[1].element(1)
    if status != "N":
        meaning = "a cancellation" if status == "F" else "a change"
        message = (
            f"order status {status} ({meaning}) is read as the order itself: "
            "the shipment order has no purpose field"
        )
        reading.warn(w05[0], 1, "order_status", message)


def _reference(items: Sequence[Indexed], qualifier: str) -> str | None:
    found = references(items).get(qualifier)
    return value(found[0][1], 2) if found else None


def _released(reading: Reading, head: Sequence[Indexed]) -> datetime | None:
    g62 = dated(head, "04")
    if g62 is not None:
        reading.source("released_at", g62[0], 2)
        return reading.moment(g62, 2, 4, 5, "order date (G6202)")
    reading.source("released_at", (find(head, "W05") or head[0])[0], None)
    return group_moment(reading.transaction)


def _ship_date(reading: Reading, head: Sequence[Indexed], released: datetime | None) -> Any:
    g62 = dated(head, "10")
    if g62 is None:
        return released.date() if released else None
    reading.source("requested_ship_date", g62[0], 2)
    return reading.day(g62, 2, "requested ship date (G6202)")


def _customer(reading: Reading, blocks: Sequence[parties.PartyBlock]) -> Any:
    block = parties.block_for(blocks, reading.options.qualifier("customer", "BT"))
    return parties.read_party(reading, block, "customer") if block else None


def _ship_to(reading: Reading, blocks: Sequence[parties.PartyBlock]) -> Any:
    block = parties.block_for(blocks, reading.options.qualifier("ship_to", "ST"), "ST", "CN")
    return parties.read_address(reading, block, "ship_to") if block else None


def _carrier(
    reading: Reading, head: Sequence[Indexed], blocks: Sequence[parties.PartyBlock]
) -> Any:
    w66 = find(head, "W66")
    scac, service = (value(w66[1], 10), value(w66[1], 5)) if w66 else (None, None)
    if w66 is not None:
        reading.source("carrier", w66[0], 10)
        reading.source("carrier.service", w66[0], 5)
    return parties.read_carrier(reading, blocks, scac, service)


def _line(reading: Reading, group: Sequence[Indexed], position: int) -> dict[str, Any]:
    path = f"lines.{position}"
    lx, w01 = group[0], find(group, "W01")
    assert w01 is not None  # the spec requires a W01 loop in each LX
    refs = references(group)
    reading.source(path, lx[0], 1)
    reading.source(f"{path}.line_number", lx[0], 1)
    reading.source(f"{path}.quantity", w01[0], 1)
    reading.source(f"{path}.quantity.uom", w01[0], 2)
    item = parties.read_item(reading, w01, ITEM_SLOTS, 3, f"{path}.item")
    li = refs.get("LI")
    if li:
        reading.source(f"{path}.sales_order_line_number", li[0][0], 2)
    lot = refs.get("LT")
    return compact(
        {
            "line_number": reading.integer(lx, 1, "assigned number (LX01)"),
            "sales_order_line_number": reading.integer(li[0], 2, "line item (N902)")
            if li
            else None,
            "item": item | compact({"description": parties.description(group)}),
            "quantity": _quantity(reading, w01),
            "lot": value(lot[0][1], 2) if lot else None,
        }
    )


def _quantity(reading: Reading, w01: Indexed) -> dict[str, Any]:
    uom = value(w01[1], 2)
    return {
        "value": reading.decimal(w01, 1, "quantity (W0101)"),
        "uom": reading.options.from_partner("uom", uom) if uom else None,
    }


def _check_total(reading: Reading, tail: Sequence[Indexed], lines: Sequence[Any]) -> None:
    w76 = find(tail, "W76")
    if w76 is None:
        return
    stated = reading.decimal(w76, 1, "total quantity (W7601)")
    counted = sum((line["quantity"]["value"] or 0 for line in lines), Decimal(0))
    if stated is not None and stated != counted:
        message = f"total quantity {stated} does not match the lines ({counted})"
        reading.warn(w76[0], 1, "total_mismatch", message)


# -- writing ---------------------------------------------------------------------------


def _heading(order: ShipmentOrder, options: MapOptions) -> list[list[str]]:
    segments = [["W05", options.qualifier("order_status", "N"), order.shipment_order_number]]
    segments.append(parties.write_warehouse(order.warehouse_id, options))
    segments += parties.write_address(options.qualifier("ship_to", "ST"), order.ship_to)
    if order.customer is not None:
        segments.append(
            parties.write_party(options.qualifier("customer", "BT"), order.customer, options)
        )
    if order.carrier is not None:
        segments.append(parties.write_carrier_party(order.carrier, options))
    if order.sales_order_number:
        qualifier = options.qualifier("sales_order", "CO")
        segments.append(["N9", qualifier, order.sales_order_number])
    day, clock, code = write_moment(order.released_at, options)
    segments.append(["G62", "04", day, options.qualifier("released_time", "B"), clock, code])
    segments.append(["G62", "10", format_date(order.requested_ship_date)])
    if order.note:
        note_code = options.qualifier("note", "WHI")
        segments += [["NTE", note_code, line] for line in order.note.split("\n")]
    if order.carrier is not None:
        segments.append(_w66(order, options))
    return segments


def _w66(order: ShipmentOrder, options: MapOptions) -> list[str]:
    carrier = order.carrier
    assert carrier is not None
    payment = options.qualifier("payment_method", "PP")
    method = options.qualifier("transport_method", "M")
    return [
        "W66",
        payment,
        method,
        "",
        "",
        carrier.service or "",
        "",
        "",
        "",
        "",
        carrier.scac or "",
    ]


def _detail(order: ShipmentOrder, options: MapOptions) -> list[list[str]]:
    segments: list[list[str]] = []
    for line in order.lines:
        segments.append(["LX", str(line.line_number)])
        segments.append(_w01(line, options))
        if line.item.description:
            segments += [["G69", piece] for piece in chunks(line.item.description, 45)]
        if line.sales_order_line_number is not None:
            segments.append(["N9", "LI", str(line.sales_order_line_number)])
        if line.lot:
            segments.append(["N9", "LT", line.lot])
    return segments


def _w01(line: ShipmentOrderLine, options: MapOptions) -> list[str]:
    ids = parties.slots(parties.write_item_ids(line.item, options), 3)
    uom = options.to_partner("uom", line.quantity.uom)
    return [
        "W01",
        format_decimal(line.quantity.value),
        uom,
        "",
        *ids[0],
        *ids[1],
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        *ids[2],
    ]


WAREHOUSE_SHIPPING_ORDER_940 = WarehouseShippingOrder940()
