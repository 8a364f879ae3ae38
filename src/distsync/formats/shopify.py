"""Shopify ``orders/create`` webhook payloads -> canonical :class:`SalesOrder`. No I/O.

:func:`parse_order` takes the raw (already verified) body; :func:`map_order`
a decoded payload. The shop's order ``id`` is what its API knows the order
by (``external_order_id``); our ``order_number`` is ``<channel>-<order_number>``
(``shop-1001``), unique across shops. ``updated_at`` becomes
:attr:`ShopifyOrder.sequence`, microseconds since the epoch, the envelope's
``source_sequence``: an older update of the same order is skipped by the
runtime. Every refusal names the Shopify field (``line_items[1].sku``).
Amounts are decimal strings as Shopify sends them; a JSON number is read
exactly (never through a binary float).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, PartyRef
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.units import Quantity

__all__ = ["ShopifyOrder", "map_order", "parse_order", "sequence_of"]

TOPIC = "shopify orders/create"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNIT = "EA"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ShopifyOrder:
    """A mapped order and the shop's facts the envelope needs."""

    order: SalesOrder
    shop_order_id: str
    name: str
    updated_at: datetime
    sequence: int


def parse_order(body: bytes, *, channel: str) -> ShopifyOrder:
    """Decode ``body`` as JSON and map it; not JSON or not an object is MalformedDocument."""
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise MalformedDocument(f"{TOPIC}: the body is not JSON ({exc})") from exc
    if not isinstance(payload, dict):
        raise MalformedDocument(f"{TOPIC}: the body should be a JSON object")
    return map_order(payload, channel=channel)


def map_order(payload: Mapping[str, Any], *, channel: str) -> ShopifyOrder:
    """The canonical sales order of one ``orders/create`` payload from shop ``channel``."""
    shop_id = _identifier(payload, "id")
    currency = _text(payload, "currency")
    created = _timestamp(payload, "created_at")
    updated = _timestamp(payload, "updated_at")
    fields = {
        "order_number": f"{channel}-{_identifier(payload, 'order_number')}",
        "external_order_id": shop_id,
        "channel": channel,
        "ordered_at": created,
        "customer": _customer(payload.get("customer"), channel),
        "ship_to": _address(payload, "shipping_address", _email(payload)),
        "bill_to": _optional_address(payload, "billing_address"),
        "requested_ship_date": created.date(),
        "currency": currency,
        "shipping_charge": _shipping(payload, currency),
        "note": payload.get("note") or None,
        "lines": _lines(payload, currency),
    }
    order = _build(SalesOrder, fields, f"order {shop_id}")
    name = _text(payload, "name")
    return ShopifyOrder(order, shop_id, name, updated, sequence_of(updated))


def sequence_of(moment: datetime) -> int:
    """``moment`` as whole microseconds since the epoch: later means larger."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _lines(payload: Mapping[str, Any], currency: str) -> tuple[SalesOrderLine, ...]:
    items = payload.get("line_items")
    if not isinstance(items, list) or not items:
        raise SchemaViolation(f"{TOPIC}: line_items: should be a non-empty list")
    return tuple(_line(item, index, currency) for index, item in enumerate(items))


def _line(item: object, index: int, currency: str) -> SalesOrderLine:
    where = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise SchemaViolation(f"{TOPIC}: {where}: should be an object")
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise SchemaViolation(f"{TOPIC}: {where}.quantity: should be a whole number above 0")
    discount = _decimal(item, "total_discount", where, default="0")
    fields = {
        "line_number": index + 1,
        "item": ItemRef(sku=_text(item, "sku", where), description=item.get("title") or None),
        "quantity": Quantity(value=Decimal(quantity), uom=UNIT),
        "unit_price": Money(amount=_decimal(item, "price", where), currency=currency),
        "discount": Money(amount=discount, currency=currency) if discount else None,
        "external_line_id": _identifier(item, "id", where),
    }
    return _build(SalesOrderLine, fields, where)


def _customer(customer: object, channel: str) -> PartyRef:
    if not isinstance(customer, dict) or customer.get("id") is None:
        return PartyRef(party_id=f"{channel}/guest")  # a guest checkout has no customer
    names = (customer.get("first_name"), customer.get("last_name"))
    name = " ".join(str(part).strip() for part in names if part) or None
    fields = {"party_id": f"{channel}/{_identifier(customer, 'id', 'customer')}", "name": name}
    return _build(PartyRef, fields, "customer")


def _address(payload: Mapping[str, Any], key: str, email: str | None = None) -> Address:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise SchemaViolation(f"{TOPIC}: {key}: missing (an order to ship needs one)")
    parts = (value.get("company"), value.get("address1"), value.get("address2"))
    fields = {
        "name": value.get("name") or None,
        "lines": tuple(str(part).strip() for part in parts if part and str(part).strip()),
        "city": value.get("city"),
        "region": value.get("province_code") or value.get("province") or None,
        "postal_code": value.get("zip"),
        "country": value.get("country_code"),
        "phone": value.get("phone") or None,
        "email": email,
    }
    return _build(Address, fields, key)


def _optional_address(payload: Mapping[str, Any], key: str) -> Address | None:
    return _address(payload, key) if isinstance(payload.get(key), dict) else None


def _email(payload: Mapping[str, Any]) -> str | None:
    email = payload.get("email") or payload.get("contact_email")
    return str(email) if email else None


def _shipping(payload: Mapping[str, Any], currency: str) -> Money | None:
    charges = payload.get("shipping_lines") or []
    if not isinstance(charges, list):
        raise SchemaViolation(f"{TOPIC}: shipping_lines: should be a list")
    if not charges:
        return None
    total = sum(
        (_decimal(line, "price", f"shipping_lines[{i}]") for i, line in enumerate(charges)),
        Decimal(0),
    )
    return Money(amount=total, currency=currency)


def _identifier(data: Mapping[str, Any], key: str, where: str = "") -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
        raise SchemaViolation(f"{TOPIC}: {_path(where, key)}: should be a number or text id")
    return str(value).strip()


def _text(data: Mapping[str, Any], key: str, where: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SchemaViolation(f"{TOPIC}: {_path(where, key)}: missing or empty")
    return value.strip()


def _decimal(data: object, key: str, where: str, default: str | None = None) -> Decimal:
    value = data.get(key, default) if isinstance(data, dict) else None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        if amount.is_finite():
            return amount
    raise SchemaViolation(f"{TOPIC}: {_path(where, key)}: {value!r} is not a decimal amount")


def _timestamp(data: Mapping[str, Any], key: str) -> datetime:
    text = _text(data, key)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SchemaViolation(f"{TOPIC}: {key}: {text!r} is not an ISO 8601 time with an offset")
    return moment


def _build(model: type[M], fields: Mapping[str, Any], where: str) -> M:
    try:
        return model.model_validate(dict(fields), strict=False)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(whole)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise SchemaViolation(f"{TOPIC}: {where}: {problems}") from None


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
