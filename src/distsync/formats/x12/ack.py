"""Acknowledge received functional groups: 997 (004010) or 999 (005010X231).

``judge_group`` decides what to tell the sender about one received group, as
a ``FunctionalAck`` (the structure ``ack_read`` reads back), from the
reader's envelope problems and the problems found per transaction set by
validation and mapping. ``ack_body`` writes it as 997 or 999 segments (for
``writer.transaction_set``); ``acknowledgement_interchange`` writes the whole
interchange sent back: ISA and GS parties swapped, functional id FA, the
received interchange's delimiters, one 997/999 per received group.

How problems become codes (warnings are never reported):

- set-level problems (SE missing, SE01/SE02 wrong, a bad ST02, an
  unsupported set or version) reject the set: AK5/IK5 ``R`` with their codes
  (2, 4, 3, 7, 1);
- a problem located at a segment and element becomes an AK4/IK4 with its
  ``ack_code`` under an AK3/IK3 with code 8; a value the canonical model
  refuses (``mapping_error``) has no X12 code of its own and is reported as
  7 (invalid code value) in a 997, I12 (implementation pattern match
  failure) in a 999;
- a problem located at a segment only becomes an AK3/IK3 with its
  ``ack_code`` (3 mandatory segment missing, 4, 5, 6, 7);
- a set with segment errors is rejected (``R``, AK502 5), or accepted with
  errors (``E``) when ``accept_with_errors``; a 999 says I5 instead of 5 when
  every code it reports for the set is an implementation code (I..);
- group-level problems reject the whole group: AK901 ``R``, AK904 0, with
  AK905 codes 3 (GE missing), 4 (GE02 is not GS06), 5 (GE01 is not the
  number of sets), 6 (GS06 malformed). Otherwise AK901 is A (every set
  accepted), E (accepted, some with errors), P (some rejected) or R (all).

Groups that are themselves acknowledgements (GS01 ``FA``) are never
acknowledged. AK303 (loop) and AK402 (data element reference) are left out:
the validator does not know them. The bad value (AK404/IK404) and the 999's
AK203 are copied only when the transaction sets are handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from distsync.errors import SchemaViolation
from distsync.formats.x12.ack_read import ElementNote, FunctionalAck, SegmentNote, SetAck
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.envelope import Group, Interchange, SetSummary, TransactionSet, X12Reader
from distsync.formats.x12.problems import Problem, Severity
from distsync.formats.x12.writer import DEFAULT_DELIMITERS, Envelope, Party

SetKey = tuple[str, str, str]
"""A received transaction set: interchange (ISA13), group (GS06) and set (ST02) control numbers."""

ACK_VERSIONS = {"997": "004010", "999": "005010X231"}
"""The GS08 each acknowledgement is written in."""

SET_CODES = {
    "unsupported_set": "1",
    "unsupported_version": "1",
    "missing_se": "2",
    "control_number_mismatch": "3",
    "segment_count_mismatch": "4",
    "bad_control_number": "7",
}
"""Set-level problems and their AK502/IK502 codes."""

GROUP_CODES = {
    "missing_ge": "3",
    "control_number_mismatch": "4",
    "set_count_mismatch": "5",
    "bad_control_number": "6",
}
"""Group-level problems and their AK905 codes (data element 716)."""

NOTE_TAGS = {"997": ("AK3", "AK4", "AK5"), "999": ("IK3", "IK4", "IK5")}
MAPPING_ELEMENT_CODES = {"997": "7", "999": "I12"}
ELEMENT_ERRORS = "8"
SEGMENT_ERRORS = "5"
VALUE_COPY_LIMIT = 99
REPETITION_CHOICES = "^{|!`"
MAX_CODES = 5

Problems = Mapping[SetKey, Sequence[Problem]]
Values = Callable[[int, int], str]


def by_set(problems: Iterable[Problem]) -> dict[SetKey, list[Problem]]:
    """Problems of validation and mapping, filed by the set their location names."""
    filed: dict[SetKey, list[Problem]] = {}
    for problem in problems:
        where = problem.location
        if where.interchange is None or where.group is None or where.transaction_set is None:
            continue
        filed.setdefault((where.interchange, where.group, where.transaction_set), []).append(
            problem
        )
    return filed


def judge_group(
    group: Group,
    problems: Problems | None = None,
    *,
    kind: str = "997",
    accept_with_errors: bool = False,
    transactions: Mapping[SetKey, TransactionSet] | None = None,
) -> FunctionalAck:
    """What a 997/999 says about one received group (see the module docstring for the rules)."""
    if kind not in ACK_VERSIONS:
        raise SchemaViolation(f"acknowledging group {group.control}: {kind!r} is not 997 or 999")
    judged = tuple(
        _judge_set(summary, group, problems or {}, kind, accept_with_errors, transactions or {})
        for summary in group.sets
    )
    group_codes = _unique(_group_code(p) for p in _errors(group.problems))
    received = len(group.sets)
    accepted = sum(1 for s in judged if not s.rejected)
    status = _group_status(judged)
    if group_codes:
        status, accepted = "R", 0
    return FunctionalAck(
        group_control=group.control,
        functional_id=group.functional_id,
        group_status=status,
        sets=judged,
        group_codes=group_codes[:MAX_CODES],
        version=group.version if kind == "999" else "",
        included=_included(group, received),
        received=received,
        accepted=accepted,
        kind=kind,
    )


def acknowledge(
    reader: X12Reader,
    problems: Problems | None = None,
    *,
    kind: str = "997",
    accept_with_errors: bool = False,
    transactions: Iterable[TransactionSet] = (),
) -> list[FunctionalAck]:
    """One acknowledgement per received group of a read file (FA groups left out), in order."""
    groups = [g for i in reader.interchanges for g in _acknowledgeable(i)]
    return _judge_all(groups, problems, kind, accept_with_errors, transactions)


def ack_body(ack: FunctionalAck, delimiters: Delimiters = DEFAULT_DELIMITERS) -> list[list[str]]:
    """The 997 or 999 body (AK1 ... AK9) as segment field lists, tag first."""
    segment, element, trailer = NOTE_TAGS[ack.kind]
    fields = [["AK1", ack.functional_id, ack.group_control, ack.version]]
    for judged in ack.sets:
        fields.append(["AK2", judged.set_id, judged.control, judged.convention])
        for note in judged.segments:
            fields.append([segment, note.tag, str(note.position), note.loop, note.code])
            fields += [_element_fields(element, e, delimiters) for e in note.elements]
        fields.append([trailer, judged.status, *judged.codes[:MAX_CODES]])
    counts = ["" if n is None else str(n) for n in (ack.included, ack.received, ack.accepted)]
    fields.append(["AK9", ack.group_status, *counts, *ack.group_codes[:MAX_CODES]])
    return fields


def acknowledgement_interchange(
    source: X12Reader | Interchange,
    problems: Problems | None = None,
    *,
    kind: str = "997",
    controls: tuple[int, int, int],
    at: datetime,
    accept_with_errors: bool = False,
    transactions: Iterable[TransactionSet] = (),
) -> str | None:
    """The interchange that acknowledges every group of one received interchange.

    ``controls`` are the ISA13, GS06 and first ST02 numbers to use (the
    sets are numbered on from it, one per acknowledged group). The ISA
    parties are the received ones swapped, GS02/GS03 those of the first
    acknowledged group swapped, ISA15 (test or production) kept. Returns
    ``None`` when there is nothing to acknowledge (only FA groups). The text
    is to be encoded as the file was (``X12Reader.encoding``).
    """
    interchange = _single(source)
    groups = _acknowledgeable(interchange)
    if not groups:
        return None
    acks = _judge_all(groups, problems, kind, accept_with_errors, transactions)
    envelope = _reply_envelope(interchange, groups[0], kind)
    isa, gs, st = controls
    return envelope.interchange(
        "FA",
        [(kind, ack_body(a, envelope.delimiters)) for a in acks],
        interchange_control=isa,
        group_control=gs,
        first_set_control=st,
        at=at,
    )


def _judge_all(
    groups: Sequence[Group],
    problems: Problems | None,
    kind: str,
    accept_with_errors: bool,
    transactions: Iterable[TransactionSet],
) -> list[FunctionalAck]:
    kept = _by_key(transactions)
    return [
        judge_group(
            g, problems, kind=kind, accept_with_errors=accept_with_errors, transactions=kept
        )
        for g in groups
    ]


# -- sets -----------------------------------------------------------------------------


def _judge_set(
    summary: SetSummary,
    group: Group,
    problems: Problems,
    kind: str,
    accept_with_errors: bool,
    transactions: Mapping[SetKey, TransactionSet],
) -> SetAck:
    key = (group.interchange.control, group.control, summary.control)
    errors = _errors([*summary.problems, *problems.get(key, ())])
    transaction = transactions.get(key)
    set_level = [p for p in errors if _is_set_level(p)]
    notes = _segment_notes(
        [p for p in errors if not _is_set_level(p)], kind, _values(transaction, group)
    )
    codes = _unique(SET_CODES.get(p.code, p.ack_code or "") for p in set_level)
    if notes:
        codes = _unique([*codes, _segments_code(notes, kind)])
    status = "A"
    if errors:
        status = "E" if accept_with_errors and not set_level else "R"
    convention = transaction.st.element(3) if transaction is not None and kind == "999" else ""
    return SetAck(summary.set_id, summary.control, status, codes[:MAX_CODES], notes, convention)


def _is_set_level(problem: Problem) -> bool:
    return problem.code in SET_CODES or problem.location.segment_position is None


def _segment_notes(
    problems: Sequence[Problem], kind: str, values: Values
) -> tuple[SegmentNote, ...]:
    notes: list[SegmentNote] = []
    for problem in problems:
        where = problem.location
        position = where.segment_position or 0
        if where.element_position is None:
            _add_segment_note(
                notes, (problem.location.segment_tag or ""), position, problem.ack_code or ""
            )
            continue
        note = _add_segment_note(notes, where.segment_tag or "", position, ELEMENT_ERRORS)
        element = ElementNote(
            where.element_position,
            _element_code(problem, kind),
            value=values(position, where.element_position),
        )
        notes[notes.index(note)] = replace(note, elements=(*note.elements, element))
    return tuple(sorted(notes, key=lambda n: n.position))


def _add_segment_note(notes: list[SegmentNote], tag: str, position: int, code: str) -> SegmentNote:
    for note in notes:
        if (note.tag, note.position, note.code) == (tag, position, code):
            return note
    notes.append(SegmentNote(tag, position, code))
    return notes[-1]


def _element_code(problem: Problem, kind: str) -> str:
    if problem.code == "mapping_error" or not problem.ack_code:
        return MAPPING_ELEMENT_CODES[kind]
    return problem.ack_code


def _segments_code(notes: Sequence[SegmentNote], kind: str) -> str:
    reported = [n.code for n in notes if n.code != ELEMENT_ERRORS]
    reported += [e.code for n in notes for e in n.elements]
    if kind == "999" and reported and all(c.startswith("I") for c in reported):
        return "I" + SEGMENT_ERRORS
    return SEGMENT_ERRORS


def _values(transaction: TransactionSet | None, group: Group) -> Values:
    reserved = _reserved(group.interchange.delimiters)

    def value(position: int, element: int) -> str:
        if transaction is None or not 0 < position <= len(transaction.segments):
            return ""
        raw = transaction.segments[position - 1].element(element)
        return "".join(c for c in raw if c not in reserved)[:VALUE_COPY_LIMIT]

    return value


# -- groups and interchanges ---------------------------------------------------------


def _group_code(problem: Problem) -> str:
    return GROUP_CODES.get(problem.code, problem.ack_code or "")


def _group_status(sets: Sequence[SetAck]) -> str:
    rejected = sum(1 for s in sets if s.rejected)
    if sets and rejected == len(sets):
        return "R"
    if rejected:
        return "P"
    return "E" if any(s.status == "E" for s in sets) else "A"


def _included(group: Group, received: int) -> int:
    stated = group.trailer.element(1) if group.trailer is not None else ""
    return int(stated) if stated.isdigit() else received


def _acknowledgeable(interchange: Interchange) -> list[Group]:
    return [g for g in interchange.groups if g.functional_id != "FA"]


def _single(source: X12Reader | Interchange) -> Interchange:
    if isinstance(source, Interchange):
        return source
    if len(source.interchanges) != 1:
        raise SchemaViolation(
            f"acknowledging a file: it holds {len(source.interchanges)} interchanges "
            "(read it first, and acknowledge each interchange on its own)"
        )
    return source.interchanges[0]


def _reply_envelope(interchange: Interchange, group: Group, kind: str) -> Envelope:
    usage = interchange.isa.element(15).strip()
    return Envelope(
        sender=Party(*interchange.receiver(), application=group.gs.element(3).strip() or None),
        receiver=Party(*interchange.sender(), application=group.gs.element(2).strip() or None),
        version=ACK_VERSIONS[kind],
        delimiters=_reply_delimiters(interchange.delimiters, kind),
        usage=usage if usage in ("P", "T") else "P",
    )


def _reply_delimiters(received: Delimiters, kind: str) -> Delimiters:
    """The sender's delimiters; a 999 (ISA 00501) also needs a repetition separator."""
    if kind != "999" or received.repetition:
        return received
    taken = {received.element, received.component, received.segment}
    choice = next(c for c in REPETITION_CHOICES if c not in taken)
    return replace(received, repetition=choice)


# -- small helpers -------------------------------------------------------------------


def _errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == Severity.ERROR]


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in codes if c))


def _by_key(transactions: Iterable[TransactionSet]) -> dict[SetKey, TransactionSet]:
    return {(t.interchange.control, t.group.control, t.control): t for t in transactions}


def _reserved(delimiters: Delimiters) -> set[str]:
    """Characters a value copy cannot carry: the writer refuses them inside values."""
    chosen = {delimiters.element, delimiters.segment}
    return chosen | ({delimiters.repetition} if delimiters.repetition else set())


def _element_fields(tag: str, note: ElementNote, delimiters: Delimiters) -> list[str]:
    where = str(note.position)
    if note.component is not None:
        where += f"{delimiters.component}{note.component}"
    value = "".join(c for c in note.value if c not in _reserved(delimiters))
    return [tag, where, note.reference, note.code, value]
