"""Purchase orders out: each confirmed order to its supplier, in the supplier's channel.

Subscription ``procure.orders`` takes ``purchase_order.confirmed`` (from the
ERP poll, ``procure_poll.py``), ordered per PO number, and:

1. keeps the order as sent (document ``procure.order``, key the PO number:
   the order, where it went, when, the acknowledgement deadline);
2. sends it through the outbox, under the key ``po:<PO>:<lines digest>``:
   an X12 850 to the partner's channel (``partner:<name>``, operation
   ``x12-850``), or JSON to its ``portal`` system (operation ``purchase_order``).

An order is sent again only when its lines change (item, quantity, unit,
price, date, warehouse). An order whose lines are those the supplier's own
acknowledgement led to (the ERP amended after a buyer accepted, see
``procure_acks.py``) is not sent back to the supplier. A supplier the
landscape gives no channel for orders is recorded as such, not sent.

This subscription is separate from the one that handles the supplier's
documents (``procure_docs.py``) so that a ship notice waiting for its PO
never holds the PO itself back: that flow reads ``procure.order``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_state import load_po
from distsync.model.procurement import PurchaseOrder, PurchaseOrderStatus
from distsync.runtime.context import HandlerContext

__all__ = ["ORDER_KIND", "handle_confirmed", "lines_digest"]

ORDER_KIND = "procure.order"


def lines_digest(order: PurchaseOrder) -> str:
    """A short digest of what the supplier is asked for: lines, warehouses and currency."""
    lines = [
        [
            line.line_number,
            line.item.sku,
            f"{line.quantity.value.normalize():f}",
            line.quantity.uom,
            f"{line.unit_price.amount.normalize():f}",
            line.requested_delivery_date.isoformat(),
            order.ship_to_warehouse_of(line),
        ]
        for line in order.lines
    ]
    text = json.dumps([order.currency, order.status == "cancelled", lines], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def handle_confirmed(ctx: HandlerContext, deps: ProcureDeps) -> None:
    order = ctx.envelope.document(PurchaseOrder)
    digest = lines_digest(order)
    stored = await ctx.documents.get_document(ORDER_KIND, order.po_number)
    if stored is not None and stored.body["lines_digest"] == digest:
        ctx.write(ORDER_KIND, order.po_number, stored.body | {"order": ctx.envelope.payload})
        return
    if stored is not None and await _acknowledged_as(ctx, order.po_number, digest):
        ctx.log.info("order_matches_acknowledgement", po_number=order.po_number)
        ctx.write(ORDER_KIND, order.po_number, _kept(ctx, deps, order, digest, None))
        return
    route = deps.order_route(order.supplier.party_id)
    sent = None
    if route is not None and order.status is not PurchaseOrderStatus.CANCELLED:
        sent = ctx.send(
            route.destination,
            route.operation,
            ctx.envelope.payload,
            idempotency_key=f"po:{order.po_number}:{digest}",
            order_key=f"po:{order.po_number}",
        )
    else:
        ctx.log.warning("order_not_sent", po_number=order.po_number, supplier=order.supplier)
    body = _kept(ctx, deps, order, digest, route.partner if route else None)
    body["route"] = None if sent is None or route is None else route.destination
    body["send_event_id"] = None if sent is None else sent.event_id
    ctx.write(ORDER_KIND, order.po_number, body)


async def _acknowledged_as(ctx: HandlerContext, po_number: str, digest: str) -> bool:
    """Whether the flow holds these lines as the supplier acknowledged them (asked only for an
    order sent before: the first time, the documents subscription may hold the same lines
    because it read the same confirmation first)."""
    record = await load_po(ctx.documents, po_number)
    return record is not None and lines_digest(record.purchase_order()) == digest


def _kept(
    ctx: HandlerContext, deps: ProcureDeps, order: PurchaseOrder, digest: str, partner: str | None
) -> dict[str, Any]:
    now = deps.clock()
    deadline = deps.ack_deadline(partner)
    return {
        "order": ctx.envelope.payload,
        "lines_digest": digest,
        "partner": partner,
        "erp": ctx.envelope.source_system,
        "sent_at": now.isoformat(),
        "ack_due": (now + deadline).isoformat(),
        "route": None,
        "send_event_id": None,
        "event_id": ctx.envelope.event_id,
    }
