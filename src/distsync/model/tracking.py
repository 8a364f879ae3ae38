"""Tracking events from carriers (X12 214, carrier webhooks and APIs).

Each carrier has its own status codes; the canonical event maps them onto a
small set of milestones that flows and customers understand, and keeps the
carrier's own code and wording next to it so nothing is lost in translation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import model_validator

from distsync.model.base import (
    AwareDatetime,
    Canonical,
    CountryCode,
    Document,
    DocumentNumber,
    Name,
    Text,
)
from distsync.model.parties import CarrierRef, TrackingNumber

__all__ = ["Milestone", "ProofOfDelivery", "TrackingEvent", "TrackingLocation"]


class Milestone(StrEnum):
    """The normalised steps of a parcel's journey."""

    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"


class TrackingLocation(Canonical):
    """Where the carrier scanned the parcel, as far as it says."""

    city: Name | None = None
    region: Name | None = None
    postal_code: Name | None = None
    country: CountryCode | None = None


class ProofOfDelivery(Canonical):
    """Who took the parcel, and when."""

    signed_by: Name
    delivered_at: AwareDatetime
    signature_reference: Text | None = None


class TrackingEvent(Document):
    """One scan or status change of a tracked parcel (event ``tracking.updated``)."""

    number_field: ClassVar[str] = "tracking_number"
    kind: ClassVar[str] = "tracking number"

    tracking_number: TrackingNumber
    carrier: CarrierRef
    milestone: Milestone
    carrier_status_code: Name
    carrier_status_text: Text | None = None
    occurred_at: AwareDatetime
    location: TrackingLocation | None = None
    shipment_id: DocumentNumber | None = None
    shipment_order_number: DocumentNumber | None = None
    estimated_delivery_at: AwareDatetime | None = None
    exception_reason: Text | None = None
    proof_of_delivery: ProofOfDelivery | None = None

    @model_validator(mode="after")
    def _details_fit_the_milestone(self) -> Self:
        if self.proof_of_delivery is not None and self.milestone is not Milestone.DELIVERED:
            raise ValueError(
                f"{self.describe()}: proof_of_delivery is set but milestone is {self.milestone}"
            )
        if self.exception_reason is not None and self.milestone is not Milestone.EXCEPTION:
            raise ValueError(
                f"{self.describe()}: exception_reason is set but milestone is {self.milestone}"
            )
        return self

    def is_final(self) -> bool:
        """Whether the parcel's journey has ended (delivered or returned)."""
        return self.milestone in (Milestone.DELIVERED, Milestone.RETURNED)
