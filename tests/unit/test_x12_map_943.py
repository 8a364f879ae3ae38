"""The 943 map: Warehouse Stock Transfer Shipment Advice ↔ AdvanceShipNotice, both directions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import MapOptions, format_decimal
from distsync.formats.x12.maps.m943 import WAREHOUSE_SHIPMENT_ADVICE_943 as M943
from distsync.formats.x12.maps.m943 import carried
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.problems import Problem
from distsync.model.asn import AdvanceShipNotice
from distsync.model.examples.procurement import example_asn
from tests.unit.x12_856_samples import notices
from tests.unit.x12_logistics_helpers import (
    AT,
    body_lines,
    errors,
    golden,
    golden_lines,
    interchange,
    only_set,
    read_safely,
    round_trip,
    words,
)

CODES = {"warehouse": {"WH-EAST": "EAST01"}, "carrier": {"CAR-RLC": "RLCA"}}
OPTIONS = MapOptions(code_lists=CODES)
HEAD = "W06*N*ASN-1*20240516*ASN-1~N1*WH**91*EAST01~N1*SU**92*SUP-ACME~W27*M~"
LINE = "W04*2*CA**VN*FAS-10432~N9*PO*PO-1~N9*BV*1~"


def notice_set(*body: str, version: str = "004010") -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    return interchange(M943, [s.split("*") for s in segments], version).encode()


def read(
    *body: str, options: MapOptions = OPTIONS
) -> tuple[AdvanceShipNotice | None, list[Problem]]:
    result = M943.read(only_set(notice_set(*body)), options)
    assert result.document is None or isinstance(result.document, AdvanceShipNotice)
    return result.document, result.problems


@pytest.mark.parametrize("name", ["notice_in_4010", "notice_in_5010"])
def test_a_943_reads_as_the_expected_notice(name: str) -> None:
    result = M943.read(only_set(golden("943", f"{name}.edi").read_bytes()), OPTIONS)
    expected = AdvanceShipNotice.model_validate_json(golden("943", f"{name}.json").read_text())
    assert result.problems == []
    assert result.document == expected


def test_a_notice_is_written_segment_by_segment_as_the_golden_943() -> None:
    notice = AdvanceShipNotice.model_validate_json(
        golden("943", "notice_out_4010.json").read_text()
    )
    options = MapOptions(code_lists=CODES, qualifiers={"depositor": "NWD"})
    written = body_lines(M943.write(notice, options))
    assert written == golden_lines(golden("943", "notice_out_4010.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_notice_comes_back_as_a_943_carries_it(version: str) -> None:
    options = MapOptions(version=version, code_lists=CODES)
    result = round_trip(M943, example_asn(), options)
    assert result.problems == []
    assert result.document == carried(example_asn(), options=options, issued_at=AT)


def test_what_a_943_does_not_carry_is_what_carried_changes() -> None:
    notice, back = example_asn(), carried(example_asn(), issued_at=AT)
    assert [(p.sscc, p.kind) for _, p in notice.packs()] != [(None, "loose")]
    assert [(p.sscc, p.kind) for _, p in back.packs()] == [(None, "loose")]
    assert [e.item for e in back.items()] == [e.item for e in notice.items()]
    assert back.supplier.gln is None
    assert notice.supplier.gln is not None
    assert back.issued_at == AT


def test_the_registry_knows_the_943_as_group_ar() -> None:
    assert map_for("943") is M943
    assert (M943.set_id, M943.functional_id, M943.document) == ("943", "AR", AdvanceShipNotice)
    assert {"W06", "N1", "W27", "W04", "G69", "N9", "W03"} <= M943.spec(MapOptions()).tags()


def test_items_without_their_own_order_take_the_w06_purchase_order() -> None:
    notice, problems = read(
        "W06*N*ASN-1*20240516*ASN-1**PO-9~N1*WH**91*EAST01~N1*SU**92*SUP-ACME~W27*M~",
        "W04*2*CA**VN*A1~N9*LI*3~W04*1*EA**VN*B2~N9*PO*PO-8~N9*BV*1~W03*3~",
    )
    assert problems == []
    assert notice is not None
    assert [(e.po_number, e.item.po_line_number) for e in notice.items()] == [
        ("PO-9", 3),
        ("PO-8", 1),
    ]


def test_an_item_without_a_purchase_order_is_a_located_error() -> None:
    notice, problems = read(HEAD, "W04*2*CA**VN*A1~N9*BV*1~W03*2~")
    assert notice is None
    assert [(p.code, p.location.segment_tag) for p in problems] == [("mapping_error", "W04")]
    assert "N9 PO" in problems[0].message


def test_an_item_without_its_purchase_order_line_is_a_located_error() -> None:
    notice, problems = read(HEAD, "W04*2*CA**VN*A1~N9*PO*PO-1~W03*2~")
    assert notice is None
    assert ("mapping_error", "W04") in [(p.code, p.location.segment_tag) for p in problems]


def test_a_943_without_a_supplier_names_the_missing_n1() -> None:
    notice, problems = read("W06*N*ASN-1*20240516*ASN-1~N1*WH**91*EAST01~W27*M~", LINE, "W03*2~")
    assert notice is None
    assert any("N1 SU" in p.message and p.location.segment_tag == "W06" for p in problems)


def test_serial_numbers_that_do_not_number_every_unit_are_located_at_the_first_serial() -> None:
    notice, problems = read(HEAD, LINE.replace("CA", "EA"), "N9*SE*S1~W03*2~")
    assert notice is None
    assert [(p.code, p.location.segment_tag, p.location.element_position) for p in problems] == [
        ("mapping_error", "N9", 2)
    ]


def test_the_carrier_detail_is_mandatory() -> None:
    _, problems = read("W06*N*ASN-1*20240516*ASN-1~N1*WH**91*EAST01~N1*SU**92*S~", LINE, "W03*2~")
    assert ("mandatory_missing", "W27") in [(p.code, p.location.segment_tag) for p in problems]


def test_a_total_that_does_not_match_the_items_is_a_warning() -> None:
    notice, problems = read(HEAD, LINE, "W03*7~")
    assert notice is not None
    assert [p.code for p in problems] == ["total_mismatch"]


def test_a_segment_the_map_does_not_use_is_skipped_with_a_warning() -> None:
    notice, problems = read(HEAD, "W10*UN*2~", LINE, "W03*2~")
    assert notice is not None
    assert [(p.code, p.severity) for p in problems] == [("segment_not_used", "warning")]


def test_without_a_warehouse_party_the_group_receiver_is_the_warehouse() -> None:
    notice, _ = read("W06*N*ASN-1*20240516*ASN-1~N1*SU**92*SUP-ACME~W27*M~", LINE, "W03*2~")
    assert notice is not None
    assert notice.ship_to_warehouse_id == "PARTNER"


def test_an_asn_number_longer_than_w0602_allows_is_refused_when_writing() -> None:
    notice = example_asn().model_copy(update={"asn_number": "ASN-2024-05-16-ACME-000123"})
    with pytest.raises(SchemaViolation, match=r"W0602 \(depositor order number\)"):
        M943.write(notice, OPTIONS)


def test_a_4010_purchase_order_longer_than_n902_allows_is_refused_and_5010_takes_it() -> None:
    long_po = "PO-2024-00201-GLOBEX-BLANKET-RELEASE-0007"
    order = example_asn().orders[0].model_copy(update={"po_number": long_po})
    notice = example_asn().model_copy(update={"orders": (order,)})
    with pytest.raises(SchemaViolation, match="N902"):
        M943.write(notice, OPTIONS)
    options = MapOptions(version="005010", code_lists=CODES)
    assert round_trip(M943, notice, options).document == carried(
        notice, options=options, issued_at=AT
    )


def test_more_tracking_numbers_than_the_heading_holds_are_refused() -> None:
    numbers = tuple(f"TRK-{n:04d}" for n in range(10))
    notice = example_asn().model_copy(update={"tracking_numbers": numbers})
    with pytest.raises(SchemaViolation, match="at most 9 tracking numbers"):
        M943.write(notice, OPTIONS)


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"sku": "SK", "supplier_part": "VN", "supplier": "VN", "po_line": "LI"},
        code_lists={"uom": {"CA": "CS"}, "party": {"SUP-ACME": "ACME01"}, **CODES},
    )
    written = body_lines(M943.write(example_asn(), options))
    assert "N1*VN*ACME Industrial Supply*92*ACME01" in written
    assert "W04*2*CS**SK*FAS-10432*EN*0614141104321*******VN*HB-M8-40Z" in written
    assert "N9*LI*1" in written
    result = round_trip(M943, example_asn(), options)
    assert result.document == carried(example_asn(), options=options, issued_at=AT)


def test_extra_segments_close_the_heading_and_skipped_ones_are_not_written() -> None:
    options = MapOptions(
        code_lists=CODES,
        extra_segments=(("W10", "UN", "2"),),
        skip_segments=frozenset({"G69"}),
    )
    written = body_lines(M943.write(example_asn(), options))
    assert written[written.index("W27*M*RLCA*LTL standard") + 1] == "W10*UN*2"
    assert not any(line.startswith("G69") for line in written)


def test_the_depositor_is_written_only_when_the_partner_names_it() -> None:
    plain = body_lines(M943.write(example_asn(), OPTIONS))
    named = body_lines(M943.write(example_asn(), MapOptions(qualifiers={"depositor": "NWD"})))
    assert not any(line.startswith("N1*DE") for line in plain)
    assert "N1*DE**91*NWD" in named


def test_only_a_notice_is_written() -> None:
    with pytest.raises(SchemaViolation, match="writes an AdvanceShipNotice"):
        M943.write(MapOptions(), OPTIONS)  # type: ignore[arg-type]


# -- properties ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notice=notices(), version=st.sampled_from(["004010", "005010"]))
def test_any_notice_comes_back_as_a_943_carries_it(notice: AdvanceShipNotice, version: str) -> None:
    total = sum((entry.item.quantity.value for entry in notice.items()), Decimal(0))
    assume(len(format_decimal(total).replace(".", "")) <= 10)  # W0301 holds 10 digits
    options = MapOptions(version=version)
    result = round_trip(M943, notice, options)
    assert errors(result) == [], result.problems
    assert result.document == carried(notice, options=options, issued_at=AT)


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("*~AZ09-\n")), max_size=8),
    deletions=st.lists(st.integers(0, 10_000), max_size=4),
    version=st.sampled_from(["004010", "005010"]),
)
def test_mutated_943s_are_read_without_crashing(
    cuts: list[tuple[int, str]], deletions: list[int], version: str
) -> None:
    options = MapOptions(version=version)
    text = list(interchange(M943, M943.write(example_asn(), options), version))
    for position, char in cuts:
        text.insert(position % len(text), char)
    for position in deletions:
        del text[position % len(text)]
    read_safely(M943, "".join(text).encode(), options)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_943s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject,
) -> None:
    body = [list(s) for s in M943.write(example_asn(), OPTIONS)]
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "empty", "garble"]))
        if action == "drop" and len(body) > 1:
            del body[index]
        elif action == "repeat":
            body.insert(index, list(body[index]))
        elif len(body[index]) > 1:
            element = data.draw(st.integers(1, len(body[index]) - 1))
            body[index][element] = "" if action == "empty" else data.draw(words(8))
    read_safely(M943, interchange(M943, body).encode(), OPTIONS)
