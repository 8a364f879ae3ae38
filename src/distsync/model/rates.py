"""Shipping rate quotes: what a checkout asks the carriers, and what comes back.

A :class:`RateRequest` is what a shop's checkout knows when it asks for
shipping options: where the parcels leave from and go to (postal code and
country, which is all a carrier rates on; the street address may not even be
typed in yet) and each parcel's weight in kilograms. Weights are exact
decimals like every other quantity: ``"2.5"`` or ``3``, never ``2.5``.

A :class:`RateQuote` is one carrier's price for one service. A
:class:`RateAnswer` holds the quotes that arrived in time, cheapest first,
and what became of each carrier asked (:class:`CarrierStatus`): it answered,
it did not answer before the deadline, or it failed and why.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from distsync.model.base import Canonical, Code, CountryCode, DecimalValue, Many, Name, Text
from distsync.model.money import Money

__all__ = [
    "CarrierOutcome",
    "CarrierStatus",
    "Parcel",
    "RateAnswer",
    "RatePlace",
    "RateQuote",
    "RateRequest",
]

PostalCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")]


class RatePlace(Canonical):
    """Where a parcel leaves from or goes to, as far as rating needs: postal code and country."""

    postal_code: PostalCode
    country: CountryCode


class Parcel(Canonical):
    """One parcel to ship, by its weight in kilograms."""

    weight_kg: DecimalValue = Field(gt=0, le=1000)


def _some(parcels: tuple[Parcel, ...]) -> tuple[Parcel, ...]:
    # checked after the items, so a bad weight is not also reported as "no parcels"
    if not parcels:
        raise ValueError("at least one parcel is needed")
    return parcels


class RateRequest(Canonical):
    """A request for shipping rates: from where, to where, which parcels."""

    ship_from: RatePlace
    ship_to: RatePlace
    packages: Annotated[Many[Parcel], AfterValidator(_some)] = Field(
        max_length=100, json_schema_extra={"minItems": 1}
    )


class RateQuote(Canonical):
    """One carrier's price for one service; ``transit_days`` when the carrier commits to one."""

    carrier: Code
    service: Name
    amount: Money
    transit_days: int | None = Field(default=None, ge=0, le=365)


class CarrierOutcome(StrEnum):
    """What became of one carrier asked for rates."""

    OK = "ok"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


class CarrierStatus(Canonical):
    """One carrier's outcome: how long it took (not for a timeout) and, on failure, why."""

    status: CarrierOutcome
    elapsed_ms: int | None = Field(default=None, ge=0)
    reason: Text | None = None


class RateAnswer(Canonical):
    """The quotes that arrived in time, cheapest first, and every carrier's outcome."""

    quotes: Many[RateQuote] = ()
    carriers: dict[Code, CarrierStatus] = {}
