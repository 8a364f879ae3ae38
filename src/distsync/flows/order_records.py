"""What the order-to-cash flow remembers of one sales order, from release to invoice.

One document per order, kind ``orders.order``, key the order number,
written with the ack of the event that changed it. It holds the order as
received, the last validation verdict, the state, and one **portion** per
warehouse shipping it: the shipment order number (``<order>-<warehouse>``,
also the reference of the ERP's sale for that portion), the quantities
allocated and shipped per line, tracking numbers, and whether the carrier
delivered it. The order is complete when every portion is delivered.

States::

    received -> held | rejected | allocated
    held -> allocated | rejected            (a person's resolution, or a retry)
    allocated -> partially_shipped -> shipped -> delivered -> invoiced
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from distsync.model.sales import SalesOrder
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import DocumentStore

__all__ = ["ORDER_KIND", "TRACKING_KIND", "OrderRecord", "Portion", "load_order", "save_order"]

ORDER_KIND = "orders.order"
TRACKING_KIND = "orders.tracking"
ZERO = Decimal(0)

OrderState = Literal[
    "received",
    "held",
    "rejected",
    "allocated",
    "partially_shipped",
    "shipped",
    "delivered",
    "invoiced",
    "cancelled",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Record):
    """One change of state and what caused it."""

    at: datetime
    state: OrderState
    cause_type: str
    cause_id: str
    note: str = ""


class Portion(_Record):
    """What one warehouse ships of the order."""

    warehouse_id: str
    shipment_order_number: str
    allocated: dict[int, Decimal]
    shipped: dict[int, Decimal] = Field(default_factory=dict)
    shipment_ids: list[str] = Field(default_factory=list)
    tracking_numbers: list[str] = Field(default_factory=list)
    delivered_at: datetime | None = None

    def is_shipped(self) -> bool:
        return bool(self.shipment_ids)

    def short(self) -> dict[int, Decimal]:
        """Per line, what was allocated here but not shipped (once a shipment is confirmed)."""
        if not self.is_shipped():
            return {}
        gaps = {n: q - self.shipped.get(n, ZERO) for n, q in self.allocated.items()}
        return {n: gap for n, gap in gaps.items() if gap > 0}


class OrderRecord(_Record):
    """One sales order through release, shipment, delivery and invoicing."""

    order: dict[str, Any]
    state: OrderState = "received"
    verdict: dict[str, Any] | None = None
    portions: list[Portion] = Field(default_factory=list)
    backorders: dict[int, Decimal] = Field(default_factory=dict)
    overrides: list[str] = Field(default_factory=list)
    history: list[Step] = Field(default_factory=list)

    def sales_order(self) -> SalesOrder:
        return SalesOrder.model_validate(self.order, strict=False)

    def portion(self, shipment_order_number: str) -> Portion | None:
        return next(
            (p for p in self.portions if p.shipment_order_number == shipment_order_number), None
        )

    def move(self, state: OrderState, ctx: HandlerContext, note: str = "") -> None:
        """Go to ``state``, recording the event that caused it."""
        cause = ctx.envelope
        self.state = state
        self.history.append(
            Step(
                at=cause.occurred_at,
                state=state,
                cause_type=cause.type,
                cause_id=cause.event_id,
                note=note,
            )
        )

    def shipping_state(self) -> OrderState:
        """Shipped, partially shipped or still allocated, from the portions."""
        shipped = [p.is_shipped() for p in self.portions]
        if shipped and all(shipped):
            return "shipped"
        return "partially_shipped" if any(shipped) else "allocated"

    def all_delivered(self) -> bool:
        return bool(self.portions) and all(p.delivered_at is not None for p in self.portions)


async def load_order(documents: DocumentStore, order_number: str) -> OrderRecord | None:
    stored = await documents.get_document(ORDER_KIND, order_number)
    return None if stored is None else OrderRecord.model_validate(stored.body)


def save_order(ctx: HandlerContext, record: OrderRecord) -> None:
    order_number = str(record.order["order_number"])
    ctx.write(ORDER_KIND, order_number, record.model_dump(mode="json"))
