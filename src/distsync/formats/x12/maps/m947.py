"""X12 947 Warehouse Inventory Adjustment Advice ↔ ``InventoryAdjustment``.

The 3PL warehouse tells the depositor (us) that stock changed outside
receiving and shipping: a count, damage, a hold. Issue 6 turns each into an
``OnHandAdjusted`` figure. One adjustment is one item: the map writes one
W19 loop and reads a 947 of exactly one.

=====================  ===========================================================
``W15``                01 date (see G62), 02 → ``adjustment_id`` (30 characters)
``N1 WH``              04 → ``warehouse_id`` (qualifier ``warehouse_id``, 91;
                       code list ``warehouse``; else GS02, the warehouse that
                       sent the set)
``N1 DE``              the depositor: written when ``qualifiers["depositor"]``
                       names our code at the 3PL (qualifier ``depositor_id``, 91)
``G62 07``             date, time (qualifier ``W``), time code → ``adjusted_at``
                       (else W15-01 at midnight UTC; qualifiers
                       ``adjusted_date``, ``adjusted_time``)
``NTE``                02 → ``note`` (80-character pieces, at most 20)
``W19`` loop           01 reason → ``reason_code`` (code list
                       ``adjustment_reason``, see below), 02 signed quantity and
                       03 unit → ``delta`` (code list ``uom``), item ids in 05/06,
                       07/08, 17/18 (SKU ``VN``, GTIN ``UP``/``EN``/``UK``,
                       supplier part ``VP``), 04 U.P.C. case code read as GTIN
``G69``                → ``item.description`` (45-character pieces, at most 5)
``N9 LT``              → ``lot`` (else W19-09, the warehouse lot, on reading)
=====================  ===========================================================

Reasons (W19-01, code 181), written and read unless the partner's
``adjustment_reason`` list (our reason → their code) says otherwise:
cycle_count ``AA`` physical count, damaged ``AU`` damaged in facility,
expired ``AX`` shelf-life obsolescence, lost ``06`` book adjustment decrease,
found ``51`` unable-to-locate product located, customer_return ``CR``,
quality_hold ``05`` product put on hold, correction ``AB`` accounting error,
other ``AH``. Also read: ``AV`` and ``07`` as damaged, ``08`` as quality
hold, ``56`` and ``AY`` as correction; any other code is a located error.

What a 947 does not carry (``carried`` gives an adjustment as a 947 returns it):
``location_id``, ``adjusted_by`` and ``on_hand_after``; fractions of a second
of ``adjusted_at``. W19-02 is written signed (negative takes stock away): a
partner that sends unsigned quantities with the direction in the reason code
needs its own map version.

Partner options: qualifiers ``warehouse`` (N1 entity), ``warehouse_id`` (91),
``depositor``, ``depositor_id``, ``adjusted_date`` (07), ``adjusted_time``
(W), ``sku`` (VN), ``supplier_part`` (VP); code lists ``warehouse``, ``uom``,
``time_code``, ``adjustment_reason``; ``extra_segments`` are written at the
end of the heading, after NTE; ``skip_segments`` and element usage are
honoured. Limits, refused when writing: W15-02 holds 30 characters, W19-02
10 digits. 4010 and 5010 share the layout; 5010 allows 50 characters in
N902 (4010: 30).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult, format_decimal
from distsync.formats.x12.maps.logistics_common import (
    chunks,
    finish,
    layout_version,
    product_id_elements,
    write_moment,
    writing_version,
)
from distsync.formats.x12.maps.m947_read import ITEM_SLOTS, read_adjustment, write_reason
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.inventory import InventoryAdjustment

NOTE_SIZE = 80


def set_spec(version: str) -> SetSpec:
    """The 947 as this map reads and writes it (one layout for 4010 and 5010)."""
    return SetSpec("947", "Warehouse Inventory Adjustment Advice", (
        seg("W15", "warehouse adjustment identification",
            el(1, "date", "DT", 8, 8, required=True),
            el(2, "adjustment number", "AN", 1, 30, required=True),
            el(3, "previous adjustment number", "AN", 1, 30), min_use=1),
        parties.n1_loop(min_use=1, max_use=100),
        parties.n9(10, version),
        parties.g62(5),
        seg("NTE", "note", el(1, "note reference", "ID", 3, 3),
            el(2, "description", "AN", 1, NOTE_SIZE, required=True), max_use=20),
        loop("W19",
             seg("W19", "warehouse adjustment item detail",
                 el(1, "adjustment reason", "ID", 2, 2, required=True),
                 el(2, "credit/debit quantity", "R", 1, 10, required=True),
                 el(3, "unit of measure", "ID", 2, 2, required=True),
                 el(4, "U.P.C. case code", "AN", 12, 12),
                 *product_id_elements(ITEM_SLOTS[:2]),
                 el(9, "warehouse lot number", "AN", 1, 12),
                 *product_id_elements(ITEM_SLOTS[2:]), min_use=1),
             parties.g69(),
             parties.n9(99, version),
             min_use=1, max_use=9999),
    ))  # fmt: skip


class WarehouseInventoryAdjustment947:
    """947 ↔ InventoryAdjustment (one item's stock changed at the warehouse)."""

    set_id: ClassVar[str] = "947"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "AW"
    document: ClassVar[type[BaseModel]] = InventoryAdjustment

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        spec = options.adjust(set_spec(layout_version(transaction, options)))
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        adjustment, found = read_adjustment(transaction, options)
        return MapResult(adjustment, problems + found)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, InventoryAdjustment):
            raise SchemaViolation(
                f"the 947 map writes an InventoryAdjustment, not {type(document).__name__}"
            )
        what = f"947 for {document.describe()}"
        extras = [list(extra) for extra in options.extra_segments]
        segments = [*_heading(document, options), *extras, *_w19_loop(document, options)]
        plain = replace(options, extra_segments=())
        return finish(segments, self.spec(options), plain, what)


def carried(adjustment: InventoryAdjustment) -> InventoryAdjustment:
    """``adjustment`` as a 947 written and read gives it back.

    No location, no one who adjusted it, no stock after it; ``adjusted_at``
    to the second.
    """
    return adjustment.model_copy(
        update={
            "location_id": None,
            "adjusted_by": None,
            "on_hand_after": None,
            "adjusted_at": adjustment.adjusted_at.replace(microsecond=0),
        }
    )


# -- writing ---------------------------------------------------------------------------


def _heading(adjustment: InventoryAdjustment, options: MapOptions) -> list[list[str]]:
    day, clock, code = write_moment(adjustment.adjusted_at, options)
    segments = [
        ["W15", day, adjustment.adjustment_id],
        parties.write_warehouse(adjustment.warehouse_id, options),
        *_depositor(options),
        [
            "G62", options.qualifier("adjusted_date", "07"), day,
            options.qualifier("adjusted_time", "W"), clock, code,
        ],
    ]  # fmt: skip
    if adjustment.note:
        segments += [["NTE", "", piece] for piece in chunks(adjustment.note, NOTE_SIZE)]
    return segments


def _depositor(options: MapOptions) -> list[list[str]]:
    code = options.qualifiers.get("depositor")
    if not code:
        return []
    return [["N1", "DE", "", options.qualifier("depositor_id", "91"), code]]


def _w19_loop(adjustment: InventoryAdjustment, options: MapOptions) -> list[list[str]]:
    item = adjustment.item
    ids = parties.slots(parties.write_item_ids(item, options), 3)
    reason = write_reason(adjustment.reason_code, options)
    uom = options.to_partner("uom", adjustment.delta.uom)
    quantity = format_decimal(adjustment.delta.value)
    w19 = ["W19", reason, quantity, uom, "", *ids[0], *ids[1], *[""] * 8, *ids[2]]
    segments = [w19]
    if item.description:
        segments += [["G69", piece] for piece in chunks(item.description, 45)]
    if adjustment.lot:
        segments.append(["N9", "LT", adjustment.lot])
    return segments


WAREHOUSE_INVENTORY_ADJUSTMENT_947 = WarehouseInventoryAdjustment947()
