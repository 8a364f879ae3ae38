"""What the warehouse and carrier maps (940, 944, 945, 214) share: reading, time codes, checks.

``Reading`` is the state of one ``read``: the set, the partner's options, the
problems found so far, and where each canonical field came from (segment and
element), so that a value the canonical model refuses becomes a ``Problem``
pointing at the element that carried it.

Times: X12 dates and times carry no zone unless a time code element says so
(``G62-05``, ``AT7-07``). A time code is honoured when it names a fixed offset
(``UT``, ``ES``, ``ED``..., ISO ``01``..``24``) or a zone (``ET``, ``CT``...,
resolved with the tz database); ``LT`` (local time), an unknown code and no
code at all mean UTC. Written times keep their own offset with the ISO code
for it, or UTC (``UT``) when the offset is not a whole number of hours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, x12_date, x12_decimal, x12_time
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.schema import Element, LoopSpec, SegmentSpec, SetSpec, Usage, el
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import element_problem

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Indexed = tuple[int, Segment]
"""A body segment and its index in the body (ST is not counted)."""

MAPPING_ERROR = "mapping_error"
VERSION = re.compile(r"^\d{6}")
FIELD_PATH = re.compile(r"\b[a-z_]+(\.[a-z0-9_]+)+")

FIXED_OFFSETS = {
    "UT": 0, "GM": 0, "ES": -300, "ED": -240, "CS": -360, "CD": -300, "MS": -420, "MD": -360,
    "PS": -480, "PD": -420, "AS": -540, "AD": -480, "HS": -600, "HD": -540, "TS": -240,
    "TD": -180, "NS": -210, "ND": -150,
}  # fmt: skip
ZONES = {
    "ET": ("America/New_York", "ES"), "CT": ("America/Chicago", "CS"),
    "MT": ("America/Denver", "MS"), "PT": ("America/Los_Angeles", "PS"),
    "AT": ("America/Anchorage", "AS"), "HT": ("Pacific/Honolulu", "HS"),
    "TT": ("America/Halifax", "TS"), "NT": ("America/St_Johns", "NS"),
}  # fmt: skip


# -- versions ---------------------------------------------------------------------


def layout_version(transaction: TransactionSet, options: MapOptions) -> str:
    """``005010`` or ``004010``: the layout a set is read with, from GS08, else ISA12."""
    found = transaction.group.version
    if not VERSION.match(found):
        interchange = transaction.interchange.version
        found = f"{interchange[:5]}0" if re.match(r"^\d{5}$", interchange) else options.version
    return "005010" if found[:6] >= "005010" else "004010"


def writing_version(options: MapOptions) -> str:
    return "005010" if options.version[:6] >= "005010" else "004010"


# -- reading ------------------------------------------------------------------------


@dataclass
class Reading:
    """One ``read`` in progress: located problems and the origin of each canonical field."""

    transaction: TransactionSet
    options: MapOptions
    problems: list[Problem] = field(default_factory=list)
    sources: dict[str, tuple[int, int | None]] = field(default_factory=dict)

    def items(self) -> list[Indexed]:
        return list(enumerate(self.transaction.body))

    def location(self, index: int, element: int | None = None) -> Location:
        segments = self.transaction.segments
        position = min(index + 2, len(segments))
        group = self.transaction.group
        return Location(
            interchange=group.interchange.control,
            group=group.control,
            transaction_set=self.transaction.control,
            segment_position=position,
            segment_tag=segments[position - 1].tag,
            element_position=element,
        )

    def report(
        self,
        index: int,
        element: int | None,
        message: str,
        *,
        code: str = MAPPING_ERROR,
        severity: Severity = Severity.ERROR,
    ) -> None:
        where = self.location(index, element)
        name = f"{where.segment_tag}{element:02d}" if element else f"{where.segment_tag}"
        ack = "8" if severity is Severity.ERROR else None
        self.problems.append(Problem(code, f"{name}: {message}", where, severity, ack))

    def warn(self, index: int, element: int | None, code: str, message: str) -> None:
        self.report(index, element, message, code=code, severity=Severity.WARNING)

    @property
    def failed(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    def source(self, path: str, index: int, element: int | None = None) -> None:
        self.sources[path] = (index, element)

    def convert(self, index: int, element: int | None, convert: Callable[[], T]) -> T | None:
        """``convert()``, or None with a located problem when it refuses the value."""
        try:
            return convert()
        except SchemaViolation as exc:
            self.report(index, element, str(exc))
            return None

    def build(self, model: type[M], data: Mapping[str, Any]) -> M | None:
        """The canonical document, or None with one located problem per refused field."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"])
                index, element = self.origin(path or _named_path(error["msg"]))
                self.report(index, element, f"{path or 'document'}: {error['msg']}")
            return None

    def origin(self, path: str) -> tuple[int, int | None]:
        """The segment and element a field path came from (its nearest recorded parent)."""
        parts = path.split(".") if path else []
        while parts:
            found = self.sources.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return 0, None

    # value readers: None when the element is empty, a located problem when it is wrong

    def decimal(self, item: Indexed, position: int, what: str) -> Decimal | None:
        raw = value(item[1], position)
        if raw is None:
            return None
        return self.convert(item[0], position, lambda: x12_decimal(raw, what))

    def integer(self, item: Indexed, position: int, what: str) -> int | None:
        raw = value(item[1], position)
        if raw is None:
            return None
        if not re.match(r"^\d{1,9}$", raw):
            self.report(item[0], position, f"{what}: {raw!r} is not a whole number")
            return None
        return int(raw)

    def day(self, item: Indexed, position: int, what: str) -> date | None:
        raw = value(item[1], position)
        if raw is None:
            return None
        return self.convert(item[0], position, lambda: x12_date(raw, what))

    def moment(
        self, item: Indexed, day: int, clock: int | None, code: int | None, what: str
    ) -> datetime | None:
        """Date, time and time code elements of one segment as an aware datetime."""
        segment = item[1]
        raw_day = value(segment, day)
        if raw_day is None:
            return None
        raw_code = value(segment, code) if code else None
        zone_code = self.options.from_partner("time_code", raw_code) if raw_code else None
        raw_clock = value(segment, clock) if clock else None
        return self.convert(item[0], day, lambda: read_moment(raw_day, raw_clock, zone_code, what))


def _named_path(message: str) -> str:
    """The first field path a model validator's message names (``lines.0.quantity``)."""
    found = FIELD_PATH.search(message)
    return found.group(0) if found else ""


def value(segment: Segment, position: int) -> str | None:
    """An element without surrounding blanks; None when empty."""
    found = segment.element(position).strip()
    return found or None


def find(items: Iterable[Indexed], tag: str) -> Indexed | None:
    return next((item for item in items if item[1].tag == tag), None)


def find_all(items: Iterable[Indexed], tag: str) -> list[Indexed]:
    return [item for item in items if item[1].tag == tag]


def split(
    items: Sequence[Indexed], starts: str, ends: frozenset[str] = frozenset()
) -> tuple[list[Indexed], list[list[Indexed]], list[Indexed]]:
    """(segments before the first ``starts``, one group per ``starts``, the rest from ``ends``)."""
    head: list[Indexed] = []
    groups: list[list[Indexed]] = []
    for position, item in enumerate(items):
        tag = item[1].tag
        if tag in ends:
            return head, groups, list(items[position:])
        if tag == starts:
            groups.append([item])
        elif groups:
            groups[-1].append(item)
        else:
            head.append(item)
    return head, groups, []


def references(items: Iterable[Indexed], tag: str = "N9") -> dict[str, list[Indexed]]:
    """Reference segments (N9, L11) by qualifier (element 1 for N9, element 2 for L11)."""
    position = 2 if tag == "L11" else 1
    found: dict[str, list[Indexed]] = {}
    for item in find_all(items, tag):
        qualifier = value(item[1], position)
        if qualifier is not None:
            found.setdefault(qualifier, []).append(item)
    return found


def dated(items: Iterable[Indexed], qualifier: str) -> Indexed | None:
    """The first G62 with a date qualifier."""
    return next((i for i in find_all(items, "G62") if value(i[1], 1) == qualifier), None)


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """A dict without the None values (so model defaults apply)."""
    return {key: item for key, item in data.items() if item is not None}


# -- time codes ---------------------------------------------------------------------


def read_moment(day: str, clock: str | None, code: str | None, what: str) -> datetime:
    """An X12 date, time and time code as an aware datetime (UTC without a usable code)."""
    naive = datetime.combine(
        x12_date(day, what), x12_time(clock, what) if clock else datetime.min.time()
    )
    return naive.replace(tzinfo=_zone(code, naive))


def _zone(code: str | None, naive: datetime) -> tzinfo:
    if code is None:
        return UTC
    if code in FIXED_OFFSETS:
        return timezone(timedelta(minutes=FIXED_OFFSETS[code]))
    if code.isdigit() and 1 <= int(code) <= 24:
        hours = int(code) if int(code) <= 12 else int(code) - 25
        return timezone(timedelta(hours=hours))
    if code in ZONES:
        name, standard = ZONES[code]
        try:
            zone = ZoneInfo(name)
        except ZoneInfoNotFoundError:
            return timezone(timedelta(minutes=FIXED_OFFSETS[standard]))
        return timezone(zone.utcoffset(naive) or timedelta())
    return UTC


def write_moment(moment: datetime, options: MapOptions) -> tuple[str, str, str]:
    """(CCYYMMDD, HHMM[SS], time code) for an aware datetime, in its own offset when possible."""
    offset = moment.utcoffset() or timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= hours <= 12:
        moment, hours = moment.astimezone(UTC), 0
    code = "UT" if hours == 0 else f"{hours:02d}" if hours > 0 else f"{25 + hours:02d}"
    clock = moment.strftime("%H%M%S" if moment.second else "%H%M")
    return moment.strftime("%Y%m%d"), clock, options.to_partner("time_code", code)


def group_moment(transaction: TransactionSet) -> datetime | None:
    """When the functional group was created (GS04, GS05), UTC; None if unreadable."""
    gs = transaction.group.gs
    try:
        return read_moment(gs.element(4), gs.element(5) or None, None, "GS04")
    except SchemaViolation:
        return None


# -- writing ------------------------------------------------------------------------


def finish(
    segments: list[list[str]], spec: SetSpec, options: MapOptions, what: str
) -> list[list[str]]:
    """The body as the partner takes it: skipped segments dropped, extras added, values checked.

    Extra segments go at the end of the heading, before the first detail loop
    segment (``LX`` or ``W07``). A value that breaks its element's rules
    (length, type, code) raises ``SchemaViolation``: the partner would reject it.
    """
    kept = [s for s in segments if s[0] not in options.skip_segments]
    detail = next((n for n, s in enumerate(kept) if s[0] in ("LX", "W07")), len(kept))
    kept[detail:detail] = [list(extra) for extra in options.extra_segments]
    problems = list(_written_problems(kept, _segment_specs(spec.body)))
    if problems:
        raise SchemaViolation(f"writing {what}: " + "; ".join(problems))
    return kept


def _written_problems(
    segments: Sequence[Sequence[str]], specs: Mapping[str, SegmentSpec]
) -> Iterable[str]:
    for fields in segments:
        spec = specs.get(fields[0])
        if spec is None:
            continue
        for element in spec.elements:
            written = fields[element.position] if element.position < len(fields) else ""
            found = element_problem(element, written)
            if found is not None:
                yield f"{fields[0]}{element.position:02d} ({element.name}) {found[2]}"


def _segment_specs(usages: Sequence[Usage]) -> dict[str, SegmentSpec]:
    specs: dict[str, SegmentSpec] = {}
    for usage in usages:
        found = (
            _segment_specs(usage.children) if isinstance(usage, LoopSpec) else {usage.tag: usage}
        )
        for tag, spec in found.items():
            specs.setdefault(tag, spec)
    return specs


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (read back by joining them)."""
    return [text[start : start + size] for start in range(0, len(text), size)]


def product_id_elements(slots: Sequence[int]) -> list[Element]:
    """Qualifier and id element pairs starting at each of ``slots`` (W01, W07, W12 item ids)."""
    found = []
    for position in slots:
        found.append(el(position, "product id qualifier", "ID", 2, 2))
        found.append(el(position + 1, "product id", "AN", 1, 48))
    return found
