"""What the purchasing maps (850, 860, 855) share: the reading context, loops, dates and notes.

``SetReading`` follows one transaction set through a map: it knows where
each segment sits (for located problems) and collects the problems.
``attempt`` runs one conversion (a date, a quantity, a canonical model) and
turns a refusal into a ``mapping_error`` problem at the segment and element
it came from, so a document with three bad values reports all three.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import (
    MapOptions,
    MapResult,
    fields,
    format_date,
    x12_date,
    x12_datetime,
)
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, SetSpec, Usage
from distsync.formats.x12.tokenizer import Segment
from distsync.formats.x12.validate import element_problem
from distsync.formats.x12.writer import Fields

T = TypeVar("T")

MAPPING_ERROR = "mapping_error"
LINE_INDEX = re.compile(r"lines\.([0-9]+)")
ISSUED = "097"  # DTM01: transaction creation
REVISION = "PP"  # REF01: purchase order revision number
MESSAGE_WIDTH = 264  # MSG01
CONTINUATION = "LC"  # MSG02: line continuation
# DTM04 time codes with a fixed offset from UTC (hours); others are read as UTC with a warning.
TIME_CODES = {
    "UT": 0.0, "GM": 0.0, "ES": -5.0, "ED": -4.0, "CS": -6.0, "CD": -5.0, "MS": -7.0,
    "MD": -6.0, "PS": -8.0, "PD": -7.0, "AS": -9.0, "AD": -8.0, "HS": -10.0, "HD": -9.0,
    "TS": -4.0, "TD": -3.0, "NS": -3.5, "ND": -2.5,
}  # fmt: skip


class SetReading:
    """One transaction set being mapped: segment positions, options and problems."""

    def __init__(
        self, transaction: TransactionSet, options: MapOptions, problems: list[Problem]
    ) -> None:
        self.transaction = transaction
        self.options = options
        self.problems = problems
        self._positions = {id(s): i for i, s in enumerate(transaction.segments, 1)}

    def location(self, segment: Segment, element: int | None = None) -> Location:
        group = self.transaction.group
        return Location(
            interchange=group.interchange.control,
            group=group.control,
            transaction_set=self.transaction.control,
            segment_position=self._positions.get(id(segment)),
            segment_tag=segment.tag,
            element_position=element,
        )

    def fail(self, segment: Segment, element: int | None, message: str) -> None:
        """A value the canonical model cannot take: an error that stops the mapping."""
        where = f"{segment.tag}{element:02d}" if element else segment.tag
        problem = Problem(
            MAPPING_ERROR, f"{where}: {message}", self.location(segment, element), ack_code="8"
        )
        self.problems.append(problem)

    def warn(self, segment: Segment, code: str, message: str, element: int | None = None) -> None:
        """Something mapped with a loss or a guess that people should know about."""
        where = self.location(segment, element)
        self.problems.append(Problem(code, f"{segment.tag}: {message}", where, Severity.WARNING))

    def attempt(self, segment: Segment, element: int | None, build: Callable[[], T]) -> T | None:
        """``build()``, or None with a located problem when the value is refused."""
        try:
            return build()
        except (SchemaViolation, ValueError) as exc:
            self.fail(segment, element, refusal(exc))
            return None

    def attempt_document(
        self, header: Segment, lines: Sequence[Segment], build: Callable[[], T]
    ) -> T | None:
        """Build the document; a refusal about ``lines.N`` is located at that line's segment."""
        try:
            return build()
        except (SchemaViolation, ValueError) as exc:
            message = refusal(exc)
            found = LINE_INDEX.search(message)
            index = int(found.group(1)) if found else -1
            self.fail(lines[index] if 0 <= index < len(lines) else header, None, message)
            return None

    @property
    def failed(self) -> bool:
        return any(p.severity == Severity.ERROR for p in self.problems)

    def result(self, document: BaseModel | None) -> MapResult:
        """The document (none when an error was found) and every problem, warnings included."""
        return MapResult(None if self.failed else document, self.problems)


def refusal(exc: Exception) -> str:
    """A one-line account of why a value was refused."""
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"])
            parts.append(f"{path}: {error['msg']}" if path else error["msg"])
        return "; ".join(parts)
    return str(exc)


def errors_in(problems: Iterable[Problem]) -> bool:
    return any(p.severity == Severity.ERROR for p in problems)


def read_options(transaction: TransactionSet, options: MapOptions) -> MapOptions:
    """The options with the version the set was sent in (GS08), which decides element rules."""
    version = transaction.group.version.strip() or options.version
    return replace(options, version=version)


def is_5010(options: MapOptions) -> bool:
    """Whether the set follows the later element rules (005010; read leniently from 004020)."""
    return options.version[:6] > "004010"


# -- structure ---------------------------------------------------------------------


def groups(segments: Sequence[Segment], start: str) -> tuple[list[Segment], list[list[Segment]]]:
    """Segments before the first ``start``, and one list per ``start`` with what follows it."""
    head: list[Segment] = []
    found: list[list[Segment]] = []
    for segment in segments:
        if segment.tag == start:
            found.append([segment])
        elif found:
            found[-1].append(segment)
        else:
            head.append(segment)
    return head, found


def sections(
    body: Sequence[Segment], line_tag: str
) -> tuple[list[Segment], list[list[Segment]], list[Segment]]:
    """Header segments, line loops (each starting with ``line_tag``) and the summary (CTT on)."""
    end = next((i for i, s in enumerate(body) if s.tag == "CTT"), len(body))
    start = next((i for i, s in enumerate(body[:end]) if s.tag == line_tag), end)
    return list(body[:start]), groups(body[start:end], line_tag)[1], list(body[end:])


def first(segments: Iterable[Segment], tag: str, qualifier: str | None = None) -> Segment | None:
    """The first segment with ``tag`` (and element 1 equal to ``qualifier``, when given)."""
    for segment in segments:
        if segment.tag == tag and (qualifier is None or segment.element(1) == qualifier):
            return segment
    return None


def whole(text: str) -> int | None:
    """A whole number written in ASCII digits, else None."""
    return int(text) if text.isascii() and text.isdigit() else None


def value(segment: Segment | None, position: int) -> str:
    """Element ``position`` without surrounding blanks; ``""`` when absent."""
    return segment.element(position).strip() if segment is not None else ""


def read_revision(reading: SetReading, head: Sequence[Segment], absent: int | None) -> int | None:
    """The purchase order revision number (REF*PP), ``absent`` when there is none."""
    ref = first(head, "REF", REVISION)
    raw = value(ref, 2)
    if ref is None or not raw:
        return absent
    number = whole(raw)
    if number is None:
        reading.fail(ref, 2, f"revision {raw!r} is not a whole number")
    return number


# -- dates -------------------------------------------------------------------------


def dated(segments: Iterable[Segment], qualifiers: Sequence[str]) -> Segment | None:
    """The DTM with a date for the first qualifier (in order of preference) that has one."""
    found = [s for s in segments if s.tag == "DTM" and s.element(2)]
    for qualifier in qualifiers:
        match = first(found, "DTM", qualifier)
        if match is not None:
            return match
    return None


def read_date(reading: SetReading, segment: Segment, position: int, what: str) -> date | None:
    raw = segment.element(position)
    return reading.attempt(segment, position, lambda: x12_date(raw, what))


def read_issued_at(
    reading: SetReading, segments: Sequence[Segment], day: tuple[Segment, int]
) -> datetime | None:
    """DTM*097 (date, time, time code); else the day given, at midnight UTC."""
    dtm = dated(segments, [ISSUED])
    if dtm is None:
        segment, position = day
        raw, what = segment.element(position), f"{segment.tag}{position:02d}"
        return reading.attempt(segment, position, lambda: x12_datetime(raw, None, what))
    moment = reading.attempt(
        dtm, 2, lambda: x12_datetime(dtm.element(2), dtm.element(3) or None, "DTM*097")
    )
    return None if moment is None else _zoned(reading, dtm, moment)


def _zoned(reading: SetReading, dtm: Segment, moment: datetime) -> datetime:
    code = dtm.element(4)
    if not code:
        return moment
    if code not in TIME_CODES:
        reading.warn(dtm, "time_code_unknown", f"time code {code!r} read as UTC", 4)
        return moment
    zone = timezone(timedelta(hours=TIME_CODES[code]))
    return moment.replace(tzinfo=zone)


def issued_at_segment(moment: datetime) -> Fields:
    """DTM*097 with the date and time in UTC."""
    utc = moment.astimezone(UTC)
    return fields("DTM", ISSUED, format_date(utc), utc.strftime("%H%M%S"), "UT")


# -- free text ---------------------------------------------------------------------


def message_segments(text: str) -> list[Fields]:
    """MSG segments for a text: one per line, long lines continued (MSG02 ``LC``)."""
    out: list[Fields] = []
    for line in text.split("\n"):
        chunks = [line[i : i + MESSAGE_WIDTH] for i in range(0, len(line), MESSAGE_WIDTH)]
        out.append(fields("MSG", chunks[0] if chunks else " "))
        out += [fields("MSG", chunk, CONTINUATION) for chunk in chunks[1:]]
    return out


def read_message(segments: Iterable[Segment]) -> str | None:
    """The text of MSG segments, lines joined by newlines; a blank MSG is an empty line."""
    lines: list[str] = []
    for msg in (s for s in segments if s.tag == "MSG"):
        text = "" if not msg.element(1).strip() else msg.element(1)
        if msg.element(2) == CONTINUATION and lines:
            lines[-1] += text
        else:
            lines.append(text)
    joined = "\n".join(lines)
    return joined if joined.strip() else None


def wrap(text: str, width: int) -> list[str]:
    """``text`` in pieces of at most ``width``, cut at spaces (the space dropped) where possible.

    Joining the pieces with one space gives the text back, unless a word was
    longer than ``width``.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > width:
        cut = rest.rfind(" ", 1, width + 1)
        if cut <= 0:
            pieces.append(rest[:width])
            rest = rest[width:]
        else:
            pieces.append(rest[:cut])
            rest = rest[cut + 1 :]
    return [*pieces, rest]


# -- writing -----------------------------------------------------------------------


def finish(body: list[Fields], spec: SetSpec, options: MapOptions) -> list[Fields]:
    """The body as the partner takes it: skipped segments out, unused elements blank, extras in.

    A value X12 cannot carry (an id too long for its element, a date before
    year 1000) is refused here, with every such value named, rather than
    written into a set the partner would reject.
    """
    kept: list[Fields] = [
        _blank_unused(list(s), options) for s in body if s[0] not in options.skip_segments
    ]
    _refuse_bad_values(kept, spec)
    order = _top_level_order(spec.body)
    for extra in options.extra_segments:
        rank = order.get(extra[0], len(order))
        at = next((i for i, s in enumerate(kept) if order.get(s[0], -1) > rank), len(kept))
        kept.insert(at, list(extra))
    return kept


def _refuse_bad_values(body: Sequence[Fields], spec: SetSpec) -> None:
    rules = _segment_rules(spec.body)
    found = []
    for segment in body:
        declared = rules.get(segment[0])
        for element in declared.elements if declared else ():
            raw = segment[element.position] if element.position < len(segment) else ""
            problem = element_problem(element, raw)
            if problem is not None:
                found.append(f"{segment[0]}{element.position:02d} {problem[2]}")
    if found:
        raise SchemaViolation(f"writing an X12 {spec.set_id}: {'; '.join(found)}")


def _segment_rules(usages: Sequence[Usage]) -> dict[str, SegmentSpec]:
    rules: dict[str, SegmentSpec] = {}
    for usage in usages:
        if isinstance(usage, LoopSpec):
            for tag, rule in _segment_rules(usage.children).items():
                rules.setdefault(tag, rule)
        else:
            rules.setdefault(usage.tag, usage)
    return rules


def _blank_unused(segment: list[str], options: MapOptions) -> list[str]:
    for position in range(1, len(segment)):
        if f"{segment[0]}.{position:02d}" in options.unused_elements:
            segment[position] = ""
    return segment


def _top_level_order(usages: Sequence[Usage]) -> dict[str, int]:
    order: dict[str, int] = {}
    for rank, usage in enumerate(usages):
        tags = _all_tags(usage) if isinstance(usage, LoopSpec) else [usage.tag]
        for tag in tags:
            order.setdefault(tag, rank)
    return order


def _all_tags(usage: Usage) -> list[str]:
    if isinstance(usage, LoopSpec):
        return [tag for child in usage.children for tag in _all_tags(child)]
    return [usage.tag]
