"""After release: the warehouse ships, the carrier delivers, the ERP invoices.

``shipment.confirmed`` (a 3PL's 945, a WMS's confirmation) names the
shipment order (``<order>-<warehouse>``). For a shipment not seen before:

- the ERP's outgoing shipment is done with the shipped quantities
  (``confirm_shipment``, in order after the portion's ``create_sales_order``);
- the portion's reservations are consumed (``inventory.reservation_released``)
  and the shipped stock leaves the book, both in the book at once
  (``StockBook.apply_now``): applied apart, through the inventory flow's
  own partitions, the reservation could end before the shipped quantity
  leaves and the item would look available again in between. The logged
  events then change nothing in the book, and rebuild it after a restart;
- each tracking number is indexed to the order, and the channel gets a
  fulfilment with them (``fulfillments`` to the shop's admin system);
- a line shipped short becomes a backorder on the order, or, with
  ``flows.orders.short_shipment: exception``, an exception
  (``short_shipment``) raised by its own event so the shipment still posts.

``shipment.delivered`` (the logistics flow, once per tracking number) marks
its portion delivered; when every portion is, the order is delivered and,
with ``invoice_on_delivery``, each portion's sale is invoiced in the ERP for
what it shipped (``invoice_sales_order``) and ``sales_order.completed`` emitted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from distsync.errors import BusinessException, RetryableError
from distsync.flows.order_allocation import SHIPMENT_INDEX, portion_order
from distsync.flows.order_deps import FULFILMENT_OPERATION, OrderDeps
from distsync.flows.order_records import TRACKING_KIND, OrderRecord, Portion, load_order, save_order
from distsync.model.inventory import InventoryReservation, ReservationStatus
from distsync.model.sales import SalesOrder
from distsync.model.shipping import ShipmentConfirmation
from distsync.model.units import Quantity
from distsync.rules.atp_events import InventoryEvent, reservation_event, shipment_events
from distsync.rules.tolerances import plain
from distsync.runtime.context import HandlerContext

__all__ = ["COMPLETED_EVENT", "SHORT_EVENT", "handle_confirmed", "handle_delivered", "handle_short"]

RELEASED_EVENT = "inventory.reservation_released"
SHORT_EVENT = "sales_order.short_shipped"
BACKORDER_EVENT = "sales_order.backordered"
COMPLETED_EVENT = "sales_order.completed"


class ShortShipment(BusinessException):
    """A warehouse shipped less than it was asked to."""

    reason_code = "short_shipment"


async def handle_confirmed(ctx: HandlerContext, deps: OrderDeps) -> None:
    confirmation = ctx.envelope.document(ShipmentConfirmation)
    number = confirmation.shipment_order_number
    record, portion = await _portion(ctx, number, f"shipment:{confirmation.shipment_id}")
    if confirmation.shipment_id in portion.shipment_ids:
        ctx.log.info("shipment_already_confirmed", shipment_id=confirmation.shipment_id)
        return
    portion.shipment_ids.append(confirmation.shipment_id)
    for line in confirmation.lines:
        shipped = portion.shipped.get(line.line_number, Decimal(0))
        portion.shipped[line.line_number] = shipped + line.shipped_quantity.value
    portion.tracking_numbers += _tracking_numbers(confirmation)
    ctx.send(
        deps.policy.erp,
        "confirm_shipment",
        ctx.envelope.payload,
        idempotency_key=f"shipment:{number}:{confirmation.shipment_id}",
        order_key=f"erp:{number}",
    )
    order = record.sales_order()
    ended = _consume(ctx, order, portion, confirmation.shipped_at)
    leaving = shipment_events(confirmation, ctx.envelope.received_at)
    deps.stock.apply_now([*leaving, *ended])
    _index_tracking(ctx, order.order_number, portion)
    _fulfil(ctx, deps, order, confirmation)
    _short(ctx, deps, record, portion)
    record.move(record.shipping_state(), ctx, f"{number} shipped as {confirmation.shipment_id}")
    save_order(ctx, record)


async def handle_short(ctx: HandlerContext, deps: OrderDeps) -> None:
    """Park a short shipment for a person (policy ``exception``)."""
    facts = ctx.envelope.payload
    raise ShortShipment(
        f"shipment order {facts['shipment_order_number']} shipped short: {facts['short']}",
        document_ref=f"sales_order:{facts['order_number']}",
        facts={key: str(value) for key, value in facts.items()},
    )


async def handle_delivered(ctx: HandlerContext, deps: OrderDeps) -> None:
    tracking = str(ctx.envelope.payload["tracking_number"])
    indexed = await ctx.documents.get_document(TRACKING_KIND, tracking)
    if indexed is None:
        raise RetryableError(f"delivery of {tracking}: no confirmed shipment has it (yet)")
    record, portion = await _portion(ctx, indexed.body["shipment_order_number"], tracking)
    if portion.delivered_at is not None:
        return
    delivered_at = ctx.envelope.payload.get("delivered_at")
    portion.delivered_at = (
        datetime.fromisoformat(delivered_at) if delivered_at else ctx.envelope.occurred_at
    )
    if not record.all_delivered():
        record.move(record.state, ctx, f"{portion.shipment_order_number} delivered")
    else:
        record.move("delivered", ctx, f"every portion delivered, the last by {tracking}")
        _invoice(ctx, deps, record)
    save_order(ctx, record)


async def _portion(ctx: HandlerContext, number: str, what: str) -> tuple[OrderRecord, Portion]:
    indexed = await ctx.documents.get_document(SHIPMENT_INDEX, number)
    record = (
        None if indexed is None else await load_order(ctx.documents, indexed.body["order_number"])
    )
    portion = None if record is None else record.portion(number)
    if record is None or portion is None:
        raise BusinessException(
            f"{what}: no released sales order has shipment order {number}",
            document_ref=what,
            reason_code="shipment_order_not_found",
            facts={"shipment_order_number": number},
        )
    return record, portion


def _tracking_numbers(confirmation: ShipmentConfirmation) -> list[str]:
    numbers = [confirmation.master_tracking_number]
    numbers += [package.tracking_number for package in confirmation.packages]
    return list(dict.fromkeys(n for n in numbers if n))


def _consume(
    ctx: HandlerContext, order: SalesOrder, portion: Portion, at: datetime
) -> list[InventoryEvent]:
    """Log the portion's reservations as consumed; the book's events that end them."""
    ended: list[InventoryEvent] = []
    for line_number, quantity in portion.allocated.items():
        line = order.line(line_number)
        if line is None:
            continue
        reservation_id = f"{order.order_number}/{line_number}@{portion.warehouse_id}"
        consumed = InventoryReservation(
            reservation_id=reservation_id,
            item=line.item,
            warehouse_id=portion.warehouse_id,
            quantity=Quantity(value=quantity, uom=line.quantity.uom),
            status=ReservationStatus.CONSUMED,
            sales_order_number=order.order_number,
            sales_order_line_number=line_number,
            reserved_at=at,
        )
        ctx.emit(
            RELEASED_EVENT,
            consumed.model_dump(mode="json"),
            idempotency_key=f"{RELEASED_EVENT}:{reservation_id}",
            partition_key=f"{line.item.sku}@{portion.warehouse_id}",
        )
        ended.append(reservation_event(consumed))
    return ended


def _index_tracking(ctx: HandlerContext, order_number: str, portion: Portion) -> None:
    for number in portion.tracking_numbers:
        ctx.write(
            TRACKING_KIND,
            number,
            {
                "order_number": order_number,
                "shipment_order_number": portion.shipment_order_number,
            },
        )


def _fulfil(
    ctx: HandlerContext, deps: OrderDeps, order: SalesOrder, confirmation: ShipmentConfirmation
) -> None:
    destination = deps.fulfilment_route(order.channel)
    if destination is None:
        return
    carrier = confirmation.carrier
    body: dict[str, Any] = {
        "fulfillment": {
            "order_id": order.external_order_id,
            "tracking_numbers": _tracking_numbers(confirmation),
            "tracking_company": carrier.name or carrier.scac or carrier.party_id,
            "line_items": [
                {"sku": line.item.sku, "quantity": int(line.shipped_quantity.value)}
                for line in confirmation.lines
                if line.shipped_quantity.value > 0
            ],
        }
    }
    ctx.send(
        destination,
        FULFILMENT_OPERATION,
        body,
        idempotency_key=f"fulfilment:{confirmation.shipment_order_number}:{confirmation.shipment_id}",
    )


def _short(ctx: HandlerContext, deps: OrderDeps, record: OrderRecord, portion: Portion) -> None:
    short = portion.short()
    if not short:
        return
    number = str(record.order["order_number"])
    shown = ", ".join(f"line {n}: {plain(q)}" for n, q in sorted(short.items()))
    facts = {
        "order_number": number,
        "shipment_order_number": portion.shipment_order_number,
        "warehouse": portion.warehouse_id,
        "short": shown,
    }
    if deps.policy.short_shipment == "exception":
        event, key = SHORT_EVENT, f"{SHORT_EVENT}:{portion.shipment_order_number}"
    else:
        event, key = BACKORDER_EVENT, f"{BACKORDER_EVENT}:{portion.shipment_order_number}"
        for line_number, gap in short.items():
            record.backorders[line_number] = record.backorders.get(line_number, Decimal(0)) + gap
    ctx.emit(event, facts, idempotency_key=key, partition_key=number)


def _invoice(ctx: HandlerContext, deps: OrderDeps, record: OrderRecord) -> None:
    order = record.sales_order()
    if deps.policy.invoice_on_delivery:
        for index, portion in enumerate(record.portions):
            sale = portion_order(
                order,
                portion.shipment_order_number,
                portion.warehouse_id,
                portion.shipped or portion.allocated,
                deps.customer_id(order),
                first=index == 0,
            )
            ctx.send(
                deps.policy.erp,
                "invoice_sales_order",
                sale.model_dump(mode="json"),
                idempotency_key=f"invoice:{portion.shipment_order_number}",
                order_key=f"erp:{portion.shipment_order_number}",
            )
        record.move("invoiced", ctx, "the ERP was asked to invoice every portion")
    ctx.emit(
        COMPLETED_EVENT,
        {"order_number": order.order_number, "state": record.state},
        idempotency_key=f"{COMPLETED_EVENT}:{order.order_number}",
        partition_key=order.order_number,
    )
