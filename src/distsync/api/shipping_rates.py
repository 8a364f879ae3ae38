"""``POST /v1/shipping/rates``: a checkout's shipping options, from every carrier within a deadline.

::

    POST /v1/shipping/rates
    {"ship_from": {"postal_code": "38118", "country": "US"},
     "ship_to":   {"postal_code": "10001", "country": "US"},
     "packages":  [{"weight_kg": "2.5"}, {"weight_kg": "1.5"}]}

    200 {"quotes": [{"carrier": "ups", "service": "ground",
                     "amount": {"amount": "13.30", "currency": "USD"}, "transit_days": 4}, ...],
         "carriers": {"ups":   {"status": "ok", "elapsed_ms": 12},
                      "fedex": {"status": "timed_out"},
                      "dhl":   {"status": "failed", "elapsed_ms": 5, "reason": "..."}}}

Every configured carrier is asked at once; the answer comes after the
deadline at the latest (``flows.shipping.rate_deadline_ms``) and holds the
quotes that arrived, cheapest first. A carrier that timed out or failed is
named with its status and is no error: the answer is 200 even when no
carrier answered (``quotes`` is then empty). A request the model refuses is
422 in FastAPI's shape, each item's ``loc`` naming the field
(``["body", "packages", 0, "weight_kg"]``); weights are decimal strings or
integers, a JSON float is refused. The route needs the scope ``sync:read``.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Depends

from distsync.api.principal import SYNC_READ, require
from distsync.model.rates import RateAnswer, RateRequest

__all__ = ["RateQuoter", "shipping_rates_router"]


class RateQuoter(Protocol):
    """What the route needs: ``flows.shipping_rates.RateQuoting`` fits."""

    async def quote(self, request: RateRequest) -> RateAnswer: ...


def shipping_rates_router(quoter: RateQuoter) -> APIRouter:
    """The route, asking the carriers ``quoter`` knows."""
    router = APIRouter(prefix="/v1/shipping", tags=["shipping"])

    @router.post(
        "/rates",
        operation_id="shipping_rates",
        summary="Rate quotes from every carrier, within the deadline; who timed out or failed",
        response_model=RateAnswer,
        response_model_exclude_none=True,
        dependencies=[Depends(require(SYNC_READ))],
    )
    async def rates(body: RateRequest) -> RateAnswer:
        return await quoter.quote(body)

    return router
