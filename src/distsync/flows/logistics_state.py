"""What the shipment-status flow remembers of one shipment: the rules' state, as JSON.

One document per tracked shipment, kind ``logistics.shipment``, key the
tracking number, written with the ack of the event that changed it. It holds
:class:`distsync.rules.tracking.ShipmentTracking` (every distinct event with
the carrier ids and fingerprints it arrived under; the current event; proof
of delivery; whether the order is complete), a readable summary (milestone,
delivered at), whether ``shipment.delivered`` has been emitted, and how many
events arrived and what became of them (``recorded``, ``duplicate``,
``late``, ``held_final``), so a late old event or a resend that changed
nothing still shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent, TrackingLocation
from distsync.rules.tracking import ShipmentTracking
from distsync.rules.tracking_history import Entry, Fingerprint, order_key
from distsync.runtime.ports import DocumentStore

__all__ = ["SHIPMENT_KIND", "ShipmentRecord", "StoredEntry", "load_shipment"]

SHIPMENT_KIND = "logistics.shipment"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoredFingerprint(_Record):
    """Milestone, instant and place an entry arrived under."""

    milestone: Milestone
    occurred_at: datetime
    location: dict[str, Any] | None = None


class StoredEntry(_Record):
    """One entry of the history: the kept event, its carrier ids and fingerprints."""

    event: dict[str, Any]
    event_ids: list[str] = Field(default_factory=list)
    fingerprints: list[StoredFingerprint] = Field(default_factory=list)

    @classmethod
    def of(cls, entry: Entry) -> StoredEntry:
        prints = [
            StoredFingerprint(
                milestone=milestone,
                occurred_at=at,
                location=None if place is None else place.model_dump(mode="json"),
            )
            for milestone, at, place in entry.fingerprints
        ]
        return cls(
            event=entry.event.model_dump(mode="json"),
            event_ids=sorted(entry.event_ids),
            fingerprints=sorted(prints, key=lambda p: p.model_dump_json()),
        )

    def entry(self) -> Entry:
        event = _event(self.event)
        return Entry(
            order_key(event),
            event,
            frozenset(self.event_ids),
            frozenset(_fingerprint(p) for p in self.fingerprints),
        )


def _fingerprint(stored: StoredFingerprint) -> Fingerprint:
    place = stored.location
    location = None if place is None else TrackingLocation.model_validate(place, strict=False)
    return (stored.milestone, stored.occurred_at, location)


class ShipmentRecord(_Record):
    """The flow's state of one shipment (see the module docstring)."""

    tracking_number: str
    milestone: Milestone | None = None
    current: dict[str, Any] | None = None
    proof_of_delivery: dict[str, Any] | None = None
    delivered_at: datetime | None = None
    order_complete: bool = False
    delivered_event_id: str | None = None
    order_number: str | None = None
    updated_at: datetime | None = None
    history: list[StoredEntry] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def new(cls, tracking_number: str) -> ShipmentRecord:
        return cls(tracking_number=tracking_number)

    def tracking(self) -> ShipmentTracking:
        """The rules' state, as stored."""
        current, proof = self.current, self.proof_of_delivery
        return ShipmentTracking(
            tracking_number=self.tracking_number,
            history=tuple(sorted(stored.entry() for stored in self.history)),
            current=None if current is None else _event(current),
            proof_of_delivery=None if proof is None else _proof(proof),
            order_complete=self.order_complete,
        )

    def keep(self, state: ShipmentTracking) -> None:
        """Take the rules' state after an event."""
        self.milestone = state.milestone
        self.current = None if state.current is None else state.current.model_dump(mode="json")
        proof = state.proof_of_delivery
        self.proof_of_delivery = None if proof is None else proof.model_dump(mode="json")
        self.delivered_at = state.delivered_at
        self.order_complete = state.order_complete
        self.history = [StoredEntry.of(entry) for entry in state.history]

    def count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _event(body: dict[str, Any]) -> TrackingEvent:
    return TrackingEvent.model_validate(body, strict=False)


def _proof(body: dict[str, Any]) -> ProofOfDelivery:
    return ProofOfDelivery.model_validate(body, strict=False)


async def load_shipment(documents: DocumentStore, tracking_number: str) -> ShipmentRecord | None:
    stored = await documents.get_document(SHIPMENT_KIND, tracking_number)
    return None if stored is None else ShipmentRecord.model_validate(stored.body)
