"""What a person's resolution of a procure exception does (``exception.resolved``).

The runtime closes the exception and, for ``replay`` and ``discard``, does
all there is to do. The other actions act here, in order with the order's
other documents (the event carries the parked document's partition key):

- ``map_sku`` (unknown supplier SKU): the partner's cross-reference gets the
  mapping, with who and why; the parked notice runs again, and so does every
  other notice parked for the same partner SKU (their exceptions are closed
  as replayed);
- ``accept_variance``: the problem keys of the exception are kept on the
  order's record, with who and why, and the document runs again; the rules
  let those problems pass;
- ``accept`` (an acknowledgement): the buyer accepts the supplier's changes:
  the order is revised and the ERP's amended;
- ``resend`` (a partner's 997 rejected the 850): the order goes out again;
- ``reject``: kept in the order's history with who and why; for an
  acknowledgement the order is sent to the supplier again as it stands, the
  channel's way of telling the supplier that its changes are refused.

Running a document again is requested with a ``procure.replay`` event,
emitted with the record's changes, and done by its own handler once those
are committed, so the document never runs against the record as it was.
"""

from __future__ import annotations

from typing import Any

from distsync.flows.ports import ExceptionDesk
from distsync.flows.procure_acks import apply_ack, assess
from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import PoRecord, load_po
from distsync.model.procurement import PoAcknowledgement
from distsync.runtime.context import HandlerContext
from distsync.runtime.operations import ReplaySelection
from distsync.store.ports import XrefEntry, XrefKind

__all__ = ["REPLAY_EVENT", "handle_replay", "handle_resolved"]

REPLAY_EVENT = "procure.replay"
ACK_EVENT = "po_ack.received"
UNKNOWN_SKU = "unknown_sku"


async def handle_resolved(ctx: HandlerContext, deps: ProcureDeps, subscription: str) -> None:
    resolved = ctx.envelope.payload
    if resolved["subscription"] != subscription:
        return
    action = resolved["action"]
    if action == "map_sku":
        await _map_sku(ctx, deps, resolved)
    elif action == "accept_variance":
        await _accept_variance(ctx, deps, resolved)
    elif action == "accept" and resolved["parked_event_type"] == ACK_EVENT:
        await _accept_ack(ctx, deps, resolved)
    elif action == "reject":
        await _reject(ctx, deps, resolved)
    elif action == "resend":
        await _resend(ctx, deps, resolved)


async def handle_replay(ctx: HandlerContext, desk: ExceptionDesk, subscription: str) -> None:
    """Run the parked documents named by a ``procure.replay`` event again."""
    request = ctx.envelope.payload
    actor, reason = request["actor"], request["reason"]
    if request["event_ids"]:
        selection = ReplaySelection(
            "events", ids=tuple(request["event_ids"]), subscriptions=(subscription,)
        )
        await desk.requeue(selection, actor=actor, reason=reason)
    for exception_id in request.get("exception_ids", []):
        record = await desk.exception(exception_id)
        if record is not None and record.status == "open":
            await desk.resolve(exception_id, action="replay", actor=actor, note=reason)


def _why(resolved: dict[str, Any]) -> tuple[str, str]:
    reason = resolved["params"].get("reason") or resolved["note"] or resolved["action"]
    return resolved["actor"], f"{reason} (exception {resolved['exception_id']})"


def _replay(
    ctx: HandlerContext,
    resolved: dict[str, Any],
    reason: str,
    *,
    exception_ids: list[int] | None = None,
) -> None:
    ctx.emit(
        REPLAY_EVENT,
        {
            "event_ids": [resolved["parked_event_id"]],
            "exception_ids": exception_ids or [],
            "actor": resolved["actor"],
            "reason": reason,
        },
        idempotency_key=f"replay:exception:{resolved['exception_id']}",
        partition_key=ctx.envelope.partition_key or resolved["document_ref"],
    )


async def _map_sku(ctx: HandlerContext, deps: ProcureDeps, resolved: dict[str, Any]) -> None:
    partner = ctx.envelope.partner
    params, facts = resolved["params"], resolved["facts"]
    partner_sku = params.get("partner_sku") or facts.get("partner_sku")
    sku = params.get("sku")
    if partner is None or not partner_sku or not sku:
        ctx.log.warning("map_sku_incomplete", partner=partner, partner_sku=partner_sku, sku=sku)
        return
    actor, why = _why(resolved)
    entry = XrefEntry(XrefKind.SKU, partner_sku, sku, None, None)
    await deps.xrefs.put(partner, entry, actor=actor, reason=why)
    others = [
        record.id
        for record in await deps.desk.exceptions(reason_code=UNKNOWN_SKU, limit=10_000)
        if record.id != resolved["exception_id"]
        and record.event.envelope.partner == partner
        and record.facts.get("partner_sku") == partner_sku
    ]
    _replay(ctx, resolved, f"{partner_sku} mapped to {sku}: {why}", exception_ids=others)


async def _accept_variance(
    ctx: HandlerContext, deps: ProcureDeps, resolved: dict[str, Any]
) -> None:
    facts = resolved["facts"]
    keys = [
        key for key in facts.get("problem_keys", facts.get("problem_key", "")).split(",") if key
    ]
    actor, why = _why(resolved)
    record = await _record_of(ctx)
    if record is not None:
        record.accepted.extend(key for key in keys if key not in record.accepted)
        note = f"{actor} accepted {', '.join(keys)}: {why}"
        record.note(record.state, "variance_accepted", ctx.envelope, deps.clock(), note=note)
        save(ctx, record)
    _replay(ctx, resolved, f"accepted by {actor}: {why}")


async def _accept_ack(ctx: HandlerContext, deps: ProcureDeps, resolved: dict[str, Any]) -> None:
    parked = await deps.desk.get_event(resolved["parked_event_id"])
    if parked is None:
        raise LookupError(f"event {resolved['parked_event_id']} is no longer in the log")
    ack = parked.envelope.document(PoAcknowledgement)
    record = await po_record(ctx, deps, ack.po_number, ref=resolved["document_ref"])
    assessment = await assess(record, ack, deps)
    actor, why = _why(resolved)
    await apply_ack(
        ctx,
        deps,
        record,
        assessment,
        cause=ctx.envelope,
        buyer_accepted=True,
        note=f"{actor} accepted the supplier's changes: {why}",
    )


async def _reject(ctx: HandlerContext, deps: ProcureDeps, resolved: dict[str, Any]) -> None:
    record = await _record_of(ctx)
    if record is None:
        return
    actor, why = _why(resolved)
    what = resolved["document_ref"]
    record.note(
        record.state, "rejected", ctx.envelope, deps.clock(), note=f"{actor} rejected {what}: {why}"
    )
    if resolved["parked_event_type"] == ACK_EVENT:
        _send_again(ctx, deps, record, resolved["exception_id"])
    save(ctx, record)


def _send_again(
    ctx: HandlerContext, deps: ProcureDeps, record: PoRecord, exception_id: int
) -> None:
    route = deps.order_route(record.supplier_id)
    if route is None:
        return
    ctx.send(
        route.destination,
        route.operation,
        record.order,
        idempotency_key=f"po:{record.po_number}:{record.digest}:reaffirmed:{exception_id}",
        order_key=f"po:{record.po_number}",
    )


async def _resend(ctx: HandlerContext, deps: ProcureDeps, resolved: dict[str, Any]) -> None:
    record = await _record_of(ctx)
    if record is None:
        return
    actor, why = _why(resolved)
    note = f"{actor} sent the order again: {why}"
    record.note(record.state, "resent", ctx.envelope, deps.clock(), note=note)
    _send_again(ctx, deps, record, resolved["exception_id"])
    save(ctx, record)


async def _record_of(ctx: HandlerContext) -> PoRecord | None:
    key = ctx.envelope.partition_key
    return None if key is None else await load_po(ctx.documents, key)
