"""X12 943 Warehouse Stock Transfer Shipment Advice ↔ ``AdvanceShipNotice`` (expected receipt).

The distributor (the depositor) tells its 3PL warehouse what is on its way:
the supplier's notice, as the expected receipt. The 3PL answers with a 944
(``m944.py``), whose W17-04 echoes W06-02 and so names the notice.

=====================  ===========================================================
``W06``                01 reporting code (``N`` written, qualifier
                       ``reporting_code``; read past), 02 depositor order number
                       and 04 shipment id → ``asn_number`` (both written, 04
                       read), 03 ship date (see G62 11)
``N1 WH`` (or ``ST``)  04 → ``ship_to_warehouse_id`` (code list ``warehouse``;
                       else GS03, the warehouse the set is addressed to)
``N1 DE``              the depositor: written when ``qualifiers["depositor"]``
                       names our code at the 3PL (qualifier ``depositor_id``, 91)
``N1 SU``              → ``supplier`` (N104 our party id, qualifier 92, code list
                       ``party``; ``qualifiers["supplier"]`` changes the entity)
``N1 SF`` + N3 N4 PER  → ``ship_from``
``N1 CA``, ``W27``     W27 01 transport method (``M``), 02 SCAC, 03 routing →
                       ``carrier`` (N1 CA: name; party id through code list
                       ``carrier``, else the SCAC)
``N9 BM`` / ``N9 CN``  → ``bill_of_lading`` / ``tracking_numbers`` (one N9 each,
                       qualifier ``tracking``)
``G62 11``             ship date, time (qualifier ``8``), time code →
                       ``shipped_at`` (else W06-03 at midnight UTC)
``G62 17``             → ``expected_delivery_date``
``W04`` loop           one per shipped item: 01/02 quantity and unit (code list
                       ``uom``), item ids in 04/05, 06/07, 14/15 (SKU ``VN``,
                       GTIN ``UP``/``EN``/``UK``, supplier part ``VP``), 03 U.P.C.
                       case code read as GTIN
``G69``                → ``item.description`` (45-character pieces, at most 5)
``N9`` in the W04 loop ``PO`` purchase order (else W06-06), ``BV`` its line (else
                       ``LI``; qualifier ``po_line``), ``LT`` lot with 04 the
                       expiry date, ``SE`` one per serial number
``W03``                01 total units: written; read and compared (a warning)
=====================  ===========================================================

What a 943 does not carry (``carried`` gives a notice as a 943 returns it):

- the packing: pallets and cartons, their SSCC labels, kinds, weights and
  tracking numbers. Each item is a W04 loop; on reading, each purchase order
  gets one loose pack holding its items in document order (orders with the
  same number are merged);
- ``purpose`` (read as original) and ``issued_at`` (read as the group's
  GS04/GS05, when the set was sent);
- the supplier's GLN and D-U-N-S (N1 SU carries one id: ours);
- a carrier's party id that is neither its SCAC nor in the code list
  ``carrier`` (read as the SCAC).

Partner options: qualifiers ``reporting_code``, ``warehouse`` (N1 entity),
``warehouse_id`` (91), ``depositor``, ``depositor_id``, ``supplier``,
``party_id`` (92), ``sku`` (VN), ``supplier_part`` (VP), ``po_line`` (BV),
``tracking`` (CN), ``shipped_time`` (8), ``transport_method`` (M); code
lists ``warehouse``, ``party``, ``carrier``, ``uom``, ``time_code``;
``extra_segments`` are written at the end of the heading, after W27 (where
W28 and W10 belong); ``skip_segments`` and element usage are honoured.

Limits of the set, refused when writing: W06-02 holds 22 characters (the
ASN number), W03-01 and W04-01 10 digits (the total and each quantity), the
heading at most 9 tracking numbers, a W04 loop 200 references (lot, PO,
line and serial numbers together). 4010 and 5010 share the layout; 5010
allows 50 characters in N902 (4010: 30).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult, format_date, format_decimal
from distsync.formats.x12.maps.logistics_common import (
    chunks,
    finish,
    layout_version,
    product_id_elements,
    write_moment,
    writing_version,
)
from distsync.formats.x12.maps.m943_read import ITEM_SLOTS, read_notice
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack, AsnPurpose, PackKind
from distsync.model.parties import CarrierRef, PartyRef

MAX_TRACKING = 9
MAX_LINE_REFERENCES = 200


def set_spec(version: str) -> SetSpec:
    """The 943 as this map reads and writes it (one layout for 4010 and 5010)."""
    return SetSpec("943", "Warehouse Stock Transfer Shipment Advice", (
        seg("W06", "warehouse shipment identification",
            el(1, "reporting code", "ID", 1, 1, required=True),
            el(2, "depositor order number", "AN", 1, 22),
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
            el(4, "shipment method of payment", "ID", 2, 2), min_use=1),
        loop("W04",
             seg("W04", "item detail total",
                 el(1, "number of units shipped", "R", 1, 10, required=True),
                 el(2, "unit of measure", "ID", 2, 2, required=True),
                 el(3, "U.P.C. case code", "AN", 12, 12),
                 *product_id_elements(ITEM_SLOTS), min_use=1),
             parties.g69(),
             parties.n9(MAX_LINE_REFERENCES, version),
             seg("W20", "line item detail - packing", el(1, "pack", "N0", 1, 6),
                 el(2, "size", "R", 1, 8), el(3, "unit of measure", "ID", 2, 2),
                 el(4, "weight", "R", 1, 10), max_use=2),
             min_use=1, max_use=9999),
        seg("W03", "total shipment information",
            el(1, "number of units shipped", "R", 1, 10, required=True),
            el(2, "weight", "R", 1, 10), el(3, "unit of measure", "ID", 2, 2), min_use=1),
    ))  # fmt: skip


class WarehouseShipmentAdvice943:
    """943 ↔ AdvanceShipNotice (the notice as the warehouse's expected receipt)."""

    set_id: ClassVar[str] = "943"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "AR"
    document: ClassVar[type[BaseModel]] = AdvanceShipNotice

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        spec = options.adjust(set_spec(layout_version(transaction, options)))
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        notice, found = read_notice(transaction, options)
        return MapResult(notice, problems + found)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, AdvanceShipNotice):
            raise SchemaViolation(
                f"the 943 map writes an AdvanceShipNotice, not {type(document).__name__}"
            )
        what = f"943 for {document.describe()}"
        heading = _heading(document, options, what)
        detail = [s for item in _items(document) for s in _w04_loop(item, options, what)]
        total = sum((item.quantity.value for _, item in _items(document)), Decimal(0))
        extras = [list(extra) for extra in options.extra_segments]
        segments = [*heading, *extras, *detail, ["W03", format_decimal(total)]]
        plain = replace(options, extra_segments=())
        return finish(segments, self.spec(options), plain, what)


def carried(
    notice: AdvanceShipNotice,
    *,
    options: MapOptions | None = None,
    issued_at: datetime | None = None,
) -> AdvanceShipNotice:
    """``notice`` as a 943 written and read with ``options`` gives it back.

    One loose pack per order, the supplier by our id only, purpose original,
    a carrier with a SCAC known by it (through the code list ``carrier``).
    ``issued_at`` is what the reader takes from the group (GS04/GS05); the
    notice's own is kept when it is not given.
    """
    merged: dict[str, list[AsnItem]] = {}
    for po_number, pack in notice.packs():
        merged.setdefault(po_number, []).extend(pack.items)
    orders = tuple(
        AsnOrder(po_number=po, packs=(AsnPack(kind=PackKind.LOOSE, items=tuple(items)),))
        for po, items in merged.items()
    )
    changes: dict[str, Any] = {
        "orders": orders,
        "purpose": AsnPurpose.ORIGINAL,
        "supplier": PartyRef(party_id=notice.supplier.party_id, name=notice.supplier.name),
        "carrier": _carried_carrier(notice.carrier, options or MapOptions()),
    }
    if issued_at is not None:
        changes["issued_at"] = issued_at
    return notice.model_copy(update=changes)


def _carried_carrier(carrier: CarrierRef | None, options: MapOptions) -> CarrierRef | None:
    if carrier is None or carrier.scac is None:
        return carrier
    return carrier.model_copy(update={"party_id": options.from_partner("carrier", carrier.scac)})


# -- writing ---------------------------------------------------------------------------


def _items(notice: AdvanceShipNotice) -> list[tuple[str, AsnItem]]:
    return [(entry.po_number, entry.item) for entry in notice.items()]


def _heading(notice: AdvanceShipNotice, options: MapOptions, what: str) -> list[list[str]]:
    if len(notice.tracking_numbers) > MAX_TRACKING:
        raise SchemaViolation(
            f"writing {what}: a 943 carries at most {MAX_TRACKING} tracking numbers, "
            f"this notice has {len(notice.tracking_numbers)}"
        )
    day, clock, code = write_moment(notice.shipped_at, options)
    reporting = options.qualifier("reporting_code", "N")
    segments = [
        ["W06", reporting, notice.asn_number, day, notice.asn_number],
        parties.write_warehouse(notice.ship_to_warehouse_id, options),
        *_depositor(options),
        parties.write_party(options.qualifier("supplier", "SU"), notice.supplier, options),
    ]
    if notice.ship_from is not None:
        segments += parties.write_address("SF", notice.ship_from)
    if notice.carrier is not None:
        segments.append(parties.write_carrier_party(notice.carrier, options))
    if notice.bill_of_lading:
        segments.append(["N9", "BM", notice.bill_of_lading])
    tracking = options.qualifier("tracking", "CN")
    segments += [["N9", tracking, number] for number in notice.tracking_numbers]
    segments.append(["G62", "11", day, options.qualifier("shipped_time", "8"), clock, code])
    if notice.expected_delivery_date is not None:
        segments.append(["G62", "17", format_date(notice.expected_delivery_date)])
    return [*segments, _w27(notice, options)]


def _depositor(options: MapOptions) -> list[list[str]]:
    code = options.qualifiers.get("depositor")
    if not code:
        return []
    return [["N1", "DE", "", options.qualifier("depositor_id", "91"), code]]


def _w27(notice: AdvanceShipNotice, options: MapOptions) -> list[str]:
    method = options.qualifier("transport_method", "M")
    carrier = notice.carrier
    if carrier is None:
        return ["W27", method]
    return ["W27", method, carrier.scac or "", carrier.service or ""]


def _w04_loop(entry: tuple[str, AsnItem], options: MapOptions, what: str) -> list[list[str]]:
    po_number, item = entry
    ids = parties.slots(parties.write_item_ids(item.item, options), 3)
    uom = options.to_partner("uom", item.quantity.uom)
    quantity = format_decimal(item.quantity.value)
    segments = [["W04", quantity, uom, "", *ids[0], *ids[1], *[""] * 6, *ids[2]]]
    if item.item.description:
        segments += [["G69", piece] for piece in chunks(item.item.description, 45)]
    references = _references(po_number, item, options)
    if len(references) > MAX_LINE_REFERENCES:
        raise SchemaViolation(
            f"writing {what}: line {item.po_line_number} of {po_number} needs "
            f"{len(references)} N9 references (lot, order, line, serial numbers); "
            f"a W04 loop holds {MAX_LINE_REFERENCES}"
        )
    return segments + references


def _references(po_number: str, item: AsnItem, options: MapOptions) -> list[list[str]]:
    segments = [
        ["N9", "PO", po_number],
        ["N9", options.qualifier("po_line", "BV"), str(item.po_line_number)],
    ]
    if item.lot or item.expiry_date:
        expiry = format_date(item.expiry_date) if item.expiry_date else ""
        segments.append(["N9", "LT", item.lot or "", "" if item.lot else "EXPIRY", expiry])
    return segments + [["N9", "SE", serial] for serial in item.serial_numbers]


WAREHOUSE_SHIPMENT_ADVICE_943 = WarehouseShipmentAdvice943()
