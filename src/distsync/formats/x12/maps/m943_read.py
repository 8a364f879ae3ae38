"""Reading a 943 into an ``AdvanceShipNotice``: see ``m943.py`` for the segment table.

Each W04 loop is one shipped item. Items are grouped by their purchase order
(N9 PO in the loop, else W06-06) into orders of one loose pack each, and
every field remembers the segment and element it came from, so that a value
the canonical model refuses is reported where it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
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
    group_moment,
    references,
    split,
    value,
)
from distsync.formats.x12.problems import Problem
from distsync.model.asn import AdvanceShipNotice, PackKind

ITEM_SLOTS = (4, 6, 14)
References = dict[str, list[Indexed]]


def read_notice(
    transaction: TransactionSet, options: MapOptions
) -> tuple[AdvanceShipNotice | None, list[Problem]]:
    """The notice a (valid) 943 describes, or None, with the problems found while mapping."""
    reading = Reading(transaction, options)
    data = _notice(reading)
    notice = None if reading.failed else reading.build(AdvanceShipNotice, data)
    return notice, reading.problems


def _notice(reading: Reading) -> dict[str, Any]:
    head, groups, tail = split(reading.items(), "W04", frozenset({"W03"}))
    w06, refs = find(head, "W06") or head[0], references(head)
    blocks = parties.party_blocks(head)
    reading.source("asn_number", w06[0], 4)
    reading.source("issued_at", w06[0], None)
    orders = _orders(reading, groups, w06)
    _check_total(reading, tail, groups)
    tracking = reading.options.qualifier("tracking", "CN")
    return compact(
        {
            "asn_number": value(w06[1], 4),
            "issued_at": group_moment(reading.transaction),
            "supplier": _supplier(reading, blocks, w06),
            "ship_from": _ship_from(reading, blocks),
            "ship_to_warehouse_id": _warehouse(reading, blocks),
            "carrier": _carrier(reading, head, blocks),
            "tracking_numbers": [v for _, s in refs.get(tracking, []) if (v := value(s, 2))],
            "bill_of_lading": _reference(refs, "BM"),
            "shipped_at": _shipped_at(reading, head, w06),
            "expected_delivery_date": _delivery(reading, head),
            "orders": orders,
        }
    )


def _supplier(reading: Reading, blocks: Sequence[parties.PartyBlock], w06: Indexed) -> Any:
    entity = reading.options.qualifier("supplier", "SU")
    block = parties.block_for(blocks, entity)
    if block is None:
        reading.report(w06[0], None, f"the 943 names no supplier (N1 {entity})")
        return None
    return parties.read_party(reading, block, "supplier")


def _ship_from(reading: Reading, blocks: Sequence[parties.PartyBlock]) -> Any:
    block = parties.block_for(blocks, "SF")
    return parties.read_address(reading, block, "ship_from") if block else None


def _warehouse(reading: Reading, blocks: Sequence[parties.PartyBlock]) -> str | None:
    """Our warehouse id from N1 WH (or ST), else the group's receiver (GS03)."""
    entity = reading.options.qualifier("warehouse", "WH")
    block = parties.block_for(blocks, entity, "WH", "ST")
    code = block.identifier if block is not None else None
    if block is not None and code:
        reading.source("ship_to_warehouse_id", block.n1[0], 4)
    else:
        code = reading.transaction.group.gs.element(3).strip() or None
    return reading.options.from_partner("warehouse", code) if code else None


def _carrier(
    reading: Reading, head: Sequence[Indexed], blocks: Sequence[parties.PartyBlock]
) -> Any:
    w27 = find(head, "W27")
    reading.source("carrier", (w27 or head[0])[0], 2 if w27 else None)
    scac, service = (value(w27[1], 2), value(w27[1], 3)) if w27 else (None, None)
    return parties.read_carrier(reading, blocks, scac, service)


def _reference(refs: References, qualifier: str) -> str | None:
    found = refs.get(qualifier)
    return value(found[0][1], 2) if found else None


def _shipped_at(reading: Reading, head: Sequence[Indexed], w06: Indexed) -> Any:
    g62 = dated(head, "11")
    if g62 is not None:
        reading.source("shipped_at", g62[0], 2)
        return reading.moment(g62, 2, 4, 5, "ship date (G6202)")
    reading.source("shipped_at", w06[0], 3)
    return reading.moment(w06, 3, None, None, "ship date (W0603)")


def _delivery(reading: Reading, head: Sequence[Indexed]) -> Any:
    g62 = dated(head, "17")
    if g62 is None:
        return None
    reading.source("expected_delivery_date", g62[0], 2)
    return reading.day(g62, 2, "expected delivery date (G6202)")


# -- the W04 loops ----------------------------------------------------------------------


def _orders(
    reading: Reading, groups: Sequence[Sequence[Indexed]], w06: Indexed
) -> list[dict[str, Any]]:
    """One order per purchase order number, in order of first appearance; one loose pack each."""
    default = value(w06[1], 6)
    orders: dict[str, list[dict[str, Any]]] = {}
    for group in groups:
        found = references(group).get("PO")
        po_number = value(found[0][1], 2) if found else default
        if po_number is None:
            reading.report(group[0][0], None, "no purchase order number (N9 PO, or W0606)")
            continue
        if po_number not in orders:
            where = found[0] if found else w06
            reading.source(f"orders.{len(orders)}.po_number", where[0], 2 if found else 6)
        items = orders.setdefault(po_number, [])
        path = f"orders.{list(orders).index(po_number)}.packs.0.items.{len(items)}"
        items.append(_item(reading, group, path))
    pack = {"kind": PackKind.LOOSE}
    return [{"po_number": po, "packs": [pack | {"items": items}]} for po, items in orders.items()]


def _item(reading: Reading, group: Sequence[Indexed], path: str) -> dict[str, Any]:
    w04, refs = group[0], references(group)
    reading.source(path, w04[0], None)
    reading.source(f"{path}.quantity", w04[0], 1)
    reading.source(f"{path}.quantity.uom", w04[0], 2)
    item = parties.read_item(reading, w04, ITEM_SLOTS, 3, f"{path}.item")
    uom = value(w04[1], 2)
    serials = refs.get("SE", [])
    if serials:
        reading.source(f"{path}.serial_numbers", serials[0][0], 2)
    return compact(
        {
            "po_line_number": _po_line(reading, refs, w04, path),
            "item": item | compact({"description": parties.description(group)}),
            "quantity": {
                "value": reading.decimal(w04, 1, "number of units shipped (W0401)"),
                "uom": reading.options.from_partner("uom", uom) if uom else None,
            },
            "lot": _reference(refs, "LT"),
            "serial_numbers": [v for _, s in serials if (v := value(s, 2))],
            "expiry_date": _expiry(reading, refs, path),
        }
    )


def _po_line(reading: Reading, refs: References, w04: Indexed, path: str) -> int | None:
    for qualifier in (reading.options.qualifier("po_line", "BV"), "LI"):
        found = refs.get(qualifier)
        if found:
            reading.source(f"{path}.po_line_number", found[0][0], 2)
            return reading.integer(found[0], 2, f"purchase order line (N9 {qualifier})")
    reading.report(w04[0], None, "no purchase order line number (N9 BV or LI)")
    return None


def _expiry(reading: Reading, refs: References, path: str) -> Any:
    found = refs.get("LT")
    if not found:
        return None
    reading.source(f"{path}.expiry_date", found[0][0], 4)
    return reading.day(found[0], 4, "expiry date (N904)")


def _check_total(
    reading: Reading, tail: Sequence[Indexed], groups: Sequence[Sequence[Indexed]]
) -> None:
    w03 = find(tail, "W03")
    if w03 is None:
        return
    stated = reading.decimal(w03, 1, "number of units shipped (W0301)")
    counted = sum((Decimal(group[0][1].element(1)) for group in groups), Decimal(0))
    if stated is not None and stated != counted:
        message = f"units shipped {stated} does not match the W04 loops ({counted})"
        reading.warn(w03[0], 1, "total_mismatch", message)
