"""What timing alone makes a warehouse's count differ from the ERP: postings the outbox holds.

The outbox posts the warehouse's receipts (``post_receipt``) and shipment
confirmations (``confirm_shipment``) to the ERP. The count includes one when
it happened at or before the count's ``as_of`` (the document's
``received_at`` / ``shipped_at``); the ERP has it when the outbox call is
done. Where the two disagree, the difference is timing, not a loss:

===================  ===========================  ==========================
                     ERP has it (call done)       ERP has not (any other)
===================  ===========================  ==========================
counted              nothing                      +received, -shipped
not counted (later)  -received, +shipped          nothing
===================  ===========================  ==========================

:func:`timing_differences` returns one :class:`~distsync.rules.reconcile.InFlight`
per document line in those two cells, for the rule's ``explained_by``. It
reads the ``outbound.requested`` events to the ERP logged since
``lookback`` before the oldest count, and asks the log where each stands in
the ``outbox`` subscription. Quantities are in the document's unit; the rule
lets a line explain only a figure in the same unit. A posting delivered
while a run reads the log and the ERP can make that one run misjudge the
SKUs it touches (mostly: raise a variance that is only timing); the next
run sees it settled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from distsync.model.receipts import Receipt
from distsync.model.shipping import ShipmentConfirmation
from distsync.rules.reconcile import InFlight
from distsync.runtime.operations import DeliveryStateKind, EventFilter
from distsync.runtime.ports import LogInspector, StoredEvent

__all__ = ["LOOKBACK", "timing_differences"]

OUTBOUND_EVENT = "outbound.requested"
OUTBOX = "outbox"
LOOKBACK = timedelta(days=7)
PAGE = 500


@dataclass(frozen=True)
class _Line:
    warehouse_id: str
    at: datetime
    sku: str
    quantity: Decimal
    uom: str


async def timing_differences(
    log: LogInspector,
    *,
    erp: str,
    counted_at: Mapping[str, datetime],
    lookback: timedelta = LOOKBACK,
) -> list[InFlight]:
    """The postings to ``erp`` that make each warehouse's count (``as_of``) differ from it."""
    if not counted_at:
        return []
    since = min(counted_at.values()) - lookback
    found: list[InFlight] = []
    async for stored in _outbound(log, since):
        payload = stored.envelope.payload
        if payload.get("destination") != erp:
            continue
        lines = [ln for ln in _lines(payload) if ln.warehouse_id in counted_at]
        if not lines:
            continue
        done = await _done(log, stored.envelope.event_id)
        ref = f"{payload['operation']}:{payload['idempotency_key']}"
        for line in lines:
            counted = line.at <= counted_at[line.warehouse_id]
            if counted != done:
                quantity = line.quantity if counted else -line.quantity
                found.append(InFlight(line.sku, line.warehouse_id, quantity, ref, line.uom))
    return found


async def _outbound(log: LogInspector, since: datetime) -> AsyncIterator[StoredEvent]:
    before: int | None = None
    selection = EventFilter(types=(OUTBOUND_EVENT,), since=since)
    while True:
        batch = await log.list_events(selection, limit=PAGE, before_seq=before)
        for stored in batch:
            yield stored
        if len(batch) < PAGE:
            return
        before = batch[-1].seq


def _lines(payload: Mapping[str, Any]) -> list[_Line]:
    body = payload.get("body", {})
    if payload.get("operation") == "post_receipt":
        receipt = Receipt.model_validate(body, strict=False)
        return [
            _Line(receipt.warehouse_id, receipt.received_at, ln.item.sku,
                  ln.received_quantity.value, ln.received_quantity.uom)
            for ln in receipt.lines
        ]  # fmt: skip
    if payload.get("operation") == "confirm_shipment":
        shipment = ShipmentConfirmation.model_validate(body, strict=False)
        return [
            _Line(shipment.warehouse_id, shipment.shipped_at, ln.item.sku,
                  -ln.shipped_quantity.value, ln.shipped_quantity.uom)
            for ln in shipment.lines
        ]  # fmt: skip
    return []


async def _done(log: LogInspector, event_id: str) -> bool:
    for state in await log.delivery_states(event_id):
        if state.subscription == OUTBOX:
            return state.state is DeliveryStateKind.DONE
    return False
