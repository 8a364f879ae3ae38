"""Warehouses and the locations inside them.

A warehouse is run by one WMS (``managed_by``, a system name from the
landscape file). Locations are the bins, docks and zones inside it; documents
name them by ``location_id`` next to the ``warehouse_id``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from distsync.model.base import Canonical, Code, Document, Many, Name, SystemName, duplicates
from distsync.model.identifiers import GLN
from distsync.model.parties import Address, PartnerIds

__all__ = ["Location", "LocationKind", "TimeZoneName", "Warehouse"]

TimeZoneName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+){0,2}$")]
"""An IANA time zone name (``America/Chicago``); business dates are local to it."""


class LocationKind(StrEnum):
    """What a location inside a warehouse is for."""

    RECEIVING = "receiving"
    STORAGE = "storage"
    PICKING = "picking"
    STAGING = "staging"
    SHIPPING = "shipping"
    QUARANTINE = "quarantine"
    RETURNS = "returns"


class Location(Canonical):
    """A bin, dock or zone in a warehouse; only pickable stock can be promised."""

    location_id: Code
    kind: LocationKind
    pickable: bool = False
    gln: GLN | None = None


class Warehouse(Document):
    """A warehouse master record (event ``warehouse.changed``)."""

    number_field: ClassVar[str] = "warehouse_id"
    kind: ClassVar[str] = "warehouse"

    warehouse_id: Code
    name: Name
    gln: GLN | None = None
    address: Address
    managed_by: SystemName
    time_zone: TimeZoneName = "UTC"
    partner_ids: PartnerIds = Field(default_factory=dict)
    locations: Many[Location] = ()
    active: bool = True

    @model_validator(mode="after")
    def _location_ids_are_distinct(self) -> Self:
        repeated = duplicates([location.location_id for location in self.locations])
        if repeated:
            raise ValueError(f"{self.describe()}: locations lists {repeated[0]} twice")
        return self

    def location(self, location_id: str) -> Location | None:
        """The location with this id, if the warehouse lists it."""
        return next((loc for loc in self.locations if loc.location_id == location_id), None)
