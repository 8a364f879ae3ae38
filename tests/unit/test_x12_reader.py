"""The X12 reader: delimiters, streaming, envelope checks, located problems."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsync.errors import MalformedDocument
from distsync.formats.x12.decode import decode
from distsync.formats.x12.delimiters import Delimiters, read_isa
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.tokenizer import Tokenizer
from distsync.formats.x12.writer import Envelope, Party, render

ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
    "*260105*0900*U*00401*000000017*0*P*>~"
)
BODY = [
    "GS*PO*ACME*NORTHWIND*20260105*0900*17*X*004010~",
    "ST*850*0001~",
    "BEG*00*SA*PO-1**20260105~",
    "PO1*1*12*EA*10.50**VP*AC-778~",
    "SE*4*0001~",
    "GE*1*17~",
    "IEA*1*000000017~",
]


def interchange(isa: str = ISA, body: list[str] | None = None, sep: str = "\n") -> bytes:
    return sep.join([isa, *(body or BODY)]).encode()


def read(data: bytes) -> tuple[X12Reader, list]:  # type: ignore[type-arg]
    reader = X12Reader(data)
    return reader, reader.read_all()


def test_delimiters_come_from_the_isa() -> None:
    reading = read_isa(ISA + "\n")
    assert reading.delimiters == Delimiters("*", ">", "~", None, "\n")
    assert reading.length == 106
    assert reading.warnings == ()


def test_repetition_separator_is_read_from_version_00402_on() -> None:
    isa = ISA.replace("*U*00401*", "*^*00501*")
    assert read_isa(isa).delimiters.repetition == "^"
    assert read_isa(ISA).delimiters.repetition is None


def test_an_isa_with_sloppy_padding_is_read_with_a_warning() -> None:
    short = "ISA*00**00**ZZ*ACME*ZZ*NORTHWIND*260105*0900*U*00401*000000017*0*P*>~"
    reader, sets = read(interchange(short))
    assert len(sets) == 1
    (warning,) = reader.problems
    assert warning.code == "isa_width"
    assert "not 106" in warning.message


def test_a_space_terminator_followed_by_line_breaks_keeps_spaces_inside_values() -> None:
    isa = ISA[:-1] + " "
    body = [line[:-1] + " " for line in BODY]
    body.insert(3, "N1*ST*SHIP TO NAME ")
    body[4] = body[4]
    data = ("\r\n".join([isa, *body])).replace("SE*4*", "SE*5*").encode()
    reader, (po,) = read(data)
    n1 = next(s for s in po.segments if s.tag == "N1")
    assert n1.element(2) == "SHIP TO NAME"
    assert reader.errors == []


def test_a_mailbag_of_interchanges_with_different_delimiters_is_read() -> None:
    second_isa = ISA.replace("*", "|").replace("|>~", "|:!").replace("000000017", "000000018")
    second = [
        line.replace("*", "|").replace("~", "!").replace("000000017", "000000018") for line in BODY
    ]
    data = interchange() + b"\n" + interchange(second_isa, second)
    reader, sets = read(data)
    assert [s.interchange.delimiters.element for s in sets] == ["*", "|"]
    assert reader.errors == []


def test_an_ebcdic_interchange_is_decoded() -> None:
    reader, (po,) = read(interchange().decode().encode("cp037"))
    assert reader.encoding == "cp037"
    assert po.set_id == "850"


def test_a_byte_order_mark_is_skipped_and_counted_in_byte_offsets() -> None:
    broken = interchange().replace(b"IEA*1*000000017", b"IEA*1*000000099")
    reader, _ = read(b"\xef\xbb\xbf" + broken)
    (problem,) = reader.errors
    assert problem.location.byte_offset == len(b"\xef\xbb\xbf") + broken.index(b"IEA")


def test_byte_offsets_count_multibyte_characters() -> None:
    data = interchange(
        body=[BODY[0], BODY[1], "BEG*00*SA*PO-Ü**20260105~", *BODY[3:6], "IEA*1*000000099~"]
    )
    reader, _ = read(data)
    (problem,) = reader.errors
    assert problem.location.byte_offset == data.index(b"IEA")


def test_segments_split_across_chunks_are_read_whole() -> None:
    data = interchange()
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    segments = list(Tokenizer(decode(iter(chunks))))
    assert [s.tag for s in segments] == ["ISA", "GS", "ST", "BEG", "PO1", "SE", "GE", "IEA"]


@pytest.mark.parametrize(
    ("change", "code", "ack"),
    [
        (("SE*4*0001", "SE*4*0002"), "control_number_mismatch", "3"),
        (("SE*4*0001", "SE*9*0001"), "segment_count_mismatch", "4"),
        (("GE*1*17", "GE*1*18"), "control_number_mismatch", "4"),
        (("GE*1*17", "GE*2*17"), "set_count_mismatch", "5"),
        (("IEA*1*000000017", "IEA*1*000000018"), "control_number_mismatch", "001"),
        (("IEA*1*000000017", "IEA*3*000000017"), "group_count_mismatch", "021"),
        (("ST*850*0001", "ST*850*01"), "bad_control_number", "7"),
    ],
)
def test_envelope_problems_are_located_and_coded(
    change: tuple[str, str], code: str, ack: str | None
) -> None:
    data = interchange().replace(change[0].encode(), change[1].encode())
    reader, _ = read(data)
    problem = next(p for p in reader.errors if p.code == code)
    assert problem.ack_code == ack
    assert problem.location.interchange == "000000017"
    assert problem.location.byte_offset is not None


def test_a_set_without_se_is_reported_and_the_next_set_still_read() -> None:
    body = [BODY[0], "ST*850*0001~", "BEG*00*SA*PO-1**20260105~", *BODY[1:]]
    body[-2] = "GE*2*17~"
    reader, sets = read(interchange(body=body))
    assert [s.control for s in sets] == ["0001", "0001"]
    missing = next(p for p in reader.errors if p.code == "missing_se")
    assert missing.location.segment_tag == "ST"
    assert missing.ack_code == "2"


def test_missing_trailers_at_the_end_of_the_file_are_reported() -> None:
    reader, sets = read(interchange(body=BODY[:3]))
    assert {p.code for p in reader.errors} == {"missing_se", "missing_ge", "missing_iea"}
    assert len(sets) == 1


def test_text_that_is_not_x12_is_refused_clearly() -> None:
    with pytest.raises(MalformedDocument, match="expected an ISA segment"):
        read(b"<?xml version='1.0'?><order/>")


def test_a_written_interchange_reads_back_without_problems() -> None:
    envelope = Envelope(Party("ZZ", "NORTHWIND"), Party("ZZ", "ACME"), version="004010")
    text = envelope.interchange(
        "PO",
        [("850", [["BEG", "00", "SA", "PO-1", "", "20260105"]])],
        interchange_control=42,
        group_control=7,
        first_set_control=1,
        at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )
    reader, (po,) = read(text.encode())
    assert reader.problems == []
    assert po.interchange.control == "000000042"
    assert [s.tag for s in po.segments] == ["ST", "BEG", "SE"]


def test_rendering_read_segments_with_other_delimiters_translates_components() -> None:
    data = interchange(body=[*BODY[:3], "REF*ZZ*A>B~", *BODY[3:]]).replace(b"SE*4*", b"SE*5*")
    _reader, (po,) = read(data)
    pipes = Delimiters("|", ":", "!", None, "\n")
    text = render([po.interchange.isa, po.group.gs, *po.segments], pipes)
    assert "REF|ZZ|A:B!" in text
    assert text.startswith("ISA|")
    assert "|:!" in text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise_anything_but_malformed_document(data: bytes) -> None:
    with contextlib.suppress(MalformedDocument):
        read(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=400), st.binary(min_size=1, max_size=3))
def test_mutated_valid_files_never_raise_anything_but_malformed_document(
    at: int, junk: bytes
) -> None:
    data = bytearray(interchange())
    data[at : at + len(junk)] = junk
    with contextlib.suppress(MalformedDocument):
        read(bytes(data))


def test_a_large_stream_is_read_in_bounded_memory() -> None:
    body = [BODY[0], *(line for n in range(1, 201) for line in one_set(n)), "GE*200*17~", BODY[-1]]
    one = interchange(body=body)  # about 20 KB, 200 sets
    repeats = 600  # about 12 MB in all, never held at once

    def stream() -> Iterator[bytes]:
        for _ in range(repeats):
            yield one

    tracemalloc.start()
    try:
        reader = X12Reader(stream(), keep_summaries=False)
        count = sum(1 for _ in reader.sets())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200 * repeats
    assert reader.errors == []
    assert peak < len(one) * repeats / 4, f"peak {peak:,} bytes for {len(one) * repeats:,}"


def one_set(number: int) -> list[str]:
    return [f"ST*850*{number:04d}~", "BEG*00*SA*PO-1**20260105~", "PO1*1*12*EA*10.50**VP*AC-778~",
            f"SE*4*{number:04d}~"]  # fmt: skip
