"""Procure-to-pay: the flow's subscriptions, and the order's own events in its lifecycle.

Two ordered subscriptions, both partitioned by purchase-order number:

- ``procure.orders`` sends each confirmed order to its supplier
  (``procure_orders.py``);
- ``procure.documents`` keeps each order's lifecycle record and handles
  what comes back about it: the ERP's confirmations and revisions, the
  supplier's acknowledgement (``procure_acks.py``), the partner's 997 for
  the 850, ship notices (``procure_asns.py``), warehouse receipts and their
  variances (``procure_receipts.py``), invoices (``procure_invoices.py``),
  resolutions of its exceptions and the replays they ask for
  (``procure_resolutions.py``).

The documents subscription handles one delivery at a time (``concurrency=1``):
a ship notice for several orders updates every order's record, and with the
batch's writes visible to the handlers after it (``runtime.batch_documents``)
one lane at a time means no two handlers ever update one record at once.
Raising ``runtime.subscriptions.procure.documents.concurrency`` trades that
guarantee for throughput.

The documents subscription retries a document whose order is not known yet
for ``flows.procure.po_wait_minutes`` (see ``procure_records.py``); its own
retry policy allows that many attempts, which ``runtime.subscriptions.
procure.documents.retry`` can change.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import partial

from distsync.errors import BusinessException, Resolution
from distsync.flows.procure_acks import handle_ack
from distsync.flows.procure_asns import handle_asn
from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_invoices import RECHECK_EVENT, handle_invoice, handle_recheck
from distsync.flows.procure_orders import handle_confirmed, lines_digest
from distsync.flows.procure_receipts import VARIANCE_EVENT, handle_receipt, handle_variance
from distsync.flows.procure_records import RETRY_CEILING_SECONDS, new_record, save
from distsync.flows.procure_resolutions import REPLAY_EVENT, handle_replay, handle_resolved
from distsync.flows.procure_state import load_po
from distsync.model.procurement import PurchaseOrder, PurchaseOrderStatus
from distsync.partners.acks import GROUP_ACKNOWLEDGED
from distsync.rules.exceptions import discard
from distsync.rules.po_lifecycle import TRANSITIONS, PoEvent
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.resolution import RESOLVED_EVENT
from distsync.runtime.retry import RetryPolicy
from distsync.runtime.worker import Subscription

__all__ = ["DOCUMENTS", "ORDERS", "X12Rejected", "subscriptions"]

CONFIRMED = "purchase_order.confirmed"
ORDERS = SubscriptionSpec("procure.orders", (CONFIRMED,), ordered=True)
DOCUMENTS = SubscriptionSpec(
    "procure.documents",
    (
        CONFIRMED,
        "po_ack.received",
        GROUP_ACKNOWLEDGED,
        "asn.received",
        "receipt.recorded",
        VARIANCE_EVENT,
        "invoice.received",
        RECHECK_EVENT,
        RESOLVED_EVENT,
        REPLAY_EVENT,
    ),
    ordered=True,
)
REFUSED_OUTCOMES = frozenset({"rejected", "partially_accepted"})

Handler = Callable[[HandlerContext, ProcureDeps], Awaitable[None]]


class X12Rejected(BusinessException):
    """A partner's 997/999 rejected a group we sent (an 850, a 943)."""

    reason_code = "x12_rejected"


def subscriptions(deps: ProcureDeps) -> list[Subscription]:
    """The procure flow's subscriptions, with the routes of ``deps`` checked."""
    deps.check()
    return [
        Subscription(ORDERS, handler=partial(_run, handle_confirmed, deps)),
        Subscription(
            DOCUMENTS,
            handler=partial(_documents, deps),
            policy=_waiting_policy(deps),
            concurrency=1,
        ),
    ]


def _waiting_policy(deps: ProcureDeps) -> RetryPolicy:
    """Enough attempts to wait ``po_wait_minutes`` at one try a minute, and some more."""
    minutes = deps.policy.po_wait_minutes
    attempts = math.ceil(minutes * 60 / RETRY_CEILING_SECONDS) + 8
    return RetryPolicy(max_attempts=attempts, base_seconds=1.0, cap_seconds=RETRY_CEILING_SECONDS)


async def _run(handler: Handler, deps: ProcureDeps, ctx: HandlerContext) -> None:
    await handler(ctx, deps)


async def _documents(deps: ProcureDeps, ctx: HandlerContext) -> None:
    kind = ctx.envelope.type
    if kind == RESOLVED_EVENT:
        await handle_resolved(ctx, deps, DOCUMENTS.name)
    elif kind == REPLAY_EVENT:
        await handle_replay(ctx, deps.desk, DOCUMENTS.name)
    else:
        await DOCUMENT_HANDLERS[kind](ctx, deps)


async def keep_order(ctx: HandlerContext, deps: ProcureDeps) -> None:
    """Start the order's record, or take a revision of its lines or its cancellation."""
    order = ctx.envelope.document(PurchaseOrder)
    now = deps.clock()
    record = await load_po(ctx.documents, order.po_number)
    if record is None:
        route = deps.order_route(order.supplier.party_id)
        record = new_record(
            order,
            partner=route.partner if route else None,
            erp=ctx.envelope.source_system,
            at=now,
            event_id=ctx.envelope.event_id,
            ack_due=now + deps.ack_deadline(route.partner if route else None),
        )
    elif record.digest != lines_digest(order):
        record.order, record.digest = order.model_dump(mode="json"), lines_digest(order)
        record.note(record.state, "revised", ctx.envelope, now, note=f"revision {order.revision}")
    cancelled = order.status is PurchaseOrderStatus.CANCELLED
    if cancelled and record.state in TRANSITIONS[PoEvent.CANCELLED]:
        record.record(PoEvent.CANCELLED, ctx.envelope, now, note="cancelled in the ERP")
    save(ctx, record)


async def check_group_ack(ctx: HandlerContext, deps: ProcureDeps) -> None:
    """A rejecting 997/999 for a group we sent parks for a person; the rest is noted."""
    payload = ctx.envelope.payload
    if payload["outcome"] not in REFUSED_OUTCOMES:
        return
    partner, group = payload["partner"], payload["group_control"]
    numbers = ", ".join(payload["document_numbers"]) or "?"
    codes = "; ".join(f"set {r['control']}: {', '.join(r['codes'])}" for r in payload["rejected"])
    raise X12Rejected(
        f"{partner} {payload['outcome'].replace('_', ' ')} group {group} ({numbers}): "
        f"{codes or 'no reason given'}",
        document_ref=f"x12:{partner}/{group}",
        resolutions=(
            Resolution("resend", "Fix the partner's set-up or the order, then send it again"),
            discard(),
        ),
        facts={
            "partner": partner,
            "group_control": str(group),
            "documents": numbers,
            "outcome": payload["outcome"],
            "problem_key": f"x12_rejected:{partner}/{group}",
        },
    )


DOCUMENT_HANDLERS: dict[str, Handler] = {
    CONFIRMED: keep_order,
    "po_ack.received": handle_ack,
    GROUP_ACKNOWLEDGED: check_group_ack,
    "asn.received": handle_asn,
    "receipt.recorded": handle_receipt,
    VARIANCE_EVENT: handle_variance,
    "invoice.received": handle_invoice,
    RECHECK_EVENT: handle_recheck,
}
