"""Order to cash: the flow's subscription, from a channel's order to the ERP's invoice.

One ordered subscription, ``orders.documents``, handles everything about a
sales order, one delivery at a time (``concurrency=1``): an order's record
is read and written by the events of several partition keys (the order, its
shipments, their tracking numbers), and one lane with the batch's writes
visible (``runtime.batch_documents``) means no two handlers update one
record at once. The stock book is in memory and reserved in without a wait,
so no order can promise what another took.

=============================  ==========================================
event                          handled by
=============================  ==========================================
sales_order.received           ``order_release.handle_received``
sales_order.held               ``order_release.handle_held`` (parks)
shipment.confirmed             ``order_shipments.handle_confirmed``
sales_order.short_shipped      ``order_shipments.handle_short`` (parks)
shipment.delivered             ``order_shipments.handle_delivered``
exception.resolved             :func:`handle_resolved` (release, reject)
=============================  ==========================================

Resolutions of a held order: ``release`` waives the codes it was held for
and releases it; ``reject`` rejects it with the person's reason; ``replay``
(the runtime's) validates it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from distsync.flows.order_deps import OrderDeps
from distsync.flows.order_records import load_order, save_order
from distsync.flows.order_release import HELD_EVENT, handle_held, handle_received, reject, release
from distsync.flows.order_shipments import (
    SHORT_EVENT,
    handle_confirmed,
    handle_delivered,
    handle_short,
)
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.resolution import RESOLVED_EVENT
from distsync.runtime.worker import Subscription

__all__ = ["DOCUMENTS", "subscriptions"]

RECEIVED = "sales_order.received"
CONFIRMED = "shipment.confirmed"
DELIVERED = "shipment.delivered"
DOCUMENTS = SubscriptionSpec(
    "orders.documents",
    (RECEIVED, HELD_EVENT, CONFIRMED, SHORT_EVENT, DELIVERED, RESOLVED_EVENT),
    ordered=True,
)

Handler = Callable[[HandlerContext, OrderDeps], Awaitable[None]]
HANDLERS: dict[str, Handler] = {
    RECEIVED: handle_received,
    HELD_EVENT: handle_held,
    CONFIRMED: handle_confirmed,
    SHORT_EVENT: handle_short,
    DELIVERED: handle_delivered,
}


def subscriptions(deps: OrderDeps) -> list[Subscription]:
    """The flow's one subscription, its routes checked against the landscape."""
    deps.check()
    return [Subscription(DOCUMENTS, handler=partial(_dispatch, deps=deps), concurrency=1)]


async def _dispatch(ctx: HandlerContext, deps: OrderDeps) -> None:
    if ctx.envelope.type == RESOLVED_EVENT:
        await handle_resolved(ctx, deps)
        return
    await HANDLERS[ctx.envelope.type](ctx, deps)


async def handle_resolved(ctx: HandlerContext, deps: OrderDeps) -> None:
    """Act on a person's ``release`` or ``reject`` of a held order."""
    resolved = ctx.envelope.payload
    if resolved["subscription"] != DOCUMENTS.name or resolved["action"] not in (
        "release",
        "reject",
    ):
        return
    record = await load_order(ctx.documents, resolved["facts"].get("order_number", ""))
    if record is None or record.state != "held":
        return
    who = f"{resolved['actor']}: {resolved['params'].get('reason') or resolved['note'] or ''}"
    if resolved["action"] == "reject":
        reject(ctx, record, f"rejected by {who}".rstrip(": "))
        save_order(ctx, record)
        return
    codes = [code for code in resolved["facts"].get("codes", "").split(",") if code]
    record.overrides = list(dict.fromkeys([*record.overrides, *codes]))
    await release(ctx, deps, record)
