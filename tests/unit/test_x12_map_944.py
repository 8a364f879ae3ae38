"""The 944 map: Warehouse Stock Transfer Receipt Advice ↔ Receipt, both directions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m944 import WAREHOUSE_RECEIPT_ADVICE_944 as M944
from distsync.model.examples.procurement import example_receipt
from distsync.model.parties import PartyRef
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine
from distsync.model.units import Quantity
from tests.unit.x12_logistics_helpers import (
    body_lines,
    codes,
    corpus,
    errors,
    golden,
    golden_lines,
    interchange,
    is_broken,
    items,
    moments,
    only_set,
    quantities,
    read_safely,
    round_trip,
    ssccs,
    words,
)

OPTIONS = MapOptions(code_lists={"warehouse": {"WH-EAST": "EAST01"}})
HEAD = "W17*F*20240520*R1*ASN-1~N1*WH**91*EAST01~"


def receipt_set(*body: str, version: str = "004010") -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    return interchange(M944, [s.split("*") for s in segments], version).encode()


def shortened_example() -> Receipt:
    """The example receipt with a receipt number that fits W17-03 (12 characters)."""
    data = example_receipt().model_dump()
    data["receipt_number"] = "R5531"
    data["supplier"] = {"party_id": "SUP-ACME", "name": "ACME Industrial Supply"}
    return Receipt.model_validate(data)


@pytest.mark.parametrize("name", ["receipt_in_4010", "receipt_in_5010"])
def test_a_944_reads_as_the_expected_receipt(name: str) -> None:
    result = M944.read(only_set(golden("944", f"{name}.edi").read_bytes()), OPTIONS)
    expected = Receipt.model_validate_json(golden("944", f"{name}.json").read_text())
    assert result.problems == []
    assert result.document == expected


def test_a_receipt_is_written_segment_by_segment_as_the_golden_5010_944() -> None:
    receipt = Receipt.model_validate_json(golden("944", "receipt_out_5010.json").read_text())
    written = body_lines(
        M944.write(receipt, MapOptions(version="005010", code_lists=OPTIONS.code_lists))
    )
    assert written == golden_lines(golden("944", "receipt_out_5010.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_receipt_survives_a_round_trip(version: str) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    assert round_trip(M944, shortened_example(), options).document == shortened_example()


def test_the_4010_944_has_no_lx_and_the_5010_944_wraps_each_line_in_one() -> None:
    receipt = shortened_example()
    old = body_lines(M944.write(receipt, MapOptions(code_lists=OPTIONS.code_lists)))
    new = body_lines(
        M944.write(receipt, MapOptions(version="005010", code_lists=OPTIONS.code_lists))
    )
    assert not any(line.startswith("LX") for line in old)
    assert [line for line in new if line.startswith("LX")] == ["LX*1", "LX*2", "LX*3", "LX*4"]


def test_the_stupidedi_944_maps_to_a_receipt() -> None:
    (path,) = [p for p in corpus("944") if p.name == "stupidedi__004010_RE944_pass_1.edi"]
    result = M944.read(only_set(path.read_bytes()), MapOptions())
    receipt = result.document
    assert isinstance(receipt, Receipt)
    assert (receipt.receipt_number, receipt.asn_number) == ("WR12345", "DO12345")
    (line,) = receipt.lines
    assert (line.line_number, line.po_number, line.lot) == (1, "REF789", "LOT456")
    assert line.received_quantity == Quantity(value=Decimal(100), uom="EA")
    # "UK ITEM123" is no GTIN: kept as the SKU, with warnings that say so where
    assert (line.item.sku, line.item.gtin) == ("ITEM123", None)
    assert {(p.code, p.location.segment_tag) for p in result.problems} == {
        ("not_a_gtin", "W07"),
        ("no_sku", "W07"),
    }


def test_no_corpus_944_crashes_the_map_and_broken_ones_give_located_errors() -> None:
    for path in corpus("944"):
        for transaction in X12Reader(path.read_bytes()).read_all():
            result = M944.read(transaction, MapOptions())
            if is_broken(path):
                assert errors(result), path.name


def test_a_damaged_quantity_over_the_received_one_is_a_located_mapping_error() -> None:
    result = M944.read(
        only_set(receipt_set(HEAD, "W07*2*CA**VN*A1~W13*3*CA*01~W14*2~")), MapOptions()
    )
    assert result.document is None
    assert ("mapping_error", "W13", 1) in errors(result)


def test_a_bad_expiry_date_is_refused_by_the_validator_at_its_element() -> None:
    result = M944.read(
        only_set(receipt_set(HEAD, "W07*2*CA**VN*A1~N9*LT*L1**20241345~W14*2~")), MapOptions()
    )
    assert ("invalid_date", "N9", 4) in errors(result)


def test_a_5010_944_without_lx_loops_is_out_of_sequence() -> None:
    result = M944.read(
        only_set(receipt_set(HEAD, "W07*2*CA**VN*A1~W14*2~", version="005010")), MapOptions()
    )
    assert result.document is None
    assert errors(result)


def test_a_total_that_does_not_match_the_lines_is_a_warning() -> None:
    result = M944.read(only_set(receipt_set(HEAD, "W07*2*CA**VN*A1~W14*9~")), MapOptions())
    assert result.document is not None
    assert [p.code for p in result.problems] == ["total_mismatch"]


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"supplier": "VN", "location": "BO", "sku": "SK", "warehouse": "SF"},
        code_lists={"uom": {"CA": "CS"}, "party": {"SUP-ACME": "ACME01"}, **OPTIONS.code_lists},
    )
    receipt = shortened_example()
    written = body_lines(M944.write(receipt, options))
    assert "N1*SF**91*EAST01" in written
    assert "N1*VN*ACME Industrial Supply*92*ACME01" in written
    assert "N9*BO*DOCK-3" in written
    assert "W07*2*CS**SK*FAS-10432*EN*0614141104321***VP*HB-M8-40Z" in written
    assert round_trip(M944, receipt, options).document == receipt


# -- properties ------------------------------------------------------------------------


def conditions() -> st.SearchStrategy[tuple[ReceiptCondition, int | None]]:
    """(condition, damaged hundredths of the received quantity) pairs that survive X12."""
    return st.sampled_from(
        [
            (ReceiptCondition.GOOD, None),
            (ReceiptCondition.QUARANTINED, None),
            (ReceiptCondition.DAMAGED, 100),
            (ReceiptCondition.DAMAGED, 50),
            (ReceiptCondition.QUARANTINED, 25),
        ]
    )


@st.composite
def receipts(draw: st.DrawFn, *, version: str) -> Receipt:
    numbers = draw(st.lists(st.integers(1, 9_999), min_size=1, max_size=4, unique=True))
    serials = iter(draw(st.lists(codes(20), min_size=8, max_size=8, unique=True)))
    lines = []
    for number in numbers:
        uom = draw(st.sampled_from(["EA", "CA"]))
        received = draw(quantities())
        condition, share = draw(conditions())
        damaged = None if share is None else Quantity(value=received * share / 100, uom=uom)
        lines.append(
            ReceiptLine(
                line_number=number,
                po_number=draw(st.none() | codes(30)),
                po_line_number=draw(st.none() | st.integers(1, 999)),
                item=draw(items()),
                received_quantity=Quantity(value=received, uom=uom),
                damaged_quantity=damaged,
                condition=condition,
                lot=draw(st.none() | codes(30)),
                serial_numbers=tuple(next(serials) for _ in range(draw(st.integers(0, 2)))),
                expiry_date=draw(st.none() | st.dates(date(2001, 1, 1), date(2049, 12, 31))),
                sscc=draw(st.none() | ssccs()) if version == "005010" else None,
                location_id=draw(st.none() | codes(20)),
                note=draw(st.none() | words(90)),
            )
        )
    return Receipt(
        receipt_number=draw(codes(12)),
        warehouse_id=draw(codes(12)),
        received_at=draw(moments()),
        supplier=draw(st.none() | st.builds(PartyRef, party_id=codes(12), name=words(60))),
        asn_number=draw(st.none() | codes(22)),
        po_number=draw(st.none() | codes(30)),
        lines=tuple(lines),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(receipt=receipts(version="004010"))
def test_any_receipt_survives_a_4010_round_trip(receipt: Receipt) -> None:
    result = round_trip(M944, receipt, MapOptions())
    assert result.document == receipt, result.problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(receipt=receipts(version="005010"))
def test_any_receipt_survives_a_5010_round_trip(receipt: Receipt) -> None:
    result = round_trip(M944, receipt, MapOptions(version="005010"))
    assert result.document == receipt, result.problems


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("*~AZ09-\n")), max_size=8),
    deletions=st.lists(st.integers(0, 10_000), max_size=4),
    version=st.sampled_from(["004010", "005010"]),
)
def test_mutated_944s_are_read_without_crashing(
    cuts: list[tuple[int, str]], deletions: list[int], version: str
) -> None:
    options = MapOptions(version=version)
    text = list(interchange(M944, M944.write(shortened_example(), options), version))
    for position, char in cuts:
        text.insert(position % len(text), char)
    for position in deletions:
        del text[position % len(text)]
    read_safely(M944, "".join(text).encode(), options)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_944s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject,
) -> None:
    body = [list(s) for s in M944.write(shortened_example(), OPTIONS)]
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
    read_safely(M944, interchange(M944, body).encode(), OPTIONS)
