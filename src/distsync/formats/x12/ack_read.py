"""Received 997/999 acknowledgements: read them, and reconcile them with what was sent.

``read_acknowledgement`` turns one 997 (functional acknowledgement) or 999
(implementation acknowledgement) transaction set into a ``FunctionalAck``:
the group it answers, the group's status (AK901), and per transaction set
its status (AK501/IK501), its codes and the segment and element notes
(AK3/IK3, AK4/IK4). ``ack.py`` builds the same structure when it writes an
acknowledgement, so reading back what was written gives what was meant.

``reconcile`` compares the groups sent to partners with the acknowledgements
received and says, per group, whether it was accepted, accepted with errors,
partially accepted, rejected (which sets, with which codes) or not
acknowledged yet; an acknowledgement of a group nobody sent is reported too.
Both are pure: keeping what was sent belongs to the flow that sends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.tokenizer import Segment

ACK_SETS = ("997", "999")
REJECTING = frozenset({"R", "M", "W", "X"})
"""AK501/AK901 codes that reject: rejected, MAC failed, assurance failed, decryption failed."""
SET_STATUSES = frozenset({"A", "E", *REJECTING})
GROUP_STATUSES = frozenset({"P", *SET_STATUSES})


@dataclass(frozen=True)
class ElementNote:
    """An AK4/IK4: one element in error."""

    position: int
    code: str
    component: int | None = None
    reference: str = ""  # the data element reference number, when known
    value: str = ""  # a copy of the bad value, when known


@dataclass(frozen=True)
class SegmentNote:
    """An AK3/IK3: one segment in error, with its elements in error."""

    tag: str
    position: int  # in the transaction set, ST is 1
    code: str = ""
    loop: str = ""
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True)
class SetAck:
    """An AK2 ... AK5/IK5 loop: what the receiver says of one transaction set."""

    set_id: str
    control: str
    status: str  # A accepted, E accepted with errors, R rejected (M, W, X: rejected too)
    codes: tuple[str, ...] = ()
    segments: tuple[SegmentNote, ...] = ()
    convention: str = ""  # AK203, the set's ST03

    @property
    def rejected(self) -> bool:
        return self.status in REJECTING


@dataclass(frozen=True)
class FunctionalAck:
    """One acknowledged functional group (one 997 or 999 transaction set)."""

    group_control: str
    functional_id: str
    group_status: str  # A, E, P partially accepted, R (M, W, X: rejected too)
    sets: tuple[SetAck, ...] = ()
    group_codes: tuple[str, ...] = ()
    version: str = ""  # AK103, the acknowledged group's GS08 (5010)
    included: int | None = None  # AK902
    received: int | None = None  # AK903
    accepted: int | None = None  # AK904
    kind: str = "997"
    partner: str = ""  # who sent the acknowledgement (see ``read_acknowledgements``)


SET_TRAILERS = ("AK5", "IK5")
SEGMENT_NOTES = ("AK3", "IK3")
ELEMENT_NOTES = ("AK4", "IK4")


def read_acknowledgement(transaction: TransactionSet, partner: str = "") -> FunctionalAck:
    """A 997 or 999 transaction set as a ``FunctionalAck``; ``SchemaViolation`` when malformed."""
    if transaction.set_id not in ACK_SETS:
        raise SchemaViolation(
            f"reading set {transaction.control}: a {transaction.set_id} is not an acknowledgement"
        )
    try:
        return _Reading(transaction, partner).run()
    except (ValueError, IndexError) as exc:
        raise SchemaViolation(
            f"reading {transaction.set_id} {transaction.control}: malformed ({exc})"
        ) from exc


def read_acknowledgements(
    source: bytes | BinaryIO, partner: str | None = None
) -> list[FunctionalAck]:
    """Every 997/999 in a file, in order; other transaction sets are passed over.

    ``partner`` names the sender (as the landscape does); by default it is the
    interchange's sender id (ISA06).
    """
    found = []
    for transaction in X12Reader(source).sets():
        if transaction.set_id in ACK_SETS:
            sender = partner if partner is not None else transaction.interchange.sender()[1]
            found.append(read_acknowledgement(transaction, sender))
    return found


class _Reading:
    def __init__(self, transaction: TransactionSet, partner: str) -> None:
        self.transaction = transaction
        self.partner = partner
        self.segments: Iterator[Segment] = iter(transaction.body)
        self.sets: list[SetAck] = []

    def run(self) -> FunctionalAck:
        ak1 = self._next("AK1")
        ak9 = self._sets()
        _check_status(ak9, GROUP_STATUSES)
        return FunctionalAck(
            group_control=ak1.element(2),
            functional_id=ak1.element(1),
            group_status=ak9.element(1),
            sets=tuple(self.sets),
            group_codes=_codes(ak9, 5, 9),
            version=ak1.element(3),
            included=_number(ak9.element(2)),
            received=_number(ak9.element(3)),
            accepted=_number(ak9.element(4)),
            kind=self.transaction.set_id,
            partner=self.partner,
        )

    def _next(self, tag: str) -> Segment:
        for segment in self.segments:
            if segment.tag == tag:
                return segment
            if segment.tag != "CTX":
                raise ValueError(f"{segment.tag} where {tag} was expected")
        raise ValueError(f"no {tag} segment")

    def _sets(self) -> Segment:
        for segment in self.segments:
            if segment.tag == "AK9":
                return segment
            if segment.tag != "AK2":
                raise ValueError(f"{segment.tag} where AK2 or AK9 was expected")
            self.sets.append(self._set(segment))
        raise ValueError("no AK9 segment")

    def _set(self, ak2: Segment) -> SetAck:
        notes: list[SegmentNote] = []
        for segment in self.segments:
            if segment.tag in SEGMENT_NOTES:
                notes.append(_segment_note(segment))
            elif segment.tag in ELEMENT_NOTES and notes:
                notes[-1] = _with_element(notes[-1], _element_note(segment))
            elif segment.tag in SET_TRAILERS:
                _check_status(segment, SET_STATUSES)
                return SetAck(
                    ak2.element(1),
                    ak2.element(2),
                    segment.element(1),
                    _codes(segment, 2, 6),
                    tuple(notes),
                    ak2.element(3),
                )
            elif segment.tag != "CTX":
                raise ValueError(f"{segment.tag} inside the AK2 loop of set {ak2.element(2)}")
        raise ValueError(f"the AK2 loop of set {ak2.element(2)} has no AK5/IK5")


def _check_status(segment: Segment, allowed: frozenset[str]) -> None:
    if segment.element(1) not in allowed:
        raise ValueError(f"{segment.tag}01 {segment.element(1)!r} is not an acknowledgement code")


def _segment_note(segment: Segment) -> SegmentNote:
    return SegmentNote(
        tag=segment.element(1),
        position=int(segment.element(2)),
        code=segment.element(4),
        loop=segment.element(3),
    )


def _element_note(segment: Segment) -> ElementNote:
    where = segment.components(1)
    component = where[1] if len(where) > 1 and where[1] else None
    return ElementNote(
        position=int(where[0]),
        code=segment.element(3),
        component=int(component) if component is not None else None,
        reference=segment.element(2),
        value=segment.element(4),
    )


def _with_element(note: SegmentNote, element: ElementNote) -> SegmentNote:
    return SegmentNote(note.tag, note.position, note.code, note.loop, (*note.elements, element))


def _codes(segment: Segment, first: int, last: int) -> tuple[str, ...]:
    values = (segment.element(n) for n in range(first, last + 1))
    return tuple(v for v in values if v)


def _number(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


# -- reconciliation -------------------------------------------------------------------


@dataclass(frozen=True)
class SentGroup:
    """A functional group sent to a partner, as the sender recorded it."""

    partner: str
    group_control: str
    functional_id: str
    set_controls: tuple[str, ...]


class AckOutcome(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOT_ACKNOWLEDGED = "not_acknowledged"
    UNEXPECTED = "unexpected"  # an acknowledgement of a group we did not send


@dataclass(frozen=True)
class RejectedSet:
    control: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reconciliation:
    """What became of one sent group (or where an unexpected acknowledgement came from).

    ``rejected``: the sets the partner refused, with their AK5 codes (every
    set sent, when the whole group was rejected). ``unlisted``: sets sent but
    not named in the acknowledgement (a 997 may leave accepted sets out).
    """

    partner: str
    group_control: str
    functional_id: str
    outcome: AckOutcome
    rejected: tuple[RejectedSet, ...] = ()
    unlisted: tuple[str, ...] = ()
    ack: FunctionalAck | None = None


GROUP_OUTCOMES = {
    "A": AckOutcome.ACCEPTED,
    "E": AckOutcome.ACCEPTED_WITH_ERRORS,
    "P": AckOutcome.PARTIALLY_ACCEPTED,
}


def reconcile(sent: Sequence[SentGroup], acks: Sequence[FunctionalAck]) -> list[Reconciliation]:
    """One result per sent group, in order, then one per acknowledgement nobody asked for.

    Groups and acknowledgements are matched by partner and group control
    number (compared as numbers when both are digits: ``"017"`` is ``"17"``).
    When a partner acknowledged a group twice, the last acknowledgement counts.
    """
    by_group = {(a.partner, _control(a.group_control)): a for a in acks}
    results = []
    for group in sent:
        key = (group.partner, _control(group.group_control))
        results.append(_outcome(group, by_group.pop(key, None)))
    sent_keys = {(g.partner, _control(g.group_control)) for g in sent}
    for key, ack in by_group.items():
        if key not in sent_keys:
            results.append(_unexpected(ack))
    return results


def _outcome(group: SentGroup, ack: FunctionalAck | None) -> Reconciliation:
    base = Reconciliation(
        group.partner, group.group_control, group.functional_id, AckOutcome.NOT_ACKNOWLEDGED
    )
    if ack is None:
        return base
    listed = {_control(s.control): s for s in ack.sets}
    unlisted = tuple(c for c in group.set_controls if _control(c) not in listed)
    if ack.group_status in REJECTING:
        rejected = tuple(_rejected(c, listed.get(_control(c)), ack) for c in group.set_controls)
        return _with(base, AckOutcome.REJECTED, rejected, unlisted, ack)
    rejected = tuple(RejectedSet(s.control, s.codes) for s in ack.sets if s.rejected)
    outcome = GROUP_OUTCOMES.get(ack.group_status, AckOutcome.PARTIALLY_ACCEPTED)
    if rejected and outcome != AckOutcome.PARTIALLY_ACCEPTED:
        outcome = AckOutcome.PARTIALLY_ACCEPTED  # the sets say more than the group status
    return _with(base, outcome, rejected, unlisted, ack)


def _rejected(control: str, listed: SetAck | None, ack: FunctionalAck) -> RejectedSet:
    codes = listed.codes if listed is not None and listed.codes else ack.group_codes
    return RejectedSet(control, codes)


def _with(
    base: Reconciliation,
    outcome: AckOutcome,
    rejected: tuple[RejectedSet, ...],
    unlisted: tuple[str, ...],
    ack: FunctionalAck,
) -> Reconciliation:
    return Reconciliation(
        base.partner, base.group_control, base.functional_id, outcome, rejected, unlisted, ack
    )


def _unexpected(ack: FunctionalAck) -> Reconciliation:
    rejected = tuple(RejectedSet(s.control, s.codes) for s in ack.sets if s.rejected)
    return Reconciliation(
        ack.partner, ack.group_control, ack.functional_id, AckOutcome.UNEXPECTED, rejected, (), ack
    )


def _control(value: str) -> str:
    stripped = value.strip()
    return str(int(stripped)) if stripped.isdigit() else stripped
