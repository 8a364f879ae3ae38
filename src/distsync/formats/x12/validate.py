"""Check a transaction set against its map's ``SetSpec``: every problem, located and coded.

Segment problems carry the AK3/IK3 code of a 997/999 (3 mandatory segment
missing, 4 loop over its maximum, 5 segment over its maximum use, 6 segment
not in the transaction set, 7 segment out of sequence); element problems the
AK4/IK4 code (1 mandatory element missing, 4 too short, 5 too long, 6 invalid
character, 7 invalid code value, 8 invalid date, 9 invalid time). Several
problems are collected per document; nothing stops at the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.schema import Element, LoopSpec, SegmentSpec, SetSpec, Usage
from distsync.formats.x12.tokenizer import Segment

INTEGER = re.compile(r"^-?\d+$")
DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
TIME = re.compile(r"^([01]\d|2[0-3])[0-5]\d([0-5]\d\d*)?$")


class _Walk:
    def __init__(self, transaction: TransactionSet, spec: SetSpec) -> None:
        self.transaction = transaction
        self.spec = spec
        self.segments = transaction.body
        self.known = spec.tags()
        self.problems: list[Problem] = []

    def where(self, index: int, element: int | None = None) -> Location:
        """Location of body segment ``index`` (ST is position 1)."""
        segments = self.transaction.segments
        position = min(index + 2, len(segments))
        segment = segments[position - 1]
        group = self.transaction.group
        return Location(
            interchange=group.interchange.control,
            group=group.control,
            transaction_set=self.transaction.control,
            segment_position=position,
            segment_tag=segment.tag,
            element_position=element,
        )

    def report(
        self,
        code: str,
        message: str,
        index: int,
        ack: str,
        element: int | None = None,
        tag: str | None = None,
    ) -> None:
        location = self.where(index, element)
        if tag is not None:  # a missing segment: its own tag, at the position where it belongs
            location = replace(location, segment_tag=tag)
        text = f"{location.segment_tag}: {message}"
        self.problems.append(Problem(code, text, location, Severity.ERROR, ack))

    def walk(self, usages: Sequence[Usage], index: int, *, top: bool) -> int:
        counts = [0] * len(usages)
        current = 0
        while index < len(self.segments):
            tag = self.segments[index].tag
            if tag not in self.known:
                index = self.unknown(index)
                continue
            found = next((m for m in range(current, len(usages)) if usages[m].tag == tag), None)
            if not top and found == 0 and counts[0]:
                break  # the loop's first segment again: the next repetition, for the parent
            if found is None:
                if not top:
                    break
                self.report("out_of_sequence", "segment not in its proper sequence", index, "7")
                index += 1
                continue
            self.missing(usages[current:found], counts[current:found], index)
            current = found
            counts[found] += 1
            index = self.occurrence(usages[found], counts[found], index)
        self.missing(usages[current:], counts[current:], index)
        return index

    def occurrence(self, usage: Usage, count: int, index: int) -> int:
        if count > usage.max_use:
            if isinstance(usage, LoopSpec):
                self.report(
                    "loop_over_maximum",
                    f"loop {usage.id} repeats more than {usage.max_use} times",
                    index,
                    "4",
                )
            else:
                self.report(
                    "segment_over_maximum", f"used more than {usage.max_use} times", index, "5"
                )
        if isinstance(usage, LoopSpec):
            return self.walk(usage.children, index, top=False)
        self.elements(usage, index)
        return index + 1

    def missing(self, usages: Sequence[Usage], counts: Sequence[int], index: int) -> None:
        for usage, count in zip(usages, counts, strict=True):
            if count >= usage.min_use:
                continue
            what = f"loop {usage.id}" if isinstance(usage, LoopSpec) else f"segment {usage.tag}"
            self.report(
                "mandatory_missing", f"mandatory {what} is missing", index, "3", tag=usage.tag
            )

    def unknown(self, index: int) -> int:
        segment = self.segments[index]
        if segment.tag in self.spec.skipped or not self.spec.strict:
            if segment.tag not in self.spec.skipped:
                location = self.where(index)
                self.problems.append(Problem(
                    "segment_not_used", f"{segment.tag}: not used by this map, skipped",
                    location, Severity.WARNING, "6",
                ))  # fmt: skip
            return index + 1
        self.report("segment_not_in_set", "segment not in the transaction set", index, "6")
        return index + 1

    def elements(self, spec: SegmentSpec, index: int) -> None:
        segment = self.segments[index]
        for element in spec.elements:
            problem = element_problem(element, segment.element(element.position))
            if problem is not None:
                code, ack, message = problem
                self.report(code, f"{element.name} ({spec.tag}{element.position:02d}): {message}",
                            index, ack, element.position)  # fmt: skip


def element_problem(element: Element, value: str) -> tuple[str, str, str] | None:
    """(code, AK4 code, message) for a value that breaks its element's rules, else None."""
    if value == "":
        return ("element_missing", "1", "mandatory element missing") if element.required else None
    if element.type == "AN" and element.min_length <= len(value) <= element.max_length:
        return None  # the common case, decided without further calls
    length = _length(element, value)
    if length < element.min_length:
        return "element_too_short", "4", f"{value!r} is shorter than {element.min_length}"
    if length > element.max_length:
        return "element_too_long", "5", f"{value!r} is longer than {element.max_length}"
    return _type_problem(element, value)


def _length(element: Element, value: str) -> int:
    if element.type == "R" or element.implied_decimals is not None:
        return len(value.lstrip("-").replace(".", ""))
    return len(value)


def _type_problem(element: Element, value: str) -> tuple[str, str, str] | None:
    kind = element.type
    if element.implied_decimals is not None and not INTEGER.match(value):
        return "invalid_character", "6", f"{value!r} is not a whole number"
    if kind == "R" and not DECIMAL.match(value):
        return "invalid_character", "6", f"{value!r} is not a number"
    if kind == "DT" and not _is_date(value):
        return "invalid_date", "8", f"{value!r} is not a date (CCYYMMDD)"
    if kind == "TM" and not TIME.match(value):
        return "invalid_time", "9", f"{value!r} is not a time (HHMM[SS])"
    if kind == "ID" and element.codes is not None and value not in element.codes:
        return "invalid_code", "7", f"{value!r} is not one of {', '.join(sorted(element.codes))}"
    return None


def _is_date(value: str) -> bool:
    if not value.isdigit() or len(value) not in (6, 8):
        return False
    full = value if len(value) == 8 else ("20" if int(value[:2]) < 50 else "19") + value
    try:
        date(int(full[:4]), int(full[4:6]), int(full[6:8]))
    except ValueError:
        return False
    return True


def validate(transaction: TransactionSet, spec: SetSpec) -> list[Problem]:
    """Every structural and element problem of the set against the spec."""
    walk = _Walk(transaction, spec)
    walk.walk(spec.body, 0, top=True)
    return walk.problems


def segment_of(transaction: TransactionSet, position: int) -> Segment:
    """The segment at a 1-based position of the set (ST is 1)."""
    return transaction.segments[position - 1]
