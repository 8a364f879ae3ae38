"""Text to segments, streaming: split on each interchange's own terminator.

Chunks of text are split on the segment separator of the current interchange
(C-level ``str.split``, so the hot loop is one pass per segment); a segment
split across chunks waits for the next chunk. After an ``IEA`` the delimiters
are read again from the next ``ISA``: a mailbag may mix interchanges with
different delimiters. Line breaks and indentation before a segment are
skipped; a last segment without a terminator is read with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from distsync.errors import MalformedDocument
from distsync.formats.x12.decode import DecodedText
from distsync.formats.x12.delimiters import LOOKAHEAD, Delimiters, read_isa
from distsync.formats.x12.problems import Location, Problem, Severity

BLANKS = " \t\r\n\f\v\x85\x1a\x00"  # whitespace, NEL (EBCDIC), Ctrl-Z and NUL fillers


class Segment:
    """One segment: its tag, its elements (``element(1)`` is the first after the tag).

    Elements are split from the segment's text on first use: reading and
    checking envelopes touches only the tags of most segments.
    """

    __slots__ = ("_elements", "_raw", "delimiters", "offset", "tag")

    def __init__(self, tag: str, elements: list[str], offset: int, delimiters: Delimiters) -> None:
        self.tag = tag
        self._elements: list[str] | None = elements
        self._raw = ""
        self.offset = offset  # character position in the file's text
        self.delimiters = delimiters

    @classmethod
    def from_text(cls, text: str, tag: str, offset: int, delimiters: Delimiters) -> Segment:
        segment = cls.__new__(cls)
        segment.tag = tag
        segment._elements = None
        segment._raw = text
        segment.offset = offset
        segment.delimiters = delimiters
        return segment

    @property
    def elements(self) -> list[str]:
        if self._elements is None:
            self._elements = self._raw.split(self.delimiters.element)[1:]
        return self._elements

    def element(self, position: int) -> str:
        """Element ``position`` (1-based), ``""`` when absent."""
        elements = self._elements
        if elements is None:
            elements = self.elements
        return elements[position - 1] if 0 < position <= len(elements) else ""

    def components(self, position: int) -> list[str]:
        return self.element(position).split(self.delimiters.component)

    def repetitions(self, position: int) -> list[str]:
        value = self.element(position)
        separator = self.delimiters.repetition
        return value.split(separator) if separator else [value]

    def text(self) -> str:
        """The segment as it was written, without its terminator."""
        return self.delimiters.element.join([self.tag, *self.elements])

    def __repr__(self) -> str:
        return f"Segment({self.text()!r})"


STRUCTURAL = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


class Batch:
    """A chunk's segments as parallel lists (text, tag, offset): no object per segment.

    ``marks`` are the positions of envelope segments (ISA, GS, ST, SE, GE,
    IEA); ``segment(i)`` builds a ``Segment`` for one position when needed.
    """

    __slots__ = ("delimiters", "marks", "offsets", "tags", "texts")

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self.texts: list[str] = []
        self.tags: list[str] = []
        self.offsets: list[int] = []
        self.marks: list[int] = []

    def __len__(self) -> int:
        return len(self.tags)

    def segment(self, index: int) -> Segment:
        return Segment.from_text(
            self.texts[index], self.tags[index], self.offsets[index], self.delimiters
        )

    def segments(self, start: int = 0, end: int | None = None) -> list[Segment]:
        stop = len(self.tags) if end is None else end
        return [self.segment(i) for i in range(start, stop)]


class Tokenizer:
    """Iterates the segments of a decoded file; warnings gather in ``problems``."""

    def __init__(self, decoded: DecodedText) -> None:
        self._chunks = decoded.chunks
        self.offsets = decoded.offsets
        self.problems: list[Problem] = []
        self._buffer = ""
        self._base = 0  # position of _buffer[0] in the whole text
        self._eof = False

    def __iter__(self) -> Iterator[Segment]:
        for batch in self.batches():
            yield from batch.segments()

    def batches(self) -> Iterator[Batch]:
        """Segments a chunk at a time (a batch never runs past an IEA): the fast path."""
        while self._start_interchange():
            yield from self._interchange()

    def _more(self) -> bool:
        chunk = next(self._chunks, None)
        if chunk is None:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _start_interchange(self) -> bool:
        """Skip blanks; read the next ISA's delimiters. False at the end of the file."""
        while True:
            stripped = self._buffer.lstrip(BLANKS)
            self._base += len(self._buffer) - len(stripped)
            self._buffer = stripped
            if len(self._buffer) >= LOOKAHEAD or (self._eof and self._buffer) or not self._more():
                break
        if not self._buffer:
            return False
        if not self._buffer.startswith("ISA"):
            raise MalformedDocument(
                f"reading at byte {self.offsets.byte_offset(self._base)}: expected an ISA segment, "
                f"found {self._buffer[:20]!r}"
            )
        reading = read_isa(self._buffer)
        for warning in reading.warnings:
            where = Location(byte_offset=self.offsets.byte_offset(self._base), segment_tag="ISA")
            self.problems.append(Problem("isa_width", warning, where, Severity.WARNING))
        self._delimiters = reading.delimiters
        return True

    def _interchange(self) -> Iterator[Batch]:
        delimiters = self._delimiters
        separator = delimiters.separator
        while True:
            pieces = self._buffer.split(separator)
            batch, consumed = self._segments(pieces[:-1], len(separator), delimiters)
            self._advance(consumed)
            if batch.tags and batch.tags[-1] == "IEA":
                yield batch
                return
            if batch.tags:
                yield batch
            if not self._more():
                yield self._last_segment(delimiters)
                return

    def _segments(self, pieces: list[str], gap: int, delimiters: Delimiters) -> tuple[Batch, int]:
        """The batch of complete pieces, up to and including an IEA; characters consumed."""
        element = delimiters.element
        batch = Batch(delimiters)
        texts, tags, offsets, marks = batch.texts, batch.tags, batch.offsets, batch.marks
        position = self._base
        for piece in pieces:
            length = len(piece)
            stripped = piece.lstrip()
            if stripped:
                cut = stripped.find(element, 0, 4)  # tags are two or three characters
                tag = stripped[:cut] if cut >= 0 else stripped.split(element, 1)[0]
                if tag in STRUCTURAL:
                    marks.append(len(tags))
                    if tag == "IEA":
                        texts.append(stripped)
                        tags.append(tag)
                        offsets.append(position + length - len(stripped))
                        return batch, position + length + gap - self._base
                texts.append(stripped)
                tags.append(tag)
                offsets.append(position + length - len(stripped))
            position += length + gap
        return batch, position - self._base

    def _advance(self, consumed: int) -> None:
        self._buffer = self._buffer[consumed:]
        self._base += consumed

    def _segment(self, piece: str, position: int, delimiters: Delimiters) -> Segment | None:
        stripped = piece.lstrip()
        if not stripped:
            return None
        parts = stripped.split(delimiters.element)
        return Segment(parts[0], parts[1:], position + len(piece) - len(stripped), delimiters)

    def _last_segment(self, delimiters: Delimiters) -> Batch:
        batch = Batch(delimiters)
        segment = self._segment(self._buffer.rstrip(), self._base, delimiters)
        self._advance(len(self._buffer))
        if segment is None:
            return batch
        where = Location(
            byte_offset=self.offsets.byte_offset(segment.offset), segment_tag=segment.tag
        )
        self.problems.append(
            Problem("no_terminator", "the last segment has no terminator", where, Severity.WARNING)
        )
        if segment.tag in STRUCTURAL:
            batch.marks.append(0)
        batch.texts.append(segment.text())
        batch.tags.append(segment.tag)
        batch.offsets.append(segment.offset)
        return batch
