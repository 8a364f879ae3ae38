"""Purchase orders out of the ERP: poll the feed, append ``purchase_order.confirmed`` events.

One poll reads a page after the stored cursor, appends one event per order,
and only then stores the new cursor. A crash between the two reads the page
again on restart, and the log drops what it already has by idempotency key:
no gap, no duplicate. The key is the order's content (everything but its
status), so an order the ERP merely progresses (received, invoiced) is not
announced again, while an order whose lines changed is, as a new event the
flow treats as a revision.
"""

from __future__ import annotations

import hashlib
import json

from distsync.flows.ports import EventSink, PurchaseOrderFeed, StateStore
from distsync.model.envelope import Envelope
from distsync.model.procurement import PurchaseOrder

EVENT_TYPE = "purchase_order.confirmed"
CURSOR_KIND = "source.cursor"
DEFAULT_PAGE = 100


def cursor_key(system: str) -> str:
    return f"{system}:purchase_orders"


def correlation_of(order: PurchaseOrder) -> str:
    """The correlation id every document of this order's procure chain carries."""
    return f"po:{order.po_number}"


def content_digest(order: PurchaseOrder) -> str:
    """A short digest of what the order says, its status aside."""
    body = order.model_dump(mode="json", exclude={"status"})
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def confirmed_event(system: str, order: PurchaseOrder) -> Envelope:
    return Envelope(
        type=EVENT_TYPE,
        schema_version=1,
        source_system=system,
        correlation_id=correlation_of(order),
        idempotency_key=f"{system}:po:{order.po_number}:{content_digest(order)}",
        partition_key=order.po_number,
        occurred_at=order.issued_at,
        payload=order.model_dump(mode="json"),
    )


async def poll_purchase_orders(
    feed: PurchaseOrderFeed,
    sink: EventSink,
    state: StateStore,
    *,
    system: str,
    page: int = DEFAULT_PAGE,
) -> bool:
    """Read one page after the stored cursor and append it; ``True`` when the page was full."""
    stored = await state.get_document(CURSOR_KIND, cursor_key(system))
    cursor = None if stored is None else stored.body.get("cursor")
    orders, following = await feed.read_purchase_orders_since(cursor, limit=page)
    if orders:
        await sink.accept([confirmed_event(system, order) for order in orders])
    if following is not None and following != cursor:
        body = {"cursor": following, "orders": len(orders)}
        await state.put_document(CURSOR_KIND, cursor_key(system), body, by=f"poll:{system}")
    return len(orders) >= page
