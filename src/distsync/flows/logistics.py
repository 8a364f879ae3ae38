"""Shipment status: carrier events folded per shipment, delivered announced once.

One ordered subscription, ``logistics.tracking``, over ``tracking.updated``
(from X12 214s and the carrier webhook) and the flow's own
``logistics.shipment_reopened``, partitioned by tracking number. For each
event the handler loads the shipment's ``logistics.shipment`` document
(``logistics_state.py``), applies the event with the pure rules
(:func:`distsync.rules.tracking.apply`), writes the document back and acts on
what changed:

- the first ``order_complete`` emits ``shipment.delivered`` (tracking number,
  order number when an event carried one, delivered at, proof of delivery)
  with the idempotency key ``shipment.delivered:<tracking number>``: once per
  shipment, however often its delivered events arrive;
- ``reopened`` (a delivered shipment then an exception or return) emits
  ``logistics.shipment_reopened``, whose own delivery parks as
  ``shipment_reopened`` for a person: the state is kept, the person decides;
- a late old event or a duplicate changes nothing but its count
  (``counts``: ``received`` every event; ``recorded`` the new ones, of which
  ``late`` and ``held_final`` did not move the shipment; ``duplicate``).

An event whose carrier status has no milestone is parked as
``unknown_carrier_status`` and not applied (``logistics_problems.py``);
replay it once the code is in the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from distsync.flows.logistics_problems import reopened, reopened_facts, unknown_status
from distsync.flows.logistics_state import SHIPMENT_KIND, ShipmentRecord, load_shipment
from distsync.model.tracking import TrackingEvent
from distsync.rules.tracking import ChangeKind, ShipmentTracking, TrackingChange, apply
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription

__all__ = ["DELIVERED_EVENT", "REOPENED_EVENT", "TRACKING", "TRACKING_EVENT", "subscriptions"]

TRACKING_EVENT = "tracking.updated"
DELIVERED_EVENT = "shipment.delivered"
REOPENED_EVENT = "logistics.shipment_reopened"
TRACKING = SubscriptionSpec("logistics.tracking", (TRACKING_EVENT, REOPENED_EVENT), ordered=True)
COUNTED = (ChangeKind.RECORDED, ChangeKind.DUPLICATE, ChangeKind.LATE, ChangeKind.HELD_FINAL)

Clock = Callable[[], datetime]


def subscriptions(clock: Clock) -> list[Subscription]:
    """The shipment-status flow's one subscription (``clock`` stamps the document)."""
    return [Subscription(TRACKING, handler=partial(_handle, clock))]


async def _handle(clock: Clock, ctx: HandlerContext) -> None:
    if ctx.envelope.type == REOPENED_EVENT:
        raise reopened(ctx.envelope.payload)
    await handle_tracking(ctx, clock)


async def handle_tracking(ctx: HandlerContext, clock: Clock) -> None:
    """Fold one carrier event into its shipment's document and act on what changed."""
    event = ctx.envelope.document(TrackingEvent)
    problem = unknown_status(event)
    if problem is not None:
        raise problem
    number = event.tracking_number
    record = await load_shipment(ctx.documents, number) or ShipmentRecord.new(number)
    before = record.tracking()
    state, changes = apply(before, event, ctx.envelope.idempotency_key)
    record.keep(state)
    record.order_number = record.order_number or event.shipment_order_number
    record.updated_at = clock()
    record.count("received")
    for change in changes:
        if change.kind in COUNTED:
            record.count(change.kind.value)
        _act(ctx, record, state, event, change)
    ctx.write(SHIPMENT_KIND, number, record.body())


def _act(
    ctx: HandlerContext,
    record: ShipmentRecord,
    state: ShipmentTracking,
    event: TrackingEvent,
    change: TrackingChange,
) -> None:
    if change.kind is ChangeKind.ORDER_COMPLETE and record.delivered_event_id is None:
        sent = ctx.emit(
            DELIVERED_EVENT,
            delivered_payload(record, state, event),
            idempotency_key=f"{DELIVERED_EVENT}:{record.tracking_number}",
            partition_key=record.tracking_number,
        )
        record.delivered_event_id = sent.event_id
    elif change.kind is ChangeKind.REOPENED:
        delivered_at = record.delivered_at.isoformat() if record.delivered_at else None
        ctx.emit(
            REOPENED_EVENT,
            reopened_facts(event, change.previous, delivered_at),
            idempotency_key=f"{REOPENED_EVENT}:{record.tracking_number}:{ctx.envelope.event_id}",
            partition_key=record.tracking_number,
        )


def delivered_payload(
    record: ShipmentRecord, state: ShipmentTracking, event: TrackingEvent
) -> dict[str, Any]:
    """What ``shipment.delivered`` says: enough to complete the order and invoice it."""
    proof = state.proof_of_delivery
    delivered_at = state.delivered_at
    return {
        "tracking_number": record.tracking_number,
        "carrier": event.carrier.model_dump(mode="json"),
        "order_number": record.order_number,
        "shipment_id": event.shipment_id,
        "delivered_at": None if delivered_at is None else delivered_at.isoformat(),
        "proof_of_delivery": None if proof is None else proof.model_dump(mode="json"),
    }
