"""Declarative X12 structure: elements, segments, loops and transaction sets.

A map declares the part of a transaction set it understands as a ``SetSpec``:
its segments in order, each with how often it may occur, and loops (groups
of segments that repeat together, started by their first segment). Each
segment lists its elements with X12 data types:

- ``AN`` text, ``ID`` a code (``codes`` lists the allowed values, when the
  map depends on them), ``DT`` date (CCYYMMDD or YYMMDD), ``TM`` time
  (HHMM[SS[d..]]), ``R`` decimal number, ``N0``..``N9`` integer with an
  implied number of decimals (``N2`` "1250" means 12.50).

``validate.py`` checks a transaction set against a spec; partner profiles
adjust specs without forking them (``options.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

UNBOUNDED = 1_000_000


@dataclass(frozen=True)
class Element:
    """One element of a segment, by position (1-based)."""

    position: int
    name: str
    type: str = "AN"  # AN, ID, DT, TM, R, N0..N9
    min_length: int = 1
    max_length: int = 80
    required: bool = False
    codes: frozenset[str] | None = None

    @property
    def implied_decimals(self) -> int | None:
        if len(self.type) == 2 and self.type[0] == "N" and self.type[1].isdigit():
            return int(self.type[1])
        return None


@dataclass(frozen=True)
class SegmentSpec:
    """A segment as the map uses it."""

    tag: str
    name: str
    elements: tuple[Element, ...] = ()
    min_use: int = 0
    max_use: int = 1

    def element(self, position: int) -> Element | None:
        return next((e for e in self.elements if e.position == position), None)

    def with_use(self, min_use: int, max_use: int) -> SegmentSpec:
        return replace(self, min_use=min_use, max_use=max_use)


@dataclass(frozen=True)
class LoopSpec:
    """Segments that repeat together; the first one starts each repetition."""

    id: str
    children: tuple[SegmentSpec | LoopSpec, ...]
    min_use: int = 0
    max_use: int = UNBOUNDED

    @property
    def tag(self) -> str:
        return self.children[0].tag


Usage = SegmentSpec | LoopSpec


@dataclass(frozen=True)
class SetSpec:
    """The body of a transaction set (between ST and SE) as a map reads and writes it.

    ``strict``: a segment the spec does not name is an error; otherwise it is
    skipped with a warning (partners add segments no map needs).
    """

    set_id: str
    name: str
    body: tuple[Usage, ...]
    strict: bool = False
    skipped: frozenset[str] = field(default_factory=frozenset)

    def tags(self) -> set[str]:
        return set(_tags(self.body))


def _tags(usages: Sequence[Usage]) -> list[str]:
    found: list[str] = []
    for usage in usages:
        if isinstance(usage, LoopSpec):
            found += _tags(usage.children)
        else:
            found.append(usage.tag)
    return found


def seg(tag: str, name: str, *elements: Element, min_use: int = 0, max_use: int = 1) -> SegmentSpec:
    """Shorthand for declaring a segment."""
    return SegmentSpec(tag, name, tuple(elements), min_use, max_use)


def el(
    position: int,
    name: str,
    type_: str = "AN",
    min_length: int = 1,
    max_length: int = 80,
    *,
    required: bool = False,
    codes: Sequence[str] | None = None,
) -> Element:
    """Shorthand for declaring an element."""
    chosen = frozenset(codes) if codes is not None else None
    return Element(position, name, type_, min_length, max_length, required, chosen)


def loop(id_: str, *children: Usage, min_use: int = 0, max_use: int = UNBOUNDED) -> LoopSpec:
    """Shorthand for declaring a loop."""
    return LoopSpec(id_, tuple(children), min_use, max_use)
