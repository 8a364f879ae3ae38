"""One item in one warehouse: on hand, reserved and inbound, kept as running totals.

A :class:`Position` applies its events in any order and ends in the same
state (see ``docs/inventory.md``):

- on hand is the newest count (by ``(at, snapshot_id)``) plus the
  adjustments after it; an adjustment at or before the count is already in
  it, so it is skipped, and a newer count drops the adjustments it covers;
- a reservation or an inbound arrival is a :class:`Claims` entry: the
  newest version (by ``(at, quantity, due)``) holds, and ending it is final,
  even when the end arrives first.

Every change costs a few dictionary operations (a heap push or pop for
adjustments), never a scan of the position's history.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = ["Claim", "Claims", "Position"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Claim:
    """One version of a reservation or an expected arrival."""

    at: datetime
    quantity: Decimal
    due: date = date.min

    @property
    def version(self) -> tuple[datetime, Decimal, date]:
        """Which of two versions of one id wins: the larger."""
        return (self.at, self.quantity, self.due)


class Claims:
    """Claims by id: the newest version holds; an ended id stays ended."""

    __slots__ = ("_ended", "_open")

    def __init__(self) -> None:
        self._open: dict[str, Claim] = {}
        self._ended: set[str] = set()

    def get(self, claim_id: str) -> Claim | None:
        """The version that holds, None when unknown or ended."""
        return self._open.get(claim_id)

    def is_ended(self, claim_id: str) -> bool:
        """Whether the id has ended (and so can never hold again)."""
        return claim_id in self._ended

    def put(self, claim_id: str, claim: Claim) -> bool:
        """Hold ``claim`` unless the id ended or holds a version at least as new."""
        current = self._open.get(claim_id)
        if claim_id in self._ended or (current and current.version >= claim.version):
            return False
        self._open[claim_id] = claim
        return True

    def end(self, claim_id: str) -> Claim | None:
        """End the id for good; what it held, if anything."""
        self._ended.add(claim_id)
        return self._open.pop(claim_id, None)

    def __len__(self) -> int:
        return len(self._open)


class Position:
    """Running totals of one item in one warehouse; quantities in the item's base unit."""

    __slots__ = (
        "_adjustments",
        "_count_key",
        "_counted_inbound",
        "_pending",
        "adjusted",
        "counted",
        "inbound",
        "inbound_claims",
        "reservations",
        "reserved",
        "safety_stock",
    )

    def __init__(self, safety_stock: Decimal = ZERO) -> None:
        self.counted = ZERO
        self.adjusted = ZERO
        self.reserved = ZERO
        self.inbound = ZERO
        self.safety_stock = safety_stock
        self.reservations = Claims()
        self.inbound_claims = Claims()
        self._count_key: tuple[datetime, str] | None = None
        self._adjustments: dict[str, tuple[datetime, Decimal]] = {}
        self._pending: list[tuple[datetime, str]] = []
        self._counted_inbound: dict[str, Decimal] = {}

    @property
    def on_hand(self) -> Decimal:
        """The newest count plus the adjustments since."""
        return self.counted + self.adjusted

    @property
    def raw_available(self) -> Decimal:
        """On hand - reserved - safety stock + inbound within the horizon; may be negative."""
        return self.on_hand - self.reserved - self.safety_stock + self.inbound

    @property
    def available(self) -> Decimal:
        """Available to promise, never below zero."""
        return max(self.raw_available, ZERO)

    def count(self, quantity: Decimal, at: datetime, snapshot_id: str) -> bool:
        """Take a warehouse count as on hand, unless a newer (or the same) count is in."""
        key = (at, snapshot_id)
        if self._count_key is not None and key <= self._count_key:
            return False
        self._count_key, self.counted = key, quantity
        while self._pending and self._pending[0][0] <= at:
            _, adjustment_id = heapq.heappop(self._pending)
            self.adjusted -= self._adjustments.pop(adjustment_id)[1]
        return True

    def adjust(self, delta: Decimal, at: datetime, adjustment_id: str) -> bool:
        """Add an adjustment made after the newest count; a repeat or an older one does nothing."""
        if adjustment_id in self._adjustments:
            return False
        if self._count_key is not None and at <= self._count_key[0]:
            return False
        self._adjustments[adjustment_id] = (at, delta)
        heapq.heappush(self._pending, (at, adjustment_id))
        self.adjusted += delta
        return True

    def reserve(self, reservation_id: str, claim: Claim) -> bool:
        """Hold a reservation (or its newer quantity)."""
        before = self.reservations.get(reservation_id)
        if not self.reservations.put(reservation_id, claim):
            return False
        self.reserved += claim.quantity - (before.quantity if before else ZERO)
        return True

    def release(self, reservation_id: str) -> bool:
        """End a reservation for good, whether or not it has arrived yet."""
        if self.reservations.is_ended(reservation_id):
            return False
        held = self.reservations.end(reservation_id)
        self.reserved -= held.quantity if held else ZERO
        return True

    def expect(self, inbound_id: str, claim: Claim) -> bool:
        """Record an arrival (or its newer version); it counts once :meth:`reach` says so."""
        if not self.inbound_claims.put(inbound_id, claim):
            return False
        self._uncount(inbound_id)
        return True

    def reach(self, inbound_id: str, window_end: date) -> bool:
        """Count an open arrival due by ``window_end``; True when it is counted."""
        claim = self.inbound_claims.get(inbound_id)
        if claim is None or claim.due > window_end:
            return False
        if inbound_id not in self._counted_inbound:
            self._counted_inbound[inbound_id] = claim.quantity
            self.inbound += claim.quantity
        return True

    def end_inbound(self, inbound_id: str) -> bool:
        """End an arrival for good (received or cancelled)."""
        if self.inbound_claims.is_ended(inbound_id):
            return False
        self.inbound_claims.end(inbound_id)
        self._uncount(inbound_id)
        return True

    def _uncount(self, inbound_id: str) -> None:
        self.inbound -= self._counted_inbound.pop(inbound_id, ZERO)
