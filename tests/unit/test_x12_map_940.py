"""The 940 map: Warehouse Shipping Order ↔ ShipmentOrder, both directions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m940 import WAREHOUSE_SHIPPING_ORDER_940 as M940
from distsync.model.examples.fulfilment import example_shipment_order
from distsync.model.parties import Address, CarrierRef, PartyRef
from distsync.model.shipping import ShipmentOrder, ShipmentOrderLine
from distsync.model.units import Quantity
from tests.unit.x12_logistics_helpers import (
    body_lines,
    codes,
    corpus,
    errors,
    golden,
    golden_lines,
    gtins,
    interchange,
    is_broken,
    items,
    moments,
    only_set,
    quantities,
    read_safely,
    round_trip,
    words,
)

OPTIONS = MapOptions(
    code_lists={"warehouse": {"WH-EAST": "EAST01"}, "carrier": {"CAR-UPS": "UPSN"}}
)
HEAD = "W05*N*SO-1~N1*WH**91*EAST01~N1*ST*Ann Lee~N3*1 Main St~N4*Dayton*OH*45402*US~"


def order_set(*body: str) -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    fields = [segment.split("*") for segment in segments]
    return interchange(M940, fields).encode()


def test_a_940_in_the_vics_layout_reads_as_the_expected_shipment_order() -> None:
    result = M940.read(only_set(golden("940", "order_in.edi").read_bytes()), OPTIONS)
    expected = ShipmentOrder.model_validate_json(golden("940", "order_in.json").read_text())
    assert result.problems == []
    assert result.document == expected


def test_a_shipment_order_is_written_segment_by_segment_as_the_golden_940() -> None:
    order = ShipmentOrder.model_validate_json(golden("940", "order_out.json").read_text())
    assert body_lines(M940.write(order, OPTIONS)) == golden_lines(golden("940", "order_out.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_shipment_order_survives_a_round_trip(version: str) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    result = round_trip(M940, example_shipment_order(), options)
    assert result.document == example_shipment_order()


def corpus_files() -> list[Path]:
    return corpus("940")


def test_the_simplot_940_maps_to_a_shipment_order_for_its_consignee() -> None:
    (path,) = [p for p in corpus_files() if p.name == "X12Parser__simplot.txt"]
    result = M940.read(only_set(path.read_bytes()), MapOptions())
    order = result.document
    assert isinstance(order, ShipmentOrder)
    assert (order.shipment_order_number, order.warehouse_id) == ("01235639", "708090")
    assert order.ship_to.name == "McLane Foodservice Inc"  # N1 CN: the consignee ships-to
    assert order.requested_ship_date == date(2011, 1, 13)
    assert [(line.line_number, line.sales_order_line_number) for line in order.lines] == [
        (1, 1000),
        (2, 2000),
    ]
    assert order.lines[0].quantity == Quantity(value=Decimal(972), uom="CA")
    assert order.lines[0].item.gtin == "10071179009894"
    assert order.note == "ORDER MGMT=Diana Tyvand Ext. 8207\nLOAD ON SLIP SHEETS"
    # W20 packing is read past; no item is named VN, so the GTIN stands in as SKU
    assert {p.code for p in result.problems} == {"segment_not_used", "no_sku"}


def test_no_corpus_940_crashes_the_map_and_broken_ones_give_located_errors() -> None:
    for path in corpus_files():
        for transaction in X12Reader(path.read_bytes()).read_all():
            result = M940.read(transaction, MapOptions())
            if is_broken(path):
                assert errors(result), path.name
                assert all(p.location.segment_tag for p in result.problems)


def test_a_cancelled_order_is_read_with_a_warning_that_says_so() -> None:
    result = M940.read(
        only_set(order_set(HEAD.replace("W05*N", "W05*F"), "LX*1~W01*1*EA**VN*A1~")), MapOptions()
    )
    assert result.document is not None
    (warning,) = [p for p in result.problems if p.code == "order_status"]
    assert "cancellation" in warning.message
    assert (warning.location.segment_tag, warning.location.element_position) == ("W05", 1)


def test_a_quantity_the_model_refuses_is_a_mapping_error_at_its_element() -> None:
    result = M940.read(only_set(order_set(HEAD, "LX*1~W01*0*EA**VN*A1~")), MapOptions())
    assert result.document is None
    assert ("mapping_error", "W01", 1) in errors(result)
    assert all(p.ack_code == "8" for p in result.problems if p.code == "mapping_error")


def test_an_unknown_unit_is_a_mapping_error_at_the_unit_element() -> None:
    result = M940.read(only_set(order_set(HEAD, "LX*1~W01*2*ZZ**VN*A1~")), MapOptions())
    assert ("mapping_error", "W01", 2) in errors(result)


def test_an_order_without_a_ship_to_is_refused_with_a_located_error() -> None:
    head = "W05*N*SO-1~N1*WH**91*EAST01~"
    result = M940.read(only_set(order_set(head, "LX*1~W01*1*EA**VN*A1~")), MapOptions())
    assert result.document is None
    assert any(code == "mapping_error" for code, _, _ in errors(result))


def test_a_structure_error_stops_the_mapping_with_997_codes() -> None:
    result = M940.read(only_set(order_set("N1*WH**91*EAST01~LX*1~W01*1*EA**VN*A1~")), MapOptions())
    assert result.document is None
    assert ("mandatory_missing", "W05", None) in errors(result)


def test_a_total_that_does_not_match_the_lines_is_a_warning() -> None:
    result = M940.read(only_set(order_set(HEAD, "LX*1~W01*2*EA**VN*A1~W76*3~")), MapOptions())
    assert result.document is not None
    assert [p.code for p in result.problems] == ["total_mismatch"]


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"ship_to": "CN", "sku": "BP", "sales_order": "OQ", "released_time": "W"},
        code_lists={"uom": {"RL": "RO"}, **OPTIONS.code_lists},
    )
    order = example_shipment_order()
    written = body_lines(M940.write(order, options))
    assert "N1*CN*Maria Lopez" in written
    assert "N9*OQ*SO-100245" in written
    assert "W01*2*RO**BP*TAP-0048*EN*0614141004805" in written
    assert any(line.startswith("G62*04*20240521*W*") for line in written)
    assert round_trip(M940, order, options).document == order


def test_a_value_too_long_for_its_element_is_refused_on_writing() -> None:
    order = example_shipment_order().model_copy(update={"shipment_order_number": "S" * 30})
    with pytest.raises(SchemaViolation, match="W0502"):
        M940.write(order, OPTIONS)


def test_skipped_segments_are_not_written_and_extra_segments_are() -> None:
    options = MapOptions(
        skip_segments=frozenset({"W76"}),
        extra_segments=(("N9", "ZZ", "X1"),),
        code_lists=OPTIONS.code_lists,
    )
    written = body_lines(M940.write(example_shipment_order(), options))
    assert not any(line.startswith("W76") for line in written)
    assert written[written.index("LX*1") - 1] == "N9*ZZ*X1"


# -- properties ------------------------------------------------------------------------


def addresses() -> st.SearchStrategy[Address]:
    return st.builds(
        Address,
        name=st.none() | words(60),
        lines=st.lists(words(55), min_size=1, max_size=4).map(tuple),
        city=words(30),
        region=st.none() | st.sampled_from(["OH", "NY", "ON"]),
        postal_code=st.from_regex(r"[0-9]{5}", fullmatch=True),
        country=st.sampled_from(["US", "CA"]),
        gln=st.none() | gtins().filter(lambda g: len(g) == 13),
        phone=st.none() | st.just("+1 937 555 0142"),
        email=st.none() | st.just("ops@example.com"),
    )


@st.composite
def orders(draw: st.DrawFn) -> ShipmentOrder:
    numbers = draw(st.lists(st.integers(1, 99_999), min_size=1, max_size=4, unique=True))
    lines = [
        ShipmentOrderLine(
            line_number=number,
            sales_order_line_number=draw(st.none() | st.integers(1, 999)),
            item=draw(items()),
            quantity=Quantity(value=draw(quantities()), uom=draw(st.sampled_from(["EA", "CA"]))),
            lot=draw(st.none() | codes(20)),
        )
        for number in numbers
    ]
    scac = draw(st.from_regex(r"[A-Z]{2,4}", fullmatch=True))
    carrier = CarrierRef(
        party_id=scac,
        scac=scac,
        name=draw(st.none() | words(40)),
        service=draw(st.none() | words(35)),
    )
    return ShipmentOrder(
        shipment_order_number=draw(codes(22)),
        sales_order_number=draw(st.none() | codes(30)),
        warehouse_id=draw(codes(12)),
        released_at=draw(moments()),
        requested_ship_date=draw(st.dates(date(2001, 1, 1), date(2049, 12, 31))),
        customer=draw(st.none() | st.builds(PartyRef, party_id=codes(12), name=words(60))),
        ship_to=draw(addresses()),
        carrier=draw(st.none() | st.just(carrier)),
        note=draw(st.none() | st.lists(words(80), min_size=1, max_size=3).map("\n".join)),
        lines=tuple(lines),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), version=st.sampled_from(["004010", "005010"]))
def test_any_shipment_order_survives_writing_and_reading(
    order: ShipmentOrder, version: str
) -> None:
    result = round_trip(M940, order, MapOptions(version=version))
    assert result.document == order, result.problems


MUTATIONS = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("*~ANZ09-\n")), max_size=8)


@settings(max_examples=150, deadline=None)
@given(cuts=MUTATIONS, deletions=st.lists(st.integers(0, 10_000), max_size=4))
def test_mutated_940s_are_read_without_crashing(
    cuts: list[tuple[int, str]], deletions: list[int]
) -> None:
    text = list(interchange(M940, M940.write(example_shipment_order(), OPTIONS)))
    for position, char in cuts:
        text.insert(position % len(text), char)
    for position in deletions:
        del text[position % len(text)]
    read_safely(M940, "".join(text).encode(), OPTIONS)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_940s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject,
) -> None:
    body = [list(s) for s in M940.write(example_shipment_order(), OPTIONS)]
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
    read_safely(M940, interchange(M940, body).encode(), OPTIONS)
