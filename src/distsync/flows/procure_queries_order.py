"""One purchase order as operations see it: its record, what was sent, and what is open.

``show_order`` gathers what the flow keeps of one order: its record
(``procure.po``: state, every transition with its cause, quantities per
line, receipts and invoices), what the orders subscription sent
(``procure.order``: where, when, the outbox call, the acknowledgement
deadline), its matched ship notices (``procure.asn``), where each receipt's
posting to the ERP stands, and its open exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from distsync.flows.procure_orders import ORDER_KIND
from distsync.flows.procure_queries import ProcureReads
from distsync.flows.procure_queries_exceptions import ExceptionBrief, order_exceptions
from distsync.flows.procure_queries_posting import ReceiptPosting, receipt_posting
from distsync.flows.procure_state import AsnRecord, PoRecord, load_asn, load_po
from distsync.runtime.ports import DocumentStore

__all__ = ["OrderView", "SentOrder", "show_order"]


@dataclass(frozen=True)
class SentOrder:
    """What the orders subscription last did with the order.

    ``route`` is the destination it went to and ``send_event_id`` the outbox
    call; both are ``None`` when it was not sent (no channel for the
    supplier, or the lines unchanged since the supplier's acknowledgement).
    """

    partner: str | None
    route: str | None
    send_event_id: str | None
    sent_at: datetime
    ack_due: datetime
    lines_digest: str


@dataclass(frozen=True)
class OrderView:
    record: PoRecord
    sent: SentOrder | None
    notices: tuple[AsnRecord, ...]
    receipts: tuple[ReceiptPosting, ...]
    exceptions: tuple[ExceptionBrief, ...]


async def show_order(reads: ProcureReads, po_number: str, *, now: datetime) -> OrderView | None:
    """The order's view, or ``None`` when the flow has no record of it."""
    record = await load_po(reads, po_number)
    if record is None:
        return None
    notices = [notice for key in record.asns if (notice := await load_asn(reads, key))]
    receipts = [
        await receipt_posting(reads, entry, (po_number,), now=now)
        for entry in sorted(record.receipts.values(), key=lambda e: e.received_at)
    ]
    return OrderView(
        record=record,
        sent=await _sent(reads, po_number),
        notices=tuple(notices),
        receipts=tuple(receipts),
        exceptions=tuple(await order_exceptions(reads, po_number, now=now)),
    )


async def _sent(documents: DocumentStore, po_number: str) -> SentOrder | None:
    kept = await documents.get_document(ORDER_KIND, po_number)
    if kept is None:
        return None
    body = kept.body
    return SentOrder(
        partner=body.get("partner"),
        route=body.get("route"),
        send_event_id=body.get("send_event_id"),
        sent_at=datetime.fromisoformat(body["sent_at"]),
        ack_due=datetime.fromisoformat(body["ack_due"]),
        lines_digest=body["lines_digest"],
    )
