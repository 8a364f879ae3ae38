"""A B2B customer's purchase order (its X12 850) as our sales order.

The customer's 850 reads as a :class:`PurchaseOrder` seen from its side:
its PO number, its ship-to, its lines. To us it is a :class:`SalesOrder`::

    order_number        <channel>-<PO number>   (unique across customers)
    external_order_id   the PO number           (what the customer asks about)
    customer_po_number  the PO number
    customer            the partner's ERP party (partners.<name>.party_id)
    ship_to             N1*ST's address          (required: no address, no order)
    requested_ship_date the earliest requested delivery date of a line
    lines               item, quantity, unit price as ordered

The ship-to's location code (N104) is kept in the note, since the customer
knows its stores by it. Pure: no I/O.
"""

from __future__ import annotations

from distsync.errors import SchemaViolation
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder
from distsync.model.sales import SalesOrder, SalesOrderLine, SalesOrderStatus

__all__ = ["sales_order_from_po"]


def sales_order_from_po(po: PurchaseOrder, *, channel: str, customer_id: str) -> SalesOrder:
    """The sales order that customer ``customer_id`` places with its purchase order ``po``."""
    if po.ship_to is None:
        raise SchemaViolation(
            f"sales order from {channel}'s purchase order {po.po_number}: ship_to is "
            "required (an N1*ST loop with N3/N4), the order cannot ship without an address"
        )
    status = SalesOrderStatus.CANCELLED if po.status == "cancelled" else SalesOrderStatus.RECEIVED
    return SalesOrder(
        order_number=f"{channel}-{po.po_number}",
        external_order_id=po.po_number,
        channel=channel,
        status=status,
        ordered_at=po.issued_at,
        customer=PartyRef(party_id=customer_id, name=po.buyer.name),
        customer_po_number=po.po_number,
        ship_to=po.ship_to,
        requested_ship_date=max(
            min(line.requested_delivery_date for line in po.lines), po.issued_at.date()
        ),
        currency=po.currency,
        note=_note(po),
        payment_reference=po.payment_terms,
        lines=tuple(
            SalesOrderLine(
                line_number=line.line_number,
                item=line.item,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in po.lines
        ),
    )


def _note(po: PurchaseOrder) -> str | None:
    parts = [f"ship-to location {po.ship_to_warehouse_id}"] if po.ship_to_warehouse_id else []
    if po.note:
        parts.append(po.note)
    return "; ".join(parts) or None
