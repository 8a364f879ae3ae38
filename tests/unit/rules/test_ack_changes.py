"""Acknowledgement against the purchase order: applied alone, or a buyer's call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from distsync.model.examples import example_po_ack, example_purchase_order
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.procurement import (
    AckLine,
    AckLineStatus,
    AckStatus,
    PoAcknowledgement,
    PurchaseOrderStatus,
)
from distsync.rules.ack_changes import assess_ack
from distsync.rules.ack_revise import revise_order
from distsync.rules.exceptions import AckChangeOutOfTolerance, AckRevisionMismatch
from distsync.rules.tolerances import Tolerances
from tests.unit.rules.support import ITEMS, SUPPLIER, order, qty

PO = order((1, "BOLT", 10, "CA", "9.60"), (2, "GLOVE", 50, "BX", "4.00"))


def ack(
    *lines: AckLine, status: AckStatus | None = None, revision: int | None = 0
) -> PoAcknowledgement:
    return PoAcknowledgement(
        po_number="PO-1",
        po_revision=revision,
        acknowledged_at=datetime(2024, 5, 7, 9, tzinfo=UTC),
        supplier=PartyRef(party_id=SUPPLIER),
        status=status or PoAcknowledgement.status_for(lines),
        lines=lines,
    )


def line(number: int, status: AckLineStatus, **changes: Any) -> AckLine:
    sku = PO.lines[number - 1].item.sku if number <= len(PO.lines) else "BOLT"
    return AckLine(line_number=number, item=ItemRef(sku=sku), status=status, **changes)


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


CHANGED, BACKORDERED = AckLineStatus.CHANGED, AckLineStatus.BACKORDERED
TOLERANT = Tolerances(ack_qty_pct=Decimal(10), ack_date_days=Decimal(3), price_pct=Decimal(1))


def test_a_plain_acceptance_changes_nothing() -> None:
    assessment = assess_ack(ack(status=AckStatus.ACCEPTED), PO, tolerances=Tolerances())

    assert assessment.ok
    assert not assessment.changes_order
    assert revise_order(PO, assessment) is None
    assert [d.status for d in assessment.lines] == [AckLineStatus.ACCEPTED] * 2


def test_changes_within_tolerance_are_applied_as_the_next_revision() -> None:
    answer = ack(
        line(1, CHANGED, changed_quantity=qty(11, "CA"), changed_unit_price=usd("9.696")),
        line(2, BACKORDERED, changed_delivery_date=date(2024, 5, 23)),
    )

    assessment = assess_ack(answer, PO, tolerances=TOLERANT)

    assert assessment.ok
    assert [d.describe() for d in assessment.lines] == [
        "line 1 changed: quantity 10 CA -> 11 CA (+10%, tolerance 10%); "
        "unit price 9.60 USD per CA -> 9.696 USD per CA (+1%, tolerance 1%)",
        "line 2 backordered: delivery date 2024-05-20 -> 2024-05-23 (+3 days, tolerance 3 days)",
    ]
    revised = revise_order(PO, assessment)
    assert revised is not None
    assert (revised.revision, revised.status) == (1, PurchaseOrderStatus.ACKNOWLEDGED)
    assert revised.lines[0].quantity == qty(11, "CA")
    assert revised.lines[0].unit_price == usd("9.696")
    assert revised.lines[1].requested_delivery_date == date(2024, 5, 23)
    assert revised.lines[1].quantity == qty(50, "BX")


def test_just_beyond_a_tolerance_needs_a_buyer_with_the_difference_spelled_out() -> None:
    answer = ack(
        line(1, CHANGED, changed_quantity=qty("11.000001", "CA")),
        line(2, BACKORDERED, changed_delivery_date=date(2024, 5, 24)),
    )

    assessment = assess_ack(answer, PO, tolerances=TOLERANT)

    [problem] = assessment.problems
    assert isinstance(problem, AckChangeOutOfTolerance)
    assert problem.reason_code == "ack_change_out_of_tolerance"
    assert problem.document_ref == "po_ack:SUP-ACME/PO-1"
    assert problem.facts["line.1"] == (
        "line 1 changed: quantity 10 CA -> 11.000001 CA (+10%, tolerance 10%)"
    )
    assert problem.facts["line.2"] == (
        "line 2 backordered: delivery date 2024-05-20 -> 2024-05-24 (+4 days, tolerance 3 days)"
    )
    assert [r.action for r in problem.resolutions] == ["accept", "reject"]
    with pytest.raises(ValueError, match="needs a buyer's decision"):
        revise_order(PO, assessment)
    revised = revise_order(PO, assessment, buyer_accepted=True)
    assert revised is not None
    assert revised.lines[0].quantity == qty("11.000001", "CA")


def test_a_price_change_beyond_tolerance_is_a_buyers_call() -> None:
    answer = ack(line(1, CHANGED, changed_unit_price=usd("9.70")))

    assessment = assess_ack(answer, PO, tolerances=TOLERANT)

    assert not assessment.ok
    assert (
        "unit price 9.60 USD per CA -> 9.70 USD per CA (+1%, tolerance 1%)"
        in (assessment.problems[0].facts["line.1"])
    )


def test_a_quantity_in_another_unit_is_compared_in_base_units() -> None:
    answer = ack(line(1, CHANGED, changed_quantity=qty(120, "EA")))

    assessment = assess_ack(answer, PO, tolerances=Tolerances(), items=ITEMS)

    assert assessment.ok
    assert not assessment.changes_order


def test_a_revision_in_another_unit_converts_the_price() -> None:
    answer = ack(line(1, CHANGED, changed_quantity=qty(126, "EA")))
    assessment = assess_ack(answer, PO, tolerances=TOLERANT, items=ITEMS)

    revised = revise_order(PO, assessment, items=ITEMS)

    assert revised is not None
    assert revised.lines[0].quantity == qty(126, "EA")
    assert revised.lines[0].unit_price == usd("0.800000")


def test_rejected_and_substituted_lines_always_need_a_buyer() -> None:
    substitute = ItemRef(sku="BOLT-Z")
    answer = ack(
        line(1, AckLineStatus.SUBSTITUTED, substitute_item=substitute),
        line(2, AckLineStatus.REJECTED, reason="Discontinued"),
    )

    assessment = assess_ack(answer, PO, tolerances=TOLERANT)

    assert [d.apply for d in assessment.lines] == [False, False]
    facts = assessment.problems[0].facts
    assert facts["line.1"] == "line 1 substituted: item BOLT -> BOLT-Z (substitute)"
    assert facts["line.2"] == "line 2 rejected"
    revised = revise_order(PO, assessment, buyer_accepted=True)
    assert revised is not None
    assert [(ln.line_number, ln.item.sku) for ln in revised.lines] == [(1, "BOLT-Z")]


def test_an_order_rejected_as_a_whole_is_cancelled_when_the_buyer_accepts() -> None:
    assessment = assess_ack(ack(status=AckStatus.REJECTED), PO, tolerances=TOLERANT)

    assert not assessment.ok
    revised = revise_order(PO, assessment, buyer_accepted=True)
    assert revised is not None
    assert revised.status is PurchaseOrderStatus.CANCELLED
    assert revised.lines == PO.lines


def test_lines_not_mentioned_are_taken_as_accepted_and_unknown_ones_need_a_buyer() -> None:
    answer = ack(line(1, AckLineStatus.ACCEPTED), line(3, AckLineStatus.ACCEPTED))

    assessment = assess_ack(answer, PO, tolerances=TOLERANT)

    notes = {d.line_number: d.note for d in assessment.lines}
    assert notes == {
        1: None,
        2: "not mentioned: taken as accepted",
        3: "is not a line of the order",
    }
    assert assessment.problems[0].facts["line.3"] == "line 3 accepted: is not a line of the order"
    assert revise_order(PO, assessment, buyer_accepted=True) is None


def test_an_acknowledgement_of_another_revision_is_refused() -> None:
    assessment = assess_ack(ack(status=AckStatus.ACCEPTED, revision=1), PO, tolerances=Tolerances())

    [problem] = assessment.problems
    assert isinstance(problem, AckRevisionMismatch)
    assert problem.reason_code == "ack_revision_mismatch"
    assert (problem.facts["acknowledged_revision"], problem.facts["current_revision"]) == ("1", "0")


def test_an_acknowledgement_of_another_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="does not answer purchase order PO-2"):
        assess_ack(
            ack(status=AckStatus.ACCEPTED),
            order((1, "BOLT", 1, "EA", "1"), number="PO-2"),
            tolerances=Tolerances(),
        )


def test_the_example_acknowledgement_parks_for_its_substitute_only() -> None:
    po = example_purchase_order()
    tolerances = Tolerances(ack_qty_pct=Decimal(20), ack_date_days=Decimal(14))

    assessment = assess_ack(example_po_ack(), po, tolerances=tolerances)

    assert [d.line_number for d in assessment.lines if not d.apply] == [4]
    assert str(assessment.problems[0]).endswith(
        "line(s) 4 needs a buyer: line 4 substituted: item LUB-5500 -> LUB-5510 (substitute)"
    )


def test_an_acknowledgement_from_another_supplier_is_refused() -> None:
    answer = ack(status=AckStatus.ACCEPTED).model_copy(
        update={"supplier": PartyRef(party_id="SUP-OTHER")}
    )

    assessment = assess_ack(answer, PO, tolerances=Tolerances())

    [problem] = assessment.problems
    assert problem.reason_code == "wrong_supplier"
    assert problem.document_ref == "po_ack:SUP-OTHER/PO-1"
    assert (problem.facts["po_supplier"], problem.facts["sender"]) == ("SUP-ACME", "SUP-OTHER")


def test_a_changed_quantity_in_a_unit_the_item_lacks_is_reported() -> None:
    answer = ack(line(2, CHANGED, changed_quantity=qty(1, "PL")))

    assessment = assess_ack(answer, PO, tolerances=Tolerances(), items=ITEMS)

    [problem] = assessment.problems
    assert problem.reason_code == "missing_uom_conversion"
    assert problem.facts["field"] == "changed_quantity (line 2)"
    assert "item GLOVE has no conversion from PL to BX" in str(problem)
