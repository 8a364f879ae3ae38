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

An invoice that names no purchase order cannot be matched: it parks as
``invoice_mismatch`` too. The same invoice again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import InvoiceEntry, PoRecord
from distsync.model.invoices import Invoice
from distsync.rules.exceptions import InvoiceMismatch, discard, parking_exception
from distsync.rules.invoice_match import InvoiceMatch, invoice_ref, match_invoice
from distsync.rules.po_lifecycle import PoEvent, PoState
from distsync.runtime.context import HandlerContext

__all__ = ["handle_invoice"]

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
    match = await _match(invoice, record, deps)
    problem = parking_exception(match.problems)
    if problem is not None:
        raise problem
    _apply(ctx, deps, invoice, record, match)


async def _match(invoice: Invoice, record: PoRecord, deps: ProcureDeps) -> InvoiceMatch:
    order = record.purchase_order()
    items = await deps.items(line.item.sku for line in order.lines)
    return match_invoice(
        invoice,
        order,
        received=record.received,
        items=items,
        tolerances=deps.tolerances,
        invoiced_before=record.invoiced,
        accepted=set(record.accepted),
    )


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
        ctx.envelope.payload,
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
