"""Open purchase-order lines, indexed for ship-notice matching.

An :class:`OpenPoLine` is what the matcher needs of one PO line: the ordered
quantity and what has shipped or been received so far, in the item's base
unit, plus where and when it should arrive. :func:`open_lines` builds them
from a ``PurchaseOrder`` and the item masters.

:class:`OpenLineIndex` holds them by PO number, then by line number and by
SKU, so that matching a notice costs a few dictionary look-ups per item
whatever the number of open lines. The flow keeps one index and updates it as
documents arrive: :meth:`~OpenLineIndex.apply` a clean match (its quantities
are consumed), :meth:`~OpenLineIndex.reverse` one that a replacing or
cancelling notice undoes, :meth:`~OpenLineIndex.revise_order` when a PO
revision arrives (progress carries over), :meth:`~OpenLineIndex.remove_order`
when it closes. The index is not thread-safe; one worker owns it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from distsync.model.items import Item
from distsync.model.procurement import PurchaseOrder
from distsync.rules.uom import value_in

if TYPE_CHECKING:
    from distsync.rules.asn_match import AsnMatch

__all__ = ["OpenLineIndex", "OpenLines", "OpenPoLine", "open_lines"]


@dataclass(frozen=True, slots=True)
class OpenPoLine:
    """One PO line as matching sees it; quantities in ``uom``, the item's base unit."""

    po_number: str
    line_number: int
    sku: str
    uom: str
    ordered: Decimal
    warehouse_id: str
    requested_delivery_date: date
    supplier_id: str
    shipped: Decimal = Decimal(0)
    received: Decimal = Decimal(0)

    @property
    def consumed(self) -> Decimal:
        """What no longer counts as open: the larger of shipped and received."""
        return max(self.shipped, self.received)

    @property
    def open_balance(self) -> Decimal:
        """What is still to come, never below zero."""
        return max(self.ordered - self.consumed, Decimal(0))


class OpenLines(Protocol):
    """What the matcher asks of the open lines (an :class:`OpenLineIndex`, or a baseline)."""

    def supplier_of(self, po_number: str) -> str | None:
        """The supplier of an open purchase order, None when the order is not known."""
        ...

    def line(self, po_number: str, line_number: int) -> OpenPoLine | None:
        """One line of an open purchase order."""
        ...

    def lines_with_sku(self, po_number: str, sku: str) -> tuple[OpenPoLine, ...]:
        """The lines of an open purchase order for one item, in line order."""
        ...


def open_lines(
    order: PurchaseOrder,
    items: Mapping[str, Item],
    shipped: Mapping[int, Decimal] | None = None,
    received: Mapping[int, Decimal] | None = None,
) -> tuple[OpenPoLine, ...]:
    """The lines of ``order`` in their items' base units, with progress so far per line number.

    Raises MissingUomConversion when a line's unit does not convert.
    """
    shipped, received = shipped or {}, received or {}
    result = []
    for index, line in enumerate(order.lines):
        sku = line.item.sku
        item = items.get(sku)
        unit = item.base_uom if item is not None else line.quantity.uom
        ordered = value_in(
            line.quantity,
            unit,
            item,
            sku=sku,
            document_ref=f"purchase_order:{order.po_number}",
            field=f"lines.{index}.quantity",
        )
        result.append(
            OpenPoLine(
                po_number=order.po_number,
                line_number=line.line_number,
                sku=sku,
                uom=unit,
                ordered=ordered,
                warehouse_id=order.ship_to_warehouse_of(line),
                requested_delivery_date=line.requested_delivery_date,
                supplier_id=order.supplier.party_id,
                shipped=shipped.get(line.line_number, Decimal(0)),
                received=received.get(line.line_number, Decimal(0)),
            )
        )
    return tuple(result)


class _Order:
    """The open lines of one purchase order, by line number and by SKU."""

    __slots__ = ("by_sku", "lines", "supplier_id")

    def __init__(self, supplier_id: str) -> None:
        self.supplier_id = supplier_id
        self.lines: dict[int, OpenPoLine] = {}
        self.by_sku: dict[str, tuple[OpenPoLine, ...]] = {}

    def put(self, line: OpenPoLine) -> None:
        before = self.lines.get(line.line_number)
        self.lines[line.line_number] = line
        if before is not None and before.sku != line.sku:
            self._set_sku(before.sku, self._without(before))
        kept = [*self._without(line), line]
        self._set_sku(line.sku, tuple(sorted(kept, key=lambda other: other.line_number)))

    def _without(self, line: OpenPoLine) -> tuple[OpenPoLine, ...]:
        same = self.by_sku.get(line.sku, ())
        return tuple(other for other in same if other.line_number != line.line_number)

    def _set_sku(self, sku: str, lines: tuple[OpenPoLine, ...]) -> None:
        if lines:
            self.by_sku[sku] = lines
        else:
            self.by_sku.pop(sku, None)


class OpenLineIndex:
    """Open PO lines by PO number, then line number and SKU; updated as matches apply."""

    def __init__(self, lines: Iterable[OpenPoLine] = ()) -> None:
        self._orders: dict[str, _Order] = {}
        for line in lines:
            self.put(line)

    def __len__(self) -> int:
        return sum(len(order.lines) for order in self._orders.values())

    def __iter__(self) -> Iterator[OpenPoLine]:
        for order in self._orders.values():
            yield from order.lines.values()

    def put(self, line: OpenPoLine) -> None:
        """Add a line, or replace the line with its PO and line number."""
        order = self._orders.get(line.po_number)
        if order is None:
            order = self._orders[line.po_number] = _Order(line.supplier_id)
        order.supplier_id = line.supplier_id
        order.put(line)

    def revise_order(self, lines: Iterable[OpenPoLine]) -> None:
        """Replace a PO's lines by a new revision's, keeping each line's progress so far."""
        fresh = tuple(lines)
        if not fresh:
            return
        current = self._orders.pop(fresh[0].po_number, None)
        for line in fresh:
            before = current.lines.get(line.line_number) if current else None
            self.put(_with_progress(line, before) if before else line)

    def remove_order(self, po_number: str) -> None:
        """Forget a closed or cancelled purchase order."""
        self._orders.pop(po_number, None)

    def supplier_of(self, po_number: str) -> str | None:
        """The supplier of an open purchase order, None when the order is not known."""
        order = self._orders.get(po_number)
        return None if order is None else order.supplier_id

    def line(self, po_number: str, line_number: int) -> OpenPoLine | None:
        """One line of an open purchase order."""
        order = self._orders.get(po_number)
        return None if order is None else order.lines.get(line_number)

    def lines_with_sku(self, po_number: str, sku: str) -> tuple[OpenPoLine, ...]:
        """The lines of an open purchase order for one item, in line order."""
        order = self._orders.get(po_number)
        return () if order is None else order.by_sku.get(sku, ())

    def apply(self, match: AsnMatch) -> None:
        """Consume what a clean match ships; refuses a match with problems."""
        if match.problems:
            raise ValueError(f"{match.document_ref} has problems; it cannot be applied")
        self._shift(match, Decimal(1))

    def reverse(self, match: AsnMatch) -> None:
        """Give back what an applied match consumed (its notice was replaced or cancelled)."""
        self._shift(match, Decimal(-1))

    def record_received(self, po_number: str, line_number: int, quantity: Decimal) -> None:
        """Add a received quantity (in the line's unit) to a line."""
        line = self._require(po_number, line_number)
        self.put(replace(line, received=line.received + quantity))

    def _shift(self, match: AsnMatch, sign: Decimal) -> None:
        for use in match.lines:
            line = self._require(use.po_number, use.line_number)
            self.put(replace(line, shipped=line.shipped + sign * use.quantity))

    def _require(self, po_number: str, line_number: int) -> OpenPoLine:
        line = self.line(po_number, line_number)
        if line is None:
            raise KeyError(f"purchase order {po_number} has no open line {line_number}")
        return line


def _with_progress(line: OpenPoLine, before: OpenPoLine) -> OpenPoLine:
    return replace(line, shipped=before.shipped, received=before.received)
