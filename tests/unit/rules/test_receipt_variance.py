"""Ship notice against warehouse receipt: shortages, overages and damage beyond tolerance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distsync.model.examples import example_asn, example_receipt
from distsync.model.examples.master import CATALOG
from distsync.model.items import Item, ItemRef, MissingUomConversion, UomConversion
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine
from distsync.rules.exceptions import ReceiptVariance
from distsync.rules.receipt_variance import VarianceKind, check_receipt
from distsync.rules.tolerances import Tolerances
from distsync.rules.xref import MappingXref
from tests.unit.rules.support import ITEMS, Ship, notice, qty


def receipt(*lines: tuple[str, str | int, str], damaged: str | None = None) -> Receipt:
    """A receipt of (sku, quantity, unit); ``damaged`` of the first line."""
    built = []
    for number, (sku, quantity, uom) in enumerate(lines, 1):
        extra = {}
        if damaged is not None and number == 1:
            extra = {"damaged_quantity": qty(damaged, uom), "condition": ReceiptCondition.DAMAGED}
        built.append(
            ReceiptLine(
                line_number=number,
                item=ItemRef(sku=sku),
                received_quantity=qty(quantity, uom),
                po_number="PO-1",
                **extra,
            )
        )
    return Receipt(
        receipt_number="REC-1",
        warehouse_id="WH-EAST",
        received_at=datetime(2024, 5, 20, 10, tzinfo=UTC),
        asn_number="ASN-1",
        lines=tuple(built),
    )


def test_a_receipt_of_what_was_announced_has_no_variance() -> None:
    result = check_receipt(
        receipt(("BOLT", 24, "EA")),
        notice(Ship(quantity=2, uom="CA")),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(),
    )

    assert result.ok
    assert result.variances == ()
    [item] = result.items
    assert (item.sku, item.expected, item.received, item.uom) == ("BOLT", 24, 24, "EA")


def test_a_shortage_exactly_at_the_tolerance_passes_and_beyond_it_is_raised() -> None:
    announced = Ship(quantity=10, uom="CA")  # 120 EA

    at_edge = check_receipt(
        receipt(("BOLT", 114, "EA")),
        notice(announced),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(receipt_qty_pct=Decimal(5)),
    )
    beyond = check_receipt(
        receipt(("BOLT", "113.999999", "EA")),
        notice(announced),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(receipt_qty_pct=Decimal(5)),
    )

    assert at_edge.ok
    assert [v.within_tolerance for v in at_edge.variances] == [True]
    [problem] = beyond.problems
    assert isinstance(problem, ReceiptVariance)
    assert problem.reason_code == "receipt_variance"
    assert problem.document_ref == "receipt:REC-1"
    assert problem.facts["variance.1"] == (
        "BOLT: expected 120 EA, received 113.999999 EA (-5%, tolerance 5%)"
    )
    assert [r.action for r in problem.resolutions] == ["accept_variance", "reject"]


def test_an_overage_and_an_item_never_announced_are_both_raised() -> None:
    result = check_receipt(
        receipt(("BOLT", 130, "EA"), ("TAPE", 4, "RL")),
        notice(Ship(quantity=120)),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(receipt_qty_pct=Decimal(10)),
    )

    kinds = [(v.sku, v.kind, v.within_tolerance) for v in result.variances]
    assert kinds == [("BOLT", VarianceKind.OVERAGE, True), ("TAPE", VarianceKind.OVERAGE, False)]
    assert result.problems[0].facts["variance.1"] == (
        "TAPE: expected 0 RL, received 4 RL (new, tolerance 10%)"
    )


def test_an_announced_item_that_never_arrived_is_a_full_shortage() -> None:
    result = check_receipt(
        receipt(("BOLT", 120, "EA")),
        notice(Ship(quantity=120), Ship(line=2, sku="GLOVE", quantity=3, uom="CA")),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(receipt_qty_pct=Decimal(50)),
    )

    [variance] = result.variances
    assert variance.describe() == "GLOVE: expected 30 BX, received 0 BX (-100%, tolerance 50%)"
    assert not result.ok


def test_damaged_goods_are_a_variance_of_their_own() -> None:
    result = check_receipt(
        receipt(("GLOVE", 50, "BX"), damaged="10"),
        notice(Ship(sku="GLOVE", quantity=5, uom="CA")),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(receipt_qty_pct=Decimal(20)),
    )

    [variance] = result.variances
    assert variance.kind is VarianceKind.DAMAGED
    assert variance.within_tolerance
    assert variance.describe() == "GLOVE: 10 BX of 50 BX damaged (20%, tolerance 20%)"


def test_the_example_receipt_raises_its_damaged_case_of_gloves() -> None:
    items = {
        e.sku: Item(
            sku=e.sku,
            description=e.description,
            base_uom=e.base_uom,
            conversions=(UomConversion(uom="CA", base_quantity=Decimal(e.per_case)),),
        )
        for e in CATALOG
    }

    result = check_receipt(
        example_receipt(), example_asn(), xref=MappingXref(), items=items, tolerances=Tolerances()
    )

    assert [v.describe() for v in result.variances] == [
        "GLV-2211: 10 BX of 50 BX damaged (20%, tolerance 0%)"
    ]
    assert result.exception() is not None


def test_partner_item_numbers_on_the_notice_go_through_the_cross_reference() -> None:
    result = check_receipt(
        receipt(("BOLT", 12, "EA")),
        notice(Ship(sku="HB-8", part="HB-8", quantity=1, uom="CA")),
        xref=MappingXref(skus={"HB-8": "BOLT"}),
        items=ITEMS,
        tolerances=Tolerances(),
    )

    assert result.ok


def test_an_accepted_variance_passes_on_replay() -> None:
    rec, asn = receipt(("BOLT", 100, "EA")), notice(Ship(quantity=120))
    first = check_receipt(rec, asn, xref=MappingXref(), items=ITEMS, tolerances=Tolerances())
    key = first.problems[0].facts["problem_key"]

    again = check_receipt(
        rec, asn, xref=MappingXref(), items=ITEMS, tolerances=Tolerances(), accepted={key}
    )

    assert key == "receipt_variance:REC-1"
    assert again.ok
    assert len(again.variances) == 1


def test_a_unit_that_does_not_convert_is_reported_with_the_receipt_field() -> None:
    result = check_receipt(
        receipt(("BOLT", 2, "BX")),
        notice(Ship(quantity=24)),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(),
    )

    [problem] = result.problems
    assert isinstance(problem, MissingUomConversion)
    assert problem.facts["field"] == "lines.0.received_quantity"
    assert problem.document_ref == "receipt:REC-1"


@given(st.lists(st.tuples(st.integers(1, 50), st.booleans()), min_size=1, max_size=6))
def test_receiving_what_was_announced_in_any_split_has_no_variance(
    parts: list[tuple[int, bool]],
) -> None:
    """Announced in cases, received in any mix of cases and eaches: the same quantity."""
    announced = sum(cases for cases, _ in parts)
    split = [
        ("BOLT", cases, "CA") if whole else ("BOLT", cases * 12, "EA") for cases, whole in parts
    ]

    result = check_receipt(
        receipt(*split),
        notice(Ship(quantity=announced, uom="CA")),
        xref=MappingXref(),
        items=ITEMS,
        tolerances=Tolerances(),
    )

    assert result.ok
    assert result.items[0].received == announced * 12
