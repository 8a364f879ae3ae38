"""Allocate an accepted order: pick warehouses, reserve stock, post sales, send shipment orders.

Warehouses are tried in the order ``flows.orders.regions`` gives for the
ship-to region (``rules/allocation.py``), each with what it can promise now.
The proposal is reserved in the stock book at once, with no wait in between,
so concurrent orders never promise the same units. Then, per warehouse (a
**portion** of the order, shipment order number ``<order>-<warehouse>``):

- ``inventory.reserved`` for each line picked there (the book's reservation,
  made durable in the log; the inventory flow finds it already held);
- the portion as a sales order to the ERP (``create_sales_order``; its
  reference is the shipment order number, so a retry never posts it twice);
- a shipment order to the warehouse: an X12 940 to a 3PL partner or
  ``shipment_order`` to a WMS (``flows.orders.warehouses``).

A line that cannot be filled (only when a person released an order short of
stock) is kept as a backorder. With ``split: false`` an order no single
warehouse can ship is not allocated: the answer is a hold reason.
"""

from __future__ import annotations

from decimal import Decimal

from distsync.flows.order_deps import OrderDeps
from distsync.flows.order_records import OrderRecord, Portion
from distsync.model.inventory import InventoryReservation
from distsync.model.parties import PartyRef
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.shipping import ShipmentOrder, ShipmentOrderLine
from distsync.model.units import Quantity
from distsync.rules.allocation import Allocation, Demand, Pick, allocate, warehouse_order
from distsync.rules.order_validation import Decision, OrderVerdict, Reason
from distsync.rules.tolerances import plain
from distsync.runtime.context import HandlerContext

__all__ = ["RESERVED_EVENT", "SHIPMENT_INDEX", "allocate_order", "portion_order"]

RESERVED_EVENT = "inventory.reserved"
SHIPMENT_INDEX = "orders.shipment_order"
STOCK_WAIVED = "insufficient_stock"


def allocate_order(
    ctx: HandlerContext, deps: OrderDeps, record: OrderRecord, verdict: OrderVerdict
) -> Reason | None:
    """Allocate the accepted lines; a hold reason instead when they cannot be allocated."""
    order = record.sales_order()
    accepted = {line.line_number for line in verdict.lines if line.decision is Decision.ACCEPT}
    demands = [
        Demand(line.line_number, line.item.sku, line.quantity.value)
        for line in order.lines
        if line.line_number in accepted
    ]
    allocation = _propose(deps, order, demands)
    refusal = _refusal(deps, record, allocation)
    if refusal is not None:
        return refusal
    _reserve(ctx, deps, order, allocation)
    for warehouse in allocation.warehouses():
        _send_portion(ctx, deps, record, warehouse, allocation.picks_of(warehouse))
    record.backorders = dict(allocation.short)
    record.move("allocated", ctx, ", ".join(allocation.warehouses()))
    deps.terms.commit(deps.customer_id(order), _amount(order, allocation))
    return None


def _propose(deps: OrderDeps, order: SalesOrder, demands: list[Demand]) -> Allocation:
    warehouses = warehouse_order(order.ship_to.region, deps.policy.regions, deps.warehouses())
    available = {
        (demand.sku, wh): deps.stock.available(demand.sku, wh)
        for demand in demands
        for wh in warehouses
    }
    return allocate(demands, warehouses, available, split=deps.policy.split)


def _refusal(deps: OrderDeps, record: OrderRecord, allocation: Allocation) -> Reason | None:
    if not deps.warehouses():
        return Reason("no_warehouse", "flows.orders.warehouses names no warehouse to ship from")
    if allocation.complete or (allocation.picks and STOCK_WAIVED in record.overrides):
        return None
    short = ", ".join(f"line {n}: {plain(q)}" for n, q in sorted(allocation.short.items()))
    if deps.policy.split:
        return Reason("insufficient_stock", f"not enough available to promise ({short} short)")
    return Reason("ship_complete", f"no single warehouse can ship the whole order ({short} short)")


def _reserve(
    ctx: HandlerContext, deps: OrderDeps, order: SalesOrder, allocation: Allocation
) -> None:
    now = deps.clock()
    lines = {line.line_number: line for line in order.lines}
    for pick in allocation.picks:
        reservation_id = f"{order.order_number}/{pick.line_number}@{pick.warehouse_id}"
        decision = deps.stock.reserve(
            pick.sku, pick.warehouse_id, pick.quantity, reservation_id, now
        )
        if not decision.ok:
            ctx.log.warning(
                "reservation_refused", reservation_id=reservation_id, why=decision.reason
            )
        line = lines[pick.line_number]
        reservation = InventoryReservation(
            reservation_id=reservation_id,
            item=line.item,
            warehouse_id=pick.warehouse_id,
            quantity=Quantity(value=pick.quantity, uom=line.quantity.uom),
            sales_order_number=order.order_number,
            sales_order_line_number=pick.line_number,
            reserved_at=now,
        )
        ctx.emit(
            RESERVED_EVENT,
            reservation.model_dump(mode="json"),
            idempotency_key=f"{RESERVED_EVENT}:{reservation_id}",
            partition_key=f"{pick.sku}@{pick.warehouse_id}",
        )


def _send_portion(
    ctx: HandlerContext, deps: OrderDeps, record: OrderRecord, warehouse: str, picks: list[Pick]
) -> None:
    order = record.sales_order()
    number = f"{order.order_number}-{warehouse}"
    allocated = {pick.line_number: pick.quantity for pick in picks}
    sale = portion_order(
        order, number, warehouse, allocated, deps.customer_id(order), first=not record.portions
    )
    ctx.send(
        deps.policy.erp,
        "create_sales_order",
        sale.model_dump(mode="json"),
        idempotency_key=f"sale:{number}",
        order_key=f"erp:{number}",
    )
    destination, operation = deps.warehouse_route(warehouse)
    shipment = _shipment_order(order, sale, number, warehouse, deps)
    ctx.send(
        destination,
        operation,
        shipment.model_dump(mode="json"),
        idempotency_key=f"shipment_order:{number}",
        order_key=f"warehouse:{number}",
    )
    ctx.write(SHIPMENT_INDEX, number, {"order_number": order.order_number, "warehouse": warehouse})
    record.portions.append(
        Portion(warehouse_id=warehouse, shipment_order_number=number, allocated=allocated)
    )


def portion_order(
    order: SalesOrder,
    number: str,
    warehouse: str,
    allocated: dict[int, Decimal],
    customer_id: str,
    *,
    first: bool,
) -> SalesOrder:
    """What one warehouse ships of ``order`` (``allocated``: quantity per line), as the ERP's
    sale; discounts pro rata, lines of no quantity left out."""
    lines = [
        _portion_line(line, allocated[line.line_number])
        for line in order.lines
        if allocated.get(line.line_number, Decimal(0)) > 0
    ]
    return order.model_copy(
        update={
            "order_number": number,
            "ship_from_warehouse_id": warehouse,
            "customer": PartyRef(party_id=customer_id, name=order.customer.name),
            "shipping_charge": order.shipping_charge if first else None,
            "lines": tuple(lines),
        }
    )


def _portion_line(line: SalesOrderLine, quantity: Decimal) -> SalesOrderLine:
    discount = line.discount
    if discount is not None and quantity != line.quantity.value:
        share = (discount.amount * quantity / line.quantity.value).quantize(Decimal("0.01"))
        discount = discount.model_copy(update={"amount": share})
    return line.model_copy(
        update={
            "quantity": line.quantity.model_copy(update={"value": quantity}),
            "discount": discount,
        }
    )


def _shipment_order(
    order: SalesOrder, sale: SalesOrder, number: str, warehouse: str, deps: OrderDeps
) -> ShipmentOrder:
    return ShipmentOrder(
        shipment_order_number=number,
        sales_order_number=order.order_number,
        warehouse_id=warehouse,
        released_at=deps.clock(),
        requested_ship_date=order.requested_ship_date,
        customer=sale.customer,
        ship_to=order.ship_to,
        carrier=order.carrier,
        note=order.note,
        lines=tuple(
            ShipmentOrderLine(
                line_number=line.line_number,
                sales_order_line_number=line.line_number,
                item=line.item,
                quantity=line.quantity,
            )
            for line in sale.lines
        ),
    )


def _amount(order: SalesOrder, allocation: Allocation) -> Decimal:
    total = Decimal(0)
    for pick in allocation.picks:
        line = order.line(pick.line_number)
        if line is not None:
            total += pick.quantity * line.unit_price.amount
    return total
