"""Properties of available to promise that must hold for any events, in any order (hypothesis)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from distsync.rules.atp import AtpBook, PositionView, SafetyStock
from distsync.rules.atp_events import (
    InboundEnded,
    InboundExpected,
    InventoryEvent,
    OnHandAdjusted,
    OnHandCounted,
    ReservationEnded,
    StockReserved,
)

TODAY = date(2024, 5, 10)
T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)
SKU = "BOLT"
WAREHOUSES = ("WH-1", "WH-2", "WH-3")
SAFETY = SafetyStock(default=Decimal(3))
seeds = st.integers(min_value=0, max_value=2**32)  # a history is drawn from a seeded generator


class History:
    """A plausible run of inventory events for one item, as a source would send them in order."""

    def __init__(self, rng: random.Random, warehouses: tuple[str, ...]) -> None:
        self.rng = rng
        self.warehouses = warehouses
        self.events: list[InventoryEvent] = []
        self.reservations: dict[str, str] = {}
        self.inbound: dict[str, str] = {}

    def run(self, size: int) -> list[InventoryEvent]:
        makers = (self.count, self.adjust, self.reserve, self.release, self.expect, self.arrive)
        for index in range(size):
            at = T0 + timedelta(minutes=index // 2)  # every other pair shares a time
            self.events.append(self.rng.choice(makers)(index, at))
        return self.events

    def count(self, index: int, at: datetime) -> InventoryEvent:
        quantity = Decimal(self.rng.randint(0, 500))
        return OnHandCounted(SKU, self.rng.choice(self.warehouses), quantity, at, f"S-{index}")

    def adjust(self, index: int, at: datetime) -> InventoryEvent:
        delta = Decimal(self.rng.choice((-1, 1)) * self.rng.randint(1, 20))
        return OnHandAdjusted(SKU, self.rng.choice(self.warehouses), delta, at, f"ADJ-{index}")

    def reserve(self, index: int, at: datetime) -> InventoryEvent:
        reservation_id, warehouse = self._pick(self.reservations, f"R-{index}")
        quantity = Decimal(self.rng.randint(1, 10))
        return StockReserved(SKU, warehouse, quantity, at, reservation_id)

    def release(self, index: int, at: datetime) -> InventoryEvent:
        reservation_id, warehouse = self._pick(self.reservations, f"R-{index}")
        return ReservationEnded(SKU, warehouse, at, reservation_id)

    def expect(self, index: int, at: datetime) -> InventoryEvent:
        inbound_id, warehouse = self._pick(self.inbound, f"IN-{index}")
        due = TODAY + timedelta(days=self.rng.randint(-2, 20))
        quantity = Decimal(self.rng.randint(1, 50))
        return InboundExpected(SKU, warehouse, quantity, due, at, inbound_id)

    def arrive(self, index: int, at: datetime) -> InventoryEvent:
        inbound_id, warehouse = self._pick(self.inbound, f"IN-{index}")
        return InboundEnded(SKU, warehouse, at, inbound_id)

    def _pick(self, known: dict[str, str], fresh: str) -> tuple[str, str]:
        """An id seen before (a new version or its end), or now and then a new one."""
        if known and self.rng.random() < 0.7:
            chosen = self.rng.choice(sorted(known))
            return chosen, known[chosen]
        known[fresh] = self.rng.choice(self.warehouses)
        return fresh, known[fresh]


def state(book: AtpBook) -> tuple[list[PositionView], Decimal]:
    return sorted(book, key=lambda view: view.warehouse_id), book.network_available(SKU)


def replay(events: list[InventoryEvent], later: date | None = None) -> AtpBook:
    book = AtpBook(TODAY, safety=SAFETY)
    for event in events:
        book.apply(event)
    if later is not None:
        book.advance_to(later)
    return book


@settings(max_examples=30, deadline=None)
@given(seed=seeds, days_later=st.integers(min_value=0, max_value=15))
def test_a_thousand_events_shuffled_and_repeated_end_as_they_do_in_order(
    seed: int, days_later: int
) -> None:
    rng = random.Random(seed)
    in_order = History(rng, WAREHOUSES).run(1_000)
    delivered = in_order + rng.choices(in_order, k=300)
    rng.shuffle(delivered)
    later = TODAY + timedelta(days=days_later)

    assert state(replay(delivered, later)) == state(replay(in_order, later))


@given(
    on_hand=st.integers(min_value=0, max_value=20),
    safety=st.integers(min_value=0, max_value=5),
    inbound=st.integers(min_value=0, max_value=5),
    requests=st.lists(
        st.tuples(st.sampled_from(WAREHOUSES[:2]), st.integers(min_value=1, max_value=6)),
        min_size=1,
        max_size=30,
    ),
    releases=st.sets(st.integers(min_value=0, max_value=29)),
)
def test_reservations_for_the_last_units_never_oversell(
    on_hand: int, safety: int, inbound: int, requests: list[tuple[str, int]], releases: set[int]
) -> None:
    book = AtpBook(TODAY, safety=SafetyStock(default=Decimal(safety)))
    for warehouse in WAREHOUSES[:2]:
        book.apply(OnHandCounted(SKU, warehouse, Decimal(on_hand), T0, "S-1"))
        book.apply(InboundExpected(SKU, warehouse, Decimal(inbound), TODAY, T0, f"IN-{warehouse}"))
    promisable = max(on_hand - safety + inbound, 0)
    for number, (warehouse, quantity) in enumerate(requests):
        before = book.available(SKU, warehouse)
        decision = book.reserve(SKU, warehouse, Decimal(quantity), f"R-{number}", T0)
        assert decision.ok is (quantity <= before)
        if number in releases:
            book.apply(ReservationEnded(SKU, warehouse, T0, f"R-{number}"))
        for each in WAREHOUSES[:2]:
            view = book.view(SKU, each)
            assert view.available >= 0
            assert view.reserved <= promisable


@given(
    seed=seeds,
    safety_changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=299), st.integers(min_value=0, max_value=60))
    ),
    advances=st.lists(st.integers(min_value=0, max_value=299)),
)
def test_network_available_is_always_the_sum_of_the_warehouses(
    seed: int, safety_changes: list[tuple[int, int]], advances: list[int]
) -> None:
    events = History(random.Random(seed), WAREHOUSES).run(300)
    safety_at = dict(safety_changes)
    advance_at = set(advances)
    book = AtpBook(TODAY, safety=SAFETY)
    for index, event in enumerate(events):
        book.apply(event)
        if index in safety_at:
            book.set_safety_stock(SKU, Decimal(safety_at[index]))
        if index in advance_at:
            book.advance_to(TODAY + timedelta(days=index // 20))
        total = sum((book.available(SKU, w) for w in WAREHOUSES), Decimal(0))
        assert book.network_available(SKU) == total
