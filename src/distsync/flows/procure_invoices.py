"""Supplier invoices: three-way matched, then recorded in the ERP against the order.

``invoice.received`` (an 810) is matched with ``rules.invoice_match`` against
the order's prices and what its receipts brought in, less what earlier
invoices already billed, all per PO line in base units from the order's
record. A match moves the order to invoiced and matched, records the
invoice in the ERP through the outbox (``record_supplier_invoice``, key
``invoice:<supplier>/<number>``) and closes the order once every line is
received and every received unit invoiced. A mismatch parks the invoice as
``invoice_mismatch`` with each difference in words and numbers; the
operations query "invoices in mismatch" is the list of those exceptions.
``accept_variance`` lets it through (recorded with who and why).

An invoice often overtakes the goods: the supplier bills when it ships.
When the only differences are quantities beyond what was received, and
some of the order's ship notices have no receipt yet, the invoice waits on
the order's record (``awaiting_receipt``) instead of parking; every receipt
of the order asks for it to be matched again (``procure.invoice_recheck``),
and once nothing is in transit any difference left parks it.

An invoice that names no purchase order cannot be matched: it parks as
``invoice_mismatch`` too. The same invoice again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import AWAITING_RECEIPT, InvoiceEntry, PoRecord
from distsync.model.invoices import Invoice
from distsync.rules.asn_index import OpenPoLine, open_lines
from distsync.rules.exceptions import InvoiceMismatch, discard, parking_exception
from distsync.rules.invoice_match import InvoiceMatch, invoice_ref, match_invoice
from distsync.rules.po_lifecycle import PoEvent, PoState
from distsync.runtime.context import HandlerContext

__all__ = ["RECHECK_EVENT", "ask_recheck", "handle_invoice", "handle_recheck"]

RECHECK_EVENT = "procure.invoice_recheck"

ZERO = Decimal(0)


async def handle_invoice(ctx: HandlerContext, deps: ProcureDeps) -> None:
    invoice = ctx.envelope.document(Invoice)
    ref = invoice_ref(invoice)
    if invoice.po_number is None:
        raise _no_order(ref, invoice)
    record = await po_record(ctx, deps, invoice.po_number, ref=ref)
    if invoice.invoice_number in record.invoices:
        ctx.log.info("invoice_duplicate", invoice=ref)
        return
    await _settle(ctx, deps, invoice, record)


async def handle_recheck(ctx: HandlerContext, deps: ProcureDeps) -> None:
    """Match again an invoice that waited for its goods (a receipt arrived)."""
    request = ctx.envelope.payload
    record = await po_record(ctx, deps, request["po_number"], ref=request["invoice_number"])
    entry = record.invoices.get(request["invoice_number"])
    if entry is None or not entry.awaiting_receipt or entry.document is None:
        return
    invoice = Invoice.model_validate(entry.document, strict=False)
    await _settle(ctx, deps, invoice, record)


def ask_recheck(ctx: HandlerContext, record: PoRecord, cause: str) -> None:
    """After a receipt: match each invoice of the order that waits for goods again."""
    for number, entry in record.invoices.items():
        if entry.awaiting_receipt:
            ctx.emit(
                RECHECK_EVENT,
                {"po_number": record.po_number, "invoice_number": number},
                idempotency_key=f"invoice-recheck:{record.po_number}:{number}:{cause}",
                partition_key=record.po_number,
            )


async def _settle(
    ctx: HandlerContext, deps: ProcureDeps, invoice: Invoice, record: PoRecord
) -> None:
    order = record.purchase_order()
    items = await deps.items(line.item.sku for line in order.lines)
    match = match_invoice(
        invoice,
        order,
        received=record.received,
        items=items,
        tolerances=deps.tolerances,
        invoiced_before=record.invoiced,
        accepted=set(record.accepted),
    )
    problem = parking_exception(match.problems)
    if problem is None:
        _apply(ctx, deps, invoice, record, match)
    elif _waits_for_goods(match, record, open_lines(order, items, record.shipped)):
        _hold(ctx, deps, invoice, record, match)
    else:
        raise problem


def _waits_for_goods(match: InvoiceMatch, record: PoRecord, lines: tuple[OpenPoLine, ...]) -> bool:
    """Only quantities differ, and more goods may come: a notice not yet received, or an
    invoiced line not yet shipped in full (its notice may be parked, or still to come)."""
    if not all(difference.kind == "quantity" for difference in match.differences):
        return False
    invoiced = {line.po_line_number for line in match.lines}
    unshipped = any(line.shipped < line.ordered for line in lines if line.line_number in invoiced)
    return unshipped or bool(record.notices_in_transit())


def _hold(
    ctx: HandlerContext, deps: ProcureDeps, invoice: Invoice, record: PoRecord, match: InvoiceMatch
) -> None:
    now = deps.clock()
    record.invoices[invoice.invoice_number] = InvoiceEntry(
        invoice_number=invoice.invoice_number,
        status=AWAITING_RECEIPT,
        total=str(invoice.total),
        at=now,
        differences=[difference.text for difference in match.differences],
        document=invoice.model_dump(mode="json"),
    )
    waiting = ", ".join(record.notices_in_transit())
    note = f"{invoice.invoice_number} waits for the receipt of {waiting}"
    record.note(record.state, "invoice_awaiting_receipt", ctx.envelope, now, note=note)
    save(ctx, record)


def _apply(
    ctx: HandlerContext,
    deps: ProcureDeps,
    invoice: Invoice,
    record: PoRecord,
    match: InvoiceMatch,
) -> None:
    now = deps.clock()
    record.add("invoiced", {line.po_line_number: line.invoiced for line in match.lines})
    sent = ctx.send(
        record.erp,
        "record_supplier_invoice",
        invoice.model_dump(mode="json"),
        idempotency_key=f"invoice:{invoice.seller.party_id}/{invoice.invoice_number}",
        order_key=f"po:{record.po_number}",
    )
    record.invoices[invoice.invoice_number] = InvoiceEntry(
        invoice_number=invoice.invoice_number,
        status="matched",
        total=str(invoice.total),
        at=now,
        differences=[difference.text for difference in match.differences],
        record_event_id=sent.event_id,
    )
    record.record(PoEvent.INVOICED, ctx.envelope, now, note=invoice.invoice_number)
    record.record(PoEvent.MATCHED, ctx.envelope, now, note=invoice.invoice_number)
    if _complete(record):
        record.record(PoEvent.CLOSED, ctx.envelope, now, note="received and invoiced in full")
    save(ctx, record)


def _complete(record: PoRecord) -> bool:
    """Every line received in full (the record's state says so) and every unit invoiced."""
    if record.state is not PoState.MATCHED or not record.received:
        return False
    fully_received = any(step.to_state is PoState.RECEIVED for step in record.history)
    billed = all(
        record.invoiced.get(line, ZERO) >= amount for line, amount in record.received.items()
    )
    return fully_received and billed


def _no_order(ref: str, invoice: Invoice) -> InvoiceMismatch:
    return InvoiceMismatch(
        f"{ref}: the invoice names no purchase order, so it cannot be matched",
        document_ref=ref,
        resolutions=(discard(),),
        facts={
            "invoice_number": invoice.invoice_number,
            "seller": invoice.seller.party_id,
            "problem_key": f"invoice_without_po:{invoice.invoice_number}",
        },
    )
