"""Which warehouses ship an order: by available to promise and the landscape's rules.

The candidate warehouses come in priority order for the order's ship-to
region (``flows.orders.regions``; the caller resolves it). Then:

1. the first warehouse that can ship **every** line complete ships all of it;
2. otherwise, with ``split`` allowed, each line is filled from the
   warehouses in priority order, a line split across warehouses only when no
   single one holds it; warehouses already shipping part of the order are
   preferred, so the order is split as little as the priority allows;
3. otherwise (``ship_complete``) nothing is allocated and the answer says
   which lines are short.

Quantities are in the units the available figures use. Pure: the caller
reserves what this proposes (``AtpBook.reserve``) with no wait in between,
so the proposal cannot go stale under concurrent orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Allocation", "Demand", "Pick", "allocate", "warehouse_order"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class Demand:
    """One order line to ship: its number, item and quantity."""

    line_number: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class Pick:
    """Part or all of one line, shipped from one warehouse."""

    warehouse_id: str
    line_number: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class Allocation:
    """The picks proposed, and what is left short per line (empty: complete)."""

    picks: tuple[Pick, ...]
    short: Mapping[int, Decimal]

    @property
    def complete(self) -> bool:
        return not self.short

    def warehouses(self) -> list[str]:
        """The warehouses shipping, in the order first picked."""
        return list(dict.fromkeys(pick.warehouse_id for pick in self.picks))

    def picks_of(self, warehouse_id: str) -> list[Pick]:
        return [pick for pick in self.picks if pick.warehouse_id == warehouse_id]


Available = Mapping[tuple[str, str], Decimal]
"""Available to promise by (sku, warehouse id)."""


def warehouse_order(
    region: str | None, regions: Mapping[str, Sequence[str]], known: Sequence[str]
) -> list[str]:
    """The warehouses to try for a ship-to ``region``: its own list first, then the rest."""
    preferred = list(regions.get(region or "", regions.get("*", ())))
    return preferred + sorted(wh for wh in known if wh not in preferred)


def allocate(
    demands: Sequence[Demand], warehouses: Sequence[str], available: Available, *, split: bool
) -> Allocation:
    """The warehouses to ship ``demands`` from, trying ``warehouses`` in priority order."""
    whole = _single_warehouse(demands, warehouses, available)
    if whole is not None:
        return Allocation(tuple(Pick(whole, d.line_number, d.sku, d.quantity) for d in demands), {})
    if not split:
        return Allocation((), _shortfall(demands, warehouses, available))
    return _split(demands, warehouses, available)


def _single_warehouse(
    demands: Sequence[Demand], warehouses: Sequence[str], available: Available
) -> str | None:
    totals = _totals(demands)
    for warehouse in warehouses:
        if all(available.get((sku, warehouse), ZERO) >= qty for sku, qty in totals.items()):
            return warehouse
    return None


def _split(
    demands: Sequence[Demand], warehouses: Sequence[str], available: Available
) -> Allocation:
    left = dict(available)
    used: list[str] = []
    picks: list[Pick] = []
    short: dict[int, Decimal] = {}
    for demand in demands:
        line_picks = _fill(demand, _preferring(used, warehouses), left)
        picks += line_picks
        used += [p.warehouse_id for p in line_picks if p.warehouse_id not in used]
        missing = demand.quantity - sum((p.quantity for p in line_picks), ZERO)
        if missing > 0:
            short[demand.line_number] = missing
    return Allocation(tuple(picks), short)


def _fill(
    demand: Demand, warehouses: Sequence[str], left: dict[tuple[str, str], Decimal]
) -> list[Pick]:
    whole = next(
        (wh for wh in warehouses if left.get((demand.sku, wh), ZERO) >= demand.quantity), None
    )
    order = [whole] if whole is not None else list(warehouses)
    picks = []
    wanted = demand.quantity
    for warehouse in order:
        take = min(wanted, max(left.get((demand.sku, warehouse), ZERO), ZERO))
        if take <= 0:
            continue
        left[(demand.sku, warehouse)] = left.get((demand.sku, warehouse), ZERO) - take
        picks.append(Pick(warehouse, demand.line_number, demand.sku, take))
        wanted -= take
        if wanted <= 0:
            break
    return picks


def _preferring(used: Sequence[str], warehouses: Sequence[str]) -> list[str]:
    return [*used, *(wh for wh in warehouses if wh not in used)]


def _totals(demands: Sequence[Demand]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for demand in demands:
        totals[demand.sku] = totals.get(demand.sku, ZERO) + demand.quantity
    return totals


def _shortfall(
    demands: Sequence[Demand], warehouses: Sequence[str], available: Available
) -> dict[int, Decimal]:
    """Per line, what the best single warehouse (the one covering most) still lacks."""
    best = max(
        warehouses,
        key=lambda wh: sum(min(available.get((d.sku, wh), ZERO), d.quantity) for d in demands),
        default=None,
    )
    left = {k: v for k, v in available.items() if best is not None and k[1] == best}
    short = {}
    for demand in demands:
        have = max(left.get((demand.sku, best or ""), ZERO), ZERO)
        take = min(have, demand.quantity)
        left[(demand.sku, best or "")] = have - take
        if take < demand.quantity:
            short[demand.line_number] = demand.quantity - take
    return short
