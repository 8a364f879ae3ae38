"""Stock in the ERP against a warehouse's own count: the variances, and which need a person.

The warehouse is the system of record for what is on hand; the ERP must
follow it. :func:`reconcile` compares, per SKU of one warehouse, the ERP's
on hand with the warehouse's snapshot (lots and locations summed):

- ``difference`` is warehouse less ERP; ``percent`` is the difference in
  percent of the ERP's figure (``None`` when the ERP has nothing);
- a SKU only the snapshot lists is compared with nothing in the ERP and is
  always above threshold (``not in the ERP``: its master data is missing);
- a SKU only the ERP has is compared with 0 when the snapshot is complete
  (a complete snapshot says what it leaves out is not there), and not at
  all when it is partial;
- a SKU counted in another unit than the ERP's cannot be compared: always
  above threshold (the rule does not convert units).

A difference is **above threshold** when it exceeds every threshold set:
more than ``units`` in absolute units *and*, when ``percent`` is set, more
than that percentage of the ERP's figure (any difference is more than a
percentage of nothing). The defaults (0 units, no percentage) make every
difference count.

**Explained**: ``explained_by`` lists what timing alone adds to a
difference: postings between the count and the ERP. A receipt the warehouse
counted whose posting still waits in the outbox adds its quantity (the ERP
will gain it); one the ERP already has that came after the count takes it
away (``flows/reconcile_inflight.py`` finds both). A difference above
threshold whose remainder, after the in-flight quantity of its SKU and
warehouse, is within threshold is ``explained`` and names the postings;
anything else above threshold needs a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from distsync.errors import QuantityMismatch, Resolution
from distsync.model.inventory import InventorySnapshot

__all__ = [
    "InFlight",
    "InventoryVariance",
    "Thresholds",
    "Variance",
    "VarianceStatus",
    "reconcile",
    "variance_exception",
]

HUNDRED = Decimal(100)
NOT_IN_ERP = "not in the ERP"
NOT_COUNTED = "not in the warehouse's snapshot"


class VarianceStatus(StrEnum):
    """How one SKU's figures compare."""

    MATCHED = "matched"
    WITHIN_TOLERANCE = "within_tolerance"
    EXPLAINED = "explained"
    ABOVE_THRESHOLD = "above_threshold"


@dataclass(frozen=True)
class Thresholds:
    """What difference is tolerated: absolute units, and optionally percent of the ERP's figure."""

    units: Decimal = Decimal(0)
    percent: Decimal | None = None

    @classmethod
    def of(cls, units: float, percent: float | None = None) -> Thresholds:
        """From landscape floats, through their shortest text (``0.1`` stays ``0.1``)."""
        exact = None if percent is None else Decimal(repr(float(percent)))
        return cls(Decimal(repr(float(units))), exact)

    def exceeded_by(self, difference: Decimal, erp: Decimal) -> bool:
        if abs(difference) <= self.units:
            return False
        if self.percent is None or erp == 0:
            return True
        return abs(difference) * HUNDRED > abs(erp) * self.percent


@dataclass(frozen=True)
class InFlight:
    """What one posting between the count and the ERP adds to a SKU's difference.

    ``uom``: the unit of ``quantity``; it explains only a figure in that unit
    (``None``: in the figure's unit, whatever it is).
    """

    sku: str
    warehouse_id: str
    quantity: Decimal
    ref: str
    uom: str | None = None


@dataclass(frozen=True)
class Variance:
    """One SKU of one warehouse: both figures (``erp`` None when it lacks the SKU) and verdict."""

    sku: str
    warehouse_id: str
    uom: str
    erp: Decimal | None
    warehouse: Decimal
    difference: Decimal
    percent: Decimal | None
    status: VarianceStatus
    note: str = ""
    explained_by: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.sku}@{self.warehouse_id}"

    @property
    def needs_person(self) -> bool:
        return self.status is VarianceStatus.ABOVE_THRESHOLD


@dataclass(frozen=True)
class _Figure:
    value: Decimal
    uom: str


def reconcile(
    erp: InventorySnapshot,
    counted: InventorySnapshot,
    thresholds: Thresholds = Thresholds(),
    explained_by: Iterable[InFlight] = (),
) -> list[Variance]:
    """Every compared SKU of the warehouse, by SKU (see the module docstring)."""
    if erp.warehouse_id != counted.warehouse_id:
        raise ValueError(
            f"reconciling {counted.describe()}: the ERP's figures are of {erp.warehouse_id}"
        )
    ours, theirs = _totals(erp), _totals(counted)
    skus = set(theirs) | (set(ours) if counted.complete else set())
    flights = [f for f in explained_by if f.warehouse_id == counted.warehouse_id]
    return [
        _compare(sku, counted.warehouse_id, ours.get(sku), theirs.get(sku), thresholds, flights)
        for sku in sorted(skus)
    ]


def _totals(snapshot: InventorySnapshot) -> dict[str, _Figure]:
    totals: dict[str, _Figure] = {}
    for balance in snapshot.balances:
        quantity = balance.on_hand
        before = totals.get(balance.sku, _Figure(Decimal(0), quantity.uom))
        uom = before.uom if before.uom == quantity.uom else "mixed"
        totals[balance.sku] = _Figure(before.value + quantity.value, uom)
    return totals


def _compare(
    sku: str,
    warehouse_id: str,
    erp: _Figure | None,
    counted: _Figure | None,
    thresholds: Thresholds,
    flights: list[InFlight],
) -> Variance:
    uom = (counted or erp or _Figure(Decimal(0), "EA")).uom
    erp_value = None if erp is None else erp.value
    counted_value = Decimal(0) if counted is None else counted.value
    difference = counted_value - (erp_value or Decimal(0))
    percent = None if not erp_value else difference * HUNDRED / erp_value
    base = Variance(sku, warehouse_id, uom, erp_value, counted_value, difference, percent,
                    VarianceStatus.MATCHED, _note(erp, counted))  # fmt: skip
    if base.note and base.note != NOT_COUNTED:
        return replace(base, status=VarianceStatus.ABOVE_THRESHOLD)
    if difference == 0:
        return base
    if not thresholds.exceeded_by(difference, erp_value or Decimal(0)):
        return replace(base, status=VarianceStatus.WITHIN_TOLERANCE)
    mine = [f for f in flights if f.sku == sku and f.uom in (None, uom)]
    remainder = difference - sum((f.quantity for f in mine), Decimal(0))
    if mine and not thresholds.exceeded_by(remainder, erp_value or Decimal(0)):
        refs = tuple(f.ref for f in mine)
        return replace(base, status=VarianceStatus.EXPLAINED, explained_by=refs)
    return replace(base, status=VarianceStatus.ABOVE_THRESHOLD)


def _note(erp: _Figure | None, counted: _Figure | None) -> str:
    if erp is None:
        return NOT_IN_ERP
    if counted is None:
        return NOT_COUNTED
    if erp.uom != counted.uom:
        return f"counted in {counted.uom}, the ERP in {erp.uom}"
    return ""


class InventoryVariance(QuantityMismatch):
    """The ERP's stock of an item differs from the warehouse's count beyond threshold."""

    reason_code = "inventory_variance"


def variance_exception(row: Mapping[str, str]) -> InventoryVariance:
    """The exception to park for one line of the variance report (every value as text)."""
    sku, warehouse, uom = row["sku"], row["warehouse_id"], row["uom"]
    erp = f"{row['erp']} {uom}" if row["erp"] else "nothing (the item is not in the ERP)"
    percent = f", {row['percent']}%" if row["percent"] else ""
    note = f"; {row['note']}" if row["note"] and row["erp"] else ""
    return InventoryVariance(
        f"{warehouse} counts {row['warehouse']} {uom} of {sku} in snapshot {row['snapshot_id']}, "
        f"the ERP has {erp} (difference {row['difference']}{percent}){note}",
        document_ref=f"inventory:{sku}@{warehouse}",
        resolutions=(Resolution("discard", "Corrected in the ERP or recounted: close it"),),
        facts={
            "sku": sku,
            "warehouse": warehouse,
            "uom": uom,
            "erp": row["erp"],
            "warehouse_qty": row["warehouse"],
            "difference": row["difference"],
            "percent": row["percent"],
            "snapshot_id": row["snapshot_id"],
            "problem_key": f"inventory_variance:{sku}@{warehouse}/{row['snapshot_id']}",
        },
    )
