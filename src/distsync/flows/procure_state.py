"""What the procure flow remembers of one purchase order: its lifecycle and its documents.

One document per purchase order, kind ``procure.po``, key the PO number,
written by the flow's handlers with the ack of the event that changed it.
It holds the order as last confirmed (or as the supplier's acknowledgement
revised it), the supplier's partner name, the lifecycle state with every
transition (when, from what, to what, which event caused it, from which
system, its correlation id), the quantities per line in the item's base
unit (shipped, received, invoiced), and what the order's ship notices,
receipts and invoices came to. The operations queries (``procure_queries``)
read nothing else.

A ship notice's own record (kind ``procure.asn``, key
``<supplier party id>/<ASN number>``) keeps what it matched, so a receipt can
be compared with it and a duplicate recognised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from distsync.model.envelope import Envelope
from distsync.model.procurement import PurchaseOrder
from distsync.rules.asn_index import OpenPoLine
from distsync.rules.po_lifecycle import LineProgress, PoEvent, PoProgress, PoState, transition
from distsync.runtime.ports import DocumentStore

__all__ = [
    "ASN_KIND",
    "AWAITING_RECEIPT",
    "PO_KIND",
    "AsnLine",
    "AsnRecord",
    "InvoiceEntry",
    "PoRecord",
    "ReceiptEntry",
    "Transition",
    "asn_key",
    "load_asn",
    "load_po",
]

PO_KIND = "procure.po"
AWAITING_RECEIPT = "awaiting_receipt"
ASN_KIND = "procure.asn"
ZERO = Decimal(0)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Transition(_Record):
    """One step of the lifecycle, and what caused it."""

    at: datetime
    from_state: PoState | None
    to_state: PoState
    event: str
    cause_type: str
    cause_id: str
    source_system: str
    correlation_id: str
    note: str = ""


class AsnLine(_Record):
    """What one notice ships against one PO line, in the line's base unit."""

    po_number: str
    line_number: int
    sku: str
    uom: str
    quantity: Decimal


class AsnRecord(_Record):
    """A matched ship notice: its lines, when it should arrive, and its receipt."""

    asn_number: str
    supplier_id: str
    partner: str | None
    warehouse_id: str
    po_numbers: list[str]
    expected_on: date | None
    matched_at: datetime
    event_id: str
    document: dict[str, Any]
    lines: list[AsnLine]
    receipt_number: str | None = None


class ReceiptEntry(_Record):
    """A warehouse receipt for this order; ``post_event_id`` is the outbox call to the ERP."""

    receipt_number: str
    asn_number: str | None
    received_at: datetime
    post_event_id: str | None
    variances: list[str] = Field(default_factory=list)


class InvoiceEntry(_Record):
    """A supplier invoice for this order: matched and recorded, or in mismatch."""

    invoice_number: str
    status: str
    total: str
    at: datetime
    differences: list[str] = Field(default_factory=list)
    record_event_id: str | None = None
    document: dict[str, Any] | None = None

    @property
    def awaiting_receipt(self) -> bool:
        return self.status == AWAITING_RECEIPT


class PoRecord(_Record):
    """The procure flow's state of one purchase order (see the module docstring)."""

    po_number: str
    supplier_id: str
    partner: str | None
    erp: str
    state: PoState
    order: dict[str, Any]
    digest: str
    sent_at: datetime
    ack_due: datetime | None = None
    acknowledged_at: datetime | None = None
    shipped: dict[int, Decimal] = Field(default_factory=dict)
    received: dict[int, Decimal] = Field(default_factory=dict)
    invoiced: dict[int, Decimal] = Field(default_factory=dict)
    asns: list[str] = Field(default_factory=list)
    receipts: dict[str, ReceiptEntry] = Field(default_factory=dict)
    invoices: dict[str, InvoiceEntry] = Field(default_factory=dict)
    accepted: list[str] = Field(default_factory=list)
    history: list[Transition] = Field(default_factory=list)

    def purchase_order(self) -> PurchaseOrder:
        return PurchaseOrder.model_validate(self.order, strict=False)

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def progress(self, lines: tuple[OpenPoLine, ...]) -> PoProgress:
        """Ordered, shipped and received per line, in the lines' base units."""
        return PoProgress(
            tuple(
                LineProgress(
                    line.ordered,
                    self.shipped.get(line.line_number, ZERO),
                    self.received.get(line.line_number, ZERO),
                )
                for line in lines
            )
        )

    def record(
        self,
        event: PoEvent,
        cause: Envelope,
        at: datetime,
        *,
        progress: PoProgress | None = None,
        note: str = "",
    ) -> PoState:
        """Apply a lifecycle event (raises ``PoTransitionRefused``) and keep the step."""
        before = self.state
        self.state = transition(before, event, progress, po_number=self.po_number)
        if self.state != before or not self.history:
            self.note(before, event.value, cause, at, note=note)
        return self.state

    def note(
        self, before: PoState | None, event: str, cause: Envelope, at: datetime, *, note: str = ""
    ) -> None:
        """Keep a step in the history, whether or not the state moved."""
        self.history.append(
            Transition(
                at=at,
                from_state=before,
                to_state=self.state,
                event=event,
                cause_type=cause.type,
                cause_id=cause.event_id,
                source_system=cause.source_system,
                correlation_id=cause.correlation_id,
                note=note,
            )
        )

    def notices_in_transit(self) -> list[str]:
        """The matched notices of this order that no receipt has named yet."""
        received = {entry.asn_number for entry in self.receipts.values()}
        return [key for key in self.asns if key.rsplit("/", 1)[-1] not in received]

    def add(self, field: str, amounts: Mapping[int, Decimal]) -> None:
        """Add quantities per line to ``shipped``, ``received`` or ``invoiced``."""
        totals: dict[int, Decimal] = getattr(self, field)
        for line, amount in amounts.items():
            totals[line] = totals.get(line, ZERO) + amount


def asn_key(supplier_id: str, asn_number: str) -> str:
    return f"{supplier_id}/{asn_number}"


async def load_po(documents: DocumentStore, po_number: str) -> PoRecord | None:
    stored = await documents.get_document(PO_KIND, po_number)
    return None if stored is None else PoRecord.model_validate(stored.body)


async def load_asn(documents: DocumentStore, key: str) -> AsnRecord | None:
    stored = await documents.get_document(ASN_KIND, key)
    return None if stored is None else AsnRecord.model_validate(stored.body)
