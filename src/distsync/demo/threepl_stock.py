"""The simulated 3PL warehouse's own stock book, and the 846 and 947 it sends from it.

The warehouse is the system of record for its stock: the book starts from
``behaviour.stock`` plus the silent ``behaviour.variance`` (stock the
distributor does not know of), goes up by what each 944 says was received,
down by what each 945 says was shipped, and moves by each adjustment (947).
It is not limited to what is on hand: a shipment of more than the book
holds makes it negative, as a real book would show until someone counts.
One unit per SKU: the ``units`` setting, else that of the first document
that moves the SKU, else ``EA``; quantities in another unit are booked as
they are (the simulator does not convert).
"""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.model.inventory import (
    AdjustmentReason,
    InventoryAdjustment,
    InventoryBalance,
    InventorySnapshot,
)
from distsync.model.items import ItemRef
from distsync.model.receipts import Receipt
from distsync.model.shipping import ShipmentConfirmation
from distsync.model.units import Quantity

__all__ = ["StockBook"]

DEFAULT_UNIT = "EA"


class StockBook:
    """On hand per SKU, thread-safe; what the 846 reports and the 947 changes."""

    def __init__(self, behaviour: WarehouseBehaviour) -> None:
        self._units = dict(behaviour.units)
        self._on_hand: dict[str, Decimal] = {}
        self._lock = threading.Lock()
        for sku, quantity in behaviour.stock.items():
            self._move(sku, quantity, None)
        for sku, delta in behaviour.variance.items():
            self._move(sku, delta, None)

    def on_hand(self) -> dict[str, Quantity]:
        """Every SKU the book knows, in SKU order, with its quantity and unit."""
        with self._lock:
            return {
                sku: Quantity(value=self._on_hand[sku], uom=self._unit(sku))
                for sku in sorted(self._on_hand)
            }

    def receive(self, receipt: Receipt) -> None:
        """Book what a 944 reports as received (damaged units included: they are there)."""
        with self._lock:
            for line in receipt.lines:
                quantity = line.received_quantity
                self._move(line.item.sku, quantity.value, quantity.uom)

    def ship(self, shipment: ShipmentConfirmation) -> None:
        """Take away what a 945 reports as shipped."""
        with self._lock:
            for line in shipment.lines:
                quantity = line.shipped_quantity
                self._move(line.item.sku, -quantity.value, quantity.uom)

    def snapshot(self, snapshot_id: str, warehouse_id: str, now: datetime) -> InventorySnapshot:
        """The whole book as a complete 846 snapshot (nothing allocated)."""
        balances = tuple(
            InventoryBalance(
                sku=sku,
                warehouse_id=warehouse_id,
                on_hand=quantity,
                allocated=Quantity(value=Decimal(0), uom=quantity.uom),
                as_of=now,
            )
            for sku, quantity in self.on_hand().items()
        )
        return InventorySnapshot(
            snapshot_id=snapshot_id,
            warehouse_id=warehouse_id,
            as_of=now,
            complete=True,
            balances=balances,
        )

    def adjust(
        self,
        adjustment_id: str,
        warehouse_id: str,
        change: tuple[str, Decimal],
        reason: AdjustmentReason,
        now: datetime,
        note: str | None = None,
    ) -> InventoryAdjustment:
        """Change the book by ``change`` (SKU, signed units); the 947 that says so."""
        sku, delta = change
        with self._lock:
            self._move(sku, delta, None)
            unit, after = self._unit(sku), self._on_hand[sku]
        return InventoryAdjustment(
            adjustment_id=adjustment_id,
            warehouse_id=warehouse_id,
            item=ItemRef(sku=sku),
            delta=Quantity(value=delta, uom=unit),
            reason_code=reason,
            adjusted_at=now,
            on_hand_after=Quantity(value=after, uom=unit),
            note=note,
        )

    def _unit(self, sku: str) -> str:
        return self._units.get(sku, DEFAULT_UNIT)

    def _move(self, sku: str, delta: Decimal, unit: str | None) -> None:
        if unit is not None:
            self._units.setdefault(sku, unit)
        self._on_hand[sku] = self._on_hand.get(sku, Decimal(0)) + delta
