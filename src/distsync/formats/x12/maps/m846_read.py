"""Reading a validated 846 into an ``InventorySnapshot`` (see ``m846`` for what maps to what)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, x12_datetime, x12_decimal
from distsync.formats.x12.maps.helpers_810_846 import (
    DEFAULT_UOM,
    Anchor,
    Block,
    Problems,
    interchange_party,
    product_ids,
    sku_id,
    tree,
    whole_number,
)
from distsync.formats.x12.schema import SetSpec
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.units import Quantity

ON_HAND, ALLOCATED, AVAILABLE = "17", "27", "33"
NONCOMMITTED_ON_SHELF = "34"
WAREHOUSE_ROLES = ("WH", "SF", "SE", "SU", "VN")
LOT = "LT"
ZONES = {
    "UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6,
    "PS": -8, "PD": -7, "AS": -4, "AD": -3, "HS": -10,
}  # fmt: skip
"""DTM04 time codes with a fixed offset from UTC (hours)."""


def complete_purpose(options: MapOptions) -> str:
    """The BIA01 purpose that marks a complete snapshot (option ``complete_purpose``)."""
    return options.qualifier("complete_purpose", "05")


class SnapshotReading:
    """One 846 set being read; ``problems`` gathers what the canonical model refuses."""

    def __init__(self, transaction: TransactionSet, spec: SetSpec, options: MapOptions) -> None:
        self.transaction = transaction
        self.options = options
        self.root = tree(transaction, spec)
        self.problems = Problems(transaction)
        self.anchors: dict[str, Anchor] = {}

    def snapshot(self) -> InventorySnapshot | None:
        bia = self.root.first("BIA")
        if bia is None:
            self.problems.add("the set has no BIA segment to map", -1)
            return None
        as_of = self._as_of(self.root, bia)
        warehouse = self._warehouse()
        lins = self.root.all("LIN")
        balances = [self._balance(lin, warehouse, as_of) for lin in lins]
        self._check_count(len(lins))
        if self.problems.has_errors or as_of is None:
            return None
        self.anchors |= {f"balances.{i}": (lin.index, None) for i, lin in enumerate(lins)}
        segment = bia.segment
        return self.problems.attempt_document(
            lambda: InventorySnapshot(
                snapshot_id=segment.element(3).strip(),
                warehouse_id=warehouse,
                as_of=as_of,
                complete=segment.element(1) == complete_purpose(self.options),
                balances=tuple(b for b in balances if b is not None),
            ),
            self.anchors,
            (bia.index, 3),
        )

    # -- header -----------------------------------------------------------------------

    def _as_of(self, block: Block, bia: Block | None = None) -> datetime | None:
        """A DTM*007 of ``block`` (option ``as_of``), else BIA04/BIA05."""
        qualifier = self.options.qualifier("as_of", "007")
        dtm = next((b for b in block.all("DTM") if b.segment.element(1) == qualifier), None)
        if dtm is not None:
            return self._moment(dtm, 2, 3, dtm.segment.element(4))
        return self._moment(bia, 4, 5, "") if bia is not None else None

    def _moment(self, block: Block, day: int, clock: int, zone: str) -> datetime | None:
        segment = block.segment
        what = f"{segment.tag}{day:02d}"
        moment = self.problems.attempt(
            lambda: x12_datetime(segment.element(day), segment.element(clock) or None, what),
            block.index,
        )
        if moment is None or not zone or zone in ("UT", "GM"):
            return moment
        if zone not in ZONES:
            self.problems.warn(f"time code {zone!r} has no fixed offset; read as UTC",
                               block.index, 4)  # fmt: skip
            return moment
        return moment.replace(tzinfo=timezone(timedelta(hours=ZONES[zone])))

    def _warehouse(self) -> str:
        wanted = (self.options.qualifier("warehouse", "WH"), *WAREHOUSE_ROLES)
        named = [b for b in self.root.all("N1") if b.segment.element(4).strip()]
        found = next((b for role in wanted for b in named if b.segment.element(1) == role), None)
        if found is None:
            sender = interchange_party(self.transaction, sender=True)
            self.problems.warn(f"no N1 names the warehouse: the interchange sender {sender!r} "
                               "is used", -1)  # fmt: skip
            return sender
        self.anchors["warehouse_id"] = (found.index, 4)
        return self.options.from_partner("warehouse", found.segment.element(4).strip())

    # -- balances ---------------------------------------------------------------------

    def _balance(
        self, lin: Block, warehouse: str, as_of: datetime | None
    ) -> InventoryBalance | None:
        sku = sku_id(product_ids(lin.segment, 2, 31), self.options)
        quantities, refused = self._quantities(lin)
        on_hand, allocated = quantities.get(ON_HAND), quantities.get(ALLOCATED)
        available = quantities.get(AVAILABLE) or quantities.get(NONCOMMITTED_ON_SHELF)
        on_hand = on_hand or available
        if on_hand is None and not refused:
            item = sku[1] if sku else "?"
            message = f"no quantity on hand (QTY {ON_HAND}) or available (QTY {AVAILABLE})"
            self.problems.add(f"{message} for item {item}", lin.index)
        balance_as_of = self._as_of(lin) or as_of
        if on_hand is None or refused or balance_as_of is None:
            return None
        return self.problems.attempt(
            lambda: InventoryBalance(
                sku=sku[1] if sku else "",
                warehouse_id=warehouse,
                location_id=self._reference(lin, self.options.qualifier("location", "LU")),
                lot=self._reference(lin, LOT),
                on_hand=on_hand,
                allocated=allocated or Quantity(value=Decimal(0), uom=on_hand.uom),
                available=available,
                as_of=balance_as_of,
            ),
            lin.index,
            {"sku": sku[0] if sku else 3},
        )

    def _quantities(self, lin: Block) -> tuple[dict[str, Quantity], bool]:
        """Quantity by QTY01 code (the first of each), and whether one was refused."""
        found: dict[str, Quantity] = {}
        refused = False
        for block in lin.all("QTY"):
            code = block.segment.element(1)
            if code in found or code not in (ON_HAND, ALLOCATED, AVAILABLE, NONCOMMITTED_ON_SHELF):
                continue
            quantity = self._quantity(block, lin.first("UIT"))
            if quantity is None:
                refused = True
            else:
                found[code] = quantity
        return found, refused

    def _quantity(self, block: Block, lin_unit: Block | None) -> Quantity | None:
        qty, unit = block.segment, block.first("UIT") or lin_unit
        uom = qty.element(3) or (unit.segment.element(1) if unit else DEFAULT_UOM)
        return self.problems.attempt(
            lambda: Quantity(
                value=x12_decimal(qty.element(2), f"QTY02 (quantity {qty.element(1)})"),
                uom=self.options.from_partner("uom", uom),
            ),
            block.index,
            {"value": 2, "uom": 3},
        )

    @staticmethod
    def _reference(lin: Block, qualifier: str) -> str | None:
        ref = next((b for b in lin.all("REF") if b.segment.element(1) == qualifier), None)
        return (ref.segment.element(2).strip() or None) if ref else None

    def _check_count(self, lins: int) -> None:
        ctt = self.root.first("CTT")
        if ctt is not None and whole_number(ctt.segment.element(1)) != lins:
            self.problems.warn(f"CTT01 says {ctt.segment.element(1)} items, the set has {lins}",
                               ctt.index, 1)  # fmt: skip
