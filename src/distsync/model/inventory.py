"""Inventory: balances, adjustments, reservations and transfers.

Quantities on a balance are all in one unit. ``available`` is what can still
be promised; when the sender does not state it, it is on hand less allocated.
A snapshot is what a warehouse reports at one moment; a ``complete`` snapshot
covers every item, so an item missing from it has nothing on hand.
"""

from __future__ import annotations

from enum import StrEnum
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
    Name,
    Text,
    duplicates,
)
from distsync.model.checks import require_not_before, require_positive, require_same_unit
from distsync.model.items import ItemRef, Sku
from distsync.model.units import Quantity

__all__ = [
    "AdjustmentReason",
    "InventoryAdjustment",
    "InventoryBalance",
    "InventoryReservation",
    "InventorySnapshot",
    "InventoryTransfer",
    "ReservationStatus",
    "TransferStatus",
]


class InventoryBalance(Canonical):
    """Stock of one item (and lot, and location, when given) in a warehouse at ``as_of``."""

    sku: Sku
    warehouse_id: Code
    location_id: Code | None = None
    lot: DocumentNumber | None = None
    on_hand: Quantity
    allocated: Quantity
    available: Quantity | None = None
    as_of: AwareDatetime

    def available_quantity(self) -> Quantity:
        """What can still be promised: as stated, else on hand less allocated."""
        if self.available is not None:
            return self.available
        return Quantity(value=self.on_hand.value - self.allocated.value, uom=self.on_hand.uom)


class InventorySnapshot(Document):
    """A warehouse's stock report (event ``inventory.snapshot_received``)."""

    number_field: ClassVar[str] = "snapshot_id"
    kind: ClassVar[str] = "inventory snapshot"

    snapshot_id: DocumentNumber
    warehouse_id: Code
    as_of: AwareDatetime
    complete: bool = False
    balances: Many[InventoryBalance] = ()

    @model_validator(mode="after")
    def _balances_are_sound(self) -> Self:
        keys = [(b.sku, b.location_id, b.lot) for b in self.balances]
        repeated = duplicates(keys)
        if repeated:
            sku, location, lot = repeated[0]
            raise ValueError(
                f"{self.describe()}: balances has sku {sku} (location {location}, lot {lot}) twice"
            )
        for index, balance in enumerate(self.balances):
            self._check_balance(f"balances.{index}", balance)
        return self

    def _check_balance(self, path: str, balance: InventoryBalance) -> None:
        if balance.warehouse_id != self.warehouse_id:
            raise ValueError(
                f"{self.describe()}: {path}.warehouse_id is {balance.warehouse_id}, "
                f"the snapshot is of {self.warehouse_id}"
            )
        unit = balance.on_hand.uom
        require_same_unit(self, f"{path}.allocated", balance.allocated, unit)
        if balance.allocated.value < 0:
            raise ValueError(f"{self.describe()}: {path}.allocated is negative")
        if balance.available is None:
            return
        require_same_unit(self, f"{path}.available", balance.available, unit)
        free = balance.on_hand.value - balance.allocated.value
        if balance.available.value > free:
            raise ValueError(
                f"{self.describe()}: {path}.available ({balance.available}) exceeds on hand "
                f"less allocated ({free} {unit})"
            )


class AdjustmentReason(StrEnum):
    """Why stock changed outside receiving and shipping."""

    CYCLE_COUNT = "cycle_count"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    LOST = "lost"
    FOUND = "found"
    CUSTOMER_RETURN = "customer_return"
    QUALITY_HOLD = "quality_hold"
    CORRECTION = "correction"
    OTHER = "other"


class InventoryAdjustment(Document):
    """A change of stock by ``delta`` (negative takes away; event ``inventory.adjusted``)."""

    number_field: ClassVar[str] = "adjustment_id"
    kind: ClassVar[str] = "inventory adjustment"

    adjustment_id: DocumentNumber
    warehouse_id: Code
    location_id: Code | None = None
    item: ItemRef
    lot: DocumentNumber | None = None
    delta: Quantity
    reason_code: AdjustmentReason
    adjusted_at: AwareDatetime
    adjusted_by: Name | None = None
    on_hand_after: Quantity | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _delta_is_a_change(self) -> Self:
        if self.delta.value == 0:
            raise ValueError(f"{self.describe()}: delta is zero")
        if self.reason_code is AdjustmentReason.OTHER and self.note is None:
            raise ValueError(f"{self.describe()}: reason_code is other, so note must say why")
        if self.on_hand_after is not None:
            require_same_unit(self, "on_hand_after", self.on_hand_after, self.delta.uom)
        return self


class ReservationStatus(StrEnum):
    """Whether a reservation still holds stock."""

    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"


class InventoryReservation(Document):
    """Stock set aside for an order.

    Events ``inventory.reserved`` and, once ``status`` is released,
    ``inventory.reservation_released``.
    """

    number_field: ClassVar[str] = "reservation_id"
    kind: ClassVar[str] = "inventory reservation"

    reservation_id: DocumentNumber
    item: ItemRef
    warehouse_id: Code
    lot: DocumentNumber | None = None
    quantity: Quantity
    status: ReservationStatus = ReservationStatus.ACTIVE
    sales_order_number: DocumentNumber | None = None
    sales_order_line_number: LineNumber | None = None
    reserved_at: AwareDatetime
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _quantity_and_expiry_are_sound(self) -> Self:
        require_positive(self, "quantity", self.quantity)
        require_not_before(self, ("expires_at", self.expires_at), ("reserved_at", self.reserved_at))
        return self


class TransferStatus(StrEnum):
    """How far a transfer between warehouses or locations has got."""

    REQUESTED = "requested"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class InventoryTransfer(Document):
    """Stock moved between warehouses or locations (event ``inventory.transferred``)."""

    number_field: ClassVar[str] = "transfer_id"
    kind: ClassVar[str] = "inventory transfer"

    transfer_id: DocumentNumber
    item: ItemRef
    quantity: Quantity
    lot: DocumentNumber | None = None
    serial_numbers: Many[DocumentNumber] = ()
    from_warehouse_id: Code
    from_location_id: Code | None = None
    to_warehouse_id: Code
    to_location_id: Code | None = None
    status: TransferStatus
    transferred_at: AwareDatetime = Field(description="When the status was reached.")

    @model_validator(mode="after")
    def _moves_something_somewhere(self) -> Self:
        require_positive(self, "quantity", self.quantity)
        source = (self.from_warehouse_id, self.from_location_id)
        if source == (self.to_warehouse_id, self.to_location_id):
            raise ValueError(
                f"{self.describe()}: to_warehouse_id/to_location_id equal the source "
                f"({self.from_warehouse_id}/{self.from_location_id})"
            )
        return self
