"""``/v1/availability``: available to promise for one item, from the inventory flow's book.

::

    GET /v1/availability?sku=FAS-10432[&warehouse=WH-EAST]

Per warehouse: on hand, reserved, safety stock, inbound and available (all
in the item's base unit, as decimal strings), and the network total over
every warehouse (whether or not ``warehouse`` narrows the list). An item the
book has no position for is 404, and so is a warehouse without one.

The answer is written with orjson straight from the figures (the route is
asked on every product page: FastAPI's own validation of the answer cost
more than the look-up). The answer is read from the in-memory
:class:`~distsync.flows.inventory.InventoryFlow`, so serve this route from
the process whose worker owns that flow. The route needs the scope
``sync:read``; stock is not partner data, so every such caller may ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Response

from distsync.api.principal import SYNC_READ, require
from distsync.flows.inventory import InventoryFlow
from distsync.rules.atp import PositionView

__all__ = ["Availability", "WarehouseAvailability", "availability_router"]


@dataclass(frozen=True)
class WarehouseAvailability:
    """One warehouse's figures for the item."""

    warehouse_id: str
    on_hand: Decimal
    reserved: Decimal
    safety_stock: Decimal
    inbound: Decimal
    available: Decimal


@dataclass(frozen=True)
class Availability:
    """The item's figures per warehouse and its network total."""

    sku: str
    warehouses: list[WarehouseAvailability]
    network_available: Decimal


def availability_router(flow: InventoryFlow) -> APIRouter:
    """The route, answering from ``flow``'s book."""
    router = APIRouter(prefix="/v1", tags=["inventory"])

    @router.get(
        "/availability",
        operation_id="availability",
        response_model=Availability,
        summary="Available to promise per warehouse and over the network",
        responses={404: {"description": "No position for that item (or warehouse)"}},
        dependencies=[Depends(require(SYNC_READ))],
    )
    async def get_availability(
        sku: Annotated[str, Query(min_length=1, description="The item's SKU.")],
        warehouse: Annotated[str | None, Query(description="Only this warehouse.")] = None,
    ) -> Response:
        views = flow.positions(sku)
        if not views:
            raise HTTPException(404, f"no stock position for item {sku}")
        if warehouse is not None:
            views = [view for view in views if view.warehouse_id == warehouse]
            if not views:
                raise HTTPException(404, f"no stock position for item {sku} in {warehouse}")
        answer = Availability(sku, [_figures(v) for v in views], flow.network_available(sku))
        return Response(orjson.dumps(answer, default=str), media_type="application/json")

    return router


def _figures(view: PositionView) -> WarehouseAvailability:
    return WarehouseAvailability(
        view.warehouse_id,
        view.on_hand,
        view.reserved,
        view.safety_stock,
        view.inbound,
        view.available,
    )
