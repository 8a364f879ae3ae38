"""Warehouse adjustments to the ERP: the warehouse counts stock, the ERP follows.

The warehouse is the system of record for on-hand stock. What it finds or
loses outside receiving and shipping (a 947, a WMS's adjustment:
``inventory.adjusted``) is posted to the ERP named by
``flows.inventory.adjustments_erp`` (operation ``post_adjustment``; the
Tryton connector moves the stock to or from lost and found), keyed by the
adjustment's id so a repeated 947 posts once. Without that key nothing is
forwarded, and the ERP's stock drifts until a person corrects it: the
reconciliation (``flows/reconcile.py``) shows by how much.
"""

from __future__ import annotations

from functools import partial

from distsync.model.inventory import InventoryAdjustment
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription

__all__ = ["ADJUSTMENTS", "subscriptions"]

ADJUSTMENTS = SubscriptionSpec("inventory.erp_adjustments", ("inventory.adjusted",), ordered=True)
OPERATION = "post_adjustment"


def subscriptions(erp: str | None) -> list[Subscription]:
    """The subscription forwarding adjustments to ``erp``; none when no ERP takes them."""
    if erp is None:
        return []
    return [Subscription(ADJUSTMENTS, handler=partial(handle_adjusted, erp=erp))]


async def handle_adjusted(ctx: HandlerContext, erp: str) -> None:
    adjustment = ctx.envelope.document(InventoryAdjustment)
    ctx.send(
        erp,
        OPERATION,
        ctx.envelope.payload,
        idempotency_key=f"adjustment:{adjustment.warehouse_id}/{adjustment.adjustment_id}",
        order_key=f"stock:{adjustment.item.sku}@{adjustment.warehouse_id}",
    )
