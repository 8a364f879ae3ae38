"""The spec validator: segment order and repeats, loops, element rules, 997 codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.inspect import inspect
from distsync.formats.x12.maps.base import MapOptions, format_decimal, x12_date, x12_decimal
from distsync.formats.x12.schema import SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate

SPEC = SetSpec(
    "850",
    "test purchase order",
    (
        seg("BEG", "start",
            el(1, "purpose", "ID", 2, 2, required=True, codes=["00", "05"]),
            el(3, "po number", "AN", 1, 22, required=True),
            el(5, "date", "DT", 8, 8, required=True),
            min_use=1),
        seg("REF", "reference", el(1, "qualifier", "ID", 2, 3, required=True), max_use=3),
        loop("PO1",
             seg("PO1", "line", el(2, "quantity", "R", 1, 15, required=True),
                 el(4, "price", "R", 1, 17), el(5, "basis", "N2", 1, 10), min_use=1),
             seg("PID", "description", max_use=10),
             min_use=1, max_use=3),
        seg("CTT", "totals", el(1, "lines", "N0", 1, 6, required=True)),
    ),
)  # fmt: skip


def transaction(*body: str):  # type: ignore[no-untyped-def]
    isa = (
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
        "*260105*0900*U*00401*000000017*0*P*>~"
    )
    lines = [isa, "GS*PO*ACME*NORTHWIND*20260105*0900*17*X*004010~", "ST*850*0001~"]
    lines += [b + "~" for b in body]
    lines += [f"SE*{len(body) + 2}*0001~", "GE*1*17~", "IEA*1*000000017~"]
    (found,) = X12Reader("\n".join(lines).encode()).read_all()
    return found


def problems(*body: str) -> list[tuple[str, str | None, str | None, int | None]]:
    return [
        (p.code, p.ack_code, p.location.segment_tag, p.location.element_position)
        for p in validate(transaction(*body), SPEC)
        if p.severity == "error"
    ]


def test_a_conforming_set_has_no_problems() -> None:
    assert problems("BEG*00*SA*PO-1**20260105", "PO1**2*EA*10.50", "PID*F", "CTT*1") == []


def test_a_missing_mandatory_segment_and_loop_are_reported_with_ak3_code_3() -> None:
    found = problems("REF*VN")
    missing = [f for f in found if f[0] == "mandatory_missing"]
    assert missing == [
        ("mandatory_missing", "3", "BEG", None),
        ("mandatory_missing", "3", "PO1", None),
    ]


def test_repeats_over_the_maximum_are_reported() -> None:
    found = problems("BEG*00*SA*PO-1**20260105", "REF*VN", "REF*VN", "REF*VN", "REF*VN",
                     *(["PO1**1*EA"] * 4))  # fmt: skip
    assert ("segment_over_maximum", "5", "REF", None) in found
    assert ("loop_over_maximum", "4", "PO1", None) in found


def test_a_segment_out_of_sequence_is_reported_with_ak3_code_7() -> None:
    found = problems("BEG*00*SA*PO-1**20260105", "PO1**1*EA", "REF*VN")
    assert ("out_of_sequence", "7", "REF", None) in found


@pytest.mark.parametrize(
    ("segment", "code", "ack", "element"),
    [
        ("BEG**SA*PO-1**20260105", "element_missing", "1", 1),
        ("BEG*0*SA*PO-1**20260105", "element_too_short", "4", 1),
        ("BEG*99*SA*PO-1**20260105", "invalid_code", "7", 1),
        ("BEG*00*SA*PO-1**20261399", "invalid_date", "8", 5),
        ("BEG*00*SA*" + "X" * 23 + "**20260105", "element_too_long", "5", 3),
    ],
)
def test_element_problems_carry_their_ak4_code_and_position(
    segment: str, code: str, ack: str, element: int
) -> None:
    assert (code, ack, "BEG", element) in problems(segment, "PO1**1*EA")


def test_numbers_are_checked_by_type() -> None:
    found = problems("BEG*00*SA*PO-1**20260105", "PO1**two*EA*1.5*12.5")
    assert ("invalid_character", "6", "PO1", 2) in found
    assert ("invalid_character", "6", "PO1", 5) in found


def test_a_segment_the_map_does_not_use_is_skipped_with_a_warning() -> None:
    found = validate(transaction("BEG*00*SA*PO-1**20260105", "MSG*hello", "PO1**1*EA"), SPEC)
    assert [(p.code, p.severity.value) for p in found] == [("segment_not_used", "warning")]


def test_partner_options_skip_segments_and_require_elements() -> None:
    options = MapOptions(skip_segments=frozenset({"CTT"}), required_elements=frozenset({"PO1.04"}))
    adjusted = options.adjust(SPEC)
    assert "CTT" not in adjusted.tags()
    found = [
        p.code for p in validate(transaction("BEG*00*SA*PO-1**20260105", "PO1**1*EA"), adjusted)
    ]
    assert found == ["element_missing"]


def test_value_conversions_round_trip_and_name_the_element() -> None:
    assert x12_decimal("1250", "PO104", implied=2) == Decimal("12.50")
    assert format_decimal(Decimal("12.50")) == "12.5"
    assert format_decimal(Decimal("12.50"), implied=2) == "1250"
    assert x12_date("260105", "BEG05").isoformat() == "2026-01-05"
    with pytest.raises(SchemaViolation, match="BEG05: '2026-01' is not a date"):
        x12_date("2026-01", "BEG05")


def test_a_partner_pinned_to_a_map_version_that_does_not_exist_gets_a_located_error() -> None:
    text = "\n".join(
        [
            "ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
            "*260105*0900*U*00401*000000017*0*P*>~",
            "GS*PO*ACME*NORTHWIND*20260105*0900*17*X*004010~",
            "ST*850*0001~",
            "BEG*00*SA*PO-1**20260105~",
            "SE*3*0001~",
            "GE*1*17~",
            "IEA*1*000000017~",
        ]
    )
    found = inspect(text.encode(), lambda t: MapOptions(map_version="9"))
    (item,) = found.sets
    (problem,) = item.errors
    assert problem.code == "no_map"
    assert "850 (map version 9)" in problem.message
    assert problem.location.segment_tag == "ST"
