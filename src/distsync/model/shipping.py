"""Outbound shipping: shipment orders to a warehouse and the warehouse's confirmation.

A shipment order (X12 940, WMS REST) asks one warehouse to pick, pack and
ship. The warehouse answers with one or more shipment confirmations (X12 945):
the quantities shipped per order line (zero for a line it could not ship), the
packages with their tracking numbers, and the carrier.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from pydantic import Field, model_validator

from distsync.model.base import (
    AwareDatetime,
    Canonical,
    Code,
    Document,
    DocumentNumber,
    LineNumber,
    Many,
    Text,
    duplicates,
)
from distsync.model.checks import (
    line_path,
    require_distinct_line_numbers,
    require_positive,
    require_same_unit,
)
from distsync.model.identifiers import SSCC
from distsync.model.items import ItemRef
from distsync.model.parties import Address, CarrierRef, PartyRef, TrackingNumber
from distsync.model.units import Quantity

__all__ = [
    "Package",
    "PackageContent",
    "ShipmentConfirmation",
    "ShipmentConfirmationLine",
    "ShipmentOrder",
    "ShipmentOrderLine",
]


class ShipmentOrderLine(Canonical):
    """One item to ship; ``lot`` asks for a specific lot."""

    line_number: LineNumber
    sales_order_line_number: LineNumber | None = None
    item: ItemRef
    quantity: Quantity
    lot: DocumentNumber | None = None


class ShipmentOrder(Document):
    """An order to a warehouse to ship goods (event ``shipment_order.released``)."""

    number_field: ClassVar[str] = "shipment_order_number"
    kind: ClassVar[str] = "shipment order"

    shipment_order_number: DocumentNumber
    sales_order_number: DocumentNumber | None = None
    warehouse_id: Code
    released_at: AwareDatetime
    requested_ship_date: date
    customer: PartyRef | None = None
    ship_to: Address
    carrier: CarrierRef | None = None
    note: Text | None = None
    lines: Many[ShipmentOrderLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_are_sound(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        for index, line in enumerate(self.lines):
            require_positive(self, line_path(index, line, "quantity"), line.quantity)
        return self


class ShipmentConfirmationLine(Canonical):
    """What was shipped of one shipment order line (zero when none could be)."""

    line_number: LineNumber
    item: ItemRef
    ordered_quantity: Quantity | None = None
    shipped_quantity: Quantity
    lot: DocumentNumber | None = None
    serial_numbers: Many[DocumentNumber] = ()


class PackageContent(Canonical):
    """How much of a confirmation line travels in one package."""

    line_number: LineNumber
    quantity: Quantity


class Package(Canonical):
    """A parcel or pallet as shipped, with its tracking number and weight."""

    sscc: SSCC | None = None
    tracking_number: TrackingNumber | None = None
    weight: Quantity | None = None
    contents: Many[PackageContent] = ()


class ShipmentConfirmation(Document):
    """A warehouse's confirmation of a shipment (event ``shipment.confirmed``)."""

    number_field: ClassVar[str] = "shipment_id"
    kind: ClassVar[str] = "shipment"

    shipment_id: DocumentNumber
    shipment_order_number: DocumentNumber
    warehouse_id: Code
    shipped_at: AwareDatetime
    carrier: CarrierRef
    master_tracking_number: TrackingNumber | None = None
    bill_of_lading: DocumentNumber | None = None
    lines: Many[ShipmentConfirmationLine] = Field(min_length=1)
    packages: Many[Package] = ()

    @model_validator(mode="after")
    def _lines_are_sound(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        for index, line in enumerate(self.lines):
            if line.shipped_quantity.value < 0:
                path = line_path(index, line, "shipped_quantity")
                raise ValueError(f"{self.describe()}: {path} is negative")
            if line.ordered_quantity is not None:
                path = line_path(index, line, "ordered_quantity")
                require_same_unit(self, path, line.ordered_quantity, line.shipped_quantity.uom)
        return self

    @model_validator(mode="after")
    def _packages_are_sound(self) -> Self:
        repeated = duplicates(self.tracking_numbers())
        if repeated:
            raise ValueError(f"{self.describe()}: tracking number {repeated[0]} appears twice")
        units = {line.line_number: line.shipped_quantity.uom for line in self.lines}
        for p, package in enumerate(self.packages):
            for c, content in enumerate(package.contents):
                path = f"packages.{p}.contents.{c}"
                if content.line_number not in units:
                    raise ValueError(
                        f"{self.describe()}: {path}.line_number {content.line_number} "
                        "is not a line of this shipment"
                    )
                require_same_unit(
                    self, f"{path}.quantity", content.quantity, units[content.line_number]
                )
        return self

    def tracking_numbers(self) -> list[str]:
        """Every package tracking number, in package order."""
        return [p.tracking_number for p in self.packages if p.tracking_number is not None]

    def shipped_lines(self) -> list[ShipmentConfirmationLine]:
        """The lines of which something was shipped."""
        return [line for line in self.lines if line.shipped_quantity.is_positive()]
