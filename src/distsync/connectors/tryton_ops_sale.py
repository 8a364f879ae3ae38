"""Sales orders in Tryton: create, confirm and process one; read it back.

Mapping (canonical ``SalesOrder`` <-> ``sale.sale``)::

    order_number               reference (the idempotency key); read back as
                               reference, else Tryton's number
    channel, external_order_id description, written ``<channel>:<external id>``
    customer.party_id          party.code
    ship_to                    shipment_address: an address of the customer with
                               the same street and postal code, created if missing
                               (its region left out when Tryton has not loaded it)
    ordered_at                 sale_date (read back as midnight UTC of that date)
    requested_ship_date        shipping_date
    ship_from_warehouse_id     warehouse.code (else the landscape's ``warehouse``)
    note                       comment
    lines[].line_number        sale.line.sequence
    lines[].item / quantity / unit_price   product.code / quantity + unit / unit_price
    lines[].discount           a line without product, "Discount on line N", at minus the amount
    shipping_charge            a line without product, "Shipping charge"

Confirming runs Tryton's ``process`` inline, which creates the outgoing
shipment (``shipment_method: order``); :mod:`tryton_ops_shipment` reads and
completes it. Carrier, payment reference and bill-to are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import (
    item_ref,
    line_numbers,
    money,
    party_ref,
    quantity,
    tryton_quantity,
    x2many_create,
)
from distsync.connectors.tryton_workflow import finish_confirmation
from distsync.model.parties import Address
from distsync.model.sales import SalesOrder, SalesOrderLine, SalesOrderStatus
from distsync.runtime.ports import Receipt

__all__ = ["create_sales_order", "find_sale", "read_sales_order"]

MODEL = "sale.sale"
SHIPPING = "Shipping charge"
DISCOUNT = "Discount on line "
HEADER_FIELDS = [
    "number", "reference", "description", "state", "shipment_state", "sale_date",
    "shipping_date", "party.code", "party.name", "warehouse.code", "currency.code", "comment",
    "lines", "shipment_address",
]  # fmt: skip
LINE_FIELDS = ["type", "sequence", "product.code", "description", "quantity", "unit", "unit_price"]
ADDRESS_FIELDS = [
    "party_name", "street", "city", "postal_code", "country.code", "subdivision.code",
]  # fmt: skip


def find_sale(directory: TrytonDirectory, order_number: str) -> dict[str, Any] | None:
    """The sale whose reference (else number) is ``order_number``, oldest first."""
    return directory.find_document(MODEL, order_number, ["state", "shipments"])


def create_sales_order(directory: TrytonDirectory, order: SalesOrder, *, warehouse: str) -> Receipt:
    """Create, quote and confirm ``order`` unless a sale with its reference exists.

    ``warehouse`` is the canonical warehouse id used when the order names none.
    """
    existing = directory.find_reference(MODEL, order.order_number)
    if existing is not None:
        finish_confirmation(directory.rpc, MODEL, int(existing["id"]), str(existing["state"]))
        return Receipt(remote_id=str(existing["id"]), duplicate=True)
    values = _values(directory, order, order.ship_from_warehouse_id or warehouse)
    (sale_id,) = directory.rpc.model(MODEL, "create", [values])
    finish_confirmation(directory.rpc, MODEL, int(sale_id), "draft")
    return Receipt(remote_id=str(sale_id), duplicate=False)


def _values(directory: TrytonDirectory, order: SalesOrder, warehouse: str) -> dict[str, Any]:
    company, _, _ = directory.company()
    customer = directory.party(order.customer.party_id)
    address = _address_id(directory, customer.id, order.ship_to)
    lines = [_line_values(directory, order, line) for line in order.lines]
    lines += _extra_lines(order)
    return {
        "company": company,
        "party": customer.id,
        "invoice_address": customer.address or address,
        "shipment_address": address,
        "warehouse": directory.warehouse(warehouse).id,
        "currency": directory.currency(order.currency),
        "invoice_method": "manual",
        "shipment_method": "order",
        "reference": order.order_number,
        "description": f"{order.channel}:{order.external_order_id}",
        "sale_date": order.ordered_at.date(),
        "shipping_date": order.requested_ship_date,
        "comment": order.note,
        "lines": x2many_create(lines),
    }


def _line_values(
    directory: TrytonDirectory, order: SalesOrder, line: SalesOrderLine
) -> dict[str, Any]:
    product = directory.product(line.item.sku, document_ref=f"sales_order:{order.order_number}")
    return {
        "type": "line",
        "sequence": line.line_number,
        "product": product.id,
        "quantity": tryton_quantity(line.quantity.value),
        "unit": directory.unit(line.quantity.uom).id,
        "unit_price": line.unit_price.amount,
    }


def _extra_lines(order: SalesOrder) -> list[dict[str, Any]]:
    extras = [
        (f"{DISCOUNT}{line.line_number}", -line.discount.amount)
        for line in order.lines
        if line.discount is not None
    ]
    if order.shipping_charge is not None:
        extras.append((SHIPPING, order.shipping_charge.amount))
    last = max(line.line_number for line in order.lines)
    return [
        {"type": "line", "sequence": last + index, "description": text, "quantity": 1.0,
         "unit_price": amount}
        for index, (text, amount) in enumerate(extras, 1)
    ]  # fmt: skip


def _address_id(directory: TrytonDirectory, party_id: int, address: Address) -> int:
    street = "\n".join(address.lines)
    found = directory.rpc.model(
        "party.address", "search",
        [["party", "=", party_id], ["street", "=", street],
         ["postal_code", "=", address.postal_code]], 0, 1, None,
    )  # fmt: skip
    if found:
        return int(found[0])
    values: dict[str, Any] = {
        "party": party_id,
        "party_name": address.name,
        "street": street,
        "city": address.city,
        "postal_code": address.postal_code,
        "country": directory.country(address.country),
    }
    subdivision = (
        directory.find_subdivision(f"{address.country}-{address.region}")
        if address.region
        else None
    )
    if subdivision is not None:  # a region Tryton has not loaded: city and postal code say it
        values["subdivision"] = subdivision
    (created,) = directory.rpc.model("party.address", "create", [values])
    return int(created)


def read_sales_order(directory: TrytonDirectory, order_number: str) -> SalesOrder | None:
    """The sale with this reference (else number) as a canonical order, if Tryton has it."""
    found = find_sale(directory, order_number)
    if found is None:
        return None
    (row,) = directory.rpc.model(MODEL, "read", [found["id"]], HEADER_FIELDS)
    lines = directory.rpc.model("sale.line", "read", row["lines"], LINE_FIELDS)
    (address,) = directory.rpc.model(
        "party.address", "read", [row["shipment_address"]], ADDRESS_FIELDS
    )
    return _order(directory, row, sorted(lines, key=lambda ln: ln["sequence"] or 0), address)


def read_address(row: Mapping[str, Any]) -> Address:
    """A ``party.address`` row (with ``country.`` and ``subdivision.``) as a canonical Address."""
    subdivision = (row.get("subdivision.") or {}).get("code") or ""
    return Address(
        name=row.get("party_name") or None,
        lines=tuple(line for line in (row.get("street") or "").splitlines() if line.strip()),
        city=row["city"],
        region=subdivision.partition("-")[2] or None,
        postal_code=row["postal_code"],
        country=(row.get("country.") or {}).get("code") or "US",
    )


def _order(
    directory: TrytonDirectory,
    row: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    address: Mapping[str, Any],
) -> SalesOrder:
    currency = row["currency."]["code"]
    goods = [line for line in lines if line["product."]]
    extras = {line["description"]: line for line in lines if not line["product."]}
    channel, _, external = (row["description"] or "").partition(":")
    shipping = extras.get(SHIPPING)
    return SalesOrder(
        order_number=row["reference"] or row["number"],
        external_order_id=external or row["number"],
        channel=channel if external else "erp",
        status=_status(row),
        ordered_at=datetime.combine(row["sale_date"], time(), tzinfo=UTC),
        customer=party_ref(row["party."]),
        ship_to=read_address(address),
        requested_ship_date=row["shipping_date"] or row["sale_date"],
        ship_from_warehouse_id=directory.warehouse_id_of(row["warehouse."]["code"]),
        currency=currency,
        shipping_charge=money(shipping["unit_price"], currency) if shipping else None,
        note=row["comment"] or None,
        lines=tuple(
            _line(directory, number, line, extras.get(f"{DISCOUNT}{number}"), currency)
            for number, line in zip(line_numbers(goods), goods, strict=True)
        ),
    )


def _line(
    directory: TrytonDirectory,
    number: int,
    line: Mapping[str, Any],
    discount: Mapping[str, Any] | None,
    currency: str,
) -> SalesOrderLine:
    return SalesOrderLine(
        line_number=number,
        item=item_ref(line["product."]),
        quantity=quantity(directory, line["quantity"], int(line["unit"])),
        unit_price=money(line["unit_price"], currency),
        discount=money(-Decimal(discount["unit_price"]), currency) if discount else None,
    )


def _status(row: Mapping[str, Any]) -> SalesOrderStatus:
    state, shipment = row["state"], row["shipment_state"]
    if state == "cancelled":
        return SalesOrderStatus.CANCELLED
    if state in ("draft", "quotation"):
        return SalesOrderStatus.RECEIVED
    if shipment == "sent" or state == "done":
        return SalesOrderStatus.SHIPPED
    if shipment == "partially shipped":
        return SalesOrderStatus.PARTIALLY_SHIPPED
    return SalesOrderStatus.CONFIRMED
