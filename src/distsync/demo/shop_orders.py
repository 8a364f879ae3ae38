"""What the simulated web shop sends: its behaviour, its orders, and how it signs them.

``ShopBehaviour`` is the shop's settings (a process configuration's
``behaviour``). ``OrderBook`` writes ``orders/create`` payloads in Shopify's
webhook shape (id, name ``#1001``, order_number, created_at/updated_at,
currency, customer, addresses, line_items with sku/quantity/price,
shipping_lines, total_price): ids, customers, items and webhook ids come
from ``seed``, times from ``start`` advanced per order, never from the wall
clock, so the same calls give the same bytes. ``sign`` is Shopify's
``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CATALOGUE", "OrderBook", "PlacedOrder", "ShopBehaviour", "sign"]

CATALOGUE: Mapping[str, tuple[str, str]] = {
    "WIDGET-1": ("Widget", "99.95"),
    "GADGET-7": ("Gadget", "19.00"),
    "SPROCKET-3": ("Sprocket", "4.50"),
    "GIZMO-12": ("Gizmo", "42.00"),
}
CUSTOMERS = (
    ("Ada", "Lovelace", "12 Analytical Way", "Springfield", "IL", "62701"),
    ("Grace", "Hopper", "1 Compiler Road", "Arlington", "VA", "22201"),
    ("Alan", "Turing", "7 Enigma Street", "Madison", "WI", "53703"),
)
ORDER_SPACING = timedelta(minutes=7)
EDIT_DELAY = timedelta(minutes=1)


class ShopBehaviour(BaseModel):
    """How the simulated shop behaves; every field may be set per order too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0
    resend: bool = False  # each webhook twice, with the same X-Shopify-Webhook-Id
    stale_update: bool = False  # then an update whose updated_at is older than the order's
    bad_signature: bool = False  # signed under the wrong secret, to be refused
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    first_order_number: int = Field(default=1001, ge=1)
    start: datetime = datetime.fromisoformat("2026-01-05T09:30:00-05:00")
    shop_domain: str = "distsync-demo.myshopify.com"
    shipping_price: Decimal = Decimal("9.95")
    prices: dict[str, Decimal] = Field(default_factory=dict)  # SKU -> price, over the catalogue


@dataclass(frozen=True)
class PlacedOrder:
    """One order the shop placed: what its admin API knows it by, and the webhook body."""

    order_id: int
    name: str
    order_number: int
    webhook_id: str
    body: bytes
    payload: dict[str, Any]


class OrderBook:
    """Numbers and writes the shop's orders; not thread-safe (the simulator locks)."""

    def __init__(self, behaviour: ShopBehaviour) -> None:
        self.behaviour = behaviour
        self._random = random.Random(behaviour.seed)
        self._count = 0

    def webhook_id(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def place(self, lines: Mapping[str, int] | None = None) -> PlacedOrder:
        """The next order, of ``lines`` (SKU -> quantity) or of a few catalogue items."""
        chosen = dict(lines) if lines else self._some_lines()
        number = self.behaviour.first_order_number + self._count
        created = self.behaviour.start + self._count * ORDER_SPACING
        self._count += 1
        order_id = 5_000_000_000_000 + self._random.randrange(10**12)
        payload = self._payload(order_id, number, created, chosen)
        body = json.dumps(payload).encode()
        return PlacedOrder(order_id, f"#{number}", number, self.webhook_id(), body, payload)

    def stale(self, placed: PlacedOrder) -> bytes:
        """The same order again, edited, with an ``updated_at`` older than the one sent."""
        created = datetime.fromisoformat(placed.payload["created_at"])
        older = {**placed.payload, "updated_at": created.isoformat(), "note": "stale edit"}
        return json.dumps(older).encode()

    def _some_lines(self) -> dict[str, int]:
        skus = self._random.sample(sorted(CATALOGUE), self._random.randint(1, 3))
        return {sku: self._random.randint(1, 4) for sku in sorted(skus)}

    def _payload(
        self, order_id: int, number: int, created: datetime, lines: Mapping[str, int]
    ) -> dict[str, Any]:
        customer = self._random.randrange(len(CUSTOMERS))
        first, last, street, city, region, postcode = CUSTOMERS[customer]
        email = f"{first.lower()}@example.com"
        address = {
            "first_name": first, "last_name": last, "name": f"{first} {last}", "company": None,
            "address1": street, "address2": None, "city": city, "province_code": region,
            "zip": postcode, "country": "United States", "country_code": "US", "phone": None,
        }  # fmt: skip
        items = [self._line(order_id, i, sku, qty) for i, (sku, qty) in enumerate(lines.items())]
        shipping = self.behaviour.shipping_price
        subtotal = sum((Decimal(i["price"]) * i["quantity"] for i in items), Decimal(0))
        return {
            "id": order_id, "name": f"#{number}", "order_number": number, "email": email,
            "created_at": created.isoformat(), "updated_at": (created + EDIT_DELAY).isoformat(),
            "currency": self.behaviour.currency, "financial_status": "paid",
            "subtotal_price": f"{subtotal:.2f}", "total_price": f"{subtotal + shipping:.2f}",
            "customer": {"id": 7_000_001 + customer, "email": email, "first_name": first,
                         "last_name": last},
            "shipping_address": address, "billing_address": dict(address),
            "shipping_lines": [{"id": order_id + 1, "title": "Ground", "price": f"{shipping:.2f}"}],
            "line_items": items,
        }  # fmt: skip

    def _line(self, order_id: int, index: int, sku: str, quantity: int) -> dict[str, Any]:
        title, price = CATALOGUE.get(sku, (sku.title(), "10.00"))
        if sku in self.behaviour.prices:
            price = f"{self.behaviour.prices[sku]:.2f}"
        return {
            "id": order_id * 10 + index + 1, "title": title, "sku": sku,
            "quantity": quantity, "price": price, "total_discount": "0.00",
        }  # fmt: skip


def sign(body: bytes, secret: str) -> str:
    """``X-Shopify-Hmac-Sha256`` for ``body``: base64 of its HMAC-SHA256 under ``secret``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
