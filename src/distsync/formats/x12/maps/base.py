"""The contract every transaction-set map implements, and the value conversions they share.

A map turns one transaction set into one canonical document (``read``) and
one canonical document into the body of a transaction set (``write``). It
declares the structure it understands (``spec``) so the validator can check
a set before it is mapped. Partner variations come in as ``MapOptions``;
a map never branches on a partner's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.problems import Problem
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, SetSpec, Usage
from distsync.formats.x12.writer import Fields


@dataclass(frozen=True)
class MapOptions:
    """One partner's variations of a map, declared in its profile.

    - ``qualifiers``: which qualifier a role uses (``{"vendor_part": "VN"}``);
    - ``code_lists``: canonical code → partner code, per list (``{"uom": {"CA": "CS"}}``);
    - ``skip_segments``: segments the partner neither sends nor accepts;
    - ``extra_segments``: fixed segments to add when writing (tag first);
    - ``required_elements`` / ``unused_elements``: element usage by ``"PO1.07"``.
    """

    map_version: str = "1"
    version: str = "004010"
    qualifiers: Mapping[str, str] = field(default_factory=dict)
    code_lists: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    skip_segments: frozenset[str] = frozenset()
    extra_segments: tuple[tuple[str, ...], ...] = ()
    required_elements: frozenset[str] = frozenset()
    unused_elements: frozenset[str] = frozenset()

    def qualifier(self, role: str, default: str) -> str:
        return self.qualifiers.get(role, default)

    def to_partner(self, code_list: str, value: str) -> str:
        return self.code_lists.get(code_list, {}).get(value, value)

    def from_partner(self, code_list: str, value: str) -> str:
        for canonical, theirs in self.code_lists.get(code_list, {}).items():
            if theirs == value:
                return canonical
        return value

    def adjust(self, spec: SetSpec) -> SetSpec:
        """The spec as this partner uses it."""
        if not (self.skip_segments or self.required_elements or self.unused_elements):
            return spec
        body = tuple(self._adjust(u) for u in spec.body if u.tag not in self.skip_segments)
        return replace(spec, body=body, skipped=spec.skipped | self.skip_segments)

    def _adjust(self, usage: Usage) -> Usage:
        if isinstance(usage, LoopSpec):
            children = tuple(
                self._adjust(c) for c in usage.children if c.tag not in self.skip_segments
            )
            return replace(usage, children=children)
        return self._adjust_segment(usage)

    def _adjust_segment(self, segment: SegmentSpec) -> SegmentSpec:
        elements = []
        for element in segment.elements:
            key = f"{segment.tag}.{element.position:02d}"
            if key in self.unused_elements:
                continue
            required = element.required or key in self.required_elements
            elements.append(replace(element, required=required))
        return replace(segment, elements=tuple(elements))


@dataclass
class MapResult:
    """A mapped document, or why not: problems found while mapping (located, coded)."""

    document: BaseModel | None
    problems: list[Problem] = field(default_factory=list)


class X12Map(Protocol):
    """One transaction set, one canonical document type, one map version."""

    set_id: ClassVar[str]
    map_version: ClassVar[str]
    functional_id: ClassVar[str]  # GS01 of the group it travels in
    document: ClassVar[type[BaseModel]]

    def spec(self, options: MapOptions) -> SetSpec: ...

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult: ...

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]: ...


# -- value conversions ------------------------------------------------------------


def x12_date(value: str, what: str) -> date:
    """CCYYMMDD (or YYMMDD) to a date; a clear error naming the element otherwise."""
    digits = value.strip()
    if len(digits) == 6 and digits.isdigit():
        digits = ("20" if int(digits[:2]) < 50 else "19") + digits
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except (ValueError, IndexError) as exc:
        raise SchemaViolation(f"{what}: {value!r} is not a date (CCYYMMDD)") from exc


def x12_time(value: str, what: str) -> time:
    digits = value.strip()
    try:
        return time(int(digits[:2]), int(digits[2:4]), int(digits[4:6] or 0))
    except ValueError as exc:
        raise SchemaViolation(f"{what}: {value!r} is not a time (HHMM[SS])") from exc


def x12_datetime(day: str, clock: str | None, what: str) -> datetime:
    """A date and optional time as an aware datetime (UTC: X12 carries no zone by default)."""
    moment = x12_time(clock, what) if clock else time()
    return datetime.combine(x12_date(day, what), moment, tzinfo=UTC)


def x12_decimal(value: str, what: str, implied: int | None = None) -> Decimal:
    """``R`` or ``Nn`` (implied decimals) to a Decimal."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation as exc:
        raise SchemaViolation(f"{what}: {value!r} is not a number") from exc
    return number.scaleb(-implied) if implied else number


def format_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def format_time(value: time | datetime) -> str:
    return value.strftime("%H%M")


def format_decimal(value: Decimal, implied: int | None = None) -> str:
    """A Decimal as X12 writes it: no exponent, no trailing zeros after the point."""
    if implied:
        return str(int(value.scaleb(implied).to_integral_value()))
    return format(value.normalize(), "f")


def fields(*values: Any) -> list[str]:
    """A segment to write: tag then values, ``None`` written as empty."""
    return ["" if v is None else str(v) for v in values]
