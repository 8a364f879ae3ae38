"""``POST /v1/orders/validate``: would this sales order be released, held or rejected, and why?

The body is a canonical ``SalesOrder`` (``docs/schemas/sales_order``). The
answer is the verdict the order-to-cash flow would reach now, line by line
(``rules/order_validation.py``): customer and credit from the ERP (cached
for ``flows.orders.terms_ttl_seconds``), items and prices against the price
list, quantities against available to promise. Nothing is stored and no
stock is reserved: a channel asks before it takes the order.

An order that does not parse is 422 with each field named; an ERP that
cannot be reached while the cache is cold is 503 with ``Retry-After``. The
route needs the scope ``sync:read``; a partner principal of kind customer
asks only about its own orders (the order's ``customer.party_id`` is its ERP
party id), another customer's order is 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import ValidationError

from distsync.api.openapi_schema import json_body
from distsync.api.principal import SYNC_READ, Forbidden, Principal, require
from distsync.errors import RetryableError
from distsync.flows.order_deps import OrderDeps
from distsync.flows.order_validate import validate, verdict_body
from distsync.model.sales import SalesOrder

__all__ = ["orders_router"]

RETRY_AFTER_SECONDS = 5
MAX_ERRORS = 20
BODY = json_body(SalesOrder)


def orders_router(deps: OrderDeps) -> APIRouter:
    """The route, validating with ``deps`` (its terms cache and stock book)."""
    router = APIRouter(prefix="/v1/orders", tags=["orders"])

    @router.post(
        "/validate",
        operation_id="validate_order",
        summary="Validate a sales order: accept, reject or hold, line by line",
        responses={
            403: {"description": "A customer asking about another customer's order"},
            422: {"description": "The order does not parse; each wrong field is named"},
            503: {"description": "The ERP could not be asked (retry after the header's seconds)"},
        },
        openapi_extra=BODY,
    )
    async def validate_order(
        request: Request, principal: Annotated[Principal, Depends(require(SYNC_READ))]
    ) -> dict[str, Any]:
        order = _parse(await request.body())
        _refuse_other_customer(deps, principal, order)
        try:
            verdict = await validate(order, deps)
        except RetryableError as exc:
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            raise HTTPException(503, f"validating {order.describe()}: {exc}", headers) from exc
        return verdict_body(verdict)

    return router


def _refuse_other_customer(deps: OrderDeps, principal: Principal, order: SalesOrder) -> None:
    """A customer partner validates only its own orders (403 otherwise)."""
    name = principal.partner
    partner = None if name is None else deps.landscape.partners.get(name)
    if name is None or partner is None or partner.kind != "customer":
        return
    own = partner.erp_party_id(name)
    if order.customer.party_id != own:
        raise Forbidden(
            f"validating {order.describe()}: customer {order.customer.party_id} is not "
            f"{name} ({own})",
            code="forbidden_partner",
        )


def _parse(body: bytes) -> SalesOrder:
    """The body as a canonical order, read as JSON (dates, decimals and codes as strings)."""
    try:
        return SalesOrder.model_validate_json(body)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *error["loc"]], "msg": error["msg"], "type": error["type"]}
            for error in exc.errors(include_url=False)[:MAX_ERRORS]
        ]
        raise HTTPException(422, errors) from exc
