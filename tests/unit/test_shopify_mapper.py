"""Shopify ``orders/create`` payloads mapped to canonical sales orders (``formats.shopify``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.formats.shopify import map_order, parse_order, sequence_of
from distsync.model.catalog import validate_payload


def shopify_order(**changes: Any) -> dict[str, Any]:
    """An ``orders/create`` payload in Shopify's public webhook shape (trimmed)."""
    address = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "name": "Ada Lovelace",
        "company": None,
        "address1": "12 Analytical Way",
        "address2": "Suite 3",
        "city": "Springfield",
        "province": "Illinois",
        "province_code": "IL",
        "zip": "62701",
        "country": "United States",
        "country_code": "US",
        "phone": "+1 217 555 0100",
    }
    order: dict[str, Any] = {
        "id": 820982911946154508,
        "name": "#1001",
        "order_number": 1001,
        "email": "ada@example.com",
        "created_at": "2026-01-05T09:30:00-05:00",
        "updated_at": "2026-01-05T09:31:15-05:00",
        "currency": "USD",
        "total_price": "223.85",
        "financial_status": "paid",
        "note": "Leave at the back door",
        "customer": {
            "id": 115310627314723954,
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
        "shipping_address": address,
        "billing_address": {**address, "address2": None},
        "shipping_lines": [{"id": 1, "title": "Ground", "price": "9.95"}],
        "line_items": [
            {
                "id": 866550311766439020,
                "variant_id": 808950810,
                "title": "Widget",
                "sku": "WIDGET-1",
                "quantity": 2,
                "price": "99.95",
                "total_discount": "5.00",
            },
            {
                "id": 141249953214522974,
                "title": "Gadget",
                "sku": "GADGET-7",
                "quantity": 1,
                "price": "19.00",
                "total_discount": "0.00",
            },
        ],
    }
    order.update(changes)
    return order


def test_an_order_becomes_a_canonical_sales_order() -> None:
    mapped = map_order(shopify_order(), channel="shop")
    order = mapped.order

    assert (order.order_number, order.external_order_id, order.channel) == (
        "shop-1001",
        "820982911946154508",
        "shop",
    )
    assert (mapped.shop_order_id, mapped.name) == ("820982911946154508", "#1001")
    assert order.ordered_at == datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    assert order.requested_ship_date == date(2026, 1, 5)
    assert order.customer.party_id == "shop/115310627314723954"
    assert order.customer.name == "Ada Lovelace"
    assert order.ship_to.lines == ("12 Analytical Way", "Suite 3")
    assert (order.ship_to.region, order.ship_to.postal_code, order.ship_to.country) == (
        "IL",
        "62701",
        "US",
    )
    assert order.ship_to.email == "ada@example.com"
    assert order.bill_to is not None
    assert order.bill_to.lines == ("12 Analytical Way",)
    first, second = order.lines
    assert (first.line_number, first.item.sku, first.quantity.value, first.quantity.uom) == (
        1,
        "WIDGET-1",
        Decimal(2),
        "EA",
    )
    assert first.unit_price.amount == Decimal("99.95")
    assert first.discount is not None
    assert first.discount.amount == Decimal("5.00")
    assert (first.external_line_id, second.discount) == ("866550311766439020", None)
    assert order.shipping_charge is not None
    assert order.shipping_charge.amount == Decimal("9.95")
    assert order.total().amount == Decimal("223.85")  # Shopify's total_price, before tax


def test_the_mapped_order_is_a_valid_sales_order_received_payload() -> None:
    order = map_order(shopify_order(), channel="shop").order

    payload = validate_payload("sales_order.received", order.model_dump_json())

    assert payload == order.model_dump(mode="json")


def test_updated_at_orders_the_updates_of_an_order() -> None:
    earlier = map_order(shopify_order(), channel="shop")
    later = map_order(shopify_order(updated_at="2026-01-05T14:31:16+00:00"), channel="shop")

    assert earlier.updated_at == datetime(2026, 1, 5, 14, 31, 15, tzinfo=UTC)
    assert earlier.sequence == sequence_of(earlier.updated_at)
    assert later.sequence - earlier.sequence == 1_000_000


def test_a_guest_checkout_is_ordered_by_the_shops_guest_party() -> None:
    order = map_order(shopify_order(customer=None), channel="shop").order

    assert order.customer.party_id == "shop/guest"


def test_json_numbers_are_read_exactly() -> None:
    body = json.dumps(shopify_order()).replace('"99.95"', "99.95").encode()

    order = parse_order(body, channel="shop").order

    assert order.lines[0].unit_price.amount == Decimal("99.95")


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"id": None}, "id: should be a number or text id"),
        ({"currency": ""}, "currency: missing or empty"),
        ({"updated_at": "yesterday"}, "updated_at: 'yesterday' is not an ISO 8601 time"),
        ({"created_at": "2026-01-05T09:30:00"}, "created_at: '2026-01-05T09:30:00' is not"),
        ({"line_items": []}, "line_items: should be a non-empty list"),
        ({"shipping_address": None}, "shipping_address: missing"),
        ({"shipping_lines": [{"price": "free"}]}, "shipping_lines[0].price: 'free' is not"),
    ],
)
def test_a_broken_order_is_refused_naming_the_field(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(SchemaViolation, match="shopify orders/create") as refused:
        map_order(shopify_order(**changes), channel="shop")

    assert named in str(refused.value)


@pytest.mark.parametrize(
    ("line_changes", "named"),
    [
        ({"sku": ""}, "line_items[1].sku: missing or empty"),
        ({"quantity": 0}, "line_items[1].quantity: should be a whole number above 0"),
        ({"quantity": "2"}, "line_items[1].quantity"),
        ({"price": None}, "line_items[1].price: None is not a decimal amount"),
    ],
)
def test_a_broken_line_is_refused_naming_it(line_changes: dict[str, Any], named: str) -> None:
    payload = shopify_order()
    payload["line_items"][1].update(line_changes)

    with pytest.raises(SchemaViolation) as refused:
        map_order(payload, channel="shop")

    assert named in str(refused.value)


def test_an_address_the_model_refuses_names_the_address_and_its_field() -> None:
    payload = shopify_order()
    payload["shipping_address"]["country_code"] = "USA"

    with pytest.raises(SchemaViolation, match=r"shipping_address: country: String should match"):
        map_order(payload, channel="shop")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedDocument, match="shopify orders/create"):
        parse_order(body, channel="shop")
