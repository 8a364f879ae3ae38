"""Three-way match: invoice against the order's prices and the received quantities."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from distsync.model.examples import (
    example_invoice,
    example_po_ack,
    example_purchase_order,
    example_receipt,
)
from distsync.model.examples.master import CATALOG
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine
from distsync.model.items import Item, ItemRef, UomConversion
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.receipts import Receipt, ReceiptLine
from distsync.rules.ack_changes import assess_ack
from distsync.rules.ack_revise import revise_order
from distsync.rules.exceptions import InvoiceMismatch
from distsync.rules.invoice_match import InvoiceMatch, match_invoice, received_by_line
from distsync.rules.tolerances import Tolerances
from tests.unit.rules.support import ITEMS, SUPPLIER, d, order, qty

PO = order(
    (1, "BOLT", 20, "EA", "10.00"), (2, "GLOVE", 12, "BX", "5.00"), (3, "TAPE", 5, "RL", "7.90")
)
RECEIVED = {1: d(20), 2: d(10), 3: d(5)}

Line = tuple[int, int | None, str, str | int, str, str]


def invoice(
    *lines: Line,
    charges: tuple[tuple[str, str, str], ...] = (),
    currency: str = "USD",
    seller: str = SUPPLIER,
) -> Invoice:
    """An invoice of (line, PO line, sku, quantity, unit, price) and (indicator, code, amount)."""

    def money(amount: Decimal | str) -> Money:
        return Money(amount=Decimal(amount), currency=currency)

    built = tuple(
        InvoiceLine(
            line_number=n,
            po_line_number=po_line,
            item=ItemRef(sku=sku),
            quantity=qty(quantity, uom),
            unit_price=money(price),
            amount=money((Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))),
        )
        for n, po_line, sku, quantity, uom, price in lines
    )
    extras = tuple(
        ChargeAllowance(indicator=ChargeIndicator(kind), code=code, amount=money(amount))
        for kind, code, amount in charges
    )
    total = sum((line.amount.amount for line in built), Decimal(0))
    total += sum((charge.signed_amount() for charge in extras), Decimal(0))
    return Invoice(
        invoice_number="INV-1",
        invoice_date=date(2024, 5, 21),
        seller=PartyRef(party_id=seller),
        buyer=PartyRef(party_id="NWD"),
        po_number="PO-1",
        currency=currency,
        lines=built,
        charges=extras,
        total=money(total),
    )


def run(inv: Invoice, **options: object) -> InvoiceMatch:
    settings: dict[str, object] = {"received": RECEIVED, "items": ITEMS, "tolerances": Tolerances()}
    return match_invoice(inv, PO, **(settings | options))


def texts(result: InvoiceMatch) -> list[str]:
    return [difference.text for difference in result.differences]


def test_an_invoice_of_what_was_received_at_the_order_prices_matches() -> None:
    result = run(invoice((1, 1, "BOLT", 20, "EA", "10.00"), (2, 2, "GLOVE", 10, "BX", "5.00")))

    assert result.ok
    assert result.expected_total == Decimal("250.00")
    assert [(ln.po_line_number, ln.invoiced, ln.received) for ln in result.lines] == [
        (1, 20, 20),
        (2, 10, 10),
    ]


def test_invoicing_more_than_received_is_spelled_out() -> None:
    result = run(invoice((2, 2, "GLOVE", 12, "BX", "5.00")))

    assert texts(result) == ["line 2: invoiced 12 BX, received 10 BX"]
    problem = result.exception()
    assert isinstance(problem, InvoiceMismatch)
    assert problem.reason_code == "invoice_mismatch"
    assert problem.document_ref == "invoice:SUP-ACME/INV-1"
    assert problem.facts["difference.1"] == "line 2: invoiced 12 BX, received 10 BX"
    assert [r.action for r in problem.resolutions] == ["accept_variance", "reject", "replay"]


def test_what_was_invoiced_before_is_not_invoiced_again() -> None:
    result = run(invoice((2, 2, "GLOVE", 7, "BX", "5.00")), invoiced_before={2: d(4)})

    assert texts(result) == ["line 2: invoiced 7 BX, received 10 BX of which 4 BX already invoiced"]


def test_two_invoice_lines_of_one_po_line_count_together() -> None:
    result = run(invoice((1, 2, "GLOVE", 6, "BX", "5.00"), (2, 2, "GLOVE", 6, "BX", "5.00")))

    assert texts(result) == ["lines 1, 2: invoiced 12 BX, received 10 BX"]


def test_the_quantity_tolerance_edge() -> None:
    tolerances = Tolerances(invoice_qty_pct=Decimal(10))

    assert run(invoice((1, 2, "GLOVE", 11, "BX", "5.00")), tolerances=tolerances).ok
    beyond = run(invoice((1, 2, "GLOVE", "11.01", "BX", "5.00")), tolerances=tolerances)
    assert texts(beyond) == ["line 1: invoiced 11.01 BX, received 10 BX (tolerance 10%)"]


def test_a_price_beyond_tolerance_is_spelled_out_in_percent() -> None:
    result = run(invoice((3, 3, "TAPE", 5, "RL", "8.10")), tolerances=Tolerances(price_pct=d(1)))

    assert texts(result)[0] == "line 3: price 8.10 USD vs PO 7.90 USD (+2.5%, tolerance 1%)"


def test_a_price_exactly_at_the_tolerance_matches() -> None:
    tolerances = Tolerances(price_pct=d(1))

    assert run(invoice((1, 1, "BOLT", 20, "EA", "10.10")), tolerances=tolerances).ok
    assert run(invoice((1, 1, "BOLT", 20, "EA", "9.90")), tolerances=tolerances).ok
    assert not run(invoice((1, 1, "BOLT", 20, "EA", "10.1001")), tolerances=tolerances).ok


def test_a_price_per_case_meets_a_price_per_each() -> None:
    assert run(invoice((1, 1, "BOLT", 1, "CA", "120.00"))).ok

    result = run(invoice((1, 1, "BOLT", 1, "CA", "121.20")))
    assert texts(result) == [
        "line 1: price 121.20 USD per CA vs PO 10.00 USD per EA (120.00 USD per CA, +1%, "
        "tolerance 0%)",
        "total: invoiced 121.20 USD, 120.00 USD at PO prices (+1%, tolerance 0%)",
    ]


def test_charges_must_be_allowed_and_within_their_share() -> None:
    lines = ((1, 1, "BOLT", 20, "EA", "10.00"),)
    allowed = invoice(*lines, charges=(("charge", "D240", "20.00"), ("allowance", "C310", "5.00")))
    assert run(allowed).ok

    result = run(invoice(*lines, charges=(("charge", "D240", "20.01"), ("charge", "D500", "3.00"))))
    assert texts(result) == [
        "charge D500 3.00 USD is not an allowed charge (allowed: D240)",
        "charges 23.01 USD are 11.5% of the lines' 200.00 USD (tolerance 10%)",
    ]


def test_an_item_the_order_does_not_have_is_a_difference() -> None:
    result = run(invoice((1, 1, "GLOVE", 1, "BX", "5.00"), (2, None, "SPRAY", 1, "EA", "2.00")))

    assert texts(result) == [
        "line 1: invoices GLOVE, but line 1 of PO-1 is BOLT",
        "line 2: invoices SPRAY, but SPRAY is on no line of PO-1",
    ]


def test_another_currency_or_supplier_is_a_difference() -> None:
    result = run(invoice((1, 1, "BOLT", 20, "EA", "10.00"), currency="EUR", seller="SUP-OTHER"))

    assert texts(result) == [
        "currency: invoiced in EUR, the order is in USD",
        "supplier: invoiced by SUP-OTHER, the order is with SUP-ACME",
    ]
    assert result.expected_total is None


def test_an_accepted_mismatch_passes_on_replay() -> None:
    inv = invoice((2, 2, "GLOVE", 12, "BX", "5.00"))
    key = run(inv).problems[0].facts["problem_key"]

    assert run(inv, accepted={key}).ok


def test_an_invoice_for_another_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="is for PO-1, not PO-2"):
        match_invoice(
            invoice((1, 1, "BOLT", 1, "EA", "10.00")),
            order((1, "BOLT", 1, "EA", "1"), number="PO-2"),
            received={},
            items=ITEMS,
            tolerances=Tolerances(),
        )


def test_received_quantities_are_totalled_per_po_line_in_base_units() -> None:
    rec = Receipt(
        receipt_number="REC-1",
        warehouse_id="WH-EAST",
        received_at=datetime(2024, 5, 20, 10, tzinfo=UTC),
        po_number="PO-1",
        lines=(
            ReceiptLine(
                line_number=1,
                po_line_number=1,
                item=ItemRef(sku="BOLT"),
                received_quantity=qty(1, "CA"),
            ),
            ReceiptLine(line_number=2, item=ItemRef(sku="BOLT"), received_quantity=qty(3)),
            ReceiptLine(
                line_number=3,
                item=ItemRef(sku="GLOVE"),
                received_quantity=qty(2, "BX"),
                po_number="PO-9",
            ),
            ReceiptLine(line_number=4, item=ItemRef(sku="SPRAY"), received_quantity=qty(2)),
        ),
    )

    assert received_by_line(PO, [rec, rec], ITEMS) == {1: d(30)}


def test_the_example_invoice_matches_the_revised_example_order() -> None:
    items = {
        e.sku: Item(
            sku=e.sku,
            description=e.description,
            base_uom=e.base_uom,
            conversions=(UomConversion(uom="CA", base_quantity=Decimal(e.per_case)),),
        )
        for e in CATALOG
    }
    items["LUB-5510"] = items["LUB-5500"].model_copy(update={"sku": "LUB-5510"})
    po = example_purchase_order()
    po = revise_order(
        po, assess_ack(example_po_ack(), po, tolerances=Tolerances()), buyer_accepted=True
    )
    assert po is not None

    result = match_invoice(
        example_invoice(),
        po,
        received=received_by_line(po, [example_receipt()], items),
        items=items,
        tolerances=Tolerances(),
    )

    assert result.ok, texts(result)
    assert result.expected_total == Decimal("1472.29")
