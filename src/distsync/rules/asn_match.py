"""Advance ship notice against open purchase-order lines: what matches, what it consumes.

:func:`match_asn` takes one notice, the open lines (an
:class:`~distsync.rules.asn_index.OpenLineIndex`), the supplier's
cross-reference, the item masters and the tolerances, and decides per item:

1. the purchase order must be known (else ``purchase_order_not_found``, which
   the flow retries for ``po_wait_minutes``) and be the sender's
   (``wrong_supplier``);
2. the item must map to one of our SKUs (``unknown_sku``);
3. the item names a PO line by number: the line's item must be the shipped
   one (else ``substitution``); a line number the PO does not have is
   matched by SKU instead, and a SKU on no line is ``item_not_on_po``;
4. the quantity converts to the line's base unit: by the partner's own pack
   size when its SKU mapping gives one for the unit shipped (ACME's ``CS``
   of 10), else through the unit cross-reference and the item master
   (``missing_uom_conversion``);

then per PO line, summing the notice's items for it:

5. the notice ships to the line's warehouse (``wrong_warehouse``) and
   arrives within ``asn_date_tolerance_days`` of the requested date
   (``delivery_window``; the expected delivery date, else the ship date);
6. shipped before plus shipped now stays within the ordered quantity plus
   ``asn_qty_tolerance_pct`` (``over_shipment``). Less is a partial shipment:
   the balance stays open.

Every problem is reported, not just the first (:attr:`AsnMatch.problems`;
:meth:`AsnMatch.exception` is what the flow parks the notice with). Items
with a problem do not match. A problem whose ``problem_key`` is in
``accepted`` (a person accepted it) lets its items match, beyond tolerance
if need be. Nothing changes until the flow applies a clean match to the
index; matching the same notice twice gives the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from distsync.errors import BusinessException
from distsync.model.asn import AdvanceShipNotice, AsnPurpose, ShippedItem
from distsync.model.items import Item, MissingUomConversion
from distsync.rules import asn_problems as problem
from distsync.rules.asn_index import OpenLines, OpenPoLine
from distsync.rules.exceptions import parking_exception
from distsync.rules.tolerances import Tolerances, share_of
from distsync.rules.uom import value_in
from distsync.rules.xref import PartnerXref, partner_sku, resolve_sku

__all__ = ["AsnMatch", "ItemMatch", "LineUse", "asn_ref", "match_asn"]


def asn_ref(asn: AdvanceShipNotice) -> str:
    """How exceptions name a notice: ``asn:<supplier party id>/<asn number>``."""
    return f"asn:{asn.supplier.party_id}/{asn.asn_number}"


@dataclass(frozen=True, slots=True)
class ItemMatch:
    """One notice item matched to a PO line; ``quantity`` in the line's base unit ``uom``.

    ``sku`` is the item shipped; it differs from ``ordered_sku`` only for an
    accepted substitution.
    """

    path: str
    po_number: str
    line_number: int
    sku: str
    ordered_sku: str
    quantity: Decimal
    uom: str
    lot: str | None


@dataclass(frozen=True, slots=True)
class LineUse:
    """What a notice ships against one PO line, and the line's balance (of shipped) around it."""

    po_number: str
    line_number: int
    sku: str
    uom: str
    ordered: Decimal
    shipped_before: Decimal
    quantity: Decimal

    @property
    def open_before(self) -> Decimal:
        """The open balance before this notice."""
        return max(self.ordered - self.shipped_before, Decimal(0))

    @property
    def open_after(self) -> Decimal:
        """The open balance once this notice is applied (zero when shipped in full)."""
        return max(self.ordered - self.shipped_before - self.quantity, Decimal(0))

    @property
    def over(self) -> Decimal:
        """How much more than ordered has shipped in all, once this notice is applied."""
        return max(self.shipped_before + self.quantity - self.ordered, Decimal(0))


@dataclass(frozen=True)
class AsnMatch:
    """The decision on one notice: matched items, consumption per PO line, every problem."""

    document_ref: str
    asn_number: str
    items: tuple[ItemMatch, ...]
    lines: tuple[LineUse, ...]
    problems: tuple[BusinessException, ...]

    @property
    def ok(self) -> bool:
        """True when nothing stops the notice: apply it and send it to the warehouse."""
        return not self.problems

    def exception(self) -> BusinessException | None:
        """The first problem with all of them in its facts, or None when the match is clean."""
        return parking_exception(self.problems)


@dataclass(frozen=True, slots=True)
class _Placed:
    entry: ShippedItem
    line: OpenPoLine
    sku: str
    quantity: Decimal


def match_asn(
    asn: AdvanceShipNotice,
    lines: OpenLines,
    *,
    xref: PartnerXref,
    items: Mapping[str, Item],
    tolerances: Tolerances,
    accepted: Collection[str] = frozenset(),
) -> AsnMatch:
    """Match every item of ``asn`` against the open lines; see the module docstring.

    ``accepted`` holds the ``problem_key`` facts of problems a person accepted.
    A cancelling notice is not matched: the flow reverses the match of the
    notice it cancels (``OpenLineIndex.reverse``).
    """
    if asn.purpose is AsnPurpose.CANCEL:
        raise ValueError(f"{asn.describe()} cancels a notice; reverse that notice's match instead")
    return _Matcher(asn, lines, xref, items, tolerances, accepted).run()


class _Matcher:
    def __init__(
        self,
        asn: AdvanceShipNotice,
        lines: OpenLines,
        xref: PartnerXref,
        items: Mapping[str, Item],
        tolerances: Tolerances,
        accepted: Collection[str],
    ) -> None:
        self.asn, self.lines, self.xref, self.items = asn, lines, xref, items
        self.tolerances, self.accepted = tolerances, accepted
        self.ref = asn_ref(asn)
        self.problems: dict[str, BusinessException] = {}
        self.delivery = asn.expected_delivery_date or asn.shipped_at.date()

    def run(self) -> AsnMatch:
        groups: dict[tuple[str, int], list[_Placed]] = {}
        for entry in self.asn.items():
            placed = self._place(entry)
            if placed is not None:
                key = (placed.line.po_number, placed.line.line_number)
                groups.setdefault(key, []).append(placed)
        blocked = self._check_lines(groups)
        clean = [group for key, group in groups.items() if key not in blocked]
        return AsnMatch(
            self.ref,
            self.asn.asn_number,
            tuple(_item_match(placed) for group in clean for placed in group),
            tuple(_line_use(group) for group in clean),
            tuple(self.problems.values()),
        )

    def _raise(self, exc: BusinessException) -> bool:
        """Record a problem unless a person accepted it; True when it stops the item."""
        key = exc.facts["problem_key"]
        if key in self.accepted:
            return False
        self.problems.setdefault(key, exc)
        return True

    def _place(self, entry: ShippedItem) -> _Placed | None:
        po_number = entry.po_number
        owner = self.lines.supplier_of(po_number)
        if owner is None:
            wait = Decimal(int(self.tolerances.po_wait.total_seconds())) / 60
            self._raise(problem.po_not_found(self.ref, po_number, wait_minutes=wait))
            return None
        sender = self.asn.supplier.party_id
        if owner != sender:
            self._raise(problem.wrong_supplier(self.ref, po_number, owner=owner, sender=sender))
            return None
        sku = resolve_sku(entry.item.item, self.xref, lambda s: self._known(po_number, s))
        if sku is None:
            self._raise(problem.unknown_sku(self.ref, entry.path, partner_sku(entry.item.item)))
            return None
        line = self._line_for(entry, sku)
        if line is None:
            return None
        quantity = self._quantity(entry, line, sku)
        return None if quantity is None else _Placed(entry, line, sku, quantity)

    def _known(self, po_number: str, sku: str) -> bool:
        return sku in self.items or bool(self.lines.lines_with_sku(po_number, sku))

    def _line_for(self, entry: ShippedItem, sku: str) -> OpenPoLine | None:
        line = self.lines.line(entry.po_number, entry.item.po_line_number)
        if line is not None:
            if line.sku != sku and self._raise(
                problem.substitution(self.ref, entry.path, line, sku)
            ):
                return None
            return line
        candidates = self.lines.lines_with_sku(entry.po_number, sku)
        if not candidates:
            self._raise(problem.item_not_on_po(self.ref, entry.path, entry.po_number, sku))
            return None
        return next((c for c in candidates if c.open_balance > 0), candidates[0])

    def _quantity(self, entry: ShippedItem, line: OpenPoLine, sku: str) -> Decimal | None:
        shipped = entry.item.quantity
        factor = self.xref.pack_factor(partner_sku(entry.item.item), shipped.uom)
        item = self.items.get(sku)
        if factor is not None and item is not None and line.uom == item.base_uom:
            return shipped.value * factor
        unit = self.xref.our_uom(shipped.uom)
        if unit is not None and unit != shipped.uom:
            shipped = shipped.model_copy(update={"uom": unit})
        try:
            return value_in(
                shipped,
                line.uom,
                self.items.get(sku),
                sku=sku,
                document_ref=self.ref,
                field=f"{entry.path}.quantity",
            )
        except MissingUomConversion as exc:
            self._raise(exc)
            return None

    def _check_lines(self, groups: dict[tuple[str, int], list[_Placed]]) -> set[tuple[str, int]]:
        """Warehouse, delivery window and over-shipment per PO line; the lines they stop."""
        elsewhere: dict[tuple[str, str], list[OpenPoLine]] = {}
        off_date: dict[tuple[str, date], list[OpenPoLine]] = {}
        days = self.tolerances.asn_date_days
        blocked = set()
        for key, group in groups.items():
            line = group[0].line
            if line.warehouse_id != self.asn.ship_to_warehouse_id:
                elsewhere.setdefault((line.po_number, line.warehouse_id), []).append(line)
            if abs((self.delivery - line.requested_delivery_date).days) > days:
                off_date.setdefault((line.po_number, line.requested_delivery_date), []).append(line)
            if self._over_shipped(line, _total(group)):
                blocked.add(key)
        shipped_to = self.asn.ship_to_warehouse_id
        for stopped in elsewhere.values():
            if self._raise(problem.wrong_warehouse(self.ref, stopped, shipped_to)):
                blocked.update((line.po_number, line.line_number) for line in stopped)
        for stopped in off_date.values():
            if self._raise(problem.delivery_window(self.ref, stopped, self.delivery, days)):
                blocked.update((line.po_number, line.line_number) for line in stopped)
        return blocked

    def _over_shipped(self, line: OpenPoLine, quantity: Decimal) -> bool:
        pct = self.tolerances.asn_qty_pct
        ceiling = line.ordered + share_of(line.ordered, pct) - line.shipped
        if quantity <= ceiling:
            return False
        return self._raise(problem.over_shipment(self.ref, line, quantity, ceiling, pct))


def _total(group: list[_Placed]) -> Decimal:
    return sum((placed.quantity for placed in group), Decimal(0))


def _line_use(group: list[_Placed]) -> LineUse:
    line = group[0].line
    return LineUse(
        line.po_number,
        line.line_number,
        line.sku,
        line.uom,
        line.ordered,
        line.shipped,
        _total(group),
    )


def _item_match(placed: _Placed) -> ItemMatch:
    line, item = placed.line, placed.entry.item
    return ItemMatch(
        placed.entry.path,
        line.po_number,
        line.line_number,
        placed.sku,
        line.sku,
        placed.quantity,
        line.uom,
        item.lot,
    )
