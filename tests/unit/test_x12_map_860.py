"""The 860 map: changes read into revisions, revisions written as replacements, deletions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m860 import PURCHASE_ORDER_CHANGE_860 as MAP
from distsync.model.examples.master import qty, usd
from distsync.model.examples.procurement import example_purchase_order
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from tests.unit.x12_purchasing_support import (
    codes,
    errors,
    golden_sets,
    interchange,
    mutated,
    one_set,
    purchase_orders,
    read_mutated,
    round_trip,
    texts,
)

HEADER = [
    "BCH*05*SA*PO-2024-00117**4*20240506",
    "N1*BY**92*NWD",
    "N1*ST**92*WH-EAST",
    "N1*SU**92*SUP-ACME",
]


def read_body(*segments: str):  # type: ignore[no-untyped-def]
    body = [s.split("*") for s in segments]
    return MAP.read(one_set(interchange("860", "PC", body)), MapOptions())


def revision_2() -> PurchaseOrder:
    return example_purchase_order().model_copy(update={"revision": 2})


# -- golden ----------------------------------------------------------------------------


def test_a_change_reads_as_the_revision_with_the_lines_it_lists() -> None:
    (transaction,) = golden_sets("860", "northwind_change_004010.edi")
    result = MAP.read(transaction, MapOptions())
    assert errors(result.problems) == []
    assert result.document == PurchaseOrder(
        po_number="PO-2024-00117", revision=3, status=PurchaseOrderStatus.CONFIRMED,
        order_date=date(2024, 5, 6), issued_at=datetime(2024, 5, 10, tzinfo=UTC),
        buyer=PartyRef(party_id="NWD", name="Northwind Distribution"),
        supplier=PartyRef(party_id="SUP-ACME", name="ACME Industrial Supply"),
        ship_to_warehouse_id="WH-EAST", currency="USD",
        lines=(
            PurchaseOrderLine(
                line_number=1, item=ItemRef(sku="FAS-10432", supplier_part_number="HB-M8-40Z"),
                quantity=qty(2, "CA"), unit_price=usd("100.80"),
                requested_delivery_date=date(2024, 5, 20)),
            PurchaseOrderLine(
                line_number=2, item=ItemRef(sku="GLV-2211", supplier_part_number="NG-L-100"),
                quantity=qty(5, "CA"), unit_price=usd("79.00"),
                requested_delivery_date=date(2024, 5, 20)),
            PurchaseOrderLine(
                line_number=6,
                item=ItemRef(sku="GLV-2212", supplier_part_number="NG-M-100",
                             description="Nitrile gloves size M, box of 100"),
                quantity=qty(12, "BX"), unit_price=usd("18.50"),
                requested_delivery_date=date(2024, 5, 27)),
        ),
    )  # fmt: skip


def test_a_deleted_line_is_left_out_and_reported_where_it_was() -> None:
    (transaction,) = golden_sets("860", "northwind_change_004010.edi")
    warnings = [p for p in MAP.read(transaction, MapOptions()).problems if p.severity == "warning"]
    deleted = next(p for p in warnings if p.code == "line_deleted")
    assert (deleted.location.segment_tag, deleted.location.segment_position) == ("POC", 10)
    assert "line 3 deleted" in deleted.message
    assert ("partial_change", "BCH") in codes(warnings)


def test_a_revision_is_written_as_a_replacement_segment_by_segment() -> None:
    assert texts(MAP.write(revision_2(), MapOptions())) == [
        "BCH*05*SA*PO-2024-00117**2*20240506*****20240506",
        "CUR*BY*USD",
        "ITD*01*3*****30*****Net 30",
        "DTM*097*20240506*131500*UT",
        "DTM*002*20240520",
        "N1*BY*Northwind Distribution*92*NWD",
        "REF*LU*0614141000012",
        "N1*ST**92*WH-EAST",
        "N1*SU*ACME Industrial Supply*92*SUP-ACME",
        "REF*LU*5012345000015",
        "REF*DUN*081466203",
        "POC*1*RZ*2*2*CA*100.8*UM*BP*FAS-10432*VP*HB-M8-40Z*EN*0614141104321",
        "POC*2*RZ*6*6*CA*79*UM*BP*GLV-2211*VP*NG-L-100*EN*0614141221103",
        "POC*3*RZ*4*4*CA*75.6*UM*BP*TAP-0048*VP*DT-4850-S*EN*0614141004805",
        "POC*4*RZ*10*10*CA*55.2*UM*BP*LUB-5500*VP*PL-400*EN*0614141550050",
        "POC*5*RZ*3*3*EA*89*UM*BP*DRL-1800*VP*CD-18V*EN*0614141090709",
        "CTT*5*25",
    ]
    assert round_trip(MAP, revision_2()).document == revision_2()


def test_a_cancelled_order_is_written_with_every_line_deleted_and_read_back_whole() -> None:
    cancelled = revision_2().model_copy(update={"status": PurchaseOrderStatus.CANCELLED})
    written = texts(MAP.write(cancelled, MapOptions()))
    assert written[0].startswith("BCH*01*SA*PO-2024-00117")
    assert all(s.split("*")[2] == "DI" for s in written if s.startswith("POC"))
    assert round_trip(MAP, cancelled).document == cancelled


# -- problems --------------------------------------------------------------------------


def test_a_change_without_its_sequence_number_cannot_be_a_revision() -> None:
    result = read_body(
        "BCH*05*SA*PO-1***20240506", *HEADER[1:], "POC*1*RZ*2*2*EA*10**BP*SKU-1",
        "DTM*002*20240510",
    )  # fmt: skip
    (problem,) = errors(result.problems)
    assert (problem.code, problem.location.segment_tag, problem.location.element_position) == (
        "mapping_error", "BCH", 5,
    )  # fmt: skip


def test_a_change_that_deletes_every_line_leaves_no_order() -> None:
    result = read_body(*HEADER, "POC*1*DI*2*2*EA*10**BP*SKU-1", "DTM*002*20240510")
    assert result.document is None
    assert "leaves no line" in errors(result.problems)[0].message


def test_a_price_change_without_the_whole_line_is_reported() -> None:
    result = read_body(*HEADER, "POC*1*PC****12.50**BP*SKU-1", "DTM*002*20240510")
    assert result.document is None
    assert ("mapping_error", "POC") in codes(errors(result.problems))


def test_an_unknown_change_type_is_an_invalid_code() -> None:
    result = read_body(*HEADER, "POC*1*XX*2*2*EA*10**BP*SKU-1")
    assert ("invalid_code", "POC") in codes(errors(result.problems))


def test_writing_anything_but_a_purchase_order_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="860"):
        MAP.write(PartyRef(party_id="X"), MapOptions())


# -- partner variations ----------------------------------------------------------------


def test_a_partner_change_type_and_qualifiers_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"po_type": "RE", "buyer_item": "IN", "price_basis": "PE"},
        code_lists={"change_type": {"RZ": "CA"}},
    )
    written = texts(MAP.write(revision_2(), options))
    assert written[0].startswith("BCH*05*RE*")
    assert written[11] == "POC*1*CA*2*2*CA*100.8*PE*IN*FAS-10432*VP*HB-M8-40Z*EN*0614141104321"
    assert round_trip(MAP, revision_2(), options).document == revision_2()


def test_deletions_under_a_partner_code_are_still_deletions() -> None:
    options = MapOptions(code_lists={"change_type": {"DI": "CF"}})
    body = [s.split("*") for s in (*HEADER, "POC*1*CF*2*2*EA*10**BP*SKU-1",
                                   "POC*2*RZ*1*1*EA*10**BP*SKU-2", "DTM*002*20240510")]  # fmt: skip
    result = MAP.read(one_set(interchange("860", "PC", body)), options)
    assert isinstance(result.document, PurchaseOrder)
    assert [line.line_number for line in result.document.lines] == [2]


# -- properties ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(purchase_orders(), st.sampled_from(["004010", "005010"]))
def test_any_revision_written_and_read_back_is_the_same_revision(
    order: PurchaseOrder, version: str
) -> None:
    result = round_trip(MAP, order, version=version)
    assert errors(result.problems) == []
    assert result.document == order


EXAMPLE_BODY = texts(MAP.write(revision_2(), MapOptions()))


@settings(max_examples=300, deadline=None)
@given(mutated(EXAMPLE_BODY))
def test_a_mutated_change_never_raises_anything_but_a_permanent_error(body: list[str]) -> None:
    read_mutated(MAP, "860", "PC", body)
