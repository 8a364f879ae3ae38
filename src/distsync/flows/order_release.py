"""Release a sales order: validate it, then accept, reject or hold it; allocate what is accepted.

``sales_order.received`` (any channel) is validated (``order_validate.py``):

- **rejected**: the record says why and ``sales_order.rejected`` is emitted;
- **held**: the record says why and ``sales_order.held`` is emitted; its
  handler validates again and, if the hold stands, parks it as an exception
  (``OrderHeld``, reason the first hold code) with the resolutions
  ``release`` (waive the holds, allocate), ``reject``, ``replay`` (validate
  again, say once credit is raised or stock arrived) and ``discard``;
- **accepted**: allocated (``order_allocation.py``).

An order already past ``received`` is not released twice: a repeated or
updated ``sales_order.received`` is recorded in the log and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from distsync.errors import BusinessException, Resolution
from distsync.flows.order_allocation import allocate_order
from distsync.flows.order_deps import OrderDeps
from distsync.flows.order_records import OrderRecord, load_order, save_order
from distsync.flows.order_validate import validate, verdict_body
from distsync.model.sales import SalesOrder, SalesOrderStatus
from distsync.rules.order_validation import Decision, OrderVerdict
from distsync.runtime.context import HandlerContext

__all__ = [
    "HELD_EVENT",
    "HOLD_RESOLUTIONS",
    "REJECTED_EVENT",
    "OrderHeld",
    "handle_held",
    "handle_received",
    "release",
]

HELD_EVENT = "sales_order.held"
REJECTED_EVENT = "sales_order.rejected"
HOLD_RESOLUTIONS = (
    Resolution("release", "Release the order despite the hold (waive these checks)"),
    Resolution("reject", "Reject the order", ("reason",)),
    Resolution(
        "replay", "Validate again (after raising credit, fixing a price or receiving stock)"
    ),
    Resolution("discard", "Discard the message, with a reason", ("reason",)),
)


class OrderHeld(BusinessException):
    """A sales order needs a person: credit, a price, stock, or lines that cannot be sold."""

    reason_code = "order_held"


async def handle_received(ctx: HandlerContext, deps: OrderDeps) -> None:
    order = ctx.envelope.document(SalesOrder)
    record = await load_order(ctx.documents, order.order_number)
    if record is not None and record.state != "received":
        ctx.log.info("order_already_released", order_number=order.order_number, state=record.state)
        return
    record = record or OrderRecord(order=ctx.envelope.payload)
    if order.status is SalesOrderStatus.CANCELLED:
        record.move("cancelled", ctx, "cancelled by the channel before release")
        save_order(ctx, record)
        return
    await release(ctx, deps, record)


async def handle_held(ctx: HandlerContext, deps: OrderDeps) -> None:
    """Validate a held order again; park it if the hold stands."""
    record = await load_order(ctx.documents, ctx.envelope.payload["order_number"])
    if record is None or record.state != "held":
        return
    await release(ctx, deps, record, park=True)


async def release(
    ctx: HandlerContext, deps: OrderDeps, record: OrderRecord, *, park: bool = False
) -> None:
    """Validate ``record``'s order and act on the verdict (see the module docstring)."""
    order = record.sales_order()
    verdict = await validate(order, deps, record.overrides)
    if verdict.decision is Decision.ACCEPT:
        short = allocate_order(ctx, deps, record, verdict)
        if short is not None:
            verdict = replace(verdict, decision=Decision.HOLD, reasons=(*verdict.reasons, short))
    if verdict.decision is Decision.HOLD and park:
        raise _held(order, verdict)
    record.verdict = verdict_body(verdict)
    if verdict.decision is Decision.REJECT:
        _reject(ctx, record, "; ".join(r.message for r in verdict.reasons) or "every line")
    elif verdict.decision is Decision.HOLD:
        _hold(ctx, record, verdict)
    save_order(ctx, record)


def reject(ctx: HandlerContext, record: OrderRecord, why: str) -> None:
    """Reject the order for ``why`` (a person's decision or the rules')."""
    _reject(ctx, record, why)


def _reject(ctx: HandlerContext, record: OrderRecord, why: str) -> None:
    number = str(record.order["order_number"])
    record.move("rejected", ctx, why)
    ctx.emit(
        REJECTED_EVENT,
        {"order_number": number, "reason": why, "verdict": record.verdict},
        idempotency_key=f"{REJECTED_EVENT}:{number}",
        partition_key=number,
    )


def _hold(ctx: HandlerContext, record: OrderRecord, verdict: OrderVerdict) -> None:
    codes = verdict.codes()
    number = str(record.order["order_number"])
    record.move("held", ctx, ", ".join(codes))
    ctx.emit(
        HELD_EVENT,
        {"order_number": number, "codes": codes},
        idempotency_key=f"{HELD_EVENT}:{number}:{ctx.envelope.event_id}",
        partition_key=number,
    )


def _held(order: SalesOrder, verdict: OrderVerdict) -> OrderHeld:
    codes = verdict.codes()
    messages = [r.message for r in verdict.reasons]
    messages += [r.message for line in verdict.lines for r in line.reasons]
    return OrderHeld(
        f"sales order {order.order_number} held: " + "; ".join(messages),
        document_ref=f"sales_order:{order.order_number}",
        reason_code=codes[0] if codes else None,
        resolutions=HOLD_RESOLUTIONS,
        facts={
            "order_number": order.order_number,
            "customer": order.customer.party_id,
            "channel": order.channel,
            "codes": ",".join(codes),
            "total": f"{order.total().amount} {order.currency}",
        },
    )
