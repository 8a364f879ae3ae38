"""Supplier acknowledgements: changes within tolerance applied, the rest to a buyer.

``po_ack.received`` (an 855, or a portal's JSON) is assessed against the
order's current revision (``rules.ack_changes.assess_ack``):

- nothing needs a buyer: the order moves to acknowledged; when the supplier
  changed quantities, dates or prices within the tolerances, the order is
  revised (``rules.ack_revise.revise_order``) and the ERP's purchase order
  amended through the outbox (``amend_purchase_order``);
- something does (a change beyond tolerance, a rejected or substituted
  line, another revision, another supplier): the acknowledgement parks as
  ``ack_change_out_of_tolerance`` with every difference spelled out. The
  buyer's ``accept`` applies it all and amends the ERP (an order whose every
  line the supplier rejected becomes rejected); ``reject`` keeps the order
  and sends it to the supplier again as it stands (``procure_resolutions.py``).
"""

from __future__ import annotations

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_orders import lines_digest
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import PoRecord
from distsync.model.envelope import Envelope
from distsync.model.procurement import PoAcknowledgement, PurchaseOrderStatus
from distsync.rules.ack_changes import AckAssessment, ack_ref, assess_ack
from distsync.rules.ack_revise import revise_order
from distsync.rules.exceptions import parking_exception
from distsync.rules.po_lifecycle import PoEvent
from distsync.runtime.context import HandlerContext

__all__ = ["apply_ack", "assess", "handle_ack"]


async def handle_ack(ctx: HandlerContext, deps: ProcureDeps) -> None:
    ack = ctx.envelope.document(PoAcknowledgement)
    record = await po_record(ctx, deps, ack.po_number, ref=ack_ref(ack))
    assessment = await assess(record, ack, deps)
    problem = parking_exception(assessment.problems)
    if problem is not None:
        raise problem
    await apply_ack(ctx, deps, record, assessment, cause=ctx.envelope, buyer_accepted=False)


async def assess(record: PoRecord, ack: PoAcknowledgement, deps: ProcureDeps) -> AckAssessment:
    order = record.purchase_order()
    skus = {line.item.sku for line in order.lines}
    skus.update(line.substitute_item.sku for line in ack.lines if line.substitute_item)
    items = await deps.items(skus)
    return assess_ack(ack, order, tolerances=deps.tolerances, items=items)


async def apply_ack(
    ctx: HandlerContext,
    deps: ProcureDeps,
    record: PoRecord,
    assessment: AckAssessment,
    *,
    cause: Envelope,
    buyer_accepted: bool,
    note: str = "",
) -> None:
    """Revise the order as acknowledged, amend the ERP's, and move the lifecycle on."""
    order = record.purchase_order()
    skus = {line.item.sku for line in order.lines}
    items = await deps.items(skus)
    revised = revise_order(order, assessment, buyer_accepted=buyer_accepted, items=items)
    event = PoEvent.ACKNOWLEDGED
    if revised is not None:
        record.order = revised.model_dump(mode="json")
        record.digest = lines_digest(revised)
        ctx.send(
            record.erp,
            "amend_purchase_order",
            record.order,
            idempotency_key=f"amend:{record.po_number}:{revised.revision}:{record.digest}",
            order_key=f"po:{record.po_number}",
        )
        if revised.status is PurchaseOrderStatus.CANCELLED:
            event = PoEvent.REJECTED
    now = deps.clock()
    record.acknowledged_at = record.acknowledged_at or now
    summary = note or ("revised as acknowledged" if revised is not None else "accepted as sent")
    record.record(event, cause, now, note=summary)
    save(ctx, record)
