"""``/ops/procure``: what is late, stuck or in mismatch in the procure flow, as JSON.

::

    GET /ops/procure/overdue              850s without a 997, orders without an 855
                                          (?partner=&days=)
    GET /ops/procure/in-transit           ship notices past their expected date, not received
    GET /ops/procure/unposted             receipts the ERP does not have yet (?days=)
    GET /ops/procure/mismatches           invoices in mismatch, with their differences (?limit=)
    GET /ops/procure/exceptions           open exceptions by reason code and age (?all=&limit=)
    GET /ops/procure/orders/{po_number}   one order: record, history, notices, receipts, exceptions

The same queries as ``distsync procure`` (``flows/procure_queries*.py``), at
the services' clock; the answers are those queries' dataclasses. An order
the flow has no record of is 404. ``docs/operations.md`` says what each
answer means for operations.

Every route needs the scope ``ops:read``. A partner principal sees only its
own purchase orders: ``overdue`` is filtered by its partner, ``in-transit``
and ``mismatches`` keep only its rows, another partner's order is 404 like a
missing one, and the cross-partner views (``unposted``, ``exceptions``) are
403 for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, HTTPException, Query

from distsync.api.principal import OPS_READ, Forbidden, Principal, require
from distsync.flows.procure_queries import (
    LateShipment,
    Overdue,
    ProcureReads,
    in_transit,
    overdue,
)
from distsync.flows.procure_queries_exceptions import (
    READ_LIMIT,
    ExceptionAges,
    Mismatches,
    exceptions_by_reason,
    mismatches,
)
from distsync.flows.procure_queries_order import OrderView, show_order
from distsync.flows.procure_queries_posting import ReceiptPosting, unposted_receipts
from distsync.partners.x12_in import InboundLog

__all__ = ["ProcureBackend", "procure_router"]

Days = Annotated[int, Query(ge=1, le=3650, description="Look back this many days.")]
Reader = Annotated[Principal, Depends(require(OPS_READ))]
Read = Annotated[
    int, Query(ge=1, le=100_000, description="Read at most this many open exceptions, newest.")
]


class ProcureBackend(InboundLog, ProcureReads, Protocol):
    """The backend as the app's routes use it: inbound X12 and the procure queries."""


def procure_router(reads: ProcureReads, clock: Callable[[], datetime]) -> APIRouter:
    """The routes, reading ``reads`` (the backend) at ``clock``'s time."""
    router = APIRouter(prefix="/ops/procure", tags=["procure"])

    @router.get("/overdue", operation_id="procure_overdue", summary="No 997, no 855 in time")
    async def get_overdue(
        principal: Reader, partner: str | None = None, days: Days = 30
    ) -> Overdue:
        if not principal.may_act_for(partner) and partner is not None:
            return Overdue(now=clock(), groups=(), orders=())
        chosen = principal.partner or partner
        return await overdue(reads, now=clock(), partner=chosen, lookback=timedelta(days=days))

    @router.get(
        "/in-transit", operation_id="procure_in_transit", summary="Ship notices past their date"
    )
    async def get_in_transit(principal: Reader) -> list[LateShipment]:
        late = await in_transit(reads, now=clock())
        return [row for row in late if _visible(principal, row.partner)]

    @router.get("/unposted", operation_id="procure_unposted", summary="Receipts not in the ERP")
    async def get_unposted(principal: Reader, days: Days = 30) -> list[ReceiptPosting]:
        _internal(principal, "unposted receipts")
        return await unposted_receipts(reads, now=clock(), lookback=timedelta(days=days))

    @router.get("/mismatches", operation_id="procure_mismatches", summary="Invoices in mismatch")
    async def get_mismatches(principal: Reader, limit: Read = READ_LIMIT) -> Mismatches:
        found = await mismatches(reads, now=clock(), limit=limit)
        mine = tuple(row for row in found.invoices if _visible(principal, row.partner))
        return replace(found, invoices=mine)

    @router.get(
        "/exceptions", operation_id="procure_exceptions", summary="Open exceptions by reason"
    )
    async def get_exceptions(
        principal: Reader,
        every_flow: Annotated[bool, Query(alias="all")] = False,
        limit: Read = READ_LIMIT,
    ) -> ExceptionAges:
        _internal(principal, "exceptions by reason")
        return await exceptions_by_reason(reads, now=clock(), every_flow=every_flow, limit=limit)

    @router.get(
        "/orders/{po_number}",
        operation_id="procure_order",
        summary="One order and its lifecycle",
        responses={404: {"description": "The procure flow has no record of that order"}},
    )
    async def get_order(po_number: str, principal: Reader) -> OrderView:
        view = await show_order(reads, po_number, now=clock())
        if view is None or not _visible(principal, view.record.partner):
            raise HTTPException(404, f"the procure flow has no record of {po_number}")
        return view

    return router


def _visible(principal: Principal, partner: str | None) -> bool:
    return principal.may_act_for(partner)


def _internal(principal: Principal, what: str) -> None:
    if principal.partner is not None:
        raise Forbidden(
            f"{what} span every partner; {principal.client_id} acts for {principal.partner}",
            code="internal_only",
        )
