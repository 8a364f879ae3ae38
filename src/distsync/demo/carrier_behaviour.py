"""How the simulated carrier behaves: rate quotes, and the tracking events it plans and sends.

``CarrierBehaviour`` (a pydantic dataclass, like the supplier's and the 3PL's)
says how long a rate quote takes and whether it fails, which services it
quotes, and how tracking events are sent: as JSON tracker webhooks or X12
214, in planned order or not (``shuffle``, ``late``), duplicated or not, how
far apart. ``quote`` prices a rate request; ``plan_events`` lays out one
parcel's journey and the order its events go out in. Everything random is
drawn from generators seeded with ``seed`` (and the tracking number), so the
same calls to a fresh simulator give the same answers and events.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass

from distsync.model.tracking import Milestone

__all__ = [
    "JOURNEY",
    "CarrierBehaviour",
    "PlannedEvent",
    "RateRequest",
    "ServiceRate",
    "ShipmentRequest",
    "plan_events",
    "quote",
]

JOURNEY = (
    Milestone.LABEL_CREATED,
    Milestone.PICKED_UP,
    Milestone.IN_TRANSIT,
    Milestone.OUT_FOR_DELIVERY,
    Milestone.DELIVERED,
)
CENT = Decimal("0.01")
Seconds = Annotated[float, Field(ge=0, le=3600)]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class ServiceRate:
    """One service the carrier quotes: ``base`` plus ``per_kg`` of the total weight."""

    base: Annotated[Decimal, Field(ge=0)]
    per_kg: Annotated[Decimal, Field(ge=0)]
    transit_days: Annotated[int, Field(ge=0, le=60)]


DEFAULT_SERVICES: Mapping[str, ServiceRate] = {
    "ground": ServiceRate(Decimal("8.50"), Decimal("1.20"), 4),
    "express": ServiceRate(Decimal("18.00"), Decimal("2.50"), 1),
}


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CarrierBehaviour:
    """What the simulated carrier does (see the module docstring and docs/simulators.md)."""

    seed: int = 0
    scac: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")] = "RLCA"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    services: Mapping[str, ServiceRate] = field(default_factory=lambda: dict(DEFAULT_SERVICES))
    rate_latency: Seconds = 0.0
    rate_jitter: Seconds = 0.0
    rate_failure: Literal["none", "unavailable", "timeout"] = "none"
    rate_timeout: Seconds = 30.0
    format: Literal["json", "x12"] = "json"
    event_delay: Seconds = 0.0
    event_interval: Seconds = 0.05
    event_hours: Annotated[float, Field(gt=0, le=720)] = 6.0
    shuffle: bool = False
    late: frozenset[Milestone] = frozenset()
    duplicates: frozenset[Milestone] = frozenset()
    signed_by: Annotated[str, Field(min_length=1, max_length=60)] = "J. DOE"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CarrierBehaviour:
        """A behaviour from plain data (a JSON object, a YAML mapping)."""
        return TypeAdapter(cls).validate_python(dict(data))

    @classmethod
    def from_json(cls, text: str | bytes) -> CarrierBehaviour:
        return TypeAdapter(cls).validate_json(text)

    def latency(self, draw: random.Random) -> float:
        """Seconds before one rate answer: ``rate_latency`` plus a seeded share of the jitter."""
        return self.rate_latency + draw.uniform(0.0, self.rate_jitter)


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Address(_Request):
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Package(_Request):
    weight_kg: Decimal = Field(gt=0, le=1000)


class RateRequest(_Request):
    """``POST /rates``: where from, where to, and the packages' weights."""

    ship_from: Address
    ship_to: Address
    packages: list[Package] = Field(min_length=1, max_length=100)


class ShipmentRequest(BaseModel):
    """``POST /shipments``: a parcel to track, and optionally its journey and first event time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tracking_number: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{3,49}$")
    milestones: tuple[Milestone, ...] = Field(default=JOURNEY, min_length=1, max_length=20)
    start: AwareDatetime | None = None


def quote(request: RateRequest, behaviour: CarrierBehaviour) -> list[dict[str, Any]]:
    """The quote of each service for ``request``, cheapest first (amounts as text)."""
    weight = sum((p.weight_kg for p in request.packages), Decimal(0))
    quotes = [
        {
            "service": service,
            "amount": str((rate.base + rate.per_kg * weight).quantize(CENT)),
            "currency": behaviour.currency,
            "transit_days": rate.transit_days,
        }
        for service, rate in behaviour.services.items()
    ]
    return sorted(quotes, key=lambda q: (Decimal(q["amount"]), q["service"]))


@dataclass(frozen=True)
class PlannedEvent:
    """One event of a parcel's journey, and when (after the first send) it goes out."""

    event_id: str
    tracking_number: str
    milestone: Milestone
    occurred_at: datetime
    delay: float
    copies: int


def plan_events(
    tracking_number: str,
    milestones: Sequence[Milestone],
    start: datetime,
    behaviour: CarrierBehaviour,
    prefix: str,
) -> list[PlannedEvent]:
    """The journey's events in sending order: times ``event_hours`` apart from ``start``.

    The planned order is the journey's; ``shuffle`` mixes it (seeded by
    ``seed`` and the tracking number), then the ``late`` milestones move to
    the end, so an old scan arrives after newer ones. ``duplicates`` are sent
    twice in a row.
    """
    step = timedelta(hours=behaviour.event_hours)
    events = [
        (f"{prefix}-{tracking_number}-{n}", milestone, start + step * (n - 1))
        for n, milestone in enumerate(milestones, 1)
    ]
    if behaviour.shuffle:
        random.Random(f"{behaviour.seed}:{tracking_number}").shuffle(events)
    events.sort(key=lambda e: e[1] in behaviour.late)  # stable: only the late ones move
    return [
        PlannedEvent(
            event_id,
            tracking_number,
            milestone,
            occurred_at,
            behaviour.event_delay + behaviour.event_interval * position,
            2 if milestone in behaviour.duplicates else 1,
        )
        for position, (event_id, milestone, occurred_at) in enumerate(events)
    ]
