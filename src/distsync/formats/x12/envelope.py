"""Segments to interchanges, functional groups and transaction sets, with envelope checks.

``X12Reader`` streams: it yields one ``TransactionSet`` at a time (its
segments from ST to SE) and keeps only small summaries of what it has passed
(``interchanges``: per group, per set, the control numbers and problems), so
a file of any size is read in bounded memory. Envelope problems (control
numbers that do not match, wrong counts, missing trailers, badly formed
control numbers) are collected in ``problems``, each located by interchange,
group, set, segment position and byte offset, with the code a 997/999 uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from distsync.formats.x12.decode import decode
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.tokenizer import Batch, Segment, Tokenizer

ISA_CONTROL = re.compile(r"^\d{9}$")
GS_CONTROL = re.compile(r"^\d{1,9}$")
ST_CONTROL = re.compile(r"^[0-9A-Za-z]{4,9}$")


@dataclass
class Interchange:
    """An interchange's header, and what the reader saw of it."""

    isa: Segment
    delimiters: Delimiters
    groups: list[Group] = field(default_factory=list)
    trailer: Segment | None = None
    extra: list[Segment] = field(default_factory=list)  # TA1 and other segments outside groups

    @property
    def control(self) -> str:
        return self.isa.element(13)

    @property
    def version(self) -> str:
        return self.isa.element(12)

    def sender(self) -> tuple[str, str]:
        return self.isa.element(5), self.isa.element(6).strip()

    def receiver(self) -> tuple[str, str]:
        return self.isa.element(7), self.isa.element(8).strip()


@dataclass
class Group:
    """A functional group's header and the summary of its transaction sets."""

    gs: Segment
    interchange: Interchange
    sets: list[SetSummary] = field(default_factory=list)
    trailer: Segment | None = None
    problems: list[Problem] = field(default_factory=list)
    set_count: int = 0

    @property
    def control(self) -> str:
        return self.gs.element(6)

    @property
    def functional_id(self) -> str:
        return self.gs.element(1)

    @property
    def version(self) -> str:
        return self.gs.element(8)


@dataclass(slots=True)
class SetSummary:
    """What stays in memory of a transaction set once it has been handed on."""

    set_id: str
    control: str
    problems: list[Problem]


class TransactionSet:
    """One transaction set: ``segments`` runs from ST to SE inclusive.

    The segments between ST and SE are kept as the tokenizer's text, tag and
    offset until someone reads them (``segments``, ``body``): reading and
    checking envelopes never builds them.
    """

    def __init__(self, st: Segment, group: Group) -> None:
        self.st = st
        self.group = group
        self.problems: list[Problem] = []
        self.se: Segment | None = None
        self._texts: list[str] = []
        self._tags: list[str] = []
        self._offsets: list[int] = []
        self._body: list[Segment] | None = None

    def extend(self, batch: Batch, start: int, end: int) -> None:
        """Add a batch's segments ``start:end`` to the body."""
        if start < end:
            self._texts += batch.texts[start:end]
            self._tags += batch.tags[start:end]
            self._offsets += batch.offsets[start:end]
            self._body = None

    @property
    def segment_count(self) -> int:
        """ST, the body and SE (when present), counted without building them."""
        return len(self._tags) + (2 if self.se is not None else 1)

    @property
    def body(self) -> list[Segment]:
        """The segments between ST and SE."""
        if self._body is None:
            d = self.st.delimiters
            rows = zip(self._texts, self._tags, self._offsets, strict=True)
            self._body = [Segment.from_text(text, tag, at, d) for text, tag, at in rows]
        return self._body

    @property
    def segments(self) -> list[Segment]:
        return [self.st, *self.body, *([self.se] if self.se is not None else [])]

    def position_of(self, segment: Segment) -> int | None:
        """The 1-based position of one of this set's segments (ST is 1)."""
        if segment is self.st:
            return 1
        if segment is self.se:
            return self.segment_count
        return next((i for i, s in enumerate(self.segments, 1) if s is segment), None)

    @property
    def set_id(self) -> str:
        return self.st.element(1)

    @property
    def control(self) -> str:
        return self.st.element(2)

    @property
    def interchange(self) -> Interchange:
        return self.group.interchange


class X12Reader:
    """Streams transaction sets out of X12 bytes; collects envelope problems on the way."""

    def __init__(
        self, source: bytes | BinaryIO | Iterable[bytes], *, keep_summaries: bool = True
    ) -> None:
        """``keep_summaries=False`` drops the per-set summaries acknowledgements need:
        memory then stays bounded whatever the size of the file."""
        self._keep_summaries = keep_summaries
        decoded = decode(source)
        self.encoding = decoded.encoding
        self._tokens = Tokenizer(decoded)
        self.interchanges: list[Interchange] = []
        self._problems: list[Problem] = []
        self._interchange: Interchange | None = None
        self._group: Group | None = None
        self._open: TransactionSet | None = None
        self._skipping = False

    @property
    def problems(self) -> list[Problem]:
        """Every problem so far: the tokenizer's warnings and the envelope checks."""
        return [*self._tokens.problems, *self._problems]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    def sets(self) -> Iterator[TransactionSet]:
        """Every transaction set in the file, in order."""
        for batch in self._tokens.batches():
            yield from self._feed(batch)
        yield from self._finish()

    def read_all(self) -> list[TransactionSet]:
        """The whole file at once (for small files, tests and the CLI)."""
        return list(self.sets())

    # -- structure --------------------------------------------------------------
    # A state machine over the envelope segments only: the segments between
    # them are handed on in slices, never one by one.

    def _feed(self, batch: Batch) -> Iterator[TransactionSet]:
        start = 0
        for index in batch.marks:
            if self._open is not None:
                self._open.extend(batch, start, index)
                start = index + 1
                if batch.tags[index] == "SE":
                    self._open.se = batch.segment(index)
                    yield self._close_set()
                    continue
                yield self._cut_set()
            else:
                self._strays(batch.segments(start, index))
                start = index + 1
            self._envelope_segment(batch.segment(index))
        if self._open is not None:
            self._open.extend(batch, start, len(batch))
        else:
            self._strays(batch.segments(start))

    def _finish(self) -> Iterator[TransactionSet]:
        if self._open is not None:
            yield self._cut_set()
        self._end_group_early()
        if self._interchange is not None:
            self._missing_iea(self._interchange)

    def _envelope_segment(self, segment: Segment) -> None:
        tag = segment.tag
        if tag == "ISA":
            self._start_interchange(segment)
        elif tag == "IEA":
            self._end_interchange(segment)
        elif tag == "GS":
            self._start_group(segment)
        elif tag == "GE":
            self._end_group(segment)
        elif tag == "ST":
            self._start_set(segment)
        else:
            self._strays([segment])

    def _start_interchange(self, isa: Segment) -> None:
        self._end_group_early()
        if self._interchange is not None:
            self._missing_iea(self._interchange)
        interchange = Interchange(isa, isa.delimiters)
        self.interchanges.append(interchange)
        self._interchange = interchange
        self._check_control(interchange.control, ISA_CONTROL, "ISA13", isa, interchange)

    def _missing_iea(self, interchange: Interchange) -> None:
        message = "the interchange has no IEA trailer"
        self._report("missing_iea", message, interchange.isa, interchange, ack_code="023")
        self._interchange = None

    def _end_interchange(self, iea: Segment) -> None:
        self._end_group_early()
        interchange = self._interchange
        if interchange is None:
            self._report("outside_interchange", "IEA without an interchange", iea)
            return
        interchange.trailer = iea
        self._check_interchange_trailer(interchange)
        self._interchange = None

    def _start_group(self, gs: Segment) -> None:
        self._end_group_early()
        if self._interchange is None:
            self._report("outside_interchange", "GS outside an interchange", gs)
            self._skipping = True
            return
        group = Group(gs, self._interchange)
        self._interchange.groups.append(group)
        self._group = group
        self._skipping = False
        self._check_control(group.control, GS_CONTROL, "GS06", gs, group.interchange, group)

    def _end_group_early(self) -> None:
        if self._group is not None:
            group = self._group
            self._group_problem(group, "missing_ge", "the group has no GE trailer", group.gs, "3")
            self._group = None

    def _end_group(self, ge: Segment) -> None:
        group = self._group
        if group is None:
            self._report("outside_group", "GE without a functional group", ge, self._interchange)
            return
        group.trailer = ge
        self._check_group_trailer(group)
        self._group = None

    def _start_set(self, st: Segment) -> None:
        group = self._group
        if group is None:
            self._report("outside_group", "ST outside a functional group", st, self._interchange)
            self._skipping = True
            return
        self._skipping = False
        transaction = TransactionSet(st, group)
        self._open = transaction
        self._check_control(
            transaction.control, ST_CONTROL, "ST02", st, group.interchange, group, transaction
        )

    def _close_set(self) -> TransactionSet:
        transaction = self._take_open()
        self._check_set_trailer(transaction)
        return transaction

    def _cut_set(self) -> TransactionSet:
        transaction = self._take_open()
        message = "the transaction set has no SE trailer"
        self._set_problem(transaction, "missing_se", message, transaction.st, "2")
        return transaction

    def _take_open(self) -> TransactionSet:
        transaction = self._open
        assert transaction is not None
        self._open = None
        group = transaction.group
        group.set_count += 1
        if self._keep_summaries:
            group.sets.append(
                SetSummary(transaction.set_id, transaction.control, transaction.problems)
            )
        return transaction

    def _strays(self, segments: list[Segment]) -> None:
        if not segments or self._skipping:
            return
        if self._group is not None:
            for segment in segments:
                message = f"segment {segment.tag} between transaction sets"
                self._report("outside_set", message, segment, self._group.interchange, self._group)
        elif self._interchange is not None:
            self._interchange.extra += segments  # TA1 and the like
        else:
            for segment in segments:
                message = f"segment {segment.tag} outside an interchange"
                self._report("outside_interchange", message, segment)

    # -- checks ---------------------------------------------------------------------

    def _check_set_trailer(self, transaction: TransactionSet) -> None:
        se = transaction.se
        assert se is not None
        if se.element(2) != transaction.control:
            self._set_problem(
                transaction,
                "control_number_mismatch",
                f"SE02 {se.element(2)!r} does not match ST02 {transaction.control!r}",
                se,
                "3",
            )
        counted = transaction.segment_count
        if se.element(1) != str(counted):
            self._set_problem(
                transaction,
                "segment_count_mismatch",
                f"SE01 says {se.element(1)!r} segments, the set has {counted}",
                se,
                "4",
            )

    def _check_group_trailer(self, group: Group) -> None:
        ge = group.trailer
        assert ge is not None
        if ge.element(2) != group.control:
            self._group_problem(
                group,
                "control_number_mismatch",
                f"GE02 {ge.element(2)!r} does not match GS06 {group.control!r}",
                ge,
                "4",
            )
        if ge.element(1) != str(group.set_count):
            self._group_problem(
                group,
                "set_count_mismatch",
                f"GE01 says {ge.element(1)!r} transaction sets, the group has {group.set_count}",
                ge,
                "5",
            )

    def _check_interchange_trailer(self, interchange: Interchange) -> None:
        iea = interchange.trailer
        assert iea is not None
        if iea.element(2) != interchange.control:
            self._report(
                "control_number_mismatch",
                f"IEA02 {iea.element(2)!r} does not match ISA13 {interchange.control!r}",
                iea,
                interchange,
                ack_code="001",
            )
        if iea.element(1) != str(len(interchange.groups)):
            self._report(
                "group_count_mismatch",
                f"IEA01 says {iea.element(1)!r} groups, "
                f"the interchange has {len(interchange.groups)}",
                iea,
                interchange,
                ack_code="021",
            )

    def _check_control(
        self,
        value: str,
        pattern: re.Pattern[str],
        name: str,
        segment: Segment,
        interchange: Interchange,
        group: Group | None = None,
        transaction: TransactionSet | None = None,
    ) -> None:
        if pattern.match(value):
            return
        message = f"{name} {value!r} is not a valid control number"
        ack = "7" if transaction is not None else "6" if group is not None else "018"
        problem = self._problem(
            "bad_control_number", message, segment, interchange, group, transaction, ack
        )
        if transaction is not None:
            transaction.problems.append(problem)
        elif group is not None:
            group.problems.append(problem)
        self._problems.append(problem)

    # -- problems -------------------------------------------------------------------

    def _problem(
        self,
        code: str,
        message: str,
        segment: Segment,
        interchange: Interchange | None = None,
        group: Group | None = None,
        transaction: TransactionSet | None = None,
        ack_code: str | None = None,
    ) -> Problem:
        position = None if transaction is None else transaction.position_of(segment)
        location = Location(
            interchange=interchange.control if interchange else None,
            group=group.control if group else None,
            transaction_set=transaction.control if transaction else None,
            segment_position=position,
            segment_tag=segment.tag,
            byte_offset=self._tokens.offsets.byte_offset(segment.offset),
        )
        return Problem(code, message, location, Severity.ERROR, ack_code)

    def _report(
        self,
        code: str,
        message: str,
        segment: Segment,
        interchange: Interchange | None = None,
        group: Group | None = None,
        ack_code: str | None = None,
    ) -> None:
        self._problems.append(
            self._problem(code, message, segment, interchange, group, None, ack_code)
        )

    def _group_problem(
        self, group: Group, code: str, message: str, segment: Segment, ack: str
    ) -> None:
        problem = self._problem(code, message, segment, group.interchange, group, None, ack)
        group.problems.append(problem)
        self._problems.append(problem)

    def _set_problem(
        self, transaction: TransactionSet, code: str, message: str, segment: Segment, ack: str
    ) -> None:
        group = transaction.group
        problem = self._problem(code, message, segment, group.interchange, group, transaction, ack)
        transaction.problems.append(problem)
        self._problems.append(problem)
