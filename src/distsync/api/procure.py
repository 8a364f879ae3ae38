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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from fastapi import APIRouter, HTTPException, Query

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
Read = Annotated[
    int, Query(ge=1, le=100_000, description="Read at most this many open exceptions, newest.")
]


class ProcureBackend(InboundLog, ProcureReads, Protocol):
    """The backend as the app's routes use it: inbound X12 and the procure queries."""


def procure_router(reads: ProcureReads, clock: Callable[[], datetime]) -> APIRouter:
    """The routes, reading ``reads`` (the backend) at ``clock``'s time."""
    router = APIRouter(prefix="/ops/procure", tags=["procure"])

    @router.get("/overdue", operation_id="procure_overdue", summary="No 997, no 855 in time")
    async def get_overdue(partner: str | None = None, days: Days = 30) -> Overdue:
        return await overdue(reads, now=clock(), partner=partner, lookback=timedelta(days=days))

    @router.get(
        "/in-transit", operation_id="procure_in_transit", summary="Ship notices past their date"
    )
    async def get_in_transit() -> list[LateShipment]:
        return await in_transit(reads, now=clock())

    @router.get("/unposted", operation_id="procure_unposted", summary="Receipts not in the ERP")
    async def get_unposted(days: Days = 30) -> list[ReceiptPosting]:
        return await unposted_receipts(reads, now=clock(), lookback=timedelta(days=days))

    @router.get("/mismatches", operation_id="procure_mismatches", summary="Invoices in mismatch")
    async def get_mismatches(limit: Read = READ_LIMIT) -> Mismatches:
        return await mismatches(reads, now=clock(), limit=limit)

    @router.get(
        "/exceptions", operation_id="procure_exceptions", summary="Open exceptions by reason"
    )
    async def get_exceptions(
        every_flow: Annotated[bool, Query(alias="all")] = False, limit: Read = READ_LIMIT
    ) -> ExceptionAges:
        return await exceptions_by_reason(reads, now=clock(), every_flow=every_flow, limit=limit)

    @router.get(
        "/orders/{po_number}",
        operation_id="procure_order",
        summary="One order and its lifecycle",
        responses={404: {"description": "The procure flow has no record of that order"}},
    )
    async def get_order(po_number: str) -> OrderView:
        view = await show_order(reads, po_number, now=clock())
        if view is None:
            raise HTTPException(404, f"the procure flow has no record of {po_number}")
        return view

    return router
