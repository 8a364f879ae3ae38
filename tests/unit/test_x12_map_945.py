"""The 945 map: Warehouse Shipping Advice ↔ ShipmentConfirmation, both directions."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m945 import WAREHOUSE_SHIPPING_ADVICE_945 as M945
from distsync.model.examples.fulfilment import example_shipment_confirmation
from distsync.model.parties import CarrierRef
from distsync.model.shipping import (
    Package,
    PackageContent,
    ShipmentConfirmation,
    ShipmentConfirmationLine,
)
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
    tracking_numbers,
    words,
)

OPTIONS = MapOptions(
    code_lists={"warehouse": {"WH-EAST": "EAST01"}, "carrier": {"CAR-UPS": "UPSN"}}
)
HEAD = "W06*F*SO-1*20240522*SHP-1~N1*WH**91*EAST01~W27*M*UPSN~"


def advice(*body: str) -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    return interchange(M945, [segment.split("*") for segment in segments]).encode()


def test_a_pack_level_945_reads_as_the_expected_confirmation() -> None:
    options = MapOptions(version="005010", code_lists=OPTIONS.code_lists)
    result = M945.read(only_set(golden("945", "advice_in.edi").read_bytes()), options)
    expected = ShipmentConfirmation.model_validate_json(golden("945", "advice_in.json").read_text())
    assert result.problems == []
    assert result.document == expected


def test_a_confirmation_is_written_segment_by_segment_as_the_golden_945() -> None:
    confirmation = ShipmentConfirmation.model_validate_json(
        golden("945", "advice_out.json").read_text()
    )
    lines = body_lines(M945.write(confirmation, OPTIONS))
    assert lines == golden_lines(golden("945", "advice_out.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_confirmation_survives_a_round_trip(version: str) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    confirmation = example_shipment_confirmation()
    assert round_trip(M945, confirmation, options).document == confirmation


def test_the_inter_american_945_is_refused_where_it_lacks_what_a_confirmation_needs() -> None:
    """Its GS is garbled (GS08 "21"), so its ISA12 00501 picks the 5010 layout; W06 has no
    depositor order number and no W12 says its unit: without them there is no confirmation
    to build. Each gap is an AK4 "mandatory element missing" at its element."""
    (path,) = [p for p in corpus("945") if "inter-americanproducts" in p.name]
    result = M945.read(only_set(path.read_bytes()), MapOptions())
    assert result.document is None
    assert errors(result) == [("element_missing", "W06", 2)] + [("element_missing", "W12", 5)] * 3
    assert {p.ack_code for p in result.problems} == {"1"}


def test_no_corpus_945_crashes_the_map_and_broken_ones_give_located_errors() -> None:
    for path in corpus("945"):
        for transaction in X12Reader(path.read_bytes()).read_all():
            result = M945.read(transaction, MapOptions())
            if is_broken(path):
                assert errors(result), path.name


def test_lx_loops_without_packages_are_lines_and_an_n9_2i_is_a_package() -> None:
    result = M945.read(
        only_set(
            advice(
                HEAD,
                "LX*1~N9*2I*PRO-1~W12*CC*5*5**EA**VN*A1~",
                "LX*2~W12*CP*3*0**EA**VN*B2~W03*5~",
            )
        ),
        MapOptions(),
    )
    confirmation = result.document
    assert isinstance(confirmation, ShipmentConfirmation), result.problems
    shipped = [(line.line_number, line.shipped_quantity.value) for line in confirmation.lines]
    assert shipped == [(1, Decimal(5)), (2, Decimal(0))]
    (package,) = confirmation.packages
    assert package.tracking_number == "PRO-1"
    assert package.contents == (
        PackageContent(line_number=1, quantity=Quantity(value=Decimal(5), uom="EA")),
    )


def test_several_w12_in_one_lx_need_their_line_numbers() -> None:
    result = M945.read(
        only_set(
            advice(
                HEAD,
                "LX*1~W12*CC*5*5**EA**VN*A1~W12*CC*1*1**EA**VN*B2~",
            )
        ),
        MapOptions(),
    )
    assert result.document is None
    assert ("mapping_error", "W12", None) in errors(result)


def test_a_weight_in_an_unknown_unit_is_a_mapping_error_at_its_element() -> None:
    result = M945.read(
        only_set(
            advice(
                HEAD,
                "LX*1~MAN*CP*PKG-1~W12*CC*5*5**EA**VN*A1**2*G*X~N9*LI*1~",
            )
        ),
        MapOptions(),
    )
    assert ("mapping_error", "W12", 12) in errors(result)


def test_a_package_holding_more_than_was_shipped_is_refused_on_writing() -> None:
    confirmation = example_shipment_confirmation()
    line = confirmation.lines[1].model_copy(
        update={"shipped_quantity": Quantity(value=Decimal(0), uom="EA"), "serial_numbers": ()}
    )
    smaller = confirmation.model_copy(
        update={"lines": (confirmation.lines[0], line, confirmation.lines[2])}
    )
    with pytest.raises(SchemaViolation, match="line 2"):
        M945.write(smaller, OPTIONS)


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"sku": "SK", "tracking": "2I", "transport_method": "U", "shipped_time": "A"},
        code_lists={"uom": {"RL": "RO"}, "ship_status": {"CC": "CL"}, **OPTIONS.code_lists},
    )
    confirmation = example_shipment_confirmation().model_copy(
        update={"master_tracking_number": "1Z999AA1MASTER01"}
    )
    written = body_lines(M945.write(confirmation, options))
    assert "N9*2I*1Z999AA1MASTER01" in written
    assert "W27*U*UPSN*ground" in written
    assert any(line.startswith("W12*CL*2*2**RO**SK*TAP-0048") for line in written)
    assert round_trip(M945, confirmation, options).document == confirmation


# -- properties ------------------------------------------------------------------------


@st.composite
def confirmations(draw: st.DrawFn) -> ShipmentConfirmation:
    numbers = sorted(draw(st.lists(st.integers(1, 9_999), min_size=1, max_size=4, unique=True)))
    lines = []
    for number in numbers:
        uom = draw(st.sampled_from(["EA", "CA", "BX"]))
        shipped = draw(quantities(positive=False))
        ordered = draw(st.none() | quantities())
        lines.append(
            ShipmentConfirmationLine(
                line_number=number,
                item=draw(items()),
                lot=draw(st.none() | codes(20)),
                shipped_quantity=Quantity(value=shipped, uom=uom),
                ordered_quantity=None if ordered is None else Quantity(value=ordered, uom=uom),
                serial_numbers=tuple(draw(st.lists(codes(20), max_size=2))),
            )
        )
    scac = draw(st.from_regex(r"[A-Z]{2,4}", fullmatch=True))
    return ShipmentConfirmation(
        shipment_id=draw(codes(30)),
        shipment_order_number=draw(codes(22)),
        warehouse_id=draw(codes(12)),
        shipped_at=draw(moments()),
        carrier=CarrierRef(
            party_id=scac,
            scac=scac,
            name=draw(st.none() | words(40)),
            service=draw(st.none() | words(35)),
        ),
        master_tracking_number=draw(st.none() | tracking_numbers()),
        bill_of_lading=draw(st.none() | codes(30)),
        lines=tuple(lines),
        packages=tuple(draw(packages(lines))),
    )


@st.composite
def packages(draw: st.DrawFn, lines: list[ShipmentConfirmationLine]) -> list[Package]:
    """Packages whose contents never exceed what their lines shipped."""
    left = {line.line_number: line.shipped_quantity for line in lines}
    found, counter = [], itertools.count(1)
    for _ in range(draw(st.integers(0, 3))):
        contents = []
        for number, quantity in left.items():
            if quantity.value > 0 and draw(st.booleans()):
                share = draw(st.integers(1, int(quantity.value * 100))) / Decimal(100)
                contents.append(
                    PackageContent(
                        line_number=number, quantity=Quantity(value=share, uom=quantity.uom)
                    )
                )
                left[number] = Quantity(value=quantity.value - share, uom=quantity.uom)
        weight = draw(st.none() | quantities().map(lambda v: Quantity(value=v, uom="KG")))
        found.append(
            Package(
                sscc=draw(st.none() | ssccs()),
                tracking_number=draw(st.none() | st.just(f"TRK-{next(counter)}")),
                weight=weight if contents else None,
                contents=tuple(contents),
            )
        )
    ssccs_seen = [p.sscc for p in found if p.sscc]
    return found if len(ssccs_seen) == len(set(ssccs_seen)) else []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(confirmation=confirmations(), version=st.sampled_from(["004010", "005010"]))
def test_any_confirmation_survives_writing_and_reading(
    confirmation: ShipmentConfirmation, version: str
) -> None:
    result = round_trip(M945, confirmation, MapOptions(version=version))
    assert result.document == confirmation, result.problems


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("*~AZ09-\n")), max_size=8),
    deletions=st.lists(st.integers(0, 10_000), max_size=4),
)
def test_mutated_945s_are_read_without_crashing(
    cuts: list[tuple[int, str]], deletions: list[int]
) -> None:
    text = list(interchange(M945, M945.write(example_shipment_confirmation(), OPTIONS)))
    for position, char in cuts:
        text.insert(position % len(text), char)
    for position in deletions:
        del text[position % len(text)]
    read_safely(M945, "".join(text).encode(), OPTIONS)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_945s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject,
) -> None:
    body = [list(s) for s in M945.write(example_shipment_confirmation(), OPTIONS)]
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
    read_safely(M945, interchange(M945, body).encode(), OPTIONS)
