"""Reading a 947 into an ``InventoryAdjustment``: see ``m947.py`` for the segment table.

A 947 may adjust many items, one W19 loop each; the canonical adjustment is
one item, so a 947 with more than one W19 loop is refused at the second one
(the flow splits such advice before mapping it). The reason code goes through
the adjustment reason code list here, shared with the writer. Every field
remembers the segment and element it came from, so that a value the
canonical model refuses is reported where it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.logistics_common import (
    Indexed,
    Reading,
    compact,
    dated,
    find,
    references,
    split,
    value,
)
from distsync.formats.x12.problems import Problem
from distsync.model.inventory import AdjustmentReason, InventoryAdjustment

ITEM_SLOTS = (5, 7, 17)
UPC_CASE_CODE = 4
REASON_LIST = "adjustment_reason"
KNOWN_REASONS = frozenset(reason.value for reason in AdjustmentReason)

WRITTEN_REASONS = {
    AdjustmentReason.CYCLE_COUNT: "AA",  # physical count
    AdjustmentReason.DAMAGED: "AU",  # damaged in facility
    AdjustmentReason.EXPIRED: "AX",  # shelf-life obsolescence
    AdjustmentReason.LOST: "06",  # book adjustment decrease
    AdjustmentReason.FOUND: "51",  # unable-to-locate product located
    AdjustmentReason.CUSTOMER_RETURN: "CR",  # customer returned inventory
    AdjustmentReason.QUALITY_HOLD: "05",  # product put on hold
    AdjustmentReason.CORRECTION: "AB",  # accounting error
    AdjustmentReason.OTHER: "AH",  # other
}
"""Our reason → W19-01 when the partner's ``adjustment_reason`` list does not say."""

READ_REASONS = {code: reason for reason, code in WRITTEN_REASONS.items()} | {
    "AV": AdjustmentReason.DAMAGED,  # damaged in transit
    "07": AdjustmentReason.DAMAGED,  # product dumped or destroyed
    "08": AdjustmentReason.QUALITY_HOLD,  # put in quality inspection inventory
    "56": AdjustmentReason.CORRECTION,  # book adjustment increase
    "AY": AdjustmentReason.CORRECTION,  # receipt error
}
"""W19-01 → our reason; the partner's ``adjustment_reason`` list is looked at first."""


def write_reason(reason: AdjustmentReason, options: MapOptions) -> str:
    """W19-01 for a reason: the partner's code list, else the default above."""
    known = AdjustmentReason(reason)
    return options.code_lists.get(REASON_LIST, {}).get(known.value, WRITTEN_REASONS[known])


def read_reason(code: str, options: MapOptions) -> AdjustmentReason | None:
    """Our reason for a W19-01 code, or None when neither list knows it."""
    for canonical, theirs in options.code_lists.get(REASON_LIST, {}).items():
        if theirs == code and canonical in KNOWN_REASONS:
            return AdjustmentReason(canonical)
    return READ_REASONS.get(code)


def read_adjustment(
    transaction: TransactionSet, options: MapOptions
) -> tuple[InventoryAdjustment | None, list[Problem]]:
    """The adjustment a (valid) 947 describes, or None, with the problems found while mapping."""
    reading = Reading(transaction, options)
    data = _adjustment(reading)
    adjustment = None if reading.failed else reading.build(InventoryAdjustment, data)
    return adjustment, reading.problems


def _adjustment(reading: Reading) -> dict[str, Any]:
    head, groups, _ = split(reading.items(), "W19")
    w15 = find(head, "W15") or head[0]
    reading.source("adjustment_id", w15[0], 2)
    for extra in groups[1:2]:
        count = len(groups)
        message = f"the 947 adjusts {count} items; an InventoryAdjustment is one (split the 947)"
        reading.report(extra[0][0], None, message)
    group = groups[0]
    return compact(
        {
            "adjustment_id": value(w15[1], 2),
            "warehouse_id": parties.read_warehouse(reading, parties.party_blocks(head), 2),
            "adjusted_at": _adjusted_at(reading, head, w15),
            "note": _note(reading, head),
            **_item(reading, group),
        }
    )


def _adjusted_at(reading: Reading, head: Sequence[Indexed], w15: Indexed) -> Any:
    g62 = dated(head, reading.options.qualifier("adjusted_date", "07"))
    if g62 is not None:
        reading.source("adjusted_at", g62[0], 2)
        return reading.moment(g62, 2, 4, 5, "adjustment date (G6202)")
    reading.source("adjusted_at", w15[0], 1)
    return reading.moment(w15, 1, None, None, "adjustment date (W1501)")


def _note(reading: Reading, head: Sequence[Indexed]) -> str | None:
    notes = [item for item in head if item[1].tag == "NTE"]
    if not notes:
        return None
    reading.source("note", notes[0][0], 2)
    return "".join(segment.element(2) for _, segment in notes).strip() or None


def _item(reading: Reading, group: Sequence[Indexed]) -> dict[str, Any]:
    """The item, lot, quantity and reason of the (first) W19 loop."""
    w19 = group[0]
    for path, element in (("item", None), ("reason_code", 1), ("delta", 2), ("delta.uom", 3)):
        reading.source(path, w19[0], element)
    item = parties.read_item(reading, w19, ITEM_SLOTS, UPC_CASE_CODE, "item")
    uom = value(w19[1], 3)
    return compact(
        {
            "item": item | compact({"description": parties.description(group)}),
            "lot": _lot(reading, group, w19),
            "delta": {
                "value": _delta(reading, w19),
                "uom": reading.options.from_partner("uom", uom) if uom else None,
            },
            "reason_code": _reason(reading, w19),
        }
    )


def _delta(reading: Reading, w19: Indexed) -> Any:
    delta = reading.decimal(w19, 2, "credit/debit quantity (W1902)")
    if delta is not None and delta == 0:
        reading.report(w19[0], 2, "the credit/debit quantity is zero: nothing was adjusted")
    return delta


def _reason(reading: Reading, w19: Indexed) -> AdjustmentReason | None:
    code = value(w19[1], 1)
    if code is None:
        return None
    reason = read_reason(code, reading.options)
    if reason is None:
        message = f"adjustment reason {code!r} is not in the code list {REASON_LIST!r}"
        reading.report(w19[0], 1, message)
    elif reason is AdjustmentReason.OTHER and not any(i[1].tag == "NTE" for i in reading.items()):
        reading.report(w19[0], 1, "the reason is other (AH) but no NTE says why")
    return reason


def _lot(reading: Reading, group: Sequence[Indexed], w19: Indexed) -> str | None:
    found = references(group).get("LT")
    if found:
        reading.source("lot", found[0][0], 2)
        return value(found[0][1], 2)
    reading.source("lot", w19[0], 9)
    return value(w19[1], 9)
