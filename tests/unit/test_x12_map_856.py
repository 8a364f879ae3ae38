"""The 856 map: golden files both ways, HL tree checks, partner variations, corpus, properties."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions, MapResult
from distsync.formats.x12.maps.m856 import ADVANCE_SHIP_NOTICE_856 as MAP
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.support import support_problems
from distsync.model.asn import AdvanceShipNotice, PackKind
from distsync.model.examples.procurement import example_asn
from distsync.model.parties import PartyRef
from tests.unit.x12_856_samples import (
    GOLDEN,
    corpus_856,
    interchange,
    notices,
    only_set,
    sample_asn,
)

ISA = ("ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
       "*240516*1200*U*00401*000000001*0*P*>~")  # fmt: skip
MINIMAL = ["BSN*00*ASN-1*20240516*1200", "HL*1**S", "DTM*011*20240516", "N1*ST**92*WH-EAST",
           "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN*1*BP*SKU-1", "SN1**1*EA"]  # fmt: skip


def x12(*body: str, version: str = "004010") -> bytes:
    lines = [ISA, f"GS*SH*ACME*NORTHWIND*20240516*1200*1*X*{version}~", "ST*856*0001~"]
    lines += [segment + "~" for segment in body]
    lines += [f"SE*{len(body) + 2}*0001~", "GE*1*1~", "IEA*1*000000001~"]
    return "\n".join(lines).encode()


def read(data: bytes, options: MapOptions | None = None) -> MapResult:
    return MAP.read(only_set(data), options or MapOptions())


def errors(result: MapResult) -> list[tuple[str, str | None, int | None, int | None]]:
    return [(p.code, p.ack_code, p.location.segment_position, p.location.element_position)
            for p in result.problems if p.severity is Severity.ERROR]  # fmt: skip


def set_lines(data: bytes) -> list[str]:
    """The segments of the one transaction set, ST to SE, one per line."""
    lines = data.decode().splitlines()
    return lines[2:-2]


# -- golden files --------------------------------------------------------------------------

GOLDEN_OPTIONS = {
    "pick_and_pack_005010": MapOptions(
        qualifiers={"time_code": "ED"},
        code_lists={"party": {"SUP-CASCADE": "0812345000009"},
                    "warehouse": {"WH-EAST": "0614141000036"}},
    ),
    "order_item_004010vics": MapOptions(
        code_lists={"party": {"SUP-ACME": "081466203", "CAR-UPS": "UPSN"},
                    "service_level": {"ground": "CG"}},
    ),
    "pack_item_prf_on_item": MapOptions(),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOLDEN_OPTIONS))
def test_golden_856_files_read_to_their_expected_notices(name: str) -> None:
    result = read((GOLDEN / f"{name}.x12").read_bytes(), GOLDEN_OPTIONS[name])
    expected = AdvanceShipNotice.model_validate_json((GOLDEN / f"{name}.json").read_text())
    assert errors(result) == []
    assert result.document == expected


def test_a_tare_holding_cartons_gives_one_pack_per_carton() -> None:
    result = read(
        (GOLDEN / "pick_and_pack_005010.x12").read_bytes(), GOLDEN_OPTIONS["pick_and_pack_005010"]
    )
    assert isinstance(result.document, AdvanceShipNotice)
    packs = [pack for _, pack in result.document.packs()]
    assert [p.kind for p in packs] == [PackKind.CARTON] * 3
    assert "008123450000045116" not in {p.sscc for p in packs}  # the pallet's own label


def test_a_missing_shipped_date_takes_the_notice_date_with_a_warning() -> None:
    result = read((GOLDEN / "pack_item_prf_on_item.x12").read_bytes())
    assert [p.code for p in result.problems] == ["shipped_date_missing"]


def test_the_example_notice_is_written_as_the_golden_interchange() -> None:
    written = set_lines(interchange(example_asn()))
    golden = set_lines((GOLDEN / "example_asn.x12").read_bytes())
    for position, (mine, theirs) in enumerate(zip(written, golden, strict=True), start=1):
        assert mine == theirs, f"segment {position}"


def test_the_example_reads_back_less_what_an_856_does_not_carry() -> None:
    notice = example_asn()
    carried = notice.model_copy(update={
        "supplier": PartyRef(party_id="SUP-ACME", name=notice.supplier.name),
        "carrier": notice.carrier.model_copy(update={"service": None}) if notice.carrier else None,
    })  # fmt: skip
    assert read((GOLDEN / "example_asn.x12").read_bytes()).document == carried


def test_an_order_of_loose_goods_is_written_shipment_order_item() -> None:
    notice = read(x12(*MINIMAL)).document
    assert isinstance(notice, AdvanceShipNotice)
    body = [list(s) for s in MAP.write(notice, MapOptions())]
    assert body[0][-1] == "0004"
    assert [s[3] for s in body if s[0] == "HL"] == ["S", "O", "I"]


def test_005010_allows_longer_references_than_004010() -> None:
    body = [*MINIMAL[:2], "REF*BM*" + "B" * 40, *MINIMAL[2:]]
    assert ("element_too_long", "5", 4, 2) in errors(read(x12(*body)))
    assert errors(read(x12(*body, version="005010"))) == []


def test_vics_groups_require_the_hierarchical_structure_code() -> None:
    assert ("element_missing", "1", 2, 5) in errors(read(x12(*MINIMAL, version="004010VICS")))
    assert errors(read(x12(*MINIMAL, version="004010"))) == []


# -- the HL tree ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["HL*1**S", "HL*1*1*O"], ("hl_duplicate_id", "8", 4, 1)),
        (["HL*1**S", "HL*3*1*O"], ("hl_not_sequential", "8", 4, 1)),
        (["HL*1**S", "HL*2*7*O"], ("hl_parent_unknown", "8", 4, 2)),
        (["HL*1**S", "HL*2*3*O", "HL*3*1*O"], ("hl_parent_unknown", "8", 4, 2)),
        (["HL*1**S", "HL*2*1*I", "HL*3*2*O"], ("hl_parent_level", "8", 5, 2)),
        (["HL*1**S", "HL*2*1*O*0", "HL*3*2*I"], ("hl_child_code", "8", 4, 4)),
        (["HL*1**S*1"], ("hl_child_code", "8", 3, 4)),
        (["HL*1**O", "HL*2*1*I"], ("hl_root_level", "8", 3, 3)),
    ],
)
def test_broken_hl_pointers_are_located_with_ack_code_8(
    levels: list[str], expected: tuple[str, str, int, int]
) -> None:
    result = read(x12(MINIMAL[0], *levels))
    assert result.document is None
    assert expected in errors(result)


def test_hl_problems_are_all_collected() -> None:
    found = errors(read(x12(MINIMAL[0], "HL*1**S", "HL*1*1*O", "HL*5*9*I", "HL*6*1*S")))
    assert {code for code, *_ in found} >= {"hl_duplicate_id", "hl_not_sequential",
                                           "hl_parent_unknown", "hl_parent_level"}  # fmt: skip


def test_a_missing_parent_is_taken_from_the_open_levels_with_a_warning() -> None:
    body = [
        segment.replace("HL*2*1*O", "HL*2**O").replace("HL*3*2*I", "HL*3**I") for segment in MINIMAL
    ]
    result = read(x12(*body))
    assert result.document is not None
    assert [p.code for p in result.problems] == ["hl_parent_inferred", "hl_parent_inferred"]


# -- values the canonical model refuses ----------------------------------------------------


def in_a_carton(*segments: str) -> bytes:
    return x12(*MINIMAL[:6], "HL*3*2*P", *segments, "HL*4*3*I", *MINIMAL[7:])


def test_an_sscc_with_a_wrong_check_digit_is_located_at_man02() -> None:
    found = errors(read(in_a_carton("MAN*GM*00008123450000045117")))
    assert found == [("mapping_error", "8", 9, 2)]


def test_an_item_without_a_purchase_order_is_located_at_its_hl() -> None:
    body = [s for s in MINIMAL if not s.startswith("PRF")]
    assert errors(read(x12(*body))) == [("mapping_error", "8", 7, None)]


def test_an_unknown_unit_is_located_at_sn103() -> None:
    assert errors(read(x12(*MINIMAL[:-1], "SN1**1*ZZ"))) == [("mapping_error", "8", 10, 3)]


def test_a_label_used_twice_is_located_at_its_second_use() -> None:
    label = "MAN*GM*00008123450000045116"
    data = x12(*MINIMAL[:6], "HL*3*2*P", label, "HL*4*3*I", "LIN*1*BP*SKU-1", "SN1**1*EA",
               "HL*5*2*P", label, "HL*6*5*I", "LIN*2*BP*SKU-2", "SN1**1*EA")  # fmt: skip
    assert errors(read(data)) == [("mapping_error", "8", 14, 2)]


def test_serial_numbers_that_do_not_match_the_quantity_are_located_at_the_item() -> None:
    found = read(x12(*MINIMAL[:-1], "SN1**2*EA", "REF*SN*S-1"))
    assert errors(found) == [("mapping_error", "8", 8, None)]
    assert "serial_numbers has 1 serial numbers for 2 EA" in found.problems[0].message


def test_control_totals_that_do_not_add_up_are_warnings() -> None:
    result = read(x12(*MINIMAL, "CTT*7*5"))
    assert result.document is not None
    assert [p.code for p in result.problems] == ["control_total_mismatch", "hash_total_mismatch"]


# -- partner variations --------------------------------------------------------------------

PARTNER = MapOptions(
    qualifiers={"buyer_item": "IN", "vendor_part": "VP", "ship_to": "UL", "time_code": "ED",
                "delivery_date": "067"},
    code_lists={"uom": {"CA": "CS"}, "warehouse": {"WH-EAST": "0614141000036"},
                "service_level": {"LTL standard": "ST"}},
)  # fmt: skip


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    notice = example_asn()
    body = [list(s) for s in MAP.write(notice, PARTNER)]
    lin = next(s for s in body if s[0] == "LIN")
    assert lin[2:6] == ["IN", "FAS-10432", "VP", "HB-M8-40Z"]
    assert ["SN1", "", "2", "CS"] in body
    assert ["N1", "ST", "", "UL", "0614141000036"] in body
    assert ["DTM", "011", "20240516", "1430", "ED"] in body
    assert ["DTM", "067", "20240520"] in body
    assert next(s for s in body if s[0] == "TD5")[12] == "ST"
    back = read(interchange(notice, PARTNER), PARTNER).document
    supplier = PartyRef(party_id="SUP-ACME", name=notice.supplier.name)
    assert back == notice.model_copy(update={"supplier": supplier})


def test_skipped_segments_are_not_written_and_extra_ones_are() -> None:
    options = MapOptions(skip_segments=frozenset({"PID", "TD1"}), extra_segments=(("FOB", "PP"),))
    tags = [s[0] for s in MAP.write(example_asn(), options)]
    assert "PID" not in tags
    assert "TD1" not in tags
    levels = [position for position, tag in enumerate(tags) if tag == "HL"]
    assert levels[0] < tags.index("FOB") < levels[1]


def test_a_value_without_an_x12_form_is_refused() -> None:
    notice = example_asn()
    with pytest.raises(SchemaViolation, match="BSN02"):
        MAP.write(notice.model_copy(update={"asn_number": "A" * 31}), MapOptions())
    with pytest.raises(SchemaViolation, match="unit CA"):
        MAP.write(sample_asn(1, 1, 1), MapOptions(code_lists={"uom": {"CA": "C62"}}))
    with pytest.raises(SchemaViolation, match="expected an advance ship notice"):
        MAP.write(notice.supplier, MapOptions())


# -- the shared corpus ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    maps: bool
    codes: frozenset[str] = frozenset()
    why: str = ""


CORPUS = {
    "X12Parser__Example1.txt": Expected(True, why="S/O/I; supplier from SF and GS02"),
    "X12Parser__Example3.txt": Expected(True, why="S/I with the PO on each item"),
    "X12Parser__Example4.txt": Expected(False, frozenset({"element_too_long"}),
        "N402 is the placeholder 'LOCSTATE', longer than a state code (ID 2/2)"),
    "bots-plugins__856_1.x12": Expected(False, frozenset({"mapping_error"}),
        "MAN*GM holds 22 digits with a wrong check digit: no SSCC-18"),
    "bots-plugins__856_2.x12": Expected(False, frozenset({"mapping_error"}),
        "MAN*GM holds 22 digits with a wrong check digit: no SSCC-18"),
    "node-x12__856.edi": Expected(False, frozenset({"mapping_error"}),
        "version 004060 (read with the 004010 map); no ship-to N1; UPCs with wrong check digits"),
    "stupidedi__002001_SH856_fail_1.edi": Expected(False, frozenset(
        {"unsupported_version", "element_too_short", "hl_parent_level"}),
        "version 002001: six-digit dates, packs under items"),
    "stupidedi__004010_SH856_fail_2.edi": Expected(False, frozenset(
        {"segment_count_mismatch", "hl_parent_unknown", "out_of_sequence"}),
        "SE01 says 25; HL 2 is swallowed by an N1 with the wrong terminator, so HL 3's parent "
        "is undefined"),
    "stupidedi__004010_SH856_pass_1.edi": Expected(False, frozenset({"hl_child_code"}),
        "a shipment level only: HL04 promises children and there are none, and a notice "
        "needs an order with an item"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_file_maps_or_gives_located_errors(name: str) -> None:
    expected = CORPUS[name]
    reader = X12Reader((corpus_856() / name).read_bytes())
    sets = reader.read_all()
    assert sets, expected.why
    problems = list(reader.problems)
    for transaction in sets:
        result = MAP.read(transaction, MapOptions())
        problems += transaction.problems + support_problems(transaction) + result.problems
        assert (result.document is not None) is expected.maps, (expected.why, result.problems)
    found = {p.code for p in problems if p.severity is Severity.ERROR}
    assert expected.codes <= found, expected.why
    assert all(p.location.segment_position for p in problems if p.code in expected.codes)


def test_the_corpus_directory_holds_the_files_this_test_knows() -> None:
    assert {path.name for path in corpus_856().iterdir()} == set(CORPUS)


# -- properties ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notices(), st.sampled_from(["004010", "005010", "004010VICS"]))
def test_a_notice_written_and_read_back_is_the_same_notice(
    notice: AdvanceShipNotice, version: str
) -> None:
    result = read(interchange(notice, MapOptions(version=version), version))
    assert errors(result) == []
    assert result.document == notice


@pytest.mark.parametrize(("orders", "packs", "items"), [(1, 1, 1), (3, 2, 4), (10, 5, 10)])
def test_sample_notices_of_any_size_round_trip(orders: int, packs: int, items: int) -> None:
    notice = sample_asn(orders, packs, items)
    assert read(interchange(notice)).document == notice


SAMPLE = interchange(sample_asn(2, 2, 2)).decode().split("~\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["drop", "repeat", "swap", "char", "cut"]),
                          st.integers(0, len(SAMPLE) - 1), st.text(min_size=1, max_size=3)),
                min_size=1, max_size=4))  # fmt: skip
def test_mutated_856s_never_raise_anything_unexpected(edits: list[tuple[str, int, str]]) -> None:
    data = "~\n".join(mutated(SAMPLE, edits)).encode()
    with contextlib.suppress(MalformedDocument, SchemaViolation):
        for transaction in X12Reader(data).read_all():
            MAP.read(transaction, MapOptions())


def mutated(original: list[str], edits: list[tuple[str, int, str]]) -> list[str]:
    segments = list(original)
    for action, place, text in edits:
        at = place % max(len(segments), 1)
        if not segments:
            break
        if action == "drop":
            del segments[at]
        elif action == "repeat":
            segments.insert(at, segments[at])
        elif action == "swap" and at + 1 < len(segments):
            segments[at], segments[at + 1] = segments[at + 1], segments[at]
        elif action == "char":
            position = len(text) % max(len(segments[at]), 1)
            segments[at] = segments[at][:position] + text + segments[at][position + 1 :]
        elif action == "cut":
            segments[at] = segments[at][: len(segments[at]) // 2]
    return segments


def test_the_map_declares_its_contract() -> None:
    assert (MAP.set_id, MAP.map_version, MAP.functional_id) == ("856", "1", "SH")
    assert MAP.document is AdvanceShipNotice
    assert {"BSN", "HL", "LIN", "SN1", "MAN", "PRF", "TD5", "N1", "CTT"} <= MAP.spec(
        MapOptions()
    ).tags()
    assert Path(GOLDEN).is_dir()
