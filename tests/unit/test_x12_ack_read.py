"""Received 997/999: read into FunctionalAck, and reconciled with the groups sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from distsync.errors import SchemaViolation
from distsync.formats.x12.ack_read import (
    AckOutcome,
    ElementNote,
    FunctionalAck,
    RejectedSet,
    SegmentNote,
    SentGroup,
    SetAck,
    read_acknowledgement,
    read_acknowledgements,
    reconcile,
)
from distsync.formats.x12.envelope import X12Reader
from tests.x12_corpus import corpus_root

CORPUS = corpus_root()
ISA = (
    "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*ACME           "
    "*260105*1030*U*00401*000000501*0*P*>~"
)


def ack_file(*body: str, set_id: str = "997") -> bytes:
    segments = [f"ST*{set_id}*0001", *body, f"SE*{len(body) + 2}*0001"]
    lines = [
        ISA,
        "GS*FA*NORTHWIND*ACME*20260105*1030*61*X*004010~",
        *(s + "~" for s in segments),
        "GE*1*61~",
        "IEA*1*000000501~",
    ]
    return "\n".join(lines).encode()


# -- the corpus ---------------------------------------------------------------------

EXPECTED = {
    "997/bots-plugins__997-004010VICS-01.x12": ("PR", "10001", "A", [("855", "1294", "A")]),
    "997/bots-plugins__997_1.x12": ("PO", "214", "A", [("850", "000000390", "A")]),
    "997/stupidedi__004010_FA997_pass_1.edi": ("AG", "160", "A", [("824", "0160", "A")]),
    "997/stupidedi__response-to-functional-group-containing-837s.edi": (
        "HC", "17456", "P", [("837", "0001", "A"), ("837", "0002", "R")],
    ),
    "999/X12Parser__DHS_Wisconsin_Sample.txt": (
        "HC", "17456", "P", [("837", "0001", "A"), ("837", "002", "R"), ("837", "0003", "R")],
    ),
    "999/stupidedi__response-to-functional-group-containing-3-837s.edi": (
        "HC", "17456", "P", [("837", "0001", "A"), ("837", "0002", "R"), ("837", "0003", "R")],
    ),
}  # fmt: skip


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for s in ("997", "999") for p in (CORPUS / s).glob("*") if p.is_file())


def test_every_corpus_acknowledgement_has_an_expectation() -> None:
    found = corpus_files()
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")
    assert sorted(str(p.relative_to(CORPUS)) for p in found) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_corpus_acknowledgement_is_recognised(name: str) -> None:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    (ack,) = read_acknowledgements(path.read_bytes())
    functional_id, control, status, sets = EXPECTED[name]
    assert (ack.functional_id, ack.group_control, ack.group_status) == (
        functional_id, control, status,
    )  # fmt: skip
    assert [(s.set_id, s.control, s.status) for s in ack.sets] == sets
    assert ack.kind == name[:3]
    assert (ack.included, ack.received) == (len(sets), len(sets))
    assert ack.accepted == sum(1 for s in sets if s[2] == "A")


def test_the_notes_of_a_999_are_read_with_their_elements() -> None:
    path = CORPUS / "999/stupidedi__response-to-functional-group-containing-3-837s.edi"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    (ack,) = read_acknowledgements(path.read_bytes(), partner="clearinghouse")
    assert ack.partner == "clearinghouse"
    assert ack.version == "005010X222A2"
    _, second, third = ack.sets
    assert second.codes == ("5",)
    assert second.segments == (
        SegmentNote("CLM", 22, "8", elements=(ElementNote(2, "1", reference="782"),)),
    )
    assert third.segments == (SegmentNote("REF", 57, "3"),)


def test_the_997_inside_a_mailbag_is_found_among_other_sets() -> None:
    path = CORPUS / "mixed/bots-plugins__mailbag01.x12"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    (ack,) = read_acknowledgements(path.read_bytes())
    assert (ack.functional_id, ack.group_control, ack.group_status) == ("PR", "10001", "A")
    assert ack.partner == "111111111"


# -- reading ------------------------------------------------------------------------


def test_a_composite_element_position_and_the_bad_value_are_read() -> None:
    data = ack_file(
        "AK1*PO*17", "AK2*850*0002", "AK3*PO1*3*PO1*8", "AK4*2>1*355*7*XX",
        "AK5*R*5", "AK9*R*1*1*0",
    )  # fmt: skip
    (ack,) = read_acknowledgements(data)
    (note,) = ack.sets[0].segments
    assert note == SegmentNote(
        "PO1", 3, "8", "PO1", (ElementNote(2, "7", component=1, reference="355", value="XX"),)
    )


def test_a_997_may_leave_accepted_sets_out() -> None:
    (ack,) = read_acknowledgements(ack_file("AK1*PO*17", "AK9*A*2*2*2"))
    assert (ack.sets, ack.group_status, ack.accepted) == ((), "A", 2)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (["AK2*850*1", "AK5*A", "AK9*A*1*1*1"], "AK2 where AK1"),
        (["AK1*PO*17", "AK2*850*1", "AK9*A*1*1*1"], "AK9 inside the AK2 loop"),
        (["AK1*PO*17", "AK2*850*1", "AK3*PO1*3**8"], "has no AK5"),
        (["AK1*PO*17", "AK2*850*1", "AK5*Q", "AK9*A*1*1*1"], "'Q' is not"),
        (["AK1*PO*17", "AK9*Z*1*1*1"], "'Z' is not"),
        (["AK1*PO*17", "AK2*850*1", "AK3*PO1*three**8", "AK5*R*5", "AK9*R*1*1*0"], "malformed"),
        (["AK1*PO*17"], "no AK9"),
    ],
)
def test_a_malformed_acknowledgement_is_a_schema_violation(body: list[str], complaint: str) -> None:
    with pytest.raises(SchemaViolation, match=complaint):
        read_acknowledgements(ack_file(*body))


def test_a_set_that_is_not_an_acknowledgement_is_refused() -> None:
    (transaction,) = X12Reader(ack_file("BEG*00*SA*1**20260105", set_id="850")).read_all()
    with pytest.raises(SchemaViolation, match="not an acknowledgement"):
        read_acknowledgement(transaction)
    assert read_acknowledgements(ack_file("BEG*00*SA*1**20260105", set_id="850")) == []


# -- reconciliation ------------------------------------------------------------------

SENT = SentGroup("acme", "17", "PO", ("0001", "0002", "0003"))


def ack(
    status: str, *sets: SetAck, codes: tuple[str, ...] = (), control: str = "17"
) -> FunctionalAck:
    return FunctionalAck(control, "PO", status, sets, codes, partner="acme")


def test_an_accepted_group_is_accepted() -> None:
    (result,) = reconcile([SENT], [ack("A")])
    assert (result.outcome, result.rejected) == (AckOutcome.ACCEPTED, ())
    assert result.unlisted == ("0001", "0002", "0003")


def test_a_group_accepted_with_errors_says_so() -> None:
    (result,) = reconcile([SENT], [ack("E", SetAck("850", "0002", "E", ("5",)))])
    assert result.outcome == AckOutcome.ACCEPTED_WITH_ERRORS
    assert result.unlisted == ("0001", "0003")


def test_a_partially_accepted_group_names_the_rejected_sets_and_their_codes() -> None:
    sets = (SetAck("850", "0001", "A"), SetAck("850", "0002", "R", ("5",)), SetAck("850", "3", "A"))
    (result,) = reconcile([SENT], [ack("P", *sets)])
    assert result.outcome == AckOutcome.PARTIALLY_ACCEPTED
    assert result.rejected == (RejectedSet("0002", ("5",)),)
    assert result.unlisted == ()


def test_a_rejected_set_under_an_accepting_group_status_makes_it_partial() -> None:
    (result,) = reconcile([SENT], [ack("A", SetAck("850", "0003", "R", ("4",)))])
    assert result.outcome == AckOutcome.PARTIALLY_ACCEPTED
    assert result.rejected == (RejectedSet("0003", ("4",)),)


def test_a_rejected_group_rejects_every_set_sent() -> None:
    listed = SetAck("850", "0002", "R", ("5",))
    (result,) = reconcile([SENT], [ack("R", listed, codes=("5",))])
    assert result.outcome == AckOutcome.REJECTED
    assert result.rejected == (
        RejectedSet("0001", ("5",)),
        RejectedSet("0002", ("5",)),
        RejectedSet("0003", ("5",)),
    )


def test_a_group_without_acknowledgement_is_not_acknowledged() -> None:
    other = SentGroup("northwind", "17", "PO", ("0001",))
    results = reconcile([SENT, other], [ack("A")])
    assert [r.outcome for r in results] == [AckOutcome.ACCEPTED, AckOutcome.NOT_ACKNOWLEDGED]
    assert results[1].ack is None


def test_an_acknowledgement_of_a_group_never_sent_is_reported() -> None:
    stray = ack("R", SetAck("850", "0009", "R", ("1",)), control="99")
    results = reconcile([SENT], [ack("A"), stray])
    assert [r.outcome for r in results] == [AckOutcome.ACCEPTED, AckOutcome.UNEXPECTED]
    assert (results[1].group_control, results[1].rejected) == ("99", (RejectedSet("0009", ("1",)),))


def test_control_numbers_match_as_numbers_and_the_last_acknowledgement_counts() -> None:
    sent = SentGroup("acme", "000017", "PO", ("1",))
    first, second = ack("R", codes=("5",)), ack("A", SetAck("850", "0001", "A"))
    (result,) = reconcile([sent], [first, second])
    assert (result.outcome, result.unlisted, result.ack) == (AckOutcome.ACCEPTED, (), second)
