"""Allocation: which warehouses ship an order, by availability and the landscape's priorities."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distsync.rules.allocation import Demand, allocate, warehouse_order

D = Decimal
EAST, WEST = "WH-EAST", "WH-WEST"


def test_the_first_warehouse_that_ships_everything_ships_it_all() -> None:
    demands = [Demand(1, "A", D(2)), Demand(2, "B", D(1))]
    stock = {("A", EAST): D(1), ("B", EAST): D(5), ("A", WEST): D(2), ("B", WEST): D(1)}
    allocation = allocate(demands, [EAST, WEST], stock, split=True)
    assert allocation.complete
    assert allocation.warehouses() == [WEST]


def test_split_fills_each_line_where_it_can_preferring_warehouses_already_used() -> None:
    demands = [Demand(1, "A", D(3)), Demand(2, "B", D(2)), Demand(3, "C", D(4))]
    stock = {("A", EAST): D(3), ("B", EAST): D(2), ("B", WEST): D(9), ("C", WEST): D(4)}
    allocation = allocate(demands, [EAST, WEST], stock, split=True)
    assert allocation.complete
    assert allocation.warehouses() == [EAST, WEST]
    assert [(p.line_number, p.warehouse_id) for p in allocation.picks] == [
        (1, EAST), (2, EAST), (3, WEST),
    ]  # fmt: skip


def test_a_line_no_warehouse_holds_alone_is_split_and_the_rest_is_short() -> None:
    demands = [Demand(1, "A", D(10))]
    stock = {("A", EAST): D(4), ("A", WEST): D(3)}
    allocation = allocate(demands, [EAST, WEST], stock, split=True)
    assert [(p.warehouse_id, p.quantity) for p in allocation.picks] == [(EAST, 4), (WEST, 3)]
    assert allocation.short == {1: D(3)}


def test_ship_complete_allocates_nothing_when_no_warehouse_has_it_all() -> None:
    demands = [Demand(1, "A", D(1)), Demand(2, "B", D(1))]
    stock = {("A", EAST): D(1), ("B", WEST): D(1)}
    allocation = allocate(demands, [EAST, WEST], stock, split=False)
    assert allocation.picks == ()
    assert allocation.short == {1: D(1), 2: D(1)} or allocation.short


def test_warehouse_order_puts_the_region_first_then_the_rest() -> None:
    regions = {"CA": [WEST], "*": [EAST]}
    assert warehouse_order("CA", regions, [EAST, WEST, "WH-SOUTH"]) == [WEST, EAST, "WH-SOUTH"]
    assert warehouse_order("OH", regions, [WEST, EAST]) == [EAST, WEST]
    assert warehouse_order(None, {}, [WEST, EAST]) == [EAST, WEST]


quantities = st.integers(min_value=0, max_value=20).map(Decimal)


@given(
    wanted=st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 15)), min_size=1, max_size=6),
    east=st.fixed_dictionaries(dict.fromkeys("ABC", quantities)),
    west=st.fixed_dictionaries(dict.fromkeys("ABC", quantities)),
    split=st.booleans(),
)
def test_never_picks_more_than_a_warehouse_has_nor_more_than_wanted(
    wanted: list[tuple[str, int]], east: dict[str, Decimal], west: dict[str, Decimal], split: bool
) -> None:
    demands = [Demand(n, sku, Decimal(q)) for n, (sku, q) in enumerate(wanted, 1)]
    stock = {(s, EAST): q for s, q in east.items()} | {(s, WEST): q for s, q in west.items()}
    allocation = allocate(demands, [EAST, WEST], stock, split=split)
    taken: dict[tuple[str, str], Decimal] = {}
    for pick in allocation.picks:
        key = (pick.sku, pick.warehouse_id)
        taken[key] = taken.get(key, D(0)) + pick.quantity
        assert pick.quantity > 0
    assert all(taken[key] <= stock[key] for key in taken)
    for demand in demands:
        got = sum(
            (p.quantity for p in allocation.picks if p.line_number == demand.line_number), D(0)
        )
        assert got + allocation.short.get(demand.line_number, D(0)) == demand.quantity or not (
            allocation.picks
        )
