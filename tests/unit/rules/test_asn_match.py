"""Ship notice against open purchase-order lines: matches, balances, and every problem."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from distsync.errors import PurchaseOrderNotFound, UnknownSku
from distsync.model.asn import AsnPurpose
from distsync.model.items import MissingUomConversion
from distsync.rules.asn_index import OpenLineIndex
from distsync.rules.exceptions import (
    ItemNotOnPo,
    OutsideDeliveryWindow,
    OverShipment,
    Substitution,
    WrongSupplier,
    WrongWarehouse,
)
from distsync.rules.tolerances import Tolerances
from distsync.rules.xref import MappingXref
from tests.unit.rules.support import REQUESTED, Ship, d, match, notice, open_line


def index(*lines: object) -> OpenLineIndex:
    return OpenLineIndex(lines or (open_line(),))


def actions(exc: Exception) -> list[str]:
    return [resolution.action for resolution in getattr(exc, "resolutions", ())]


def test_a_notice_shipping_the_open_balance_matches_and_closes_it() -> None:
    result = match(notice(Ship(quantity=100)), index())

    assert result.ok
    assert result.exception() is None
    [use] = result.lines
    assert (use.open_before, use.quantity, use.open_after) == (d(100), d(100), d(0))
    [item] = result.items
    assert (item.po_number, item.line_number, item.sku, item.quantity, item.uom) == (
        "PO-1", 1, "BOLT", d(100), "EA"
    )  # fmt: skip


def test_cases_of_twelve_consume_eaches_of_the_line() -> None:
    result = match(notice(Ship(quantity=2, uom="CA")), index())

    assert result.ok
    assert result.lines[0].quantity == d(24)
    assert result.lines[0].open_after == d(76)


def test_a_partners_own_pack_size_wins_over_the_case_of_our_item_master() -> None:
    packs = {("ACME-BOLT", "CA"): d(10)}  # ACME's case holds 10, ours 12
    xref = MappingXref(skus={"ACME-BOLT": "BOLT"}, packs=packs)

    result = match(notice(Ship(quantity=3, uom="CA", part="ACME-BOLT")), index(), xref=xref)

    assert result.ok
    assert result.lines[0].quantity == d(30)


def test_partial_shipments_keep_the_balance_open_across_several_notices() -> None:
    lines = index(open_line(ordered=100))
    for number in range(3):
        result = match(notice(Ship(quantity=30), number=f"ASN-{number}"), lines)
        assert result.ok
        lines.apply(result)

    assert lines.line("PO-1", 1).open_balance == d(10)
    last = match(notice(Ship(quantity=10), number="ASN-4"), lines)
    assert last.ok
    lines.apply(last)
    assert lines.line("PO-1", 1).open_balance == 0
    extra = match(notice(Ship(quantity=1), number="ASN-5"), lines)
    assert [p.reason_code for p in extra.problems] == ["over_shipment"]


def test_matching_changes_nothing_until_applied() -> None:
    lines = index()
    first = match(notice(Ship(quantity=40)), lines)
    second = match(notice(Ship(quantity=40)), lines)

    assert first == second
    assert lines.line("PO-1", 1).shipped == 0


def test_an_unknown_partner_sku_is_raised_with_map_and_discard() -> None:
    result = match(notice(Ship(sku="X-99", part="X-99")), index())

    [problem] = result.problems
    assert isinstance(problem, UnknownSku)
    assert problem.reason_code == "unknown_sku"
    assert problem.document_ref == "asn:SUP-ACME/ASN-1"
    assert problem.facts["partner_sku"] == "X-99"
    assert problem.facts["field"] == "orders.0.packs.0.items.0"
    assert actions(problem) == ["map_sku", "discard"]
    assert tuple(problem.resolutions[0].params) == ("partner_sku", "sku")
    assert not result.items


def test_a_mapped_partner_sku_matches_on_replay() -> None:
    asn = notice(Ship(sku="X-99", part="X-99", quantity=5))
    result = match(asn, index(), xref=MappingXref(skus={"X-99": "BOLT"}))

    assert result.ok
    assert result.items[0].sku == "BOLT"


def test_a_partner_unit_code_goes_through_the_cross_reference() -> None:
    result = match(notice(Ship(quantity=1, uom="CT")), index(), xref=MappingXref(uoms={"CT": "CA"}))

    assert result.ok
    assert result.lines[0].quantity == d(12)


def test_an_item_on_no_line_of_the_order_is_raised() -> None:
    result = match(notice(Ship(line=7, sku="TAPE")), index())

    [problem] = result.problems
    assert isinstance(problem, ItemNotOnPo)
    assert problem.reason_code == "item_not_on_po"
    assert problem.facts["problem_key"] == "item_not_on_po:PO-1/TAPE"
    assert actions(problem) == ["reject", "replay", "discard"]


def test_a_line_number_the_order_lacks_is_matched_by_sku() -> None:
    lines = index(open_line(number=1, sku="GLOVE", uom="BX"), open_line(number=2, sku="BOLT"))

    result = match(notice(Ship(line=9, sku="BOLT", quantity=5)), lines)

    assert result.ok
    assert result.items[0].line_number == 2


def test_another_item_for_a_line_is_a_substitution_until_accepted() -> None:
    lines = index(open_line(sku="SPRAY"))
    asn = notice(Ship(sku="SPRAY-500", quantity=10))

    [problem] = match(asn, lines).problems
    assert isinstance(problem, Substitution)
    assert problem.reason_code == "substitution"
    assert (problem.facts["ordered_sku"], problem.facts["shipped_sku"]) == ("SPRAY", "SPRAY-500")
    assert actions(problem) == ["accept_variance", "reject"]

    accepted = match(asn, lines, accepted=frozenset({problem.facts["problem_key"]}))
    assert accepted.ok
    item = accepted.items[0]
    assert (item.sku, item.ordered_sku, item.quantity) == ("SPRAY-500", "SPRAY", d(10))


def test_shipping_exactly_the_tolerance_over_matches_and_a_millionth_more_does_not() -> None:
    tolerances = Tolerances(asn_qty_pct=Decimal(5))
    lines = index(open_line(ordered=100))

    assert match(notice(Ship(quantity="105")), lines, tolerances=tolerances).ok
    result = match(notice(Ship(quantity="105.000001")), lines, tolerances=tolerances)
    [problem] = result.problems
    assert isinstance(problem, OverShipment)
    assert problem.reason_code == "over_shipment"
    assert problem.facts["ordered"] == "100"
    assert problem.facts["shipped_now"] == "105.000001"
    assert problem.facts["tolerance_pct"] == "5"
    assert actions(problem) == ["accept_variance", "reject"]


def test_items_of_one_line_in_one_notice_count_together() -> None:
    asn = notice(Ship(quantity=60, lot="A"), Ship(quantity=60, lot="B"))

    result = match(asn, index(open_line(ordered=100)))

    assert [p.reason_code for p in result.problems] == ["over_shipment"]
    assert result.problems[0].facts["shipped_now"] == "120"
    assert not result.items


def test_an_accepted_over_shipment_consumes_beyond_the_order() -> None:
    lines = index(open_line(ordered=100))
    asn = notice(Ship(quantity=120))
    key = match(asn, lines).problems[0].facts["problem_key"]

    result = match(asn, lines, accepted=frozenset({key}))

    assert result.ok
    assert (result.lines[0].open_after, result.lines[0].over) == (d(0), d(20))


def test_another_warehouse_is_raised_once_for_the_lines_of_an_order() -> None:
    lines = index(open_line(number=1), open_line(number=2, sku="GLOVE", uom="BX"))
    asn = notice(Ship(line=1), Ship(line=2, sku="GLOVE", uom="BX"), warehouse="WH-WEST")

    [problem] = match(asn, lines).problems

    assert isinstance(problem, WrongWarehouse)
    assert problem.reason_code == "wrong_warehouse"
    assert problem.facts["lines"] == "1, 2"
    assert (problem.facts["ordered_to"], problem.facts["shipped_to"]) == ("WH-EAST", "WH-WEST")
    assert match(asn, lines, accepted=frozenset({problem.facts["problem_key"]})).ok


@pytest.mark.parametrize(("days", "ok"), [(2, True), (-2, True), (3, False), (-3, False)])
def test_the_delivery_window_is_the_requested_date_plus_or_minus_the_days(
    days: int, ok: bool
) -> None:
    tolerances = Tolerances(asn_date_days=Decimal(2))
    asn = notice(Ship(), delivery=REQUESTED + timedelta(days=days))

    result = match(asn, index(), tolerances=tolerances)

    assert result.ok is ok
    if not ok:
        [problem] = result.problems
        assert isinstance(problem, OutsideDeliveryWindow)
        assert problem.reason_code == "delivery_window"
        assert problem.facts["days_off"] == str(days)


def test_without_an_expected_delivery_date_the_ship_date_is_the_delivery() -> None:
    asn = notice(Ship(), delivery=None)  # shipped 2024-05-16, four days early

    assert match(asn, index(), tolerances=Tolerances(asn_date_days=Decimal(4))).ok
    assert not match(asn, index(), tolerances=Tolerances(asn_date_days=Decimal(3))).ok


def test_an_unknown_purchase_order_is_raised_for_the_flow_to_retry() -> None:
    tolerances = Tolerances(po_wait=timedelta(minutes=90))

    result = match(notice(Ship(po="PO-404")), index(), tolerances=tolerances)

    [problem] = result.problems
    assert isinstance(problem, PurchaseOrderNotFound)
    assert problem.reason_code == "purchase_order_not_found"
    assert problem.facts["po_number"] == "PO-404"
    assert problem.facts["wait_minutes"] == "90"


def test_another_suppliers_purchase_order_is_refused() -> None:
    result = match(notice(Ship(), supplier="SUP-OTHER"), index())

    [problem] = result.problems
    assert isinstance(problem, WrongSupplier)
    assert (problem.facts["po_supplier"], problem.facts["sender"]) == ("SUP-ACME", "SUP-OTHER")


def test_a_unit_the_item_cannot_convert_names_the_notice_and_the_field() -> None:
    result = match(notice(Ship(quantity=2, uom="BX")), index())

    [problem] = result.problems
    assert isinstance(problem, MissingUomConversion)
    assert problem.document_ref == "asn:SUP-ACME/ASN-1"
    assert problem.facts["field"] == "orders.0.packs.0.items.0.quantity"
    assert "item BOLT has no conversion from BX to EA" in str(problem)


def test_every_problem_of_a_notice_is_reported_and_the_first_parks_it() -> None:
    lines = index(open_line(number=1, ordered=10), open_line(number=2, sku="GLOVE", uom="BX"))
    asn = notice(
        Ship(po="PO-404"),
        Ship(line=1, quantity=11),
        Ship(line=3, sku="ZZ-1", part="ZZ-1"),
        Ship(line=2, sku="GLOVE", quantity=1, uom="BX"),
        warehouse="WH-WEST",
    )

    result = match(asn, lines)

    codes = [problem.reason_code for problem in result.problems]
    assert codes == ["purchase_order_not_found", "unknown_sku", "over_shipment", "wrong_warehouse"]
    assert not result.items
    parked = result.exception()
    assert isinstance(parked, PurchaseOrderNotFound)
    assert parked.facts["problem_count"] == "4"
    assert parked.facts["problem.3"].startswith("over_shipment: asn:SUP-ACME/ASN-1: ships 11 EA")
    assert parked.facts["problem_keys"].split(",")[1] == "sku:ZZ-1"


def test_clean_items_of_a_notice_with_problems_still_report_their_match() -> None:
    lines = index(open_line(number=1), open_line(number=2, sku="GLOVE", uom="BX"))
    asn = notice(Ship(line=1, quantity=5), Ship(line=2, sku="GLOVE", quantity=500, uom="BX"))

    result = match(asn, lines)

    assert [p.reason_code for p in result.problems] == ["over_shipment"]
    assert [(i.line_number, i.quantity) for i in result.items] == [(1, d(5))]
    with pytest.raises(ValueError, match="has problems"):
        lines.apply(result)


def test_quantities_stay_exact_decimals() -> None:
    lines = index(open_line(sku="TAPE", uom="RL", ordered="0.3"))
    for number in range(3):
        result = match(
            notice(Ship(sku="TAPE", quantity="0.1", uom="RL"), number=str(number)), lines
        )
        lines.apply(result)

    assert lines.line("PO-1", 1).shipped == Decimal("0.3")
    assert lines.line("PO-1", 1).open_balance == 0
    assert not match(notice(Ship(sku="TAPE", quantity="0.000001", uom="RL")), lines).ok


def test_a_cancelling_notice_is_not_matched() -> None:
    asn = notice(Ship()).model_copy(update={"purpose": AsnPurpose.CANCEL})

    with pytest.raises(ValueError, match="reverse that notice's match"):
        match(asn, index())
