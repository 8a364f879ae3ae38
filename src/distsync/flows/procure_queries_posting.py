"""Receipts the ERP does not have yet: the outbox call that posts each, and where it stands.

The procure flow posts every warehouse receipt to the ERP through the outbox
and keeps the call's event id on each order's record
(``ReceiptEntry.post_event_id``). A receipt is posted when that event is
``done`` in the ``outbox`` subscription; anything else (pending, queued
behind an earlier call, waiting for a retry, dead-lettered) means the goods
are in the building and the ERP does not know yet. How long: since the
warehouse received the goods (the receipt's ``received_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from distsync.flows.procure_queries import ProcureReads, each_document, seconds_between
from distsync.flows.procure_state import PO_KIND, ReceiptEntry
from distsync.partners.acks import LOOKBACK
from distsync.runtime.ports import AttemptRecord, DeliveryStateKind, LogInspector

__all__ = ["NOT_QUEUED", "OUTBOX", "ReceiptPosting", "receipt_posting", "unposted_receipts"]

OUTBOX = "outbox"
NOT_QUEUED = "not_queued"


@dataclass(frozen=True)
class ReceiptPosting:
    """A receipt and where its posting to the ERP stands.

    ``state`` is a delivery state of the ``outbox`` subscription (``done``
    when posted) or ``not_queued`` when no outbox call is known; ``record``
    names the dead letter (``dlq 3``) when there is one; ``attempts`` counts
    the failed tries and ``last_error`` says why the latest failed.
    """

    receipt_number: str
    po_numbers: tuple[str, ...]
    asn_number: str | None
    received_at: datetime
    post_event_id: str | None
    state: str
    detail: str
    record: str | None
    attempts: int
    last_error: str | None
    waiting_seconds: float

    @property
    def posted(self) -> bool:
        return self.state == DeliveryStateKind.DONE


async def unposted_receipts(
    reads: ProcureReads, *, now: datetime, lookback: timedelta = LOOKBACK
) -> list[ReceiptPosting]:
    """Receipts received in the last ``lookback`` that the ERP does not have, oldest first.

    A receipt of several orders is listed once, with every order it names.
    Older receipts are not looked at: a post dead-lettered long ago is still
    in the dead-letter store.
    """
    since = now - lookback
    found: dict[str, tuple[ReceiptEntry, list[str]]] = {}
    async for stored in each_document(reads, PO_KIND):
        for entry in _receipts(stored.body):
            if entry.received_at < since:
                continue
            key = entry.post_event_id or f"{stored.key}/{entry.receipt_number}"
            found.setdefault(key, (entry, []))[1].append(stored.key)
    postings = [
        await receipt_posting(reads, entry, tuple(numbers), now=now)
        for entry, numbers in found.values()
    ]
    waiting = [posting for posting in postings if not posting.posted]
    return sorted(waiting, key=lambda p: (p.received_at, p.receipt_number))


def _receipts(body: Mapping[str, Any]) -> list[ReceiptEntry]:
    """The receipts kept on an order's record, read without validating the whole record."""
    return [ReceiptEntry.model_validate(entry) for entry in body.get("receipts", {}).values()]


async def receipt_posting(
    reads: LogInspector, entry: ReceiptEntry, po_numbers: tuple[str, ...], *, now: datetime
) -> ReceiptPosting:
    """Where the outbox call posting ``entry`` to the ERP stands."""
    state = await _outbox_state(reads, entry.post_event_id)
    failures: list[AttemptRecord] = []
    if entry.post_event_id is not None and state.state not in (DeliveryStateKind.DONE, NOT_QUEUED):
        failures = await reads.attempts(entry.post_event_id)
    last = max(failures, key=lambda a: a.at, default=None)
    return ReceiptPosting(
        receipt_number=entry.receipt_number,
        po_numbers=po_numbers,
        asn_number=entry.asn_number,
        received_at=entry.received_at,
        post_event_id=entry.post_event_id,
        state=state.state,
        detail=state.detail,
        record=state.record,
        attempts=len(failures),
        last_error=None if last is None else f"{last.error_class}: {last.message}",
        waiting_seconds=seconds_between(entry.received_at, now),
    )


@dataclass(frozen=True)
class _State:
    state: str
    detail: str
    record: str | None = None


async def _outbox_state(reads: LogInspector, event_id: str | None) -> _State:
    if event_id is None:
        return _State(NOT_QUEUED, "no outbox call recorded for it")
    for found in await reads.delivery_states(event_id):
        if found.subscription == OUTBOX:
            return _State(found.state.value, found.detail, found.record)
    return _State(NOT_QUEUED, f"the log has no outbox delivery of {event_id}")
