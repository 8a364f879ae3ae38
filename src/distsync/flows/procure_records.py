"""Finding a purchase order's record for a document about it, or waiting for the order.

A supplier's document may overtake its purchase order (the ERP poll runs
every few seconds; an EDI partner may answer within one). :func:`po_record`
returns the order's ``procure.po`` record, creating it from what the
orders subscription kept (``procure.order``) the first time a document
needs it. While neither exists, it raises ``RetryableError`` until the
document has waited ``flows.procure.po_wait_minutes`` since it was
received, then parks it as ``purchase_order_not_found`` (replay it once the
order exists).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from distsync.errors import RetryableError
from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_orders import ORDER_KIND, lines_digest
from distsync.flows.procure_state import PO_KIND, PoRecord, Transition, load_po
from distsync.model.procurement import PurchaseOrder
from distsync.rules.asn_problems import po_not_found
from distsync.rules.po_lifecycle import PoState
from distsync.rules.tolerances import Tolerances
from distsync.runtime.context import HandlerContext

__all__ = ["RETRY_CEILING_SECONDS", "new_record", "po_record", "save"]

RETRY_CEILING_SECONDS = 60.0
EVENT_TYPE = "purchase_order.confirmed"


async def po_record(
    ctx: HandlerContext, deps: ProcureDeps, po_number: str, *, ref: str
) -> PoRecord:
    """The order's record (see the module docstring); raises while the order is unknown."""
    record = await load_po(ctx.documents, po_number)
    if record is not None:
        return record
    kept = await ctx.documents.get_document(ORDER_KIND, po_number)
    if kept is not None:
        return record_from_kept(kept.body, po_number)
    raise waiting_for(ctx, deps, ref, po_number)


def record_from_kept(body: dict[str, Any], po_number: str) -> PoRecord:
    order = PurchaseOrder.model_validate(body["order"], strict=False)
    return new_record(
        order,
        partner=body["partner"],
        erp=body["erp"],
        at=datetime.fromisoformat(body["sent_at"]),
        event_id=body["event_id"],
        ack_due=datetime.fromisoformat(body["ack_due"]),
    )


def new_record(
    order: PurchaseOrder,
    *,
    partner: str | None,
    erp: str,
    at: datetime,
    event_id: str,
    ack_due: datetime | None,
) -> PoRecord:
    """A record in state ``sent``, its first step caused by the order's confirmation."""
    first = Transition(
        at=at,
        from_state=None,
        to_state=PoState.SENT,
        event="sent",
        cause_type=EVENT_TYPE,
        cause_id=event_id,
        source_system=erp,
        correlation_id=f"po:{order.po_number}",
        note="" if partner else "the supplier has no channel for orders: not sent",
    )
    return PoRecord(
        po_number=order.po_number,
        supplier_id=order.supplier.party_id,
        partner=partner,
        erp=erp,
        state=PoState.SENT,
        order=order.model_dump(mode="json"),
        digest=lines_digest(order),
        sent_at=at,
        ack_due=ack_due,
        history=[first],
    )


def waiting_for(ctx: HandlerContext, deps: ProcureDeps, ref: str, po_number: str) -> Exception:
    """Retry while the document is younger than the PO wait, then park it."""
    tolerances: Tolerances = deps.tolerances
    waited = deps.clock() - ctx.envelope.received_at
    left = (tolerances.po_wait - waited).total_seconds()
    if left > 0:
        return RetryableError(
            f"{ref}: purchase order {po_number} is not known yet; waiting up to "
            f"{left:.0f} s more for the ERP to send it",
            retry_after=min(left, RETRY_CEILING_SECONDS),
        )
    minutes = Decimal(repr(tolerances.po_wait.total_seconds() / 60))
    return po_not_found(ref, po_number, wait_minutes=minutes)


def save(ctx: HandlerContext, record: PoRecord) -> None:
    ctx.write(PO_KIND, record.po_number, record.body())
