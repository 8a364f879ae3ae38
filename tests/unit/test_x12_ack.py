"""997 and 999 acknowledgements of received groups: golden texts, codes, parties, round trips."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.ack import (
    ack_body,
    acknowledge,
    acknowledgement_interchange,
    by_set,
    judge_group,
)
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.formats.x12.envelope import TransactionSet, X12Reader
from distsync.formats.x12.problems import Location, Problem, Severity
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from tests.x12_corpus import corpus_root

CORPUS = corpus_root()
AT = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
CONTROLS = (501, 61, 71)
ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
    "*260105*0900*U*00401*000000017*0*P*>~"
)
GS = "GS*PO*ACME-APP*NW-APP*20260105*0900*17*X*004010~"
CLEAN_PO = ["ST*850*0001~", "BEG*00*SA*PO-1**20260105~", "PO1*1*12*EA*10.50~", "CTT*1~"]
SPEC = SetSpec(
    "850",
    "purchase order as the tests read it",
    (
        seg("BEG", "start",
            el(1, "purpose", "ID", 2, 2, required=True, codes=["00", "05"]),
            el(3, "po number", "AN", 1, 22, required=True),
            el(5, "date", "DT", 8, 8, required=True),
            min_use=1),
        loop("PO1", seg("PO1", "line", el(2, "quantity", "R", 1, 15, required=True), min_use=1),
             min_use=1),
        seg("CTT", "totals", el(1, "lines", "N0", 1, 6, required=True), min_use=1),
    ),
)  # fmt: skip


def a_set(control: str, *body: str, count: int | None = None) -> list[str]:
    segments = [f"ST*850*{control}~", *(b + "~" for b in body)]
    return [*segments, f"SE*{count or len(segments) + 1}*{control}~"]


def received(*groups: list[str], isa: str = ISA) -> bytes:
    return "\n".join([isa, *(line for g in groups for line in g), "IEA*1*000000017~"]).encode()


def group(*sets: list[str], control: str = "17", count: int | None = None) -> list[str]:
    header = GS.replace("*17*X*", f"*{control}*X*")
    lines = [line for s in sets for line in s]
    return [header, *lines, f"GE*{len(sets) if count is None else count}*{control}~"]


def clean_set(control: str = "0001") -> list[str]:
    return a_set(control, "BEG*00*SA*PO-1**20260105", "PO1*1*12*EA*10.50", "CTT*1")


def answer(data: bytes, kind: str = "997", **options: object) -> str:
    reader = X12Reader(data)
    sets = reader.read_all()
    problems = by_set(p for t in sets for p in validate(t, SPEC))
    text = acknowledgement_interchange(
        reader, problems, kind=kind, controls=CONTROLS, at=AT, transactions=sets, **options
    )
    assert text is not None
    return text


def key(transaction: TransactionSet) -> tuple[str, str, str]:
    return transaction.interchange.control, transaction.group.control, transaction.control


def lines(*segments: str) -> str:
    return "".join(s + "~\n" for s in segments)


REPLY_997 = (
    "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*ACME           "
    "*260105*1030*U*00401*000000501*0*P*>",
    "GS*FA*NW-APP*ACME-APP*20260105*1030*61*X*004010",
)
REPLY_999 = (
    "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*ACME           "
    "*260105*1030*^*00501*000000501*0*P*>",
    "GS*FA*NW-APP*ACME-APP*20260105*1030*61*X*005010X231",
)
TRAILER = ("GE*1*61", "IEA*1*000000501")


def test_a_clean_group_is_accepted_in_a_997() -> None:
    assert answer(received(group(clean_set()))) == lines(
        *REPLY_997,
        "ST*997*0071",
        "AK1*PO*17",
        "AK2*850*0001",
        "AK5*A",
        "AK9*A*1*1*1",
        "SE*6*0071",
        *TRAILER,
    )


def test_a_clean_group_is_accepted_in_a_999_with_the_group_version() -> None:
    assert answer(received(group(clean_set())), kind="999") == lines(
        *REPLY_999,
        "ST*999*0071",
        "AK1*PO*17*004010",
        "AK2*850*0001",
        "IK5*A",
        "AK9*A*1*1*1",
        "SE*6*0071",
        *TRAILER,
    )


BROKEN_SET = a_set("0002", "BEG*07*SA*PO-2**2026013X", "PO1*1**EA", "CTT*1")


def test_segment_and_element_errors_reject_the_set_in_a_997() -> None:
    assert answer(received(group(clean_set(), BROKEN_SET))) == lines(
        *REPLY_997,
        "ST*997*0071",
        "AK1*PO*17",
        "AK2*850*0001",
        "AK5*A",
        "AK2*850*0002",
        "AK3*BEG*2**8",
        "AK4*1**7*07",
        "AK4*5**8*2026013X",
        "AK3*PO1*3**8",
        "AK4*2**1",
        "AK5*R*5",
        "AK9*P*2*2*1",
        "SE*13*0071",
        *TRAILER,
    )


def test_segment_and_element_errors_reject_the_set_in_a_999() -> None:
    missing_ctt = a_set("0002", "BEG*07*SA*PO-2**20260105", "PO1*1*2*EA")
    assert answer(received(group(missing_ctt)), kind="999") == lines(
        *REPLY_999,
        "ST*999*0071",
        "AK1*PO*17*004010",
        "AK2*850*0002",
        "IK3*BEG*2**8",
        "IK4*1**7*07",
        "IK3*CTT*4**3",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0071",
        *TRAILER,
    )


def test_a_wrong_se_count_rejects_the_set_with_code_4() -> None:
    miscounted = a_set("0001", "BEG*00*SA*PO-1**20260105", "PO1*1*12*EA", "CTT*1", count=9)
    assert answer(received(group(miscounted))) == lines(
        *REPLY_997,
        "ST*997*0071",
        "AK1*PO*17",
        "AK2*850*0001",
        "AK5*R*4",
        "AK9*R*1*1*0",
        "SE*6*0071",
        *TRAILER,
    )


def test_a_wrong_ge_count_rejects_the_group_with_code_5() -> None:
    assert answer(received(group(clean_set(), count=3))) == lines(
        *REPLY_997,
        "ST*997*0071",
        "AK1*PO*17",
        "AK2*850*0001",
        "AK5*A",
        "AK9*R*3*1*0*5",
        "SE*6*0071",
        *TRAILER,
    )


def test_several_groups_get_one_997_each_in_one_fa_group() -> None:
    second = group(clean_set("0005"), control="18")
    assert answer(received(group(clean_set()), second)) == lines(
        *REPLY_997,
        "ST*997*0071",
        "AK1*PO*17",
        "AK2*850*0001",
        "AK5*A",
        "AK9*A*1*1*1",
        "SE*6*0071",
        "ST*997*0072",
        "AK1*PO*18",
        "AK2*850*0005",
        "AK5*A",
        "AK9*A*1*1*1",
        "SE*6*0072",
        "GE*2*61",
        "IEA*1*000000501",
    )


def test_accept_with_errors_answers_e_for_data_errors_but_still_rejects_envelope_errors() -> None:
    data = received(group(BROKEN_SET, a_set("0003", "CTT*1", count=7)))
    reader = X12Reader(data)
    sets = reader.read_all()
    problems = {key(t): validate(t, SPEC) for t in sets}
    (ack,) = acknowledge(reader, problems, accept_with_errors=True)
    assert [(s.control, s.status, s.codes) for s in ack.sets] == [
        ("0002", "E", ("5",)),
        ("0003", "R", ("4", "5")),
    ]
    assert (ack.group_status, ack.accepted) == ("P", 1)


def test_only_warnings_leave_the_set_accepted() -> None:
    data = received(
        group(a_set("0001", "BEG*00*SA*PO-1**20260105", "MSG*hello", "PO1*1*1", "CTT*1"))
    )
    reader = X12Reader(data)
    (po,) = reader.read_all()
    found = validate(po, SPEC)
    assert [p.severity for p in found] == [Severity.WARNING]
    (ack,) = acknowledge(reader, {key(po): found})
    assert (ack.sets[0].status, ack.sets[0].segments, ack.group_status) == ("A", (), "A")


def test_a_mapping_error_is_an_invalid_value_in_a_997_and_a_pattern_failure_in_a_999() -> None:
    reader = X12Reader(received(group(clean_set())))
    (po,) = reader.read_all()
    where = Location("000000017", "17", "0001", 3, "PO1", 2)
    refused = Problem("mapping_error", "quantity must be positive", where, Severity.ERROR, "8")
    for kind, code in (("997", "7"), ("999", "I12")):
        (ack,) = acknowledge(reader, {key(po): [refused]}, kind=kind, transactions=[po])
        (note,) = ack.sets[0].segments
        assert (note.tag, note.position, note.code) == ("PO1", 3, "8")
        assert [(e.position, e.code, e.value) for e in note.elements] == [(2, code, "12")]
    body = ack_body(ack)
    assert ["IK4", "2", "", "I12", "12"] in body
    assert ["IK5", "R", "I5"] in body


def test_a_missing_ge_is_reported_with_code_3() -> None:
    data = received([GS, *clean_set()])
    reader = X12Reader(data)
    reader.read_all()
    (ack,) = acknowledge(reader)
    assert (ack.group_status, ack.group_codes, ack.included, ack.received) == ("R", ("3",), 1, 1)


def test_the_reply_keeps_the_senders_delimiters_and_test_indicator() -> None:
    isa = ISA.replace("*", "|").replace("|P|>~", "|T|:!")
    body = [line.replace("*", "|").replace("~", "!") for line in group(clean_set())]
    data = "\r\n".join([isa, *body, "IEA|1|000000017!"]).encode()
    text = answer(data)
    assert text.startswith("ISA|00|")
    assert "|00401|000000501|0|T|:!\r\nGS|FA|NW-APP|ACME-APP|" in text
    assert text.endswith("IEA|1|000000501!\r\n")


def test_a_999_reply_gets_a_repetition_separator_unless_the_sender_used_it() -> None:
    text = answer(received(group(clean_set())), kind="999")
    assert "*^*00501*" in text
    caret_isa = ISA.replace("*>~", "*^~")
    assert "*{*00501*" in answer(received(group(clean_set()), isa=caret_isa), kind="999")


def test_bad_value_copies_stop_at_99_and_lose_the_replys_delimiters() -> None:
    broken = a_set("0001", f"BEG*0^*SA*{'X' * 120}**20260105", "PO1*1*1", "CTT*1")
    reader = X12Reader(received(group(broken)))
    (po,) = reader.read_all()
    problems = {key(po): validate(po, SPEC)}
    (ack,) = acknowledge(reader, problems, kind="999", transactions=[po])
    (note,) = ack.sets[0].segments
    assert [(e.position, e.code, e.value) for e in note.elements] == [
        (1, "7", "0^"),
        (3, "5", "X" * 99),
    ]
    text = acknowledgement_interchange(
        reader, problems, kind="999", controls=CONTROLS, at=AT, transactions=[po]
    )
    assert text is not None
    assert "IK4*1**7*0~" in text  # ^ is the reply's repetition separator


def test_acknowledgement_groups_are_not_acknowledged() -> None:
    fa = [
        "GS*FA*ACME*NORTHWIND*20260105*0900*17*X*004010~",
        "ST*997*0001~", "AK1*PO*5~", "AK9*A*1*1*1~", "SE*4*0001~", "GE*1*17~",
    ]  # fmt: skip
    reader = X12Reader(received(fa))
    reader.read_all()
    assert acknowledge(reader) == []
    assert acknowledgement_interchange(reader, controls=CONTROLS, at=AT) is None


def test_a_file_of_several_interchanges_is_acknowledged_one_interchange_at_a_time() -> None:
    data = received(group(clean_set())) + b"\n" + received(group(clean_set()))
    reader = X12Reader(data)
    reader.read_all()
    with pytest.raises(SchemaViolation, match="holds 2 interchanges"):
        acknowledgement_interchange(reader, controls=CONTROLS, at=AT)
    first, second = reader.interchanges
    assert acknowledgement_interchange(second, controls=CONTROLS, at=AT) == (
        acknowledgement_interchange(first, controls=CONTROLS, at=AT)
    )


def test_an_unknown_acknowledgement_kind_is_refused() -> None:
    reader = X12Reader(received(group(clean_set())))
    reader.read_all()
    with pytest.raises(SchemaViolation, match="not 997 or 999"):
        acknowledge(reader, kind="998")


@pytest.mark.parametrize("kind", ["997", "999"])
def test_an_acknowledgement_reads_back_as_it_was_meant(kind: str) -> None:
    data = received(group(clean_set(), BROKEN_SET), group(clean_set("0009"), control="18"))
    reader = X12Reader(data)
    sets = reader.read_all()
    problems = {key(t): validate(t, SPEC) for t in sets}
    meant = acknowledge(reader, problems, kind=kind, transactions=sets)
    text = acknowledgement_interchange(
        reader, problems, kind=kind, controls=CONTROLS, at=AT, transactions=sets
    )
    assert text is not None
    assert read_acknowledgements(text.encode(), partner="") == meant


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    chosen = ("850", "855", "856", "810")
    return sorted(p for s in chosen for p in (CORPUS / s).glob("*") if p.is_file())


def test_the_corpus_is_there_for_round_trips() -> None:
    if not corpus_files():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the X12 conformance corpus is missing at {CORPUS}")
        pytest.skip(f"the X12 conformance corpus is not at {CORPUS}")


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_997_for_a_corpus_file_reads_back_with_the_same_statuses(path: Path) -> None:
    reader = X12Reader(path.read_bytes())
    try:
        reader.read_all()
    except MalformedDocument:
        pytest.skip("the reader refuses this file (broken on purpose): nothing to acknowledge")
    for interchange in reader.interchanges:
        text = acknowledgement_interchange(interchange, controls=CONTROLS, at=AT)
        meant = [judge_group(g) for g in interchange.groups if g.functional_id != "FA"]
        if text is None:
            assert meant == []
            continue
        back = read_acknowledgements(text.encode(reader.encoding, "surrogateescape"), "")
        assert [(a.group_status, [s.status for s in a.sets]) for a in back] == [
            (a.group_status, [s.status for s in a.sets]) for a in meant
        ]


ELEMENT_CODES = ["1", "4", "5", "6", "7", "8", "9"]
SEGMENT_CODES = ["3", "4", "5", "6", "7"]


@st.composite
def located_problems(draw: st.DrawFn) -> Problem:
    position = draw(st.integers(2, 5))
    element = draw(st.none() | st.integers(1, 9))
    codes = SEGMENT_CODES if element is None else ELEMENT_CODES
    where = Location("000000017", "17", "0001", position, draw(st.sampled_from(["BEG", "PO1"])),
                     element)  # fmt: skip
    code = draw(st.sampled_from(["mapping_error", "invalid_code", "segment_over_maximum"]))
    return Problem(code, "found by a test", where, Severity.ERROR, draw(st.sampled_from(codes)))


@settings(max_examples=60, deadline=None)
@given(
    found=st.lists(located_problems(), max_size=6),
    kind=st.sampled_from(["997", "999"]),
    lenient=st.booleans(),
)
def test_any_judgement_reads_back_as_it_was_meant(
    found: list[Problem], kind: str, lenient: bool
) -> None:
    reader = X12Reader(received(group(clean_set())))
    reader.read_all()
    problems = by_set(found)
    meant = acknowledge(reader, problems, kind=kind, accept_with_errors=lenient)
    text = acknowledgement_interchange(
        reader, problems, kind=kind, controls=CONTROLS, at=AT, accept_with_errors=lenient
    )
    assert text is not None
    assert read_acknowledgements(text.encode(), partner="") == meant
    assert meant[0].sets[0].status == ("A" if not found else "E" if lenient else "R")
