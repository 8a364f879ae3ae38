"""Reading the LX loops of a 945: each W12 loop as a line entry, MAN or N9 2I as a package.

The rules are told in ``m945``'s docstring; this module keeps the package
bookkeeping out of the map itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.logistics_common import (
    Indexed,
    Reading,
    compact,
    find_all,
    references,
    split,
    value,
)

ITEM_SLOTS = (7, 17, 21)
PackageKey = tuple[str | None, str | None, str | None]  # SSCC, tracking number, ZZ mark


@dataclass
class Entry:
    """One W12 loop: a quantity of one line, inside a package or not."""

    w12: Indexed
    line_number: int | None
    item: dict[str, Any]
    ordered: Decimal | None
    shipped: Decimal | None
    uom: str | None
    lot: str | None
    serials: list[str] = field(default_factory=list)
    description: str | None = None
    weight: tuple[Decimal, str] | None = None


def read_entry(reading: Reading, items: Sequence[Indexed], lx: Indexed | None, n: int) -> Entry:
    """A W12 loop; ``lx`` is its LX when it is the only W12 there (LX01 is then a fallback)."""
    w12, refs = items[0], references(items)
    lot = refs.get("LT")
    uom = value(w12[1], 5)
    return Entry(
        w12=w12,
        line_number=_line_number(
            reading, w12, refs.get(reading.options.qualifier("line", "LI")), lx
        ),
        item=parties.read_item(reading, w12, ITEM_SLOTS, 6, f"entries.{n}.item"),
        ordered=reading.decimal(w12, 2, "quantity ordered (W1202)"),
        shipped=reading.decimal(w12, 3, "units shipped (W1203)"),
        uom=reading.options.from_partner("uom", uom) if uom else None,
        lot=value(lot[0][1], 2) if lot else value(w12[1], 9),
        serials=[v for _, s in refs.get("SE", []) if (v := value(s, 2)) is not None],
        description=parties.description(items),
        weight=_weight(reading, w12),
    )


def _line_number(
    reading: Reading, w12: Indexed, li: list[Indexed] | None, lx: Indexed | None
) -> int | None:
    if li:
        return reading.integer(li[0], 2, "line item (N902)")
    if lx is not None:
        return reading.integer(lx, 1, "assigned number (LX01)")
    reading.report(w12[0], None, "no line number: an N9 LI is needed when an LX has several W12")
    return None


def _weight(reading: Reading, w12: Indexed) -> tuple[Decimal, str] | None:
    amount = reading.decimal(w12, 10, "weight (W1210)")
    if amount is None:
        return None
    unit = value(w12[1], 12) or ""
    if unit not in parties.WEIGHT_UOMS:
        reading.report(w12[0], 12, f"weight unit {unit!r} is not one of K, L, G, O, E")
        return None
    return amount, parties.WEIGHT_UOMS[unit]


class PackageReader:
    """Collects packages (by their marks) and their contents while LX loops are read."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self._found: dict[PackageKey, dict[str, Any]] = {}
        self._weights: dict[PackageKey, list[tuple[Decimal, str, int]]] = {}
        self._entries = 0

    def read(self, group: Sequence[Indexed]) -> list[Entry]:
        """The W12 loops of one LX loop, adding them to the LX's package if it is one."""
        lx = group[0]
        marks, loops, _ = split(group[1:], "W12")
        alone = lx if len(loops) == 1 else None
        entries = [
            read_entry(self.reading, loop, alone, self._entries + n) for n, loop in enumerate(loops)
        ]
        self._entries += len(entries)
        key = self._package(marks)
        if key is not None:
            self._fill(key, entries)
        return entries

    def packages(self) -> list[dict[str, Any]]:
        return [
            compact(package | {"weight": self._weight(key)}) for key, package in self._found.items()
        ]

    def _package(self, items: Sequence[Indexed]) -> PackageKey | None:
        marks: dict[str, tuple[int, int, str]] = {}
        for index, segment in find_all(items, "MAN"):
            for position in (1, 4):
                qualifier, mark = value(segment, position), value(segment, position + 1)
                if qualifier and mark:
                    marks.setdefault(qualifier, (index, position + 1, mark))
        for index, segment in references(items).get("2I", []):
            if (mark := value(segment, 2)) is not None:
                marks.setdefault("CP", (index, 2, mark))
        return self._key(marks)

    def _key(self, marks: dict[str, tuple[int, int, str]]) -> PackageKey | None:
        sscc = marks.get("GM") or marks.get("AA")
        tracking = marks.get("CP")
        anonymous = marks.get("ZZ") if not (sscc or tracking) else None
        if not (sscc or tracking or anonymous):
            return None
        code = sscc[2][2:] if sscc and len(sscc[2]) == 20 and sscc[2][:2] == "00" else None
        key = (
            code or (sscc[2] if sscc else None),
            tracking[2] if tracking else None,
            anonymous[2] if anonymous else None,
        )
        if key not in self._found:
            path = f"packages.{len(self._found)}"
            for name, mark in (("sscc", sscc), ("tracking_number", tracking), ("", anonymous)):
                if mark is not None:
                    self.reading.source(f"{path}.{name}".rstrip("."), mark[0], mark[1])
            self._found[key] = compact({"sscc": key[0], "tracking_number": key[1]})
            self._found[key]["contents"] = []
        return key

    def _fill(self, key: PackageKey, entries: Sequence[Entry]) -> None:
        package = self._found[key]
        path = f"packages.{list(self._found).index(key)}"
        for entry in entries:
            if entry.weight is not None:
                self._weights.setdefault(key, []).append((*entry.weight, entry.w12[0]))
            if entry.line_number is None or entry.shipped is None:
                continue
            self.reading.source(f"{path}.contents.{len(package['contents'])}", entry.w12[0], 3)
            quantity = {"value": entry.shipped, "uom": entry.uom}
            package["contents"].append({"line_number": entry.line_number, "quantity": quantity})

    def _weight(self, key: PackageKey) -> dict[str, Any] | None:
        weights = self._weights.get(key)
        if not weights:
            return None
        unit = weights[0][1]
        for _, other, index in weights[1:]:
            if other != unit:
                self.reading.report(
                    index, 12, f"package weights in {unit} and {other} do not add up"
                )
        return {"value": sum((w[0] for w in weights), Decimal(0)), "uom": unit}
