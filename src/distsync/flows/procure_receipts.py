"""Warehouse receipts: posted to the ERP, announced to availability, compared with the notice.

``receipt.recorded`` (a 3PL's 944, or a WMS's JSON) names the ship notice
it received (``asn_number``) and, line by line or in its header, the
purchase orders. The handler:

1. fills in what the warehouse left out from the matched notice: the PO
   number and line of each received item (by SKU), so the ERP finds the
   moves to receive;
2. posts the receipt to the ERP through the outbox (``post_receipt``, key
   ``receipt:<warehouse>/<number>``; the ERP connector receives and
   finishes the incoming shipment, and finds a repeated call done);
3. adds what arrived to each PO line's received quantity, moving the order
   to partially received or received, and keeps the receipt on the order's
   record with the outbox call's event id (so the operations queries can tell
   whether the ERP has it yet);
4. emits ``inventory.received`` for availability feeds;
5. compares it with the notice (``rules.receipt_variance.check_receipt``):
   a variance beyond tolerance is raised as its own event,
   ``procure.receipt_variance``, which parks for a person. The receipt itself
   is posted either way: the goods are in the building.

The same receipt again (same warehouse and number) changes nothing. A
receipt for an order the ERP has not sent yet waits as a ship notice does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_invoices import ask_recheck
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import (
    ASN_KIND,
    AsnRecord,
    PoRecord,
    ReceiptEntry,
    load_asn,
    load_po,
)
from distsync.model.asn import AdvanceShipNotice
from distsync.model.receipts import Receipt, ReceiptLine
from distsync.rules.asn_index import open_lines
from distsync.rules.exceptions import parking_exception
from distsync.rules.invoice_match import received_by_line
from distsync.rules.po_lifecycle import PoEvent
from distsync.rules.receipt_variance import check_receipt
from distsync.runtime.context import HandlerContext

__all__ = ["VARIANCE_EVENT", "handle_receipt", "handle_variance", "receipt_ref"]

VARIANCE_EVENT = "procure.receipt_variance"
INVENTORY_EVENT = "inventory.received"


def receipt_ref(receipt: Receipt) -> str:
    return f"receipt:{receipt.warehouse_id}/{receipt.receipt_number}"


async def handle_receipt(ctx: HandlerContext, deps: ProcureDeps) -> None:
    receipt = ctx.envelope.document(Receipt)
    ref = receipt_ref(receipt)
    asn = await _notice(ctx, receipt)
    receipt = _with_orders(receipt, asn)
    numbers = receipt.po_numbers()
    records = {n: await po_record(ctx, deps, n, ref=ref) for n in numbers}
    if any(receipt.receipt_number in record.receipts for record in records.values()):
        ctx.log.info("receipt_duplicate", receipt=ref)
        return
    body = receipt.model_dump(mode="json")
    post = ctx.send(
        _erp(records, deps),
        "post_receipt",
        body,
        idempotency_key=ref,
        order_key=f"receipt:{receipt.warehouse_id}",
    )
    await _record(ctx, deps, receipt, records, post.event_id)
    ctx.emit(INVENTORY_EVENT, body, idempotency_key=f"inventory:{ref}", partition_key=ref)
    if asn is not None:
        received = asn.model_copy(update={"receipt_number": receipt.receipt_number})
        ctx.write(ASN_KIND, _asn_key(asn), received.model_dump(mode="json"))
        ctx.emit(
            VARIANCE_EVENT,
            {"receipt": body, "asn_key": _asn_key(asn)},
            idempotency_key=f"variance:{ref}",
            partition_key=ctx.envelope.partition_key or numbers[0],
        )


async def handle_variance(ctx: HandlerContext, deps: ProcureDeps) -> None:
    """Raise the receipt's differences from its notice beyond tolerance, for a person."""
    receipt = Receipt.model_validate(ctx.envelope.payload["receipt"], strict=False)
    asn = await load_asn(ctx.documents, ctx.envelope.payload["asn_key"])
    if asn is None:
        return
    notice = AdvanceShipNotice.model_validate(asn.document, strict=False)
    records = [await po_record(ctx, deps, n, ref=receipt_ref(receipt)) for n in asn.po_numbers]
    accepted = {key for record in records for key in record.accepted}
    items = await deps.items({line.item.sku for line in receipt.lines} | {x.sku for x in asn.lines})
    check = check_receipt(
        receipt,
        notice,
        xref=await deps.xref(None),
        items=items,
        tolerances=deps.tolerances,
        accepted=accepted,
    )
    problem = parking_exception(check.problems)
    if problem is not None:
        raise problem


def _asn_key(asn: AsnRecord) -> str:
    return f"{asn.supplier_id}/{asn.asn_number}"


async def _notice(ctx: HandlerContext, receipt: Receipt) -> AsnRecord | None:
    """The matched notice this receipt received, found through its orders' records."""
    if receipt.asn_number is None:
        return None
    for number in receipt.po_numbers():
        record = await load_po(ctx.documents, number)
        for key in [] if record is None else record.asns:
            if key.endswith(f"/{receipt.asn_number}"):
                return await load_asn(ctx.documents, key)
    if receipt.supplier is not None:
        return await load_asn(ctx.documents, f"{receipt.supplier.party_id}/{receipt.asn_number}")
    return None


def _with_orders(receipt: Receipt, asn: AsnRecord | None) -> Receipt:
    """The receipt with each line's PO number and line filled in from the notice, by SKU."""
    if asn is None:
        return receipt
    by_sku = {line.sku: line for line in reversed(asn.lines)}
    lines = [_filled(line, by_sku, receipt.po_number) for line in receipt.lines]
    return receipt.model_copy(update={"lines": tuple(lines)})


def _filled(line: ReceiptLine, by_sku: Mapping[str, Any], header_po: str | None) -> ReceiptLine:
    if (line.po_number or header_po) and line.po_line_number is not None:
        return line
    source = by_sku.get(line.item.sku)
    if source is None:
        return line
    return line.model_copy(
        update={
            "po_number": line.po_number or source.po_number,
            "po_line_number": line.po_line_number or source.line_number,
        }
    )


def _erp(records: Mapping[str, PoRecord], deps: ProcureDeps) -> str:
    for record in records.values():
        return record.erp
    return deps.policy.erp


async def _record(
    ctx: HandlerContext,
    deps: ProcureDeps,
    receipt: Receipt,
    records: Mapping[str, PoRecord],
    post_event_id: str,
) -> None:
    now = deps.clock()
    for record in records.values():
        order = record.purchase_order()
        items = await deps.items(line.item.sku for line in order.lines)
        record.add("received", received_by_line(order, [receipt], items))
        record.receipts[receipt.receipt_number] = ReceiptEntry(
            receipt_number=receipt.receipt_number,
            asn_number=receipt.asn_number,
            received_at=receipt.received_at,
            post_event_id=post_event_id,
        )
        lines = open_lines(order, items, record.shipped, record.received)
        progress = record.progress(lines)
        note = receipt.receipt_number
        record.record(PoEvent.RECEIVED, ctx.envelope, now, progress=progress, note=note)
        save(ctx, record)
        ask_recheck(ctx, record, receipt.receipt_number)
