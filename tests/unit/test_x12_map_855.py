"""The 855 map: acknowledgements both ways, line statuses, the corpus, partner codes, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m855 import PO_ACKNOWLEDGEMENT_855 as MAP
from distsync.model.examples.master import item_ref, qty, usd
from distsync.model.examples.procurement import example_po_ack
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.procurement import AckLine, AckLineStatus, AckStatus, PoAcknowledgement
from tests.unit.x12_purchasing_support import (
    CORPUS,
    all_problems,
    codes,
    codes_,
    corpus_files,
    corpus_names,
    currencies,
    days,
    errors,
    golden_sets,
    interchange,
    is_broken,
    items,
    moments,
    mutated,
    notes,
    one_set,
    parties,
    prices,
    quantities,
    read_mutated,
    round_trip,
    texts,
)


def read_body(*segments: str, options: MapOptions | None = None):  # type: ignore[no-untyped-def]
    body = [s.split("*") for s in segments]
    text = interchange("855", "PR", body, sender="ACMESUPPLY")
    return MAP.read(one_set(text), options or MapOptions())


# -- golden ----------------------------------------------------------------------------


def test_a_supplier_acknowledgement_reads_line_by_line() -> None:
    (transaction,) = golden_sets("855", "acme_004010.edi")
    result = MAP.read(transaction, MapOptions())
    assert errors(result.problems) == []
    shipped = date(2024, 5, 16)
    assert result.document == PoAcknowledgement(
        po_number="PO-2024-00117", po_revision=0, ack_number="ACK-40931",
        acknowledged_at=datetime(2024, 5, 6, 20, 2, 11, tzinfo=UTC),
        supplier=PartyRef(party_id="SUP-ACME", name="ACME Industrial Supply"),
        status=AckStatus.ACCEPTED_WITH_CHANGES,
        lines=(
            AckLine(line_number=1, item=ItemRef(sku="FAS-10432", supplier_part_number="HB-M8-40Z"),
                    status=AckLineStatus.ACCEPTED),
            AckLine(line_number=2, item=ItemRef(sku="GLV-2211", supplier_part_number="NG-L-100"),
                    status=AckLineStatus.CHANGED, changed_quantity=qty(5, "CA"),
                    changed_delivery_date=shipped, changed_unit_price=usd("79.00"),
                    reason="Allocation limited"),
            AckLine(line_number=3, item=ItemRef(sku="TAP-0048", supplier_part_number="DT-4850-S"),
                    status=AckLineStatus.BACKORDERED, changed_quantity=qty(4, "CA"),
                    changed_delivery_date=date(2024, 6, 3)),
            AckLine(line_number=4, item=ItemRef(sku="LUB-5500", supplier_part_number="PL-400"),
                    status=AckLineStatus.SUBSTITUTED, changed_quantity=qty(10, "CA"),
                    changed_delivery_date=shipped, changed_unit_price=usd("55.20"),
                    substitute_item=ItemRef(sku="LUB-5510", supplier_part_number="PL-500",
                                            gtin="0614141009992")),
            # two ACKs: 2 accepted, 1 backordered; the backorder speaks for the line
            AckLine(line_number=5, item=ItemRef(sku="DRL-1800", supplier_part_number="CD-18V"),
                    status=AckLineStatus.BACKORDERED, changed_quantity=qty(1, "EA"),
                    changed_delivery_date=date(2024, 5, 30)),
        ),
    )  # fmt: skip


def test_the_example_acknowledgement_is_written_segment_by_segment() -> None:
    assert texts(MAP.write(example_po_ack(), MapOptions())) == [
        "BAK*00*AC*PO-2024-00117*20240506****ACK-40931*20240506",
        "REF*PP*0",
        "DTM*097*20240506*200211*UT",
        "N1*SU*ACME Industrial Supply*92*SUP-ACME",
        "REF*LU*5012345000015",
        "REF*DUN*081466203",
        "PO1*1*****BP*FAS-10432*VP*HB-M8-40Z*EN*0614141104321",
        "PID*F****Hex bolt M8x40 zinc plated",
        "ACK*IA",
        "PO1*2*****BP*GLV-2211*VP*NG-L-100*EN*0614141221103",
        "PID*F****Nitrile gloves size L, box of 100",
        "ACK*IC*5*CA",
        "N9*L1*LINE REASON",
        "MSG*Allocation limited",
        "PO1*3*****BP*TAP-0048*VP*DT-4850-S*EN*0614141004805",
        "PID*F****Duct tape 48 mm x 50 m silver",
        "ACK*IB***067*20240603",
        "PO1*4*****BP*LUB-5500*VP*PL-400*EN*0614141550050",
        "PID*F****Penetrating lubricant spray 400 ml",
        "PID*F*ZZ***Penetrating lubricant spray 500 ml",
        "ACK*IS******BP*LUB-5510*VP*PL-500*EN*0614141009992",
        "N9*L1*LINE REASON",
        "MSG*400 ml discontinued; 500 ml at the same price",
        "PO1*5*****BP*DRL-1800*VP*CD-18V*EN*0614141090709",
        "PID*F****Cordless drill driver 18 V",
        "ACK*IA",
        "CTT*5",
    ]
    assert round_trip(MAP, example_po_ack()).document == example_po_ack()


@pytest.mark.parametrize(
    ("status", "lines", "kind"),
    [
        (AckStatus.ACCEPTED, True, "AD"),
        (AckStatus.ACCEPTED, False, "AK"),
        (AckStatus.REJECTED, True, "RD"),
        (AckStatus.REJECTED, False, "RJ"),
        (AckStatus.ACCEPTED_WITH_CHANGES, False, "AC"),
    ],
)
def test_the_header_status_picks_the_acknowledgment_type_and_reads_back(
    status: AckStatus, lines: bool, kind: str
) -> None:
    line_status = AckLineStatus(status.value) if status.value != "accepted_with_changes" else None
    line = AckLine(line_number=1, item=item_ref(0), status=line_status or AckLineStatus.ACCEPTED)
    ack = example_po_ack().model_copy(update={"status": status, "lines": (line,) if lines else ()})
    assert texts(MAP.write(ack, MapOptions()))[0].startswith(f"BAK*00*{kind}*")
    assert round_trip(MAP, ack).document == ack


# -- reading rules ---------------------------------------------------------------------

HEAD = ("BAK*00*AD*PO-9*20240506", "N1*SU**92*SUP-ACME")


def test_lines_without_ack_follow_the_header() -> None:
    accepted = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1").document
    assert isinstance(accepted, PoAcknowledgement)
    assert accepted.status is AckStatus.ACCEPTED
    assert accepted.lines[0].status is AckLineStatus.ACCEPTED
    rejected = read_body("BAK*00*RD*PO-9*20240506", HEAD[1], "PO1*1*2*EA*10**BP*SKU-1").document
    assert isinstance(rejected, PoAcknowledgement)
    assert rejected.lines[0].status is AckLineStatus.REJECTED


def test_a_detail_ack_with_mixed_lines_is_accepted_with_changes() -> None:
    ack = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1", "ACK*IA*2*EA",
                    "PO1*2*1*EA*10**BP*SKU-2", "ACK*R2*1*EA").document  # fmt: skip
    assert isinstance(ack, PoAcknowledgement)
    assert ack.status is AckStatus.ACCEPTED_WITH_CHANGES
    assert [line.status for line in ack.lines] == [AckLineStatus.ACCEPTED, AckLineStatus.REJECTED]


def test_an_accepted_line_ignores_the_echoed_quantity_and_date() -> None:
    ack = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1", "ACK*IA*2*EA*068*20240510").document
    assert isinstance(ack, PoAcknowledgement)
    assert ack.lines[0].changed_quantity is None


def test_a_backorder_without_any_date_is_a_located_mapping_error() -> None:
    result = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1", "ACK*IB*2*EA")
    (problem,) = errors(result.problems)
    assert (problem.code, problem.location.segment_tag, problem.location.segment_position) == (
        "mapping_error", "ACK", 5,
    )  # fmt: skip
    assert "changed_delivery_date" in problem.message


def test_a_backorder_takes_the_header_schedule_date_when_the_ack_has_none() -> None:
    ack = read_body(HEAD[0], "DTM*068*20240601", HEAD[1],
                    "PO1*1*2*EA*10**BP*SKU-1", "ACK*IB*2*EA").document  # fmt: skip
    assert isinstance(ack, PoAcknowledgement)
    assert ack.lines[0].changed_delivery_date == date(2024, 6, 1)


def test_a_line_on_hold_has_no_canonical_status() -> None:
    result = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1", "ACK*IH")
    (problem,) = errors(result.problems)
    assert (problem.location.segment_tag, problem.location.element_position) == ("ACK", 1)


def test_a_substitution_without_a_substitute_is_reported() -> None:
    result = read_body(*HEAD, "PO1*1*2*EA*10**BP*SKU-1", "ACK*IS*2*EA")
    assert "names no substitute" in errors(result.problems)[0].message


def test_without_n1_the_supplier_is_the_interchange_sender() -> None:
    result = read_body(HEAD[0], "PO1*1*2*EA*10**BP*SKU-1")
    assert isinstance(result.document, PoAcknowledgement)
    assert result.document.supplier == PartyRef(party_id="ACMESUPPLY")
    assert ("party_from_envelope", "BAK") in codes(result.problems)


def test_writing_anything_but_an_acknowledgement_is_refused() -> None:
    with pytest.raises(SchemaViolation, match="855"):
        MAP.write(PartyRef(party_id="X"), MapOptions())


# -- partner variations ----------------------------------------------------------------


def test_partner_status_codes_and_date_qualifier_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"ack_date": "068", "supplier_entity": "VN"},
        code_lists={"line_status": {"IC": "IQ", "IB": "BP"}, "ack_type": {"AC": "AE"}},
    )
    written = texts(MAP.write(example_po_ack(), options))
    assert written[0].startswith("BAK*00*AE*")
    assert "N1*VN*ACME Industrial Supply*92*SUP-ACME" in written
    assert "ACK*IQ*5*CA" in written
    assert "ACK*BP***068*20240603" in written
    assert round_trip(MAP, example_po_ack(), options).document == example_po_ack()


# -- the corpus ------------------------------------------------------------------------

MAPPED = {
    "X12Parser__855SSimmons.txt": 2,
    "bots-plugins__855-004010UCS-01.x12": 6,
    "node-x12__855.edi": 1,
    "stupidedi__004010_PR855_pass_1.edi": 1,
    "stupidedi__po-ack-ship-details.edi": 1,
}


def test_every_corpus_file_has_an_expectation() -> None:
    names = [p.name for p in corpus_files("855")]
    assert sorted(n for n in names if not is_broken(n)) == sorted(MAPPED)


@pytest.mark.parametrize("name", [n for n in corpus_names("855") if not is_broken(n)])
def test_every_good_corpus_acknowledgement_maps(name: str) -> None:
    sets = X12Reader((CORPUS / "855" / name).read_bytes()).read_all()
    results = [MAP.read(t, MapOptions()) for t in sets]
    assert [errors(r.problems) for r in results] == [[] for _ in results]
    assert sum(1 for r in results if isinstance(r.document, PoAcknowledgement)) == MAPPED[name]


def test_the_corpus_book_order_acknowledges_line_by_line() -> None:
    (path,) = [p for p in corpus_files("855") if p.name == "node-x12__855.edi"]
    (transaction,) = X12Reader(path.read_bytes()).read_all()
    ack = MAP.read(transaction, MapOptions()).document
    assert isinstance(ack, PoAcknowledgement)
    assert ack.status is AckStatus.ACCEPTED_WITH_CHANGES  # AD, but two lines rejected
    assert [line.status.value for line in ack.lines] == [
        "accepted", "rejected", "rejected", "accepted",
    ]  # fmt: skip
    assert ack.lines[0].item.gtin == "9780446360265"


@pytest.mark.parametrize("name", [n for n in corpus_names("855") if is_broken(n)])
def test_a_broken_corpus_acknowledgement_gives_located_errors(name: str) -> None:
    problems = errors(all_problems(MAP, (CORPUS / "855" / name).read_bytes(), MapOptions()))
    assert ("element_too_long", "PO1") in codes(problems)  # DZN is no X12 unit (355 has 2)
    assert ("bad_control_number", "ISA") in codes(problems)
    assert all(p.location.segment_tag is not None for p in problems)


# -- properties ------------------------------------------------------------------------


@st.composite
def ack_lines(draw: st.DrawFn, number: int, status: AckLineStatus) -> AckLine:
    def maybe(strategy: st.SearchStrategy[object], wanted: bool) -> object:
        return draw(strategy) if wanted else None

    quantity = date_ = price = substitute = None
    if status in (AckLineStatus.CHANGED, AckLineStatus.SUBSTITUTED):
        want = draw(st.tuples(st.booleans(), st.booleans(), st.booleans()))
        if status is AckLineStatus.CHANGED and not any(want):
            want = (True, False, False)
        quantity, date_ = maybe(quantities, want[0]), maybe(days, want[1])
        price = maybe(currencies.flatmap(prices), want[2])
    if status is AckLineStatus.BACKORDERED:
        quantity, date_ = maybe(quantities, draw(st.booleans())), draw(days)
    if status is AckLineStatus.SUBSTITUTED:
        substitute = draw(items)
    return AckLine.model_validate({
        "line_number": number, "item": draw(items), "status": status,
        "changed_quantity": quantity, "changed_delivery_date": date_,
        "changed_unit_price": price, "substitute_item": substitute,
        "reason": draw(st.none() | notes),
    })  # fmt: skip


@st.composite
def acknowledgements(draw: st.DrawFn) -> PoAcknowledgement:
    status = draw(st.sampled_from(list(AckStatus)))
    numbers = draw(st.lists(st.integers(1, 999_999), max_size=5, unique=True))
    allowed = list(AckLineStatus) if status is AckStatus.ACCEPTED_WITH_CHANGES else [
        AckLineStatus(status.value)
    ]  # fmt: skip
    lines = tuple(draw(ack_lines(n, draw(st.sampled_from(allowed)))) for n in numbers)
    return PoAcknowledgement(
        po_number=draw(st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,21}", fullmatch=True)),
        po_revision=draw(st.none() | st.integers(0, 999)),
        ack_number=draw(st.none() | codes_), acknowledged_at=draw(moments),
        supplier=draw(parties), status=status, lines=lines,
    )  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acknowledgements(), st.sampled_from(["004010", "005010"]))
def test_any_acknowledgement_written_and_read_back_is_the_same(
    ack: PoAcknowledgement, version: str
) -> None:
    result = round_trip(MAP, ack, version=version)
    assert errors(result.problems) == []
    assert result.document == ack


EXAMPLE_BODY = texts(MAP.write(example_po_ack(), MapOptions()))


@settings(max_examples=300, deadline=None)
@given(mutated(EXAMPLE_BODY))
def test_a_mutated_acknowledgement_never_raises_anything_but_a_permanent_error(
    body: list[str],
) -> None:
    read_mutated(MAP, "855", "PR", body)
