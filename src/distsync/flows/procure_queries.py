"""What operations people ask of the procure flow: which orders are late, which notices overdue.

Pure reads over the ports (``ProcureReads``: the log's read side and the
document store), with the time passed in, returning plain dataclasses for
the CLI (``distsync procure``) and the API (``/ops/procure``). Documents are
read a page at a time (:func:`each_document`), never as one unbounded list.

- :func:`overdue`: 850 groups the partner has not answered with a 997 past
  their deadline (``partners.acks.overdue_groups``), and orders still ``sent``
  past ``ack_due`` (no 855 applied yet).
- :func:`in_transit`: matched ship notices whose expected date is before
  today and whose goods no receipt has brought in.

Receipts not posted to the ERP are in ``procure_queries_posting``, invoices
in mismatch and the exceptions summary in ``procure_queries_exceptions``,
one order's record in ``procure_queries_order``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from distsync.flows.procure_orders import ORDER_KIND
from distsync.flows.procure_state import ASN_KIND, PO_KIND, AsnRecord, PoRecord
from distsync.partners.acks import LOOKBACK, SentGroupRecord, overdue_groups
from distsync.rules.po_lifecycle import PoState
from distsync.runtime.ports import DocumentStore, LogInspector, RecordStatus, StoredDocument

__all__ = [
    "PAGE",
    "LateGroup",
    "LateShipment",
    "Overdue",
    "ProcureReads",
    "UnacknowledgedOrder",
    "each_document",
    "in_transit",
    "overdue",
    "seconds_between",
]

PAGE = 500
ORDER_SET = "850"
ACK_REASONS = ("ack_change_out_of_tolerance", "ack_revision_mismatch")
EXCEPTIONS_READ = 10_000


class ProcureReads(LogInspector, DocumentStore, Protocol):
    """What the queries read: the log's read side and the flows' documents (a backend fits)."""


async def each_document(
    documents: DocumentStore, kind: str, *, page: int | None = None
) -> AsyncIterator[StoredDocument]:
    """Every document of ``kind`` in key order, read ``page`` (default ``PAGE``) at a time."""
    size = page or PAGE
    after: str | None = None
    while True:
        found = await documents.list_documents(kind, after_key=after, limit=size)
        for document in found:
            yield document
        if len(found) < size:
            return
        after = found[-1].key


def seconds_between(earlier: datetime, now: datetime) -> float:
    """How long ago ``earlier`` was, never below zero (another system's clock may be ahead)."""
    return max(0.0, (now - earlier).total_seconds())


# -- overdue: no 997, no 855 ---------------------------------------------------------


@dataclass(frozen=True)
class LateGroup:
    """An 850 group sent to a partner with no 997/999 past its deadline."""

    partner: str
    group_control: str
    interchange_control: str
    po_numbers: tuple[str, ...]
    sent_at: datetime
    ack_due: datetime
    late_seconds: float


@dataclass(frozen=True)
class UnacknowledgedOrder:
    """An order still ``sent`` past its acknowledgement deadline.

    ``sent`` is false when the supplier has no channel for orders (it was
    never told); ``parked_ack`` names the open exception holding its 855
    when one came and waits for a buyer.
    """

    po_number: str
    supplier_id: str
    partner: str | None
    sent_at: datetime
    ack_due: datetime
    late_seconds: float
    sent: bool
    parked_ack: int | None = None


@dataclass(frozen=True)
class Overdue:
    """Both kinds of lateness, each sorted by partner, then by deadline (earliest first)."""

    now: datetime
    groups: tuple[LateGroup, ...]
    orders: tuple[UnacknowledgedOrder, ...]


async def overdue(
    reads: ProcureReads,
    *,
    now: datetime,
    partner: str | None = None,
    lookback: timedelta = LOOKBACK,
) -> Overdue:
    """850s without a 997 past the deadline, and orders without an 855 past ``ack_due``.

    Groups sent more than ``lookback`` ago are not looked at (see ``overdue_groups``).
    """
    sent = await overdue_groups(reads, now=now, partner=partner, lookback=lookback)
    groups = [_late_group(group, now) for group in sent if ORDER_SET in group.set_ids]
    parked = await _parked_acks(reads)
    orders = [
        order
        async for order in _unacknowledged(reads, now, parked)
        if partner is None or order.partner == partner
    ]
    return Overdue(
        now,
        tuple(sorted(groups, key=lambda g: (g.partner, g.ack_due, g.group_control))),
        tuple(sorted(orders, key=lambda o: (o.partner or "", o.ack_due, o.po_number))),
    )


def _late_group(group: SentGroupRecord, now: datetime) -> LateGroup:
    return LateGroup(
        partner=group.partner,
        group_control=group.group_control,
        interchange_control=group.interchange_control,
        po_numbers=group.document_numbers,
        sent_at=group.sent_at,
        ack_due=group.ack_due,
        late_seconds=seconds_between(group.ack_due, now),
    )


async def _unacknowledged(
    reads: ProcureReads, now: datetime, parked: dict[str, int]
) -> AsyncIterator[UnacknowledgedOrder]:
    async for stored in each_document(reads, PO_KIND):
        if stored.body.get("state") != PoState.SENT:
            continue
        record = PoRecord.model_validate(stored.body)
        kept = await reads.get_document(ORDER_KIND, record.po_number)
        due = _ack_due(record, None if kept is None else kept.body)
        if due is None or due > now:
            continue
        yield UnacknowledgedOrder(
            po_number=record.po_number,
            supplier_id=record.supplier_id,
            partner=record.partner,
            sent_at=record.sent_at,
            ack_due=due,
            late_seconds=seconds_between(due, now),
            sent=_sent(record, None if kept is None else kept.body),
            parked_ack=parked.get(record.po_number),
        )


def _sent(record: PoRecord, kept: dict[str, Any] | None) -> bool:
    """Whether the order went to the supplier (its outbox call, else its partner)."""
    if kept is None:  # the orders subscription has not handled it yet
        return record.partner is not None
    return kept.get("send_event_id") is not None


def _ack_due(record: PoRecord, kept: dict[str, Any] | None) -> datetime | None:
    """The later deadline: an order sent again (its lines revised) is due again."""
    dues = [record.ack_due] if record.ack_due is not None else []
    if kept is not None and kept.get("ack_due"):
        dues.append(datetime.fromisoformat(kept["ack_due"]))
    return max(dues, default=None)


async def _parked_acks(reads: LogInspector) -> dict[str, int]:
    """PO number -> the oldest open exception holding an acknowledgement of it."""
    found: dict[str, int] = {}
    for reason in ACK_REASONS:
        records = await reads.exceptions(
            status=RecordStatus.OPEN, reason_code=reason, limit=EXCEPTIONS_READ
        )
        for record in records:
            number = record.facts.get("po_number")
            if number is not None:
                found[number] = min(record.id, found.get(number, record.id))
    return found


# -- in transit: past the expected date, not received ---------------------------------


@dataclass(frozen=True)
class LateShipment:
    """A matched ship notice past its expected date that no receipt has brought in."""

    asn_number: str
    supplier_id: str
    partner: str | None
    warehouse_id: str
    po_numbers: tuple[str, ...]
    expected_on: date
    days_late: int
    matched_at: datetime


async def in_transit(reads: DocumentStore, *, now: datetime) -> list[LateShipment]:
    """Notices expected before today (the date of ``now``) without a receipt, most late first."""
    today = now.date()
    late = [
        _late_shipment(AsnRecord.model_validate(stored.body), expected, today)
        async for stored in each_document(reads, ASN_KIND)
        if (expected := _overdue_since(stored.body, today)) is not None
    ]
    return sorted(late, key=lambda s: (s.expected_on, s.supplier_id, s.asn_number))


def _overdue_since(body: dict[str, Any], today: date) -> date | None:
    """The expected date of a notice still to be received and due before today; else None."""
    text = body.get("expected_on")
    if text is None or body.get("receipt_number") is not None or not body.get("lines"):
        return None
    expected = date.fromisoformat(text)
    return expected if expected < today else None


def _late_shipment(record: AsnRecord, expected: date, today: date) -> LateShipment:
    return LateShipment(
        asn_number=record.asn_number,
        supplier_id=record.supplier_id,
        partner=record.partner,
        warehouse_id=record.warehouse_id,
        po_numbers=tuple(record.po_numbers),
        expected_on=expected,
        days_late=(today - expected).days,
        matched_at=record.matched_at,
    )
