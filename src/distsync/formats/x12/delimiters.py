"""Delimiters of an interchange, read from its ISA segment.

The element separator is the character after ``ISA``; the component
separator is ISA16, the single character after the sixteenth element
separator; the segment terminator is the character after ISA16, often
followed by a line break. ISA11 is the repetition separator from version
00402 on. Partners pad ISA fields sloppily, so the separators are counted
rather than taken from fixed columns; an ISA that is not 106 characters wide
is read with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from distsync.errors import MalformedDocument

ISA_WIDTH = 106
ISA_ELEMENTS = 16
LINE_BREAKS = "\r\n"
LOOKAHEAD = 400
REPETITION_FROM = "00402"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of an interchange, and what follows each segment.

    ``suffix`` is the line break written after each terminator (``"\\r\\n"``,
    ``"\\n"`` or ``""``). ``separator`` is what segments are split on: the
    terminator alone, or with its line break when the terminator is a
    character that also occurs in data (a space, a letter).
    """

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None
    suffix: str = ""

    @property
    def separator(self) -> str:
        if self.suffix and (self.segment == " " or self.segment.isalnum()):
            return self.segment + self.suffix
        return self.segment

    @property
    def terminator(self) -> str:
        """What the writer puts after each segment."""
        return self.segment + self.suffix


@dataclass(frozen=True, slots=True)
class IsaReading:
    delimiters: Delimiters
    length: int  # characters from "ISA" to the terminator, inclusive
    warnings: tuple[str, ...]


def read_isa(text: str, start: int = 0) -> IsaReading:
    """Delimiters of the interchange whose ISA begins at ``start``."""
    if text[start : start + 3] != "ISA" or len(text) < start + 4:
        raise MalformedDocument(
            f"reading an interchange at character {start}: it does not start with ISA"
        )
    element = text[start + 3]
    isa16 = _sixteenth_separator(text, start, element) + 1
    if isa16 + 1 >= len(text):
        raise MalformedDocument(
            f"reading the ISA at character {start}: it ends before its segment terminator"
        )
    segment = text[isa16 + 1]
    suffix = _line_break(text, isa16 + 2, segment)
    fields = text[start : isa16 + 1].split(element)
    delimiters = Delimiters(element, text[isa16], segment, _repetition(fields), suffix)
    _check_distinct(delimiters, start)
    length = isa16 + 2 - start
    warnings = (
        () if length == ISA_WIDTH else (f"the ISA is {length} characters wide, not {ISA_WIDTH}",)
    )
    return IsaReading(delimiters, length, warnings)


def _sixteenth_separator(text: str, start: int, element: str) -> int:
    position = start + 3
    for _ in range(ISA_ELEMENTS - 1):
        position = text.find(element, position + 1, start + LOOKAHEAD)
        if position < 0:
            raise MalformedDocument(
                f"reading the ISA at character {start}: fewer than {ISA_ELEMENTS} elements "
                f"separated by {element!r}"
            )
    return position


def _line_break(text: str, position: int, segment: str) -> str:
    if segment == "\r" and text[position : position + 1] == "\n":
        return "\n"
    if segment in LINE_BREAKS:
        return ""
    if text[position : position + 2] == "\r\n":
        return "\r\n"
    if text[position : position + 1] in ("\n", "\r"):
        return text[position]
    return ""


def _repetition(fields: list[str]) -> str | None:
    if len(fields) < 13:
        return None
    isa11, version = fields[11], fields[12].strip()
    if version >= REPETITION_FROM and len(isa11) == 1 and not isa11.isalnum() and isa11 != " ":
        return isa11
    return None


def _check_distinct(delimiters: Delimiters, start: int) -> None:
    chosen = [delimiters.element, delimiters.component, delimiters.segment]
    if delimiters.repetition is not None:
        chosen.append(delimiters.repetition)
    if len(set(chosen)) != len(chosen):
        raise MalformedDocument(
            f"reading the ISA at character {start}: its separators are not distinct "
            f"(element {delimiters.element!r}, component {delimiters.component!r}, "
            f"segment {delimiters.segment!r}, repetition {delimiters.repetition!r})"
        )
