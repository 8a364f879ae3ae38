"""Invoices in mismatch, and the procure flow's open exceptions by reason code and age.

Both read the exceptions work queue (``LogInspector.exceptions``), newest
first and at most ``limit`` records: the answers say when there were more
(``truncated``), so a count is never silently short.

- :func:`mismatches`: open ``invoice_mismatch`` exceptions with the invoice,
  its order and every difference the three-way match found (the
  exception's facts ``difference.1``, ``difference.2``, ...; the message
  when the invoice names no order).
- :func:`exceptions_by_reason`: per reason code, how many are open, the
  oldest, and how many are under an hour, under a day, or older.
- :func:`order_exceptions`: the open exceptions of one purchase order.

An exception belongs to the procure flow when one of its subscriptions
parked it, or when its document is part of an order's chain (correlation
``po:<PO number>``, as an outbox call for the order is).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from distsync.flows.procure import DOCUMENTS, ORDERS
from distsync.flows.procure_queries import seconds_between
from distsync.partners.keys import po_correlation_id
from distsync.runtime.ports import LogInspector, ParkedRecord, RecordStatus

__all__ = [
    "MISMATCH",
    "ExceptionAges",
    "ExceptionBrief",
    "InvoiceInMismatch",
    "Mismatches",
    "ReasonAge",
    "exceptions_by_reason",
    "is_procure",
    "mismatches",
    "order_exceptions",
]

MISMATCH = "invoice_mismatch"
READ_LIMIT = 10_000
HOUR = 3600.0
DAY = 24 * HOUR
SUBSCRIPTIONS = frozenset({ORDERS.name, DOCUMENTS.name})
DIFFERENCE = "difference."


def is_procure(record: ParkedRecord) -> bool:
    """Parked by the procure flow, or about one of its orders (see the module docstring)."""
    return record.subscription in SUBSCRIPTIONS or record.event.envelope.correlation_id.startswith(
        po_correlation_id("")
    )


# -- invoices in mismatch --------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceInMismatch:
    """An invoice parked because it does not match its order; ``differences`` in words."""

    exception_id: int
    invoice_number: str
    po_number: str | None
    supplier_id: str | None
    partner: str | None
    invoice_total: str | None
    expected_total: str | None
    differences: tuple[str, ...]
    document_ref: str
    parked_at: datetime
    age_seconds: float


@dataclass(frozen=True)
class Mismatches:
    """Open invoice mismatches, oldest first; ``truncated``: more were open than read."""

    invoices: tuple[InvoiceInMismatch, ...]
    truncated: bool


async def mismatches(reads: LogInspector, *, now: datetime, limit: int = READ_LIMIT) -> Mismatches:
    """Open ``invoice_mismatch`` exceptions, oldest first."""
    records = await reads.exceptions(status=RecordStatus.OPEN, reason_code=MISMATCH, limit=limit)
    found = [_mismatch(record, now) for record in records]
    found.sort(key=lambda m: (m.parked_at, m.exception_id))
    return Mismatches(tuple(found), truncated=len(records) >= limit)


def _mismatch(record: ParkedRecord, now: datetime) -> InvoiceInMismatch:
    facts, envelope = record.facts, record.event.envelope
    invoice: Mapping[str, Any] = envelope.payload
    seller = invoice.get("seller") or {}
    return InvoiceInMismatch(
        exception_id=record.id,
        invoice_number=facts.get("invoice_number") or str(invoice.get("invoice_number", "?")),
        po_number=facts.get("po_number") or invoice.get("po_number"),
        supplier_id=facts.get("seller") or seller.get("party_id"),
        partner=envelope.partner,
        invoice_total=facts.get("invoice_total"),
        expected_total=facts.get("expected_total"),
        differences=differences(record),
        document_ref=record.document_ref,
        parked_at=record.parked_at,
        age_seconds=seconds_between(record.parked_at, now),
    )


def differences(record: ParkedRecord) -> tuple[str, ...]:
    """The numbered differences in the facts, in order; the message when there are none."""
    numbered = [
        (int(name.removeprefix(DIFFERENCE)), text)
        for name, text in record.facts.items()
        if name.startswith(DIFFERENCE) and name.removeprefix(DIFFERENCE).isdigit()
    ]
    return tuple(text for _, text in sorted(numbered)) or (record.message,)


# -- open exceptions by reason and age ----------------------------------------------


@dataclass(frozen=True)
class ReasonAge:
    """The open exceptions of one reason code: how many, the oldest, and by age."""

    reason_code: str
    count: int
    under_hour: int
    under_day: int
    older: int
    oldest_id: int
    oldest_parked_at: datetime
    oldest_age_seconds: float


@dataclass(frozen=True)
class ExceptionAges:
    """Open exceptions per reason code, most first; ``truncated``: more were open than read."""

    now: datetime
    total: int
    reasons: tuple[ReasonAge, ...]
    truncated: bool


async def exceptions_by_reason(
    reads: LogInspector, *, now: datetime, every_flow: bool = False, limit: int = READ_LIMIT
) -> ExceptionAges:
    """The procure flow's open exceptions (every flow's with ``every_flow``) by reason and age."""
    records = await reads.exceptions(status=RecordStatus.OPEN, limit=limit)
    chosen = [record for record in records if every_flow or is_procure(record)]
    by_reason: dict[str, list[ParkedRecord]] = defaultdict(list)
    for record in chosen:
        by_reason[record.reason_code].append(record)
    reasons = [_reason_age(code, found, now) for code, found in by_reason.items()]
    reasons.sort(key=lambda r: (-r.count, r.reason_code))
    return ExceptionAges(now, len(chosen), tuple(reasons), truncated=len(records) >= limit)


def _reason_age(code: str, records: list[ParkedRecord], now: datetime) -> ReasonAge:
    ages = [seconds_between(record.parked_at, now) for record in records]
    oldest = min(records, key=lambda r: (r.parked_at, r.id))
    return ReasonAge(
        reason_code=code,
        count=len(records),
        under_hour=sum(1 for age in ages if age < HOUR),
        under_day=sum(1 for age in ages if HOUR <= age < DAY),
        older=sum(1 for age in ages if age >= DAY),
        oldest_id=oldest.id,
        oldest_parked_at=oldest.parked_at,
        oldest_age_seconds=seconds_between(oldest.parked_at, now),
    )


# -- one order's ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionBrief:
    """An open exception in a few words, for an order's view."""

    id: int
    reason_code: str
    document_ref: str
    message: str
    parked_at: datetime
    age_seconds: float


async def order_exceptions(
    reads: LogInspector, po_number: str, *, now: datetime, limit: int = READ_LIMIT
) -> list[ExceptionBrief]:
    """Open exceptions of the order's chain or naming it in their facts, oldest first."""
    correlation = po_correlation_id(po_number)
    records = await reads.exceptions(status=RecordStatus.OPEN, limit=limit)
    mine = [
        record
        for record in records
        if record.event.envelope.correlation_id == correlation
        or record.facts.get("po_number") == po_number
    ]
    return [
        ExceptionBrief(
            id=record.id,
            reason_code=record.reason_code,
            document_ref=record.document_ref,
            message=record.message,
            parked_at=record.parked_at,
            age_seconds=seconds_between(record.parked_at, now),
        )
        for record in sorted(mine, key=lambda r: (r.parked_at, r.id))
    ]
