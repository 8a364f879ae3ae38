"""The simulated carrier's tracking events as sent, and its record of what came in and went out.

``tracker_body`` writes a planned event as a JSON tracker webhook (the
``rules.tracking_json.TrackerUpdate`` shape distsync reads); ``x12_body``
writes it as a ``TrackingEvent`` in an X12 214 interchange, with distsync's
own 214 map and the carrier's X12 identity (``partner_x12.PartnerWriter``).
``CarrierLog`` keeps every request taken in and every event handed to the
delivery, behind one lock, for tests, the demo and ``GET /log``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from distsync.demo.carrier_behaviour import CarrierBehaviour, PlannedEvent
from distsync.demo.partner_x12 import Outgoing, PartnerWriter
from distsync.formats.x12.maps.m214_codes import DEFAULT_CODES
from distsync.formats.x12.writer import Party
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, TrackingEvent

__all__ = [
    "CarrierLog",
    "CarrierReceived",
    "CarrierSent",
    "outgoing_of",
    "tracker_body",
    "x12_body",
]

TRACKER_WORDS: dict[Milestone, tuple[str, str, str]] = {
    Milestone.LABEL_CREATED: ("pre_transit", "label_created", "Shipping label created"),
    Milestone.PICKED_UP: ("in_transit", "picked_up", "Picked up by the carrier"),
    Milestone.IN_TRANSIT: ("in_transit", "arrived_at_facility", "Arrived at a carrier facility"),
    Milestone.OUT_FOR_DELIVERY: ("out_for_delivery", "out_for_delivery", "Out for delivery"),
    Milestone.DELIVERED: ("delivered", "arrived_at_destination", "Delivered, front door"),
    Milestone.EXCEPTION: ("failure", "delivery_exception", "Delivery exception"),
    Milestone.RETURNED: ("return_to_sender", "return_to_sender", "Returned to sender"),
}
"""Milestone → tracker ``status``, ``status_detail`` and ``message``."""

NO_CONTROLS = (0, 0, 0)  # JSON has no control numbers; ``Schedule`` queues ``Outgoing``
LOCATION = {"city": "Memphis", "state": "TN", "zip": "38118", "country": "US"}


def outgoing_of(
    event: PlannedEvent,
    behaviour: CarrierBehaviour,
    carrier: CarrierRef,
    writer: PartnerWriter | None,
    to: Party,
    at: datetime,
) -> Outgoing:
    """``event`` queued for sending: a 214 interchange when given a ``writer``, else JSON."""
    if writer is not None:
        body, controls = x12_body(event, carrier, writer, to, at)
        return Outgoing("214", event.event_id, body, controls, event.delay, event.copies)
    body = tracker_body(event, behaviour)
    return Outgoing("tracker", event.event_id, body, NO_CONTROLS, event.delay, event.copies)


def tracker_body(event: PlannedEvent, behaviour: CarrierBehaviour) -> bytes:
    """One tracker webhook update for ``event``, as JSON."""
    status, detail, message = TRACKER_WORDS[event.milestone]
    update: dict[str, Any] = {
        "id": event.event_id,
        "tracking_code": event.tracking_number,
        "status": status,
        "status_detail": detail,
        "message": message,
        "datetime": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "location": LOCATION,
        "signed_by": behaviour.signed_by if event.milestone is Milestone.DELIVERED else None,
        "est_delivery_date": None,
    }
    return json.dumps(update).encode()


def x12_body(
    event: PlannedEvent, carrier: CarrierRef, writer: PartnerWriter, to: Party, at: datetime
) -> tuple[bytes, tuple[int, int, int]]:
    """One 214 interchange carrying ``event``, and its control numbers."""
    _, _, message = TRACKER_WORDS[event.milestone]
    data: dict[str, Any] = {
        "tracking_number": event.tracking_number,
        "carrier": carrier,
        "milestone": event.milestone,
        "carrier_status_code": DEFAULT_CODES[event.milestone],
        "carrier_status_text": message,
        "occurred_at": event.occurred_at,
        "location": {"city": LOCATION["city"], "region": LOCATION["state"],
                     "postal_code": LOCATION["zip"], "country": LOCATION["country"]},
    }  # fmt: skip
    if event.milestone is Milestone.EXCEPTION:
        data["exception_reason"] = message
    tracking = TrackingEvent.model_validate(data)
    return writer.interchange("214", writer.body("214", tracking), to, at)


@dataclass(frozen=True)
class CarrierReceived:
    """One request taken in (rates or a shipment to track), and how it was answered."""

    number: int
    path: str
    body: bytes
    at: datetime
    status: int
    error: str | None = None


@dataclass(frozen=True)
class CarrierSent:
    """One tracking event handed to the delivery (each copy of a duplicate is one)."""

    sequence: int
    format: str  # json or x12
    event_id: str
    tracking_number: str
    milestone: Milestone
    occurred_at: datetime
    body: bytes
    destination: str
    delivered: bool
    attempts: int
    detail: str
    copy: int
    at: datetime


@dataclass
class CarrierLog:
    """Thread-safe lists of what came in and what went out."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[CarrierReceived] = field(default_factory=list)
    sent: list[CarrierSent] = field(default_factory=list)

    def add_received(self, path: str, body: bytes, at: datetime, answer: tuple[int, Any]) -> None:
        status, reply = answer
        error = reply.get("error") if isinstance(reply, dict) else None
        with self.lock:
            number = len(self.received) + 1
            self.received.append(CarrierReceived(number, path, body, at, status, error))

    def add_sent(self, entry: CarrierSent) -> None:
        with self.lock:
            self.sent.append(entry)

    def snapshot(self) -> tuple[list[CarrierReceived], list[CarrierSent]]:
        with self.lock:
            return list(self.received), list(self.sent)

    def as_json(self) -> dict[str, Any]:
        """The records without their bodies, as ``GET /log`` lists them."""
        received, sent = self.snapshot()
        return {
            "received": [
                {"number": r.number, "path": r.path, "status": r.status, "error": r.error}
                for r in received
            ],
            "sent": [
                {"sequence": s.sequence, "format": s.format, "event_id": s.event_id,
                 "tracking_number": s.tracking_number, "milestone": s.milestone.value,
                 "occurred_at": s.occurred_at.isoformat(), "destination": s.destination,
                 "delivered": s.delivered, "attempts": s.attempts, "detail": s.detail,
                 "copy": s.copy}
                for s in sent
            ],
        }  # fmt: skip
