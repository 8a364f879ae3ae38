"""Validate a sales order against the ERP's terms and the stock book: the flow's and the API's.

``validate`` gathers what the rule needs (credit and list prices from the
cache, available to promise from the book) and asks
:func:`distsync.rules.order_validation.validate_order`. Stock counts in the
warehouses the flow may allocate from (``flows.orders.warehouses``), or the
whole network when none is configured (validation only).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from distsync.flows.order_deps import OrderDeps
from distsync.model.sales import SalesOrder
from distsync.rules.order_validation import OrderVerdict, Reason, SalesTerms, validate_order

__all__ = ["available_for", "validate", "verdict_body"]


async def validate(order: SalesOrder, deps: OrderDeps, waived: Iterable[str] = ()) -> OrderVerdict:
    """The verdict on ``order`` now; ``waived`` hold codes no longer hold it."""
    credit = await deps.terms.credit(deps.customer_id(order))
    prices = await deps.terms.list_prices()
    policy = deps.policy
    terms = SalesTerms(
        list_prices=prices,
        available=available_for(deps, {line.item.sku for line in order.lines}),
        price_tolerance_pct=Decimal(repr(policy.price_tolerance_pct)),
        check_stock=policy.check_stock,
        waived=frozenset(waived),
    )
    return validate_order(order, credit, terms)


def available_for(deps: OrderDeps, skus: Iterable[str]) -> dict[str, Decimal]:
    """Available to promise per SKU over the warehouses the flow can allocate from."""
    warehouses = deps.warehouses()
    if not warehouses:
        return {sku: deps.stock.network_available(sku) for sku in skus}
    return {
        sku: sum((deps.stock.available(sku, wh) for wh in warehouses), Decimal(0)) for sku in skus
    }


def verdict_body(verdict: OrderVerdict) -> dict[str, Any]:
    """The verdict as JSON: decision, reasons and every line's decision and reasons."""
    return {
        "order_number": verdict.order_number,
        "decision": verdict.decision.value,
        "reasons": [_reason(r) for r in verdict.reasons],
        "lines": [
            {
                "line_number": line.line_number,
                "sku": line.sku,
                "decision": line.decision.value,
                "reasons": [_reason(r) for r in line.reasons],
            }
            for line in verdict.lines
        ],
    }


def _reason(reason: Reason) -> dict[str, Any]:
    return {"code": reason.code, "message": reason.message, "figures": dict(reason.figures)}
