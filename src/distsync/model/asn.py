"""Advance ship notices (X12 856): what a supplier shipped, packed how.

The hierarchy follows the 856 pick-and-pack structure::

    shipment (carrier, tracking numbers, ship and delivery dates)
    └── order (purchase order number)
        └── pack (pallet or carton, labelled with an SSCC-18)
            └── item (purchase order line, quantity, lot, serial numbers, expiry)

An SSCC and a serial number each appear once in a notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import ClassVar, NamedTuple, Self

from pydantic import Field, model_validator

from distsync.model.base import (
    AwareDatetime,
    Canonical,
    Code,
    Document,
    DocumentNumber,
    LineNumber,
    Many,
    duplicates,
)
from distsync.model.checks import require_not_before, require_positive
from distsync.model.identifiers import SSCC
from distsync.model.items import ItemRef
from distsync.model.parties import Address, CarrierRef, PartyRef, TrackingNumber
from distsync.model.units import Quantity

__all__ = [
    "AdvanceShipNotice",
    "AsnItem",
    "AsnOrder",
    "AsnPack",
    "AsnPurpose",
    "PackKind",
    "ShippedItem",
]


class AsnPurpose(StrEnum):
    """Whether a notice is new, replaces an earlier one with its number, or cancels it."""

    ORIGINAL = "original"
    REPLACE = "replace"
    CANCEL = "cancel"


class PackKind(StrEnum):
    """The physical unit a pack is."""

    PALLET = "pallet"
    CARTON = "carton"
    TOTE = "tote"
    LOOSE = "loose"


class AsnItem(Canonical):
    """A quantity of one purchase order line in a pack, with its lot and serial numbers."""

    po_line_number: LineNumber
    item: ItemRef
    quantity: Quantity
    lot: DocumentNumber | None = None
    serial_numbers: Many[DocumentNumber] = ()
    expiry_date: date | None = None


class AsnPack(Canonical):
    """A pallet or carton; ``sscc`` is its label, absent only for loose goods."""

    sscc: SSCC | None = None
    kind: PackKind = PackKind.CARTON
    tracking_number: TrackingNumber | None = None
    gross_weight: Quantity | None = None
    items: Many[AsnItem] = Field(min_length=1)


class AsnOrder(Canonical):
    """The packs shipped against one purchase order."""

    po_number: DocumentNumber
    packs: Many[AsnPack] = Field(min_length=1)


class ShippedItem(NamedTuple):
    """One item of a notice with where it sits: order, pack, and the field path."""

    po_number: str
    pack: AsnPack
    item: AsnItem
    path: str


class AdvanceShipNotice(Document):
    """A supplier's advance ship notice (event ``asn.received``)."""

    number_field: ClassVar[str] = "asn_number"
    kind: ClassVar[str] = "advance ship notice"

    asn_number: DocumentNumber
    purpose: AsnPurpose = AsnPurpose.ORIGINAL
    issued_at: AwareDatetime
    supplier: PartyRef
    ship_from: Address | None = None
    ship_to_warehouse_id: Code
    carrier: CarrierRef | None = None
    tracking_numbers: Many[TrackingNumber] = ()
    bill_of_lading: DocumentNumber | None = None
    shipped_at: AwareDatetime
    expected_delivery_date: date | None = None
    orders: Many[AsnOrder] = Field(min_length=1)

    @model_validator(mode="after")
    def _labels_and_serials_are_unique(self) -> Self:
        ssccs = [pack.sscc for _, pack in self.packs() if pack.sscc is not None]
        serials = [serial for entry in self.items() for serial in entry.item.serial_numbers]
        for field, values in (("sscc", ssccs), ("serial_numbers", serials)):
            repeated = duplicates(values)
            if repeated:
                raise ValueError(f"{self.describe()}: {field} {repeated[0]} appears twice")
        return self

    @model_validator(mode="after")
    def _quantities_and_dates_are_sound(self) -> Self:
        for entry in self.items():
            require_positive(self, f"{entry.path}.quantity", entry.item.quantity)
            _require_serial_per_unit(self, entry)
        require_not_before(
            self,
            ("expected_delivery_date", self.expected_delivery_date),
            ("shipped_at", self.shipped_at),
        )
        return self

    def packs(self) -> Iterator[tuple[str, AsnPack]]:
        """Every pack with the purchase order it belongs to."""
        for order in self.orders:
            for pack in order.packs:
                yield order.po_number, pack

    def items(self) -> Iterator[ShippedItem]:
        """Every item of the notice, in document order."""
        for o, order in enumerate(self.orders):
            for p, pack in enumerate(order.packs):
                for i, item in enumerate(pack.items):
                    path = f"orders.{o}.packs.{p}.items.{i}"
                    yield ShippedItem(order.po_number, pack, item, path)


def _require_serial_per_unit(notice: AdvanceShipNotice, entry: ShippedItem) -> None:
    """Serial numbers, when given, number every unit: one per unit of quantity."""
    count, quantity = len(entry.item.serial_numbers), entry.item.quantity
    if count and count != quantity.value:
        raise ValueError(
            f"{notice.describe()}: {entry.path}.serial_numbers has {count} serial "
            f"numbers for {quantity}"
        )
