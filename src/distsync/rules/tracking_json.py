"""The common JSON shape of a carrier-tracker webhook, and how it becomes a ``TrackingEvent``.

Tracker services post one update per scan, shaped alike across vendors::

    {"id": "trk_evt_81", "tracking_code": "1Z999AA10123456784",
     "status": "delivered", "status_detail": "arrived_at_destination",
     "message": "Delivered, front door", "datetime": "2024-05-21T14:02:00Z",
     "location": {"city": "Lyon", "state": "ARA", "zip": "69001", "country": "FR"},
     "signed_by": "M. DUPONT", "est_delivery_date": null}

Fields other vendors add are ignored. :func:`read_update` answers with the
event (None when the status is unknown), the status mapping (which carries
the ``unknown_carrier_status`` problem to report) and the carrier's event id,
which de-duplicates resends in :mod:`distsync.rules.tracking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, TrackingEvent
from distsync.rules.tracking_codes import StatusMapping, tracker_status

__all__ = ["TrackerLocation", "TrackerReading", "TrackerUpdate", "read_update"]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TrackerLocation(_Shape):
    """Where the scan happened, as the tracker says it."""

    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None


class TrackerUpdate(_Shape):
    """One tracker webhook update (``status`` as the tracker's word, not a milestone)."""

    id: str | None = None
    tracking_code: str
    status: str
    status_detail: str | None = None
    message: str | None = None
    datetime: AwareDatetime
    location: TrackerLocation | None = None
    signed_by: str | None = None
    est_delivery_date: AwareDatetime | None = None


@dataclass(frozen=True)
class TrackerReading:
    """An update read: the event (None for an unknown status), its mapping and event id."""

    event: TrackingEvent | None
    mapping: StatusMapping
    event_id: str | None


def read_update(update: TrackerUpdate, carrier: CarrierRef) -> TrackerReading:
    """The canonical event of ``update`` (raises pydantic's ValidationError on bad fields)."""
    mapping = tracker_status(update.status, update.status_detail)
    if mapping.milestone is None:
        return TrackerReading(None, mapping, update.id)
    event = TrackingEvent.model_validate(_event_data(update, carrier, mapping.milestone))
    return TrackerReading(event, mapping, update.id)


def _event_data(update: TrackerUpdate, carrier: CarrierRef, milestone: Milestone) -> dict[str, Any]:
    text = update.message or update.status_detail
    data: dict[str, Any] = {
        "tracking_number": update.tracking_code,
        "carrier": carrier,
        "milestone": milestone,
        "carrier_status_code": update.status.strip().casefold(),
        "carrier_status_text": text,
        "occurred_at": update.datetime,
        "location": _location(update.location),
        "estimated_delivery_at": update.est_delivery_date,
    }
    if milestone is Milestone.EXCEPTION:
        data["exception_reason"] = text
    if milestone is Milestone.DELIVERED and update.signed_by:
        data["proof_of_delivery"] = {"signed_by": update.signed_by, "delivered_at": update.datetime}
    return {key: value for key, value in data.items() if value is not None}


def _location(location: TrackerLocation | None) -> dict[str, str] | None:
    if location is None:
        return None
    fields = {
        "city": location.city,
        "region": location.state,
        "postal_code": location.zip,
        "country": location.country,
    }
    kept = {key: value for key, value in fields.items() if value}
    return kept or None
