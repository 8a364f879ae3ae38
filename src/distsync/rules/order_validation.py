"""Is a sales order good to release? Accept, reject or hold, and why, line by line.

The checks, in the order a credit desk would make them::

    customer   known to the ERP and active            else reject (whole order)
    credit     exposure + this order within the limit else hold (whole order)
    item       known and sellable (has a list price)  else reject the line
    price      within tolerance of the list price     else hold the line
    stock      available to promise covers the line   else hold the line

An order is **rejected** when its customer is unknown or inactive, or when
every line is; it is **held** when anything needs a person: credit, a price,
stock short, or some lines rejected while others are fine (code
``lines_rejected``: a person decides whether to ship the rest); otherwise it
is **accepted**. Codes a person waived (``SalesTerms.waived``) no longer hold. The answer gives
each reason with a stable code, the figures compared and a sentence.

Pure: the caller gathers the customer's credit, the price list and the
available figures (``flows/order_terms.py``); nothing here reads a clock or
does I/O. Prices compare the line's unit price with the list price of the
same unit; quantities are compared in the order's units, which the caller
must have converted to the base unit the stock figures use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from distsync.model.credit import CustomerCredit
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.rules.tolerances import exceeds, percent_change, plain

__all__ = [
    "Decision",
    "LineVerdict",
    "OrderVerdict",
    "Reason",
    "SalesTerms",
    "validate_order",
]


class Decision(StrEnum):
    """What to do with an order or a line."""

    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"


@dataclass(frozen=True)
class Reason:
    """Why a line or an order is not simply accepted: a stable code, figures, a sentence."""

    code: str
    message: str
    figures: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LineVerdict:
    """The decision for one order line."""

    line_number: int
    sku: str
    decision: Decision
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class OrderVerdict:
    """The decision for a whole order, with the order-level and line-level reasons."""

    order_number: str
    decision: Decision
    reasons: tuple[Reason, ...]
    lines: tuple[LineVerdict, ...]

    def codes(self) -> list[str]:
        """Every reason code, order-level first, without repeats."""
        found = [r.code for r in self.reasons]
        found += [r.code for line in self.lines for r in line.reasons]
        return list(dict.fromkeys(found))

    def accepted_lines(self) -> list[int]:
        return [line.line_number for line in self.lines if line.decision is Decision.ACCEPT]


@dataclass(frozen=True)
class SalesTerms:
    """What the checks compare with: list prices (a sellable item has one), stock, tolerance."""

    list_prices: Mapping[str, Decimal]
    available: Mapping[str, Decimal]
    price_tolerance_pct: Decimal = Decimal(0)
    check_stock: bool = True
    waived: frozenset[str] = frozenset()
    """Hold codes a person has waived for this order (its ``release`` resolution)."""


def validate_order(
    order: SalesOrder, credit: CustomerCredit | None, terms: SalesTerms
) -> OrderVerdict:
    """The verdict on ``order`` for a customer with ``credit`` (None: unknown to the ERP)."""
    header = _customer_reasons(order, credit)
    if header:
        lines = tuple(
            LineVerdict(ln.line_number, ln.item.sku, Decision.REJECT) for ln in order.lines
        )
        return OrderVerdict(order.order_number, Decision.REJECT, header, lines)
    lines = _line_verdicts(order.lines, terms)
    found = (_credit_reason(order, credit, lines), _rejected_reason(lines))
    reasons = tuple(r for r in found if r is not None and r.code not in terms.waived)
    return OrderVerdict(order.order_number, _overall(lines, reasons), reasons, lines)


def _customer_reasons(order: SalesOrder, credit: CustomerCredit | None) -> tuple[Reason, ...]:
    party = order.customer.party_id
    if credit is None:
        return (Reason("customer_unknown", f"customer {party} is not known to the ERP"),)
    if not credit.active:
        return (Reason("customer_inactive", f"customer {party} is inactive in the ERP"),)
    return ()


def _line_verdicts(lines: Sequence[SalesOrderLine], terms: SalesTerms) -> tuple[LineVerdict, ...]:
    demand: dict[str, Decimal] = {}
    verdicts = []
    for line in lines:
        demand[line.item.sku] = demand.get(line.item.sku, Decimal(0)) + line.quantity.value
        verdicts.append(_line_verdict(line, terms, demand[line.item.sku]))
    return tuple(verdicts)


def _line_verdict(line: SalesOrderLine, terms: SalesTerms, demand: Decimal) -> LineVerdict:
    sku = line.item.sku
    listed = terms.list_prices.get(sku)
    if listed is None:
        reason = Reason("item_not_sellable", f"item {sku} is unknown or not sold")
        return LineVerdict(line.line_number, sku, Decision.REJECT, (reason,))
    holds = [
        reason
        for reason in (_price_reason(line, listed, terms), _stock_reason(line, terms, demand))
        if reason is not None and reason.code not in terms.waived
    ]
    decision = Decision.HOLD if holds else Decision.ACCEPT
    return LineVerdict(line.line_number, sku, decision, tuple(holds))


def _price_reason(line: SalesOrderLine, listed: Decimal, terms: SalesTerms) -> Reason | None:
    price = line.unit_price.amount
    if not exceeds(price, listed, terms.price_tolerance_pct):
        return None
    change = percent_change(price, listed)
    shown = "" if change is None else f" ({plain(change.quantize(Decimal('0.1')))}%)"
    return Reason(
        "price_mismatch",
        f"line {line.line_number}: unit price {plain(price)} differs from the list price "
        f"{plain(listed)}{shown}, beyond the tolerance of {plain(terms.price_tolerance_pct)}%",
        {"unit_price": plain(price), "list_price": plain(listed)},
    )


def _stock_reason(line: SalesOrderLine, terms: SalesTerms, demand: Decimal) -> Reason | None:
    if not terms.check_stock:
        return None
    available = terms.available.get(line.item.sku, Decimal(0))
    if demand <= available:
        return None
    return Reason(
        "insufficient_stock",
        f"line {line.line_number}: {plain(demand)} {line.quantity.uom} of {line.item.sku} "
        f"wanted, {plain(available)} available to promise",
        {"wanted": plain(demand), "available": plain(available)},
    )


def _credit_reason(
    order: SalesOrder, credit: CustomerCredit | None, lines: Sequence[LineVerdict]
) -> Reason | None:
    if credit is None or credit.credit_limit is None:
        return None
    kept = {v.line_number for v in lines if v.decision is not Decision.REJECT}
    amount = sum((ln.amount() for ln in order.lines if ln.line_number in kept), Decimal(0))
    limit, exposure = credit.credit_limit.amount, credit.exposure.amount
    if exposure + amount <= limit:
        return None
    return Reason(
        "credit_limit",
        f"customer {order.customer.party_id}: exposure {plain(exposure)} plus this order "
        f"{plain(amount)} exceeds the credit limit {plain(limit)} {credit.currency}",
        {"exposure": plain(exposure), "order_amount": plain(amount), "limit": plain(limit)},
    )


def _rejected_reason(lines: Sequence[LineVerdict]) -> Reason | None:
    rejected = [line.line_number for line in lines if line.decision is Decision.REJECT]
    if not rejected or len(rejected) == len(lines):
        return None
    shown = ", ".join(str(n) for n in rejected)
    return Reason("lines_rejected", f"lines {shown} cannot be sold; ship the others?")


def _overall(lines: Sequence[LineVerdict], reasons: Sequence[Reason]) -> Decision:
    decisions = {line.decision for line in lines}
    if decisions == {Decision.REJECT}:
        return Decision.REJECT
    if reasons or Decision.HOLD in decisions:
        return Decision.HOLD
    return Decision.ACCEPT
