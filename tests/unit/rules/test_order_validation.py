"""Order validation: accept, reject or hold, and why, line by line."""

from __future__ import annotations

from decimal import Decimal

from distsync.model.credit import CustomerCredit
from distsync.model.examples.fulfilment import example_sales_order
from distsync.model.money import Money
from distsync.model.sales import SalesOrder
from distsync.rules.order_validation import Decision, SalesTerms, validate_order

ORDER = example_sales_order()
SKUS = [line.item.sku for line in ORDER.lines]
PRICES = {line.item.sku: line.unit_price.amount for line in ORDER.lines}
PLENTY = dict.fromkeys(SKUS, Decimal(100))


def credit(limit: str | None = "10000", exposure: str = "0", active: bool = True) -> CustomerCredit:
    return CustomerCredit(
        party_id=ORDER.customer.party_id,
        currency="USD",
        credit_limit=None if limit is None else Money(amount=Decimal(limit), currency="USD"),
        exposure=Money(amount=Decimal(exposure), currency="USD"),
        active=active,
    )


def terms(**changes: object) -> SalesTerms:
    values: dict[str, object] = {"list_prices": PRICES, "available": PLENTY}
    return SalesTerms(**(values | changes))  # type: ignore[arg-type]


def test_a_good_order_is_accepted_line_by_line() -> None:
    verdict = validate_order(ORDER, credit(), terms())
    assert verdict.decision is Decision.ACCEPT
    assert verdict.accepted_lines() == [1, 2, 3]
    assert verdict.codes() == []


def test_an_unknown_customer_rejects_the_whole_order() -> None:
    verdict = validate_order(ORDER, None, terms())
    assert verdict.decision is Decision.REJECT
    assert verdict.codes() == ["customer_unknown"]
    assert {line.decision for line in verdict.lines} == {Decision.REJECT}


def test_an_inactive_customer_is_rejected() -> None:
    verdict = validate_order(ORDER, credit(active=False), terms())
    assert verdict.decision is Decision.REJECT
    assert verdict.codes() == ["customer_inactive"]


def test_credit_beyond_the_limit_holds_the_order_with_the_figures() -> None:
    total = sum((line.amount() for line in ORDER.lines), Decimal(0))
    verdict = validate_order(ORDER, credit(limit="1000", exposure=str(1000 - total + 1)), terms())
    assert verdict.decision is Decision.HOLD
    (reason,) = verdict.reasons
    assert reason.code == "credit_limit"
    assert reason.figures["limit"] == "1000"
    assert Decimal(reason.figures["order_amount"]) == total


def test_credit_exactly_at_the_limit_passes_and_no_limit_means_no_check() -> None:
    total = sum((line.amount() for line in ORDER.lines), Decimal(0))
    at_limit = credit(limit="1000", exposure=str(1000 - total))
    assert validate_order(ORDER, at_limit, terms()).decision is Decision.ACCEPT
    unlimited = credit(limit=None, exposure="999999")
    assert validate_order(ORDER, unlimited, terms()).decision is Decision.ACCEPT


def test_an_unsellable_item_rejects_its_line_and_holds_the_rest() -> None:
    prices = {sku: price for sku, price in PRICES.items() if sku != SKUS[1]}
    verdict = validate_order(ORDER, credit(), terms(list_prices=prices))
    assert verdict.decision is Decision.HOLD
    assert [line.decision for line in verdict.lines] == [
        Decision.ACCEPT, Decision.REJECT, Decision.ACCEPT,
    ]  # fmt: skip
    assert verdict.codes() == ["lines_rejected", "item_not_sellable"]


def test_every_line_unsellable_rejects_the_order() -> None:
    verdict = validate_order(ORDER, credit(), terms(list_prices={}))
    assert verdict.decision is Decision.REJECT


def test_a_price_beyond_tolerance_holds_its_line_within_tolerance_passes() -> None:
    listed = dict(PRICES)
    listed[SKUS[1]] = Decimal("140.00")  # the order says 149.00: 6.4 % over
    held = validate_order(ORDER, credit(), terms(list_prices=listed))
    assert held.decision is Decision.HOLD
    line = held.lines[1]
    assert (line.decision, [r.code for r in line.reasons]) == (Decision.HOLD, ["price_mismatch"])
    assert "149" in line.reasons[0].message
    assert "140" in line.reasons[0].message
    within = terms(list_prices=listed, price_tolerance_pct=Decimal("6.5"))
    assert validate_order(ORDER, credit(), within).decision is Decision.ACCEPT


def test_stock_short_holds_the_line_counting_repeated_items_together() -> None:
    line = ORDER.lines[0]
    twice = ORDER.model_copy(
        update={"lines": (line, line.model_copy(update={"line_number": 9}), *ORDER.lines[1:])}
    )
    available = dict(PLENTY) | {line.item.sku: line.quantity.value * 2 - 1}
    verdict = validate_order(SalesOrder.model_validate(twice.model_dump()), credit(),
                             terms(available=available))  # fmt: skip
    assert [v.decision for v in verdict.lines[:2]] == [Decision.ACCEPT, Decision.HOLD]
    assert verdict.lines[1].reasons[0].code == "insufficient_stock"


def test_waived_codes_no_longer_hold() -> None:
    limited = credit(limit="10", exposure="0")
    no_stock = dict.fromkeys(SKUS, Decimal(0))
    held = validate_order(ORDER, limited, terms(available=no_stock))
    assert set(held.codes()) == {"credit_limit", "insufficient_stock"}
    waived = frozenset({"credit_limit", "insufficient_stock"})
    released = validate_order(ORDER, limited, terms(available=no_stock, waived=waived))
    assert released.decision is Decision.ACCEPT
