"""Available to promise, per item and warehouse and across the network.

:class:`AtpBook` keeps one :class:`~distsync.rules.atp_position.Position`
per item and warehouse and applies :mod:`~distsync.rules.atp_events` to it
as they arrive::

    available = on hand - reserved - safety stock + inbound due within the horizon

reported never below zero, and per item across the network as the sum of
its warehouses' figures. Every figure is a running total, so a query is a
dictionary look-up and an event costs a few more, whatever the number of
items and warehouses. The same events delivered in any order, repeated or
not, leave the same figures (``docs/inventory.md`` says exactly why).

:meth:`AtpBook.reserve` is the one decision: hold stock for an order, or
refuse when it would promise more than is available (no oversell).

The book is pure: it reads no clock (``today`` is given and moved on with
:meth:`AtpBook.advance_to`) and it is not thread-safe; one worker owns it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from distsync.rules.atp_events import (
    InboundEnded,
    InboundExpected,
    InventoryEvent,
    OnHandAdjusted,
    OnHandCounted,
    ReservationEnded,
    StockReserved,
)
from distsync.rules.atp_position import ZERO, Claim, Position

__all__ = ["AtpBook", "PositionView", "ReserveDecision", "SafetyStock"]


@dataclass(frozen=True, slots=True)
class SafetyStock:
    """Stock never promised: per SKU, else ``default``; held in each warehouse."""

    default: Decimal = ZERO
    per_sku: Mapping[str, Decimal] = field(default_factory=dict)

    def of(self, sku: str) -> Decimal:
        """The safety stock of one item."""
        return self.per_sku.get(sku, self.default)


@dataclass(frozen=True, slots=True)
class PositionView:
    """The figures of one item in one warehouse, in its base unit."""

    sku: str
    warehouse_id: str
    on_hand: Decimal
    reserved: Decimal
    safety_stock: Decimal
    inbound: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class ReserveDecision:
    """Whether stock was reserved; ``event`` is what to record when it was.

    ``reason`` on a refusal: ``insufficient`` (it would oversell),
    ``ended`` (the reservation was released or consumed) or ``stale`` (a
    newer version of it is held). ``available`` is before the decision.
    """

    ok: bool
    reservation_id: str
    available: Decimal
    reason: str | None = None
    event: StockReserved | None = None


class AtpBook:
    """Inventory positions with available-to-promise kept current."""

    def __init__(
        self,
        today: date,
        horizon: timedelta = timedelta(days=7),
        safety: SafetyStock | None = None,
    ) -> None:
        self._positions: dict[tuple[str, str], Position] = {}
        self._warehouses: dict[str, set[str]] = {}
        self._network: dict[str, Decimal] = {}
        self._safety = safety or SafetyStock()
        self._horizon = horizon
        self._window_end = today + horizon
        self._later: list[tuple[date, str, str, str]] = []

    @property
    def window_end(self) -> date:
        """The last due date that counts as inbound: today plus the horizon."""
        return self._window_end

    def available(self, sku: str, warehouse_id: str) -> Decimal:
        """Available to promise in one warehouse (zero for an unknown position)."""
        position = self._positions.get((sku, warehouse_id))
        return ZERO if position is None else position.available

    def network_available(self, sku: str) -> Decimal:
        """Available to promise summed over every warehouse."""
        return self._network.get(sku, ZERO)

    def warehouses(self, sku: str) -> frozenset[str]:
        """The warehouses with a position for ``sku``."""
        return frozenset(self._warehouses.get(sku, ()))

    def view(self, sku: str, warehouse_id: str) -> PositionView:
        """Every figure of one position."""
        position = self._positions.get((sku, warehouse_id)) or Position(self._safety.of(sku))
        return PositionView(
            sku,
            warehouse_id,
            position.on_hand,
            position.reserved,
            position.safety_stock,
            position.inbound,
            position.available,
        )

    def __iter__(self) -> Iterator[PositionView]:
        for sku, warehouse_id in self._positions:
            yield self.view(sku, warehouse_id)

    def apply(self, event: InventoryEvent) -> bool:
        """Apply one event; False when it changed nothing (a repeat, or stale)."""
        position = self._position(event.sku, event.warehouse_id)
        before = position.available
        changed = self._dispatch(position, event)
        self._network[event.sku] += position.available - before
        return changed

    def reserve(
        self, sku: str, warehouse_id: str, quantity: Decimal, reservation_id: str, at: datetime
    ) -> ReserveDecision:
        """Reserve ``quantity`` unless available to promise would go below zero.

        Asking again for a reservation already held is answered from it (the
        quantity it holds counts as available to itself). Raises ValueError
        for a quantity that is not positive: that is the caller's mistake.
        """
        if quantity <= 0:
            raise ValueError(f"reservation {reservation_id}: quantity {quantity} is not positive")
        position = self._position(sku, warehouse_id)
        available = position.available
        held = position.reservations.get(reservation_id)
        refusal = self._refusal(position, reservation_id, held, quantity, at)
        if refusal is not None:
            return ReserveDecision(False, reservation_id, available, refusal)
        event = StockReserved(sku, warehouse_id, quantity, at, reservation_id)
        if held is None or held.quantity != quantity:
            self.apply(event)
        return ReserveDecision(True, reservation_id, available, event=event)

    def set_safety_stock(self, sku: str, quantity: Decimal | None) -> None:
        """Change one item's safety stock in every warehouse (None: back to the default)."""
        per_sku = dict(self._safety.per_sku)
        if quantity is None:
            per_sku.pop(sku, None)
        else:
            per_sku[sku] = quantity
        self._safety = SafetyStock(self._safety.default, per_sku)
        for warehouse_id in self._warehouses.get(sku, ()):
            position = self._positions[(sku, warehouse_id)]
            before = position.available
            position.safety_stock = self._safety.of(sku)
            self._network[sku] += position.available - before

    def advance_to(self, today: date) -> None:
        """Move the horizon on: arrivals now due within it start to count."""
        self._window_end = max(self._window_end, today + self._horizon)
        while self._later and self._later[0][0] <= self._window_end:
            _, sku, warehouse_id, inbound_id = heapq.heappop(self._later)
            position = self._positions[(sku, warehouse_id)]
            before = position.available
            position.reach(inbound_id, self._window_end)
            self._network[sku] += position.available - before

    def _dispatch(self, position: Position, event: InventoryEvent) -> bool:
        match event:
            case OnHandCounted():
                return position.count(event.quantity, event.at, event.snapshot_id)
            case OnHandAdjusted():
                return position.adjust(event.delta, event.at, event.adjustment_id)
            case StockReserved():
                return position.reserve(event.reservation_id, Claim(event.at, event.quantity))
            case ReservationEnded():
                return position.release(event.reservation_id)
            case InboundExpected():
                return self._expect(position, event)
            case InboundEnded():
                return position.end_inbound(event.inbound_id)

    def _expect(self, position: Position, event: InboundExpected) -> bool:
        if not position.expect(event.inbound_id, Claim(event.at, event.quantity, event.due)):
            return False
        if not position.reach(event.inbound_id, self._window_end):
            entry = (event.due, event.sku, event.warehouse_id, event.inbound_id)
            heapq.heappush(self._later, entry)
        return True

    def _refusal(
        self,
        position: Position,
        reservation_id: str,
        held: Claim | None,
        quantity: Decimal,
        at: datetime,
    ) -> str | None:
        if position.reservations.is_ended(reservation_id):
            return "ended"
        if held is not None and held.quantity == quantity:
            return None
        if held is not None and held.version >= Claim(at, quantity).version:
            return "stale"
        held_quantity = held.quantity if held else ZERO
        if position.raw_available + held_quantity < quantity:
            return "insufficient"
        return None

    def _position(self, sku: str, warehouse_id: str) -> Position:
        key = (sku, warehouse_id)
        position = self._positions.get(key)
        if position is None:
            position = self._positions[key] = Position(self._safety.of(sku))
            self._warehouses.setdefault(sku, set()).add(warehouse_id)
            self._network.setdefault(sku, ZERO)
        return position
