"""The 947 map: Warehouse Inventory Adjustment Advice ↔ InventoryAdjustment, both directions.

No 947 is in the shared X12 conformance corpus, so there is no conformance test here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m947 import WAREHOUSE_INVENTORY_ADJUSTMENT_947 as M947
from distsync.formats.x12.maps.m947 import carried
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.problems import Problem
from distsync.formats.x12.support import SETS
from distsync.model.examples.fulfilment import example_inventory_adjustment
from distsync.model.examples.master import item_ref
from distsync.model.inventory import AdjustmentReason, InventoryAdjustment
from tests.unit.x12_logistics_helpers import (
    body_lines,
    golden,
    golden_lines,
    interchange,
    only_set,
    read_safely,
    round_trip,
    words,
)

CODES = {"warehouse": {"WH-EAST": "EAST01"}}
OPTIONS = MapOptions(code_lists=CODES)
HEAD = "W15*20240520*ADJ-1~N1*WH**91*EAST01~G62*07*20240520*W*1305*ED~"
LINE = "W19*AU*-10*BX**VN*GLV-2211~N9*LT*G2404-77~"


def adjustment_set(*body: str, version: str = "004010") -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    return interchange(M947, [s.split("*") for s in segments], version).encode()


def read(
    *body: str, options: MapOptions = OPTIONS
) -> tuple[InventoryAdjustment | None, list[Problem]]:
    result = M947.read(only_set(adjustment_set(*body)), options)
    assert result.document is None or isinstance(result.document, InventoryAdjustment)
    return result.document, result.problems


def located(problems: list[Problem]) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.location.segment_tag, p.location.element_position) for p in problems]


@pytest.mark.parametrize("name", ["adjustment_in_4010", "adjustment_in_5010"])
def test_a_947_reads_as_the_expected_adjustment(name: str) -> None:
    result = M947.read(only_set(golden("947", f"{name}.edi").read_bytes()), OPTIONS)
    expected = InventoryAdjustment.model_validate_json(golden("947", f"{name}.json").read_text())
    assert result.problems == []
    assert result.document == expected


def test_an_adjustment_is_written_segment_by_segment_as_the_golden_947() -> None:
    adjustment = InventoryAdjustment.model_validate_json(
        golden("947", "adjustment_out_4010.json").read_text()
    )
    options = MapOptions(code_lists=CODES, qualifiers={"depositor": "NWD"})
    written = body_lines(M947.write(adjustment, options))
    assert written == golden_lines(golden("947", "adjustment_out_4010.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_adjustment_comes_back_as_a_947_carries_it(version: str) -> None:
    options = MapOptions(version=version, code_lists=CODES)
    result = round_trip(M947, example_inventory_adjustment(), options)
    assert result.problems == []
    assert result.document == carried(example_inventory_adjustment())


def test_what_a_947_does_not_carry_is_what_carried_changes() -> None:
    adjustment = example_inventory_adjustment()
    back = carried(adjustment)
    assert (adjustment.location_id, adjustment.adjusted_by) == ("QC-1", "j.ortiz")
    assert adjustment.on_hand_after is not None
    assert (back.location_id, back.adjusted_by, back.on_hand_after) == (None, None, None)
    assert (back.item, back.lot, back.delta, back.note) == (
        adjustment.item, adjustment.lot, adjustment.delta, adjustment.note,
    )  # fmt: skip


def test_the_registry_knows_the_947_as_group_aw() -> None:
    assert map_for("947") is M947
    assert "947" in SETS
    assert (M947.set_id, M947.functional_id, M947.document) == ("947", "AW", InventoryAdjustment)
    assert {"W15", "N1", "G62", "NTE", "W19", "G69", "N9"} <= M947.spec(MapOptions()).tags()


@pytest.mark.parametrize("reason", list(AdjustmentReason))
def test_every_reason_comes_back_as_itself(reason: AdjustmentReason) -> None:
    adjustment = example_inventory_adjustment().model_copy(update={"reason_code": reason})
    result = round_trip(M947, adjustment, OPTIONS)
    assert result.document == carried(adjustment)


@pytest.mark.parametrize(
    ("code", "reason"),
    [("AV", "damaged"), ("07", "damaged"), ("08", "quality_hold"), ("56", "correction")],
)
def test_other_standard_reason_codes_are_read_as_our_nearest_reason(code: str, reason: str) -> None:
    adjustment, problems = read(HEAD, LINE.replace("AU", code))
    assert problems == []
    assert adjustment is not None
    assert adjustment.reason_code == reason


def test_the_partner_reason_code_list_is_honoured_both_ways() -> None:
    lost = example_inventory_adjustment().model_copy(update={"reason_code": AdjustmentReason.LOST})
    options = MapOptions(code_lists={"adjustment_reason": {"lost": "AJ"}, **CODES})
    written = body_lines(M947.write(lost, options))
    assert "W19*AJ*-10*BX**VN*GLV-2211*EN*0614141221103" in written
    assert round_trip(M947, lost, options).document == carried(lost)


def test_an_unknown_reason_code_is_located_at_w1901() -> None:
    adjustment, problems = read(HEAD, LINE.replace("AU", "ZZ"))
    assert adjustment is None
    assert located(problems) == [("mapping_error", "W19", 1)]
    assert "'ZZ'" in problems[0].message


def test_a_missing_quantity_is_located_at_w1902() -> None:
    adjustment, problems = read(HEAD, "W19*AU**BX**VN*GLV-2211~")
    assert adjustment is None
    assert ("element_missing", "W19", 2) in located(problems)


def test_a_missing_adjustment_number_is_located_at_w1502() -> None:
    adjustment, problems = read(HEAD.replace("ADJ-1", ""), LINE)
    assert adjustment is None
    assert ("element_missing", "W15", 2) in located(problems)


def test_a_zero_quantity_is_located_at_w1902() -> None:
    adjustment, problems = read(HEAD, LINE.replace("-10", "0"))
    assert adjustment is None
    assert located(problems) == [("mapping_error", "W19", 2)]


def test_reason_other_without_a_note_is_located_at_w1901() -> None:
    adjustment, problems = read(HEAD, LINE.replace("AU", "AH"))
    assert adjustment is None
    assert located(problems) == [("mapping_error", "W19", 1)]
    adjustment, problems = read(HEAD, "NTE**Pallet wrapped twice~", LINE.replace("AU", "AH"))
    assert adjustment is not None
    assert (adjustment.reason_code, adjustment.note) == ("other", "Pallet wrapped twice")


def test_a_947_of_several_items_is_refused_at_the_second_w19() -> None:
    adjustment, problems = read(HEAD, LINE, "W19*AA*2*CA**VN*FAS-10432~")
    assert adjustment is None
    assert located(problems) == [("mapping_error", "W19", None)]
    assert problems[0].location.segment_position == 7
    assert "2 items" in problems[0].message


def test_without_g62_the_w15_date_is_the_adjustment_at_midnight_utc() -> None:
    adjustment, _ = read("W15*20240520*ADJ-1~N1*WH**91*EAST01~", LINE)
    assert adjustment is not None
    assert adjustment.adjusted_at == datetime(2024, 5, 20, tzinfo=UTC)


def test_without_a_warehouse_party_the_sending_warehouse_is_the_group_sender() -> None:
    adjustment, _ = read("W15*20240520*ADJ-1~N1*DE**91*NWD~", LINE)
    assert adjustment is not None
    assert adjustment.warehouse_id == "DISTSYNC"  # GS02 of the test envelope


def test_a_supplier_part_number_travels_in_w1917_and_comes_back() -> None:
    adjustment = example_inventory_adjustment().model_copy(update={"item": item_ref(0)})
    written = body_lines(M947.write(adjustment, OPTIONS))
    assert "W19*AU*-10*BX**VN*FAS-10432*EN*0614141104321*********VP*HB-M8-40Z" in written
    assert round_trip(M947, adjustment, OPTIONS).document == carried(adjustment)


def test_a_long_note_is_split_over_nte_segments_and_joined_back() -> None:
    note = "Recounted twice after the May receipt; " * 10
    adjustment = example_inventory_adjustment().model_copy(update={"note": note.strip()})
    written = body_lines(M947.write(adjustment, OPTIONS))
    assert sum(line.startswith("NTE") for line in written) == 5
    assert round_trip(M947, adjustment, OPTIONS).document == carried(adjustment)


def test_an_adjustment_number_longer_than_w1502_allows_is_refused_when_writing() -> None:
    long_id = "ADJ-WH-EAST-2024-05-20-QC-1-000042"
    adjustment = example_inventory_adjustment().model_copy(update={"adjustment_id": long_id})
    with pytest.raises(SchemaViolation, match=r"W1502 \(adjustment number\)"):
        M947.write(adjustment, OPTIONS)


def test_extra_segments_close_the_heading_and_skipped_ones_are_not_written() -> None:
    options = MapOptions(
        code_lists=CODES, extra_segments=(("N9", "ZZ", "X1"),), skip_segments=frozenset({"G69"})
    )
    written = body_lines(M947.write(example_inventory_adjustment(), options))
    assert written[written.index("NTE**Crushed case from ASN-88120") + 1] == "N9*ZZ*X1"
    assert not any(line.startswith("G69") for line in written)


def test_only_an_adjustment_is_written() -> None:
    with pytest.raises(SchemaViolation, match="writes an InventoryAdjustment"):
        M947.write(MapOptions(), OPTIONS)  # type: ignore[arg-type]


# -- properties ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(data=st.data(), version=st.sampled_from(["004010", "005010"]))
def test_947s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject, version: str
) -> None:
    options = MapOptions(version=version, code_lists=CODES)
    body = [list(s) for s in M947.write(example_inventory_adjustment(), options)]
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
    read_safely(M947, interchange(M947, body, version).encode(), options)
