"""The purchase order as an acknowledgement makes it: the next revision, whole.

:func:`revise_order` takes the order and the assessment of its
acknowledgement (``ack_changes.assess_ack``) and returns revision + 1 with
the changes applied: new quantities, delivery dates and unit prices, the
substitute in place of the ordered item, rejected lines removed. An order
whose every line is rejected keeps its lines and becomes ``cancelled``.

Without a buyer only an assessment that needs none may be applied; once a
buyer accepted the exception, ``buyer_accepted=True`` applies every change.
A quantity acknowledged in another unit than the line's replaces the line's
quantity and unit, and the unit price is converted to that unit (six
decimal places) unless the acknowledgement gives a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from distsync.model.items import Item
from distsync.model.procurement import (
    AckLineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from distsync.rules.ack_changes import AckAssessment, AckLineDecision
from distsync.rules.uom import price_in

__all__ = ["revise_order"]

NO_ITEMS: Mapping[str, Item] = MappingProxyType({})


def revise_order(
    order: PurchaseOrder,
    assessment: AckAssessment,
    *,
    buyer_accepted: bool = False,
    items: Mapping[str, Item] = NO_ITEMS,
) -> PurchaseOrder | None:
    """The next revision of ``order``, or None when the acknowledgement changes nothing.

    Raises ValueError when the assessment needs a buyer and ``buyer_accepted``
    is false, or when it is not an assessment of this revision.
    """
    if (assessment.po_number, assessment.revision) != (order.po_number, order.revision):
        raise ValueError(
            f"the assessment is of {assessment.po_number} revision {assessment.revision}, "
            f"not of {order.describe()} revision {order.revision}"
        )
    if assessment.problems and not buyer_accepted:
        raise ValueError(f"{assessment.document_ref} needs a buyer's decision before it applies")
    if not assessment.changes_order:
        return None
    decisions = {d.line_number: d for d in assessment.lines if d.on_order}
    kept: list[PurchaseOrderLine] = []
    for line in order.lines:
        decision = decisions.get(line.line_number)
        if decision is None:
            kept.append(line)
        elif decision.status is not AckLineStatus.REJECTED:
            kept.append(_revised_line(order, line, decision, items))
    status = PurchaseOrderStatus.ACKNOWLEDGED if kept else PurchaseOrderStatus.CANCELLED
    return _rebuilt(order, status, kept)


def _rebuilt(
    order: PurchaseOrder, status: PurchaseOrderStatus, lines: list[PurchaseOrderLine]
) -> PurchaseOrder:
    """A validated copy: ``model_copy`` alone would skip the order's consistency checks."""
    revised = order.model_copy(
        update={
            "revision": order.revision + 1,
            "status": status,
            "lines": tuple(lines or order.lines),
        }
    )
    return PurchaseOrder.model_validate_json(revised.model_dump_json())


def _revised_line(
    order: PurchaseOrder,
    line: PurchaseOrderLine,
    decision: AckLineDecision,
    items: Mapping[str, Item],
) -> PurchaseOrderLine:
    answer = decision.ack_line
    if answer is None or not decision.changes:
        return line
    update: dict[str, object] = {}
    if answer.substitute_item is not None:
        update["item"] = answer.substitute_item
    if answer.changed_delivery_date is not None:
        update["requested_delivery_date"] = answer.changed_delivery_date
    if answer.changed_quantity is not None:
        update["quantity"] = answer.changed_quantity
    if answer.changed_unit_price is not None:
        if answer.changed_unit_price.currency != order.currency:
            raise ValueError(
                f"{decision.describe()}: a price in {answer.changed_unit_price.currency} cannot "
                f"go into {order.describe()}, which is in {order.currency}"
            )
        update["unit_price"] = answer.changed_unit_price
    elif answer.changed_quantity is not None and answer.changed_quantity.uom != line.quantity.uom:
        sku = line.item.sku
        amount = price_in(
            line.unit_price.amount,
            line.quantity.uom,
            answer.changed_quantity.uom,
            items.get(sku),
            sku=sku,
            document_ref=f"purchase_order:{order.po_number}",
        )
        update["unit_price"] = line.unit_price.model_copy(update={"amount": amount})
    return line.model_copy(update=update)
