"""Bytes to text for the X12 reader: encodings, byte-order marks, EBCDIC, offsets.

X12 is ASCII in practice, but partners send UTF-8 with a byte-order mark,
Latin-1 names, and now and then an EBCDIC interchange from a mainframe. The
text is decoded chunk by chunk (bounded memory) as UTF-8 with
``surrogateescape``, so bytes that are not UTF-8 survive unchanged and a
round trip reproduces them; an interchange that starts with EBCDIC ``ISA`` is
decoded as code page 037. ``OffsetMap`` turns character positions back into
byte offsets for error messages.
"""

from __future__ import annotations

import bisect
import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK_SIZE = 1 << 16  # small batches: fewer live objects for the GC to walk
EBCDIC_ISA = "ISA".encode("cp037")
EBCDIC_BLANKS = b"\x40\x25\x15\x0d"  # space, LF, NL, CR in code page 037
UTF8 = "utf-8"
EBCDIC = "cp037"


@dataclass
class OffsetMap:
    """Character position → byte offset, for text decoded from UTF-8 (or one byte per char)."""

    bom: int = 0
    _positions: list[int] = field(default_factory=list)  # chars that take more than one byte
    _extra: list[int] = field(default_factory=list)  # running total of extra bytes

    def note(self, start: int, text: str, encoding: str) -> None:
        if encoding != UTF8 or text.isascii():
            return
        total = self._extra[-1] if self._extra else 0
        for index, char in enumerate(text):
            if ord(char) > 0x7F:
                total += len(char.encode(UTF8, "surrogateescape")) - 1
                self._positions.append(start + index)
                self._extra.append(total)

    def byte_offset(self, position: int) -> int:
        wide_before = bisect.bisect_left(self._positions, position)
        extra = self._extra[wide_before - 1] if wide_before else 0
        return self.bom + position + extra


@dataclass
class DecodedText:
    """Text chunks of one file, with how it was decoded."""

    encoding: str
    chunks: Iterator[str]
    offsets: OffsetMap


def encoding_of(head: bytes) -> tuple[str, int]:
    """The encoding of a file from its first bytes, and the length of its byte-order mark."""
    if head.startswith(codecs.BOM_UTF8):
        return UTF8, len(codecs.BOM_UTF8)
    if head.lstrip(EBCDIC_BLANKS).startswith(EBCDIC_ISA):
        return EBCDIC, 0
    return UTF8, 0


def decode(source: bytes | BinaryIO | Iterable[bytes], chunk_size: int = CHUNK_SIZE) -> DecodedText:
    """Decode a file (bytes, a binary stream or an iterable of byte chunks) lazily."""
    raw = _byte_chunks(source, chunk_size)
    first = next(raw, b"")
    encoding, bom = encoding_of(first)
    offsets = OffsetMap(bom)
    return DecodedText(encoding, _text_chunks(first[bom:], raw, encoding, offsets), offsets)


def _byte_chunks(source: bytes | BinaryIO | Iterable[bytes], size: int) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for start in range(0, len(data), size):
            yield data[start : start + size]
        return
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(size):
            yield chunk
        return
    yield from source


def _text_chunks(
    first: bytes, rest: Iterator[bytes], encoding: str, offsets: OffsetMap
) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    position = 0
    for chunk in _chain(first, rest):
        text = decoder.decode(chunk)
        if text:
            offsets.note(position, text, encoding)
            position += len(text)
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        offsets.note(position, tail, encoding)
        yield tail


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def encode(text: str, encoding: str = UTF8) -> bytes:
    """Text back to bytes exactly as they were read (undecodable bytes included)."""
    if encoding == UTF8:
        return text.encode(UTF8, "surrogateescape")
    return text.encode(encoding)
