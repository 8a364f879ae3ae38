"""Segments to X12 text: envelopes, control numbers and the partner's delimiters.

``render`` writes segments as they are. ``Envelope`` wraps transaction-set
bodies in ST/SE, GS/GE and ISA/IEA for one partner: fixed-width ISA fields,
the partner's delimiters and version, and control numbers handed in by the
caller (who draws them from the persistent, per-partner counter in the store,
so this module stays pure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from distsync.errors import SchemaViolation
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.tokenizer import Segment

Fields = Sequence[str]  # a segment to write: tag first, then its elements

VERSIONS = {
    "004010": "00401",
    "005010": "00501",
}
"""GS08 version (without industry suffix) → ISA12 interchange control version."""


def segment_text(fields: Fields, delimiters: Delimiters) -> str:
    """One segment: trailing empty elements dropped, delimiters refused inside values."""
    values = list(fields)
    while len(values) > 1 and values[-1] == "":
        values.pop()
    for value in values[1:]:
        _check_value(values[0], value, delimiters)
    return delimiters.element.join(values) + delimiters.terminator


def render(segments: Iterable[Segment | Fields], delimiters: Delimiters) -> str:
    """Segments as text with the given delimiters.

    Segments read from a file keep every element, trailing empty ones
    included, so that writing what was read reproduces its segments exactly;
    their component and repetition separators are translated when the
    delimiters differ.
    """
    out = []
    for segment in segments:
        if isinstance(segment, Segment):
            values = [segment.tag, *_translated(segment, delimiters)]
            out.append(delimiters.element.join(values) + delimiters.terminator)
        else:
            out.append(segment_text(segment, delimiters))
    return "".join(out)


def _translated(segment: Segment, new: Delimiters) -> list[str]:
    old = segment.delimiters
    if segment.tag == "ISA":
        values = list(segment.elements)
        if len(values) >= 16:
            values[15] = new.component
            if new.repetition and old.repetition:
                values[10] = new.repetition
        return values
    values = segment.elements
    if old.component != new.component:
        values = [v.replace(old.component, new.component) for v in values]
    if old.repetition and new.repetition and old.repetition != new.repetition:
        values = [v.replace(old.repetition, new.repetition) for v in values]
    return values


def _check_value(tag: str, value: str, delimiters: Delimiters) -> None:
    reserved = [delimiters.element, delimiters.segment]
    if delimiters.repetition:
        reserved.append(delimiters.repetition)
    for char in reserved:
        if char in value:
            raise SchemaViolation(
                f"writing segment {tag}: the value {value!r} contains the delimiter {char!r}"
            )


DEFAULT_DELIMITERS = Delimiters(suffix="\n")


@dataclass(frozen=True)
class Party:
    """An interchange party: ISA qualifier and id, and the GS application code."""

    qualifier: str
    id: str
    application: str | None = None

    @property
    def code(self) -> str:
        return self.application or self.id


@dataclass(frozen=True)
class Envelope:
    """How to wrap transaction sets for one partner."""

    sender: Party
    receiver: Party
    version: str = "004010"  # GS08, e.g. 004010, 004010VICS, 005010UCS
    delimiters: Delimiters = DEFAULT_DELIMITERS
    usage: str = "P"  # ISA15: P production, T test
    ack_requested: bool = False  # ISA14

    @property
    def interchange_version(self) -> str:
        base = self.version[:6]
        if base not in VERSIONS:
            raise SchemaViolation(
                f"writing an interchange: version {self.version!r} is not supported"
            )
        return VERSIONS[base]

    def isa(self, control: int, at: datetime) -> str:
        d = self.delimiters
        repetition = "U"  # ISA11 before 00402: the standards identifier
        if self.interchange_version >= "00402":  # from 00402 on, ISA11 must be a separator
            repetition = d.repetition or "^"
        fields = [
            "ISA", "00", " " * 10, "00", " " * 10,
            self.sender.qualifier, self.sender.id.ljust(15)[:15],
            self.receiver.qualifier, self.receiver.id.ljust(15)[:15],
            at.strftime("%y%m%d"), at.strftime("%H%M"), repetition, self.interchange_version,
            f"{control:09d}", "1" if self.ack_requested else "0", self.usage, d.component,
        ]  # fmt: skip
        return d.element.join(fields) + d.terminator

    def interchange(
        self,
        functional_id: str,
        sets: Sequence[tuple[str, Sequence[Fields]]],
        *,
        interchange_control: int,
        group_control: int,
        first_set_control: int,
        at: datetime,
    ) -> str:
        """ISA, one GS group of ``sets`` (set id, body segments), GE and IEA."""
        d = self.delimiters
        parts = [self.isa(interchange_control, at)]
        parts.append(segment_text(
            ["GS", functional_id, self.sender.code, self.receiver.code, at.strftime("%Y%m%d"),
             at.strftime("%H%M"), str(group_control), "X", self.version], d,
        ))  # fmt: skip
        for offset, (set_id, body) in enumerate(sets):
            parts.append(transaction_set(set_id, first_set_control + offset, body, d))
        parts.append(segment_text(["GE", str(len(sets)), str(group_control)], d))
        parts.append(segment_text(["IEA", "1", f"{interchange_control:09d}"], d))
        return "".join(parts)


def transaction_set(
    set_id: str, control: int, body: Sequence[Fields], delimiters: Delimiters
) -> str:
    """ST, the body, and SE with the segment count."""
    number = f"{control:04d}"
    segments = [["ST", set_id, number], *body, ["SE", str(len(body) + 2), number]]
    return "".join(segment_text(fields, delimiters) for fields in segments)
