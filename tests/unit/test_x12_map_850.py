"""The 850 map: golden orders both ways, the corpus, partner variations, round-trip properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m850 import PURCHASE_ORDER_850 as MAP
from distsync.model.examples.master import east_warehouse_address, item_ref, qty, usd
from distsync.model.examples.procurement import example_purchase_order
from distsync.model.items import ItemRef
from distsync.model.parties import Address, PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from tests.unit.x12_purchasing_support import (
    CORPUS,
    all_problems,
    codes,
    corpus_files,
    corpus_names,
    errors,
    golden_sets,
    interchange,
    is_broken,
    mutated,
    one_set,
    purchase_orders,
    read_mutated,
    round_trip,
    texts,
)

# -- golden: X12 to canonical ----------------------------------------------------------


def test_our_erp_order_reads_as_the_expected_purchase_order() -> None:
    (transaction,) = golden_sets("850", "northwind_004010.edi")
    result = MAP.read(transaction, MapOptions())
    assert errors(result.problems) == []
    assert result.document == PurchaseOrder(
        po_number="PO-2024-00117", revision=0, status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2024, 5, 6), issued_at=datetime(2024, 5, 6, 13, 15, tzinfo=UTC),
        buyer=PartyRef(party_id="0614141000012", name="Northwind Distribution",
                       gln="0614141000012"),
        supplier=PartyRef(party_id="081466203", name="ACME Industrial Supply",
                          gln="5012345000015", duns="081466203"),
        ship_to_warehouse_id="WH-EAST",
        ship_to=Address(name="Northwind Distribution - East DC",
                        lines=("4400 Logistics Parkway", "Dock 3"), city="Columbus",
                        region="OH", postal_code="43217", country="US",
                        gln="0614141000029", phone="614-555-0100"),
        currency="USD", payment_terms="2% 10, Net 30", incoterm="FCA",
        note="Deliver to dock 3 between 7:00 and 15:00.\n"
             "Call the receiving office thirty minutes before arrival.",
        lines=(
            PurchaseOrderLine(
                line_number=1,
                item=ItemRef(sku="FAS-10432", supplier_part_number="HB-M8-40Z",
                             gtin="10614141104328",
                             description="Hex bolt M8x40 zinc plated, case of 1200"),
                quantity=qty(2, "CA"), unit_price=usd("100.80"),
                requested_delivery_date=date(2024, 5, 20)),
            PurchaseOrderLine(
                line_number=2,
                item=ItemRef(sku="GLV-2211", supplier_part_number="NG-L-100",
                             description="Nitrile gloves size L, box of 100"),
                quantity=qty(6, "CA"), unit_price=usd("79.00"),
                requested_delivery_date=date(2024, 5, 22)),
            PurchaseOrderLine(
                line_number=3,
                item=ItemRef(sku="DRL-1800", supplier_part_number="CD-18V", gtin="614141090709"),
                quantity=qty(3, "EA"), unit_price=usd("89.00"),
                requested_delivery_date=date(2024, 5, 20), ship_to_warehouse_id="WH-WEST"),
        ),
    )  # fmt: skip


def test_a_005010_order_takes_long_references_local_time_and_the_ship_date() -> None:
    (transaction,) = golden_sets("850", "northwind_005010.edi")
    result = MAP.read(transaction, MapOptions())
    order = result.document
    assert errors(result.problems) == []
    assert isinstance(order, PurchaseOrder)
    assert order.issued_at == datetime(2024, 6, 11, 9, 15, tzinfo=timezone(timedelta(hours=-4)))
    assert order.currency == "USD"  # no CUR: US dollars
    assert order.supplier == PartyRef(party_id="SUP-ACME", name="ACME Industrial Supply")
    assert order.ship_to_warehouse_id == "0614141000029"
    assert order.ship_to is not None
    assert (order.ship_to.gln, order.ship_to.country) == ("0614141000029", "US")
    (line,) = order.lines
    assert (line.line_number, line.requested_delivery_date) == (10, date(2024, 6, 18))
    assert line.item.supplier_part_number == "DT-4850-S"


def test_the_same_long_reference_breaks_the_004010_length_rule() -> None:
    (transaction,) = golden_sets("850", "northwind_005010.edi")
    group = "GS*PO*NORTHWIND*ACMESUPPLY*20240611*1320*131*X*004010"  # the same set, 004010
    lines = [transaction.interchange.isa.text(), group]
    lines += [s.text() for s in transaction.segments] + ["GE*1*131", "IEA*1*000000131"]
    text = "~\n".join(lines) + "~\n"
    result = MAP.read(one_set(text), MapOptions())
    assert result.document is None
    assert ("element_too_long", "REF") in codes(errors(result.problems))


def test_a_vics_order_prices_from_ctp_and_delivers_in_the_window() -> None:
    (transaction,) = golden_sets("850", "northwind_004010VICS.edi")
    result = MAP.read(transaction, MapOptions())
    order = result.document
    assert isinstance(order, PurchaseOrder)
    assert order.supplier == PartyRef(party_id="V0042")  # REF*IA, no N1*SU
    assert order.buyer == PartyRef(party_id="NORTHWIND")  # the interchange sender
    assert order.ship_to_warehouse_id == "0614141000029"  # N1*ST*UL: the GLN
    assert order.payment_terms == "Net 60"
    first, second = order.lines
    assert (first.unit_price, second.unit_price) == (usd("89.00"), usd("4.60"))
    assert first.item == ItemRef(sku="DRL-1800", supplier_part_number="CD-18V",
                                 gtin="614141090709")  # fmt: skip
    assert {line.requested_delivery_date for line in order.lines} == {date(2024, 7, 15)}
    warned = codes(result.problems)
    assert ("segment_not_used", "SDQ") in warned
    assert ("party_from_envelope", "BEG") in warned


# -- golden: canonical to X12 ----------------------------------------------------------


def full_order() -> PurchaseOrder:
    order = example_purchase_order()
    lines = list(order.lines[:2])
    lines[1] = lines[1].model_copy(
        update={"requested_delivery_date": date(2024, 5, 22), "ship_to_warehouse_id": "WH-WEST"}
    )
    lines[0] = lines[0].model_copy(update={"item": item_ref(0)})
    return order.model_copy(update={
        "revision": 1, "ship_to": east_warehouse_address(), "incoterm": "FCA",
        "payment_terms": "2% 10, Net 30", "note": "Deliver to dock 3.\nCall ahead.",
        "lines": tuple(lines),
    })  # fmt: skip


def test_a_revised_order_is_written_segment_by_segment() -> None:
    assert texts(MAP.write(full_order(), MapOptions())) == [
        "BEG*05*SA*PO-2024-00117**20240506",
        "CUR*BY*USD",
        "REF*PP*1",
        "FOB*DF***01*FCA",
        "ITD*08*3*2**10**30*****2% 10, Net 30",
        "DTM*097*20240506*131500*UT",
        "N9*L1*SPECIAL INSTRUCTIONS",
        "MSG*Deliver to dock 3.",
        "MSG*Call ahead.",
        "N1*BY*Northwind Distribution*92*NWD",
        "REF*LU*0614141000012",
        "N1*ST*Northwind Distribution - East DC*92*WH-EAST",
        "N3*4400 Logistics Parkway*Dock 3",
        "N4*Columbus*OH*43217*US",
        "REF*LU*0614141000029",
        "N1*SU*ACME Industrial Supply*92*SUP-ACME",
        "REF*LU*5012345000015",
        "REF*DUN*081466203",
        "PO1*1*2*CA*100.8*UM*BP*FAS-10432*VP*HB-M8-40Z*EN*0614141104321",
        "PID*F****Hex bolt M8x40 zinc plated",
        "DTM*002*20240520",
        "PO1*2*6*CA*79*UM*BP*GLV-2211*VP*NG-L-100*EN*0614141221103",
        "DTM*002*20240522",
        "N1*ST**92*WH-WEST",
        "CTT*2*8",
        "AMT*TT*675.6",
    ]


def test_a_cancelled_order_is_written_as_a_cancellation_and_read_back() -> None:
    order = example_purchase_order().model_copy(update={"status": PurchaseOrderStatus.CANCELLED})
    assert texts(MAP.write(order, MapOptions()))[0] == "BEG*01*SA*PO-2024-00117**20240506"
    assert round_trip(MAP, order).document == order


def test_the_example_order_round_trips_in_both_versions() -> None:
    for version in ("004010", "005010", "004010VICS"):
        result = round_trip(MAP, full_order(), version=version)
        assert errors(result.problems) == []
        assert result.document == full_order()


def test_a_value_x12_cannot_carry_is_refused_with_its_element_named() -> None:
    order = example_purchase_order().model_copy(update={"po_number": "PO-" + "9" * 30})
    with pytest.raises(SchemaViolation, match=r"BEG03 .* is longer than 22"):
        MAP.write(order, MapOptions())


def test_writing_anything_but_a_purchase_order_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="expected a purchase order"):
        MAP.write(PartyRef(party_id="X"), MapOptions())


def test_a_unit_x12_cannot_write_is_refused_unless_the_partner_maps_it() -> None:
    line = example_purchase_order().lines[0].model_copy(update={"quantity": qty(2, "C62")})
    order = example_purchase_order().model_copy(update={"lines": (line,)})
    with pytest.raises(SchemaViolation, match="C62"):
        MAP.write(order, MapOptions())
    options = MapOptions(code_lists={"uom": {"C62": "EA"}})
    assert any(s.startswith("PO1*1*2*EA*") for s in texts(MAP.write(order, options)))
    assert round_trip(MAP, order, options).document == order


# -- located problems ------------------------------------------------------------------


def read_body(*segments: str) -> tuple[object, list]:  # type: ignore[type-arg]
    body = [s.split("*") for s in segments]
    result = MAP.read(one_set(interchange("850", "PO", body)), MapOptions())
    return result.document, result.problems


def test_a_value_the_model_refuses_is_a_mapping_error_at_its_element() -> None:
    document, problems = read_body(
        "BEG*00*SA*PO-9**20240506", "N1*ST**92*WH-EAST",
        "PO1*1*2*XX*10**BP*SKU-1", "DTM*002*20240510",
    )  # fmt: skip
    assert document is None
    (problem,) = errors(problems)
    assert (problem.code, problem.ack_code, problem.severity) == ("mapping_error", "8", "error")
    where = problem.location
    assert (where.segment_tag, where.segment_position, where.element_position) == ("PO1", 4, 3)
    assert "'XX' is not known" in problem.message


def test_every_refused_value_is_reported_not_just_the_first() -> None:
    _, problems = read_body(
        "BEG*00*SA*PO-9**20240506", "N1*ST**92*WH-EAST",
        "PO1*A*2*EA*10**UP*123456789013", "PO1*2*2*EA", "DTM*002*20240510",
    )  # fmt: skip
    found = {(p.location.segment_position, p.location.element_position) for p in errors(problems)}
    assert {(4, 1), (4, 7), (5, 4)} <= found


def test_an_order_without_ship_to_or_dates_says_so_where_it_is_missing() -> None:
    _, problems = read_body("BEG*00*SA*PO-9**20240506", "PO1*1*2*EA*10**BP*SKU-1")
    messages = {(p.location.segment_tag, p.message) for p in errors(problems)}
    assert ("BEG", "BEG: no ship-to (N1*ST): the order needs our warehouse id") in messages
    assert any(tag == "PO1" and "no requested delivery" in m for tag, m in messages)


def test_a_broken_structure_stops_before_mapping() -> None:
    document, problems = read_body("PO1*1*2*EA*10**BP*SKU-1", "BEG*00*SA*PO-9**20240506")
    assert document is None
    assert {p.code for p in errors(problems)} >= {"mandatory_missing"}


# -- partner variations ----------------------------------------------------------------

PARTNER = MapOptions(
    qualifiers={"buyer_item": "IN", "vendor_item": "VN", "ship_to_id": "91", "po_type": "NE",
                "supplier_entity": "SE", "delivery_date": "010"},
    code_lists={"uom": {"CA": "CS"}},
)  # fmt: skip


def test_partner_qualifiers_and_unit_codes_are_honoured_both_ways() -> None:
    order = full_order()
    written = texts(MAP.write(order, PARTNER))
    assert written[0] == "BEG*05*NE*PO-2024-00117**20240506"
    assert "N1*ST*Northwind Distribution - East DC*91*WH-EAST" in written
    assert "N1*SE*ACME Industrial Supply*92*SUP-ACME" in written
    assert "PO1*1*2*CS*100.8*UM*IN*FAS-10432*VN*HB-M8-40Z*EN*0614141104321" in written
    assert "DTM*010*20240520" in written
    assert round_trip(MAP, order, PARTNER).document == order


def test_a_partner_unit_code_lets_a_corpus_order_map() -> None:
    (path,) = [p for p in corpus_files("850") if p.name == "bots-plugins__850-004010-07.x12"]
    _, units_order = X12Reader(path.read_bytes()).read_all()
    assert MAP.read(units_order, MapOptions()).document is None  # UN is no canonical unit
    options = MapOptions(code_lists={"uom": {"EA": "UN"}})
    order = MAP.read(units_order, options).document
    assert isinstance(order, PurchaseOrder)
    assert order.lines[0].quantity == qty(12, "EA")
    assert order.ship_to_warehouse_id == "6678157"


def test_skipped_extra_and_unused_elements_shape_what_is_written() -> None:
    options = MapOptions(
        skip_segments=frozenset({"ITD"}),
        extra_segments=(("REF", "IA", "V0042"),),
        unused_elements=frozenset({"PO1.05"}),
    )
    written = texts(MAP.write(full_order(), options))
    assert not any(s.startswith("ITD") for s in written)
    assert written[1:4] == ["CUR*BY*USD", "REF*PP*1", "REF*IA*V0042"]
    assert "PO1*1*2*CA*100.8**BP*FAS-10432*VP*HB-M8-40Z*EN*0614141104321" in written
    result = round_trip(MAP, full_order(), options)
    assert result.document == full_order().model_copy(update={"payment_terms": None})


# -- the corpus ------------------------------------------------------------------------

MAPS = "maps"
# Good corpus files that cannot map, file by file: what the canonical order needs and
# the file does not give (each reported as a located error).
EXPECTED: dict[str, tuple[int, set[tuple[str, str]]]] = {
    # the ship-to is a name (a consumer), there is no requested date
    "EDI.Net__x12.850.edi": (0, {("mapping_error", "N1"), ("mapping_error", "PO1")}),
    # LF terminates segments and '~' is the component separator: every last element
    # keeps a stray '~' ('20191001~'), which breaks dates and codes
    "EDI.Net__x12.850.issue135.edi": (0, {("element_too_long", "BEG")}),
    "X12Parser__Example1_PGWGlass.txt": (1, set()),
    # N1*BY's id is 'ID Number' (a blank is no party id); the ship-to has no id
    "X12Parser__Example2_Adobe_TLP.txt": (0, {("mapping_error", "N1")}),
    "X12Parser__Example4_Adobe_ShrinkWrapped.txt": (1, set()),
    # units CR and UN are no canonical units (a partner code list maps UN, see above);
    # the ship-to and the vendor have no id
    "bots-plugins__850-004010-07.x12": (0, {("mapping_error", "PO1"), ("mapping_error", "N1")}),
    # prices on file: no PO104 and no CTP; some UPCs have 11 digits
    "bots-plugins__850-004010.15.x12": (0, {("mapping_error", "PO1")}),
    "bots-plugins__850-004010VICS-01.x12": (4, set()),
    # the ship-to is a name only; no requested date
    "bots-plugins__850_01.x12": (0, {("mapping_error", "N1"), ("mapping_error", "PO1")}),
    # no requested date; two UPCs have wrong check digits
    "bots-plugins__ebcdic.x12": (0, {("mapping_error", "PO1")}),
    "node-x12__850.edi": (1, set()),
    "node-x12__850_2.edi": (1, set()),
    "node-x12__850_fat.edi": (2, set()),
    # no ship-to and no requested date (a minimal test order)
    "stupidedi__004010_PO850_pass_1.edi": (0, {("mapping_error", "BEG"), ("mapping_error", "PO1")}),
    # aerospace X357: only the buyer, no ship-to, no date
    "stupidedi__basic-po.edi": (0, {("mapping_error", "BEG"), ("mapping_error", "PO1")}),
}


def test_every_corpus_file_has_an_expectation() -> None:
    names = [p.name for p in corpus_files("850")]
    assert sorted(n for n in names if not is_broken(n)) == sorted(EXPECTED)


@pytest.mark.parametrize("name", [n for n in corpus_names("850") if not is_broken(n)])
def test_a_good_corpus_file_maps_or_says_where_the_model_needs_more(name: str) -> None:
    sets = X12Reader((CORPUS / "850" / name).read_bytes()).read_all()
    results = [MAP.read(t, MapOptions()) for t in sets]
    mapped, needed = EXPECTED[name]
    assert sum(1 for r in results if r.document is not None) == mapped
    found = [p for r in results for p in errors(r.problems)]
    assert needed <= codes(found)
    for problem in found:
        assert problem.location.segment_tag is not None
        assert problem.location.segment_position is not None


@pytest.mark.parametrize("name", [n for n in corpus_names("850") if is_broken(n)])
def test_a_broken_corpus_file_gives_located_errors(name: str) -> None:
    problems = errors(all_problems(MAP, (CORPUS / "850" / name).read_bytes(), MapOptions()))
    assert problems
    assert {p.code for p in problems} >= {"unsupported_version", "segment_count_mismatch"}
    assert all(p.location.segment_tag is not None for p in problems)


# -- properties ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchase_orders(), st.sampled_from(["004010", "005010"]))
def test_any_order_written_and_read_back_is_the_same_order(
    order: PurchaseOrder, version: str
) -> None:
    result = round_trip(MAP, order, version=version)
    assert errors(result.problems) == []
    assert result.document == order


EXAMPLE_BODY = texts(MAP.write(full_order(), MapOptions()))


@settings(max_examples=300, deadline=None)
@given(mutated(EXAMPLE_BODY))
def test_a_mutated_order_never_raises_anything_but_a_permanent_error(body: list[str]) -> None:
    read_mutated(MAP, "850", "PO", body)


def test_a_vics_partner_gets_glns_and_the_delivery_window() -> None:
    options = MapOptions(
        version="004010VICS",
        qualifiers={"buyer_id": "UL", "ship_to_id": "UL", "delivery_date": "064"},
    )
    written = texts(MAP.write(full_order(), options))
    assert "N1*BY*Northwind Distribution*UL*0614141000012" in written
    assert "N1*ST*Northwind Distribution - East DC*UL*0614141000029" in written
    assert "DTM*064*20240520" in written
    order = round_trip(MAP, full_order(), options, version="004010VICS").document
    assert isinstance(order, PurchaseOrder)
    assert order.ship_to_warehouse_id == "0614141000029"  # the GLN stands for the warehouse
    assert order.buyer.party_id == "0614141000012"
    assert order.lines == full_order().lines
