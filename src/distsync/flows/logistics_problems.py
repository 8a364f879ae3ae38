"""What the shipment-status flow parks for a person: unknown carrier codes, reopened deliveries.

An unknown carrier status reaches the flow as an ``exception`` event whose
``carrier_status_code`` no table knows: the 214 map reads an unknown AT7-01
code that way, and the carrier webhook does the same with an unknown tracker
``status``. :func:`unknown_status` answers with the rules'
``UnknownCarrierStatus`` for it (None when the code is known, or the event is
not an exception). Two-character upper-case codes are read as 214 codes,
anything else as a tracker word.

A delivered shipment that a later exception or return reopens is not wrong,
but someone must look: the order was already completed and invoiced.
:func:`reopened` is the exception for that, with the facts to decide on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distsync.errors import BusinessException, Resolution
from distsync.model.tracking import Milestone, TrackingEvent
from distsync.rules.exceptions import discard
from distsync.rules.tracking_codes import (
    StatusMapping,
    UnknownCarrierStatus,
    tracker_status,
    x12_status,
)

__all__ = ["ShipmentReopened", "reopened", "reopened_facts", "status_of", "unknown_status"]


class ShipmentReopened(BusinessException):
    """A delivered shipment is no longer delivered (a later exception or return)."""

    reason_code = "shipment_reopened"


def status_of(code: str) -> StatusMapping:
    """The mapping of a carrier code: as a 214 code when it looks like one, else a tracker word."""
    clean = code.strip()
    if len(clean) == 2 and clean.isupper():
        return x12_status(clean)
    return tracker_status(clean)


def unknown_status(event: TrackingEvent) -> UnknownCarrierStatus | None:
    """The problem to park for an event whose code has no milestone; None otherwise."""
    if event.milestone is not Milestone.EXCEPTION:
        return None
    code = event.carrier_status_code
    if x12_status(code).known or tracker_status(code).known:
        return None
    return status_of(code).problem(event.tracking_number)


def reopened_facts(
    event: TrackingEvent, previous: Milestone | None, delivered_at: str | None
) -> dict[str, str]:
    """What a person needs to see about a reopened shipment (the event's payload)."""
    return {
        "tracking_number": event.tracking_number,
        "carrier": event.carrier.party_id,
        "order_number": event.shipment_order_number or "",
        "previous_milestone": str(previous or ""),
        "milestone": str(event.milestone),
        "carrier_status_code": event.carrier_status_code,
        "reason": event.exception_reason or event.carrier_status_text or "",
        "occurred_at": event.occurred_at.isoformat(),
        "delivered_at": delivered_at or "",
        "problem_key": f"shipment_reopened:{event.tracking_number}",
    }


def reopened(facts: Mapping[str, Any]) -> ShipmentReopened:
    """The exception for a reopened shipment, from :func:`reopened_facts`."""
    number = str(facts["tracking_number"])
    return ShipmentReopened(
        f"tracking {number}: delivered at {facts['delivered_at'] or '?'}, then "
        f"{facts['milestone']} ({facts['carrier_status_code']}) at {facts['occurred_at']}: "
        f"{facts['reason'] or 'no reason given'}; the order was already completed",
        document_ref=f"tracking:{number}",
        resolutions=(
            Resolution("acknowledge", "Checked with the carrier and the customer; nothing to do"),
            Resolution("credit", "Raise a credit or a replacement for the order", ("note",)),
            discard(),
        ),
        facts={key: str(value) for key, value in facts.items()},
    )
