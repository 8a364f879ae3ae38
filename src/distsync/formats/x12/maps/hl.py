"""The HL hierarchy of a transaction set (856, 857, 945): levels, parents, and what is wrong.

Each ``HL`` segment opens a level: HL01 numbers it (1, 2, 3... in order),
HL02 names the level it belongs to, HL03 says what kind of level it is and
HL04 whether levels follow beneath it. The segments after an HL, up to the
next HL or the summary, belong to that level.

``read_hierarchy`` builds the tree and reports every broken pointer as a
located ERROR with ``ack_code="8"`` (AK3 "segment has data element errors"):
a duplicate or out-of-order HL01, a parent that is not defined before its
child, a parent at a level that cannot hold the child, an HL04 that does not
match the children found. Problems are collected, nothing is raised. An
empty HL02 after the first level is allowed by the standard; the parent is
then the nearest open level that can hold the child, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.tokenizer import Segment

Placed = tuple[int, Segment]
"""A body segment with its index in the body (ST is not counted: index 0 is position 2)."""


@dataclass(eq=False)
class HlLevel:
    """One HL level and the segments that follow it."""

    id: str
    code: str
    index: int
    segment: Segment
    parent: HlLevel | None = None
    children: list[HlLevel] = field(default_factory=list)
    segments: list[Placed] = field(default_factory=list)

    def find(self, tag: str, qualifier: str | None = None) -> Placed | None:
        """The first segment ``tag`` of this level (with element 1 ``qualifier``, if given)."""
        return next(iter(self.find_all(tag, qualifier)), None)

    def find_all(self, tag: str, qualifier: str | None = None) -> list[Placed]:
        return [
            (i, s)
            for i, s in self.segments
            if s.tag == tag and (qualifier is None or s.element(1) == qualifier)
        ]

    def lineage(self) -> Iterator[HlLevel]:
        """This level, then its parent, up to the root."""
        level: HlLevel | None = self
        while level is not None:
            yield level
            level = level.parent


@dataclass
class Hierarchy:
    """The levels of a set in document order, the segments around them, and the problems."""

    levels: list[HlLevel]
    header: list[Placed]
    trailer: list[Placed]
    problems: list[Problem]

    @property
    def roots(self) -> list[HlLevel]:
        return [level for level in self.levels if level.parent is None]


def segment_location(
    transaction: TransactionSet, index: int, element: int | None = None
) -> Location:
    """Where body segment ``index`` is (ST is position 1, so index 0 is position 2)."""
    position = min(index + 2, len(transaction.segments))
    group = transaction.group
    return Location(
        interchange=group.interchange.control,
        group=group.control,
        transaction_set=transaction.control,
        segment_position=position,
        segment_tag=transaction.segments[position - 1].tag,
        element_position=element,
    )


class _Builder:
    def __init__(
        self,
        transaction: TransactionSet,
        contains: Mapping[str, frozenset[str]],
        roots: frozenset[str],
    ) -> None:
        self.transaction = transaction
        self.contains = contains
        self.root_codes = roots
        self.levels: list[HlLevel] = []
        self.by_id: dict[str, HlLevel] = {}
        self.problems: list[Problem] = []
        self.expected = 1

    def report(
        self, code: str, message: str, level: HlLevel, element: int, *, warning: bool = False
    ) -> None:
        where = segment_location(self.transaction, level.index, element)
        severity = Severity.WARNING if warning else Severity.ERROR
        text = f"HL {level.id or '?'}: {message}"
        self.problems.append(Problem(code, text, where, severity, None if warning else "8"))

    def add(self, index: int, segment: Segment) -> HlLevel:
        level = HlLevel(segment.element(1).strip(), segment.element(3).strip(), index, segment)
        self.check_id(level)
        self.attach(level, segment.element(2).strip())
        self.levels.append(level)
        if level.id and level.id not in self.by_id:
            self.by_id[level.id] = level
        return level

    def check_id(self, level: HlLevel) -> None:
        if level.id in self.by_id:
            self.report("hl_duplicate_id", f"HL01 {level.id} is used twice", level, 1)
        elif level.id != str(self.expected):
            self.report(
                "hl_not_sequential", f"HL01 should be {self.expected}, found {level.id!r}", level, 1
            )
        if level.id.isascii() and level.id.isdigit():
            self.expected = int(level.id) + 1
        else:
            self.expected += 1

    def attach(self, level: HlLevel, parent_id: str) -> None:
        if not self.levels:
            if parent_id:
                self.report("hl_parent_unknown", f"parent {parent_id} is not defined", level, 2)
            elif level.code in self.contains and level.code not in self.root_codes:
                self.report("hl_root_level", f"the first level cannot be {level.code}", level, 3)
            return
        parent = self.by_id.get(parent_id) if parent_id else self.inferred_parent(level)
        if parent is None:
            if parent_id:
                message = f"parent {parent_id} is not defined before this level"
                self.report("hl_parent_unknown", message, level, 2)
            return
        self.check_containment(parent, level)
        level.parent = parent
        parent.children.append(level)

    def inferred_parent(self, level: HlLevel) -> HlLevel | None:
        for candidate in self.levels[-1].lineage():
            if level.code in self.contains.get(candidate.code, frozenset()):
                message = f"no parent given (HL02); taken as HL {candidate.id}"
                self.report("hl_parent_inferred", message, level, 2, warning=True)
                return candidate
        self.report("hl_parent_missing", "no parent given (HL02) and none can hold it", level, 2)
        return None

    def check_containment(self, parent: HlLevel, level: HlLevel) -> None:
        known = parent.code in self.contains and level.code in self.contains
        if known and level.code not in self.contains[parent.code]:
            message = f"level {parent.code} (HL {parent.id}) cannot hold level {level.code}"
            self.report("hl_parent_level", message, level, 2)

    def check_child_codes(self) -> None:
        for level in self.levels:
            said = level.segment.element(4).strip()
            if said == "1" and not level.children:
                self.report("hl_child_code", "HL04 says levels follow, none do", level, 4)
            elif said == "0" and level.children:
                self.report("hl_child_code", "HL04 says no levels follow, some do", level, 4)


def read_hierarchy(
    transaction: TransactionSet,
    contains: Mapping[str, frozenset[str]],
    *,
    roots: frozenset[str],
    summary: frozenset[str],
) -> Hierarchy:
    """The HL tree of a set.

    ``contains`` maps a level code to the codes it may hold (``{"S": {"O"}}``);
    ``roots`` are the codes a first level may have; ``summary`` are the tags
    that end the last level (``CTT``). Unknown level codes are left to the
    spec's code list.
    """
    builder = _Builder(transaction, contains, roots)
    header: list[Placed] = []
    trailer: list[Placed] = []
    current: HlLevel | None = None
    for index, segment in enumerate(transaction.body):
        if segment.tag == "HL":
            current = builder.add(index, segment)
        elif current is None:
            header.append((index, segment))
        elif segment.tag in summary or trailer:
            trailer.append((index, segment))
        else:
            current.segments.append((index, segment))
    builder.check_child_codes()
    return Hierarchy(builder.levels, header, trailer, builder.problems)
