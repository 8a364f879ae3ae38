"""The order-to-cash day's channels: a web shop selling at Tryton's list prices, a B2B 850.

:class:`PricedShop` is the shop simulator whose line items carry the list
price of each SKU (Tryton's price list, read at the start) instead of the
simulator's own catalogue, so that its orders pass distsync's price check
as a real shop's would, and whose shoppers live in Ohio. :func:`customer_850`
writes the purchase order a B2B customer sends as an X12 850 interchange
addressed to Northwind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from distsync.config_x12 import X12Identity
from distsync.demo.partner_x12 import ControlNumbers, PartnerWriter
from distsync.demo.shop_orders import OrderBook, ShopBehaviour
from distsync.demo.shop_sim import ShopSimulator
from distsync.formats.x12.writer import Party
from distsync.model.procurement import PurchaseOrder

__all__ = ["NORTHWIND", "PricedShop", "customer_850"]

NORTHWIND = Party("ZZ", "NORTHWIND")
COLUMBUS = {"address1": "88 High Street", "city": "Columbus", "province_code": "OH", "zip": "43215"}
"""Where the shopper lives: the Tryton sandbox knows the subdivisions of Ohio only."""


class PricedOrderBook(OrderBook):
    """The shop's orders, each line at the list price of its SKU, shipped to Ohio."""

    def __init__(self, behaviour: ShopBehaviour, prices: Mapping[str, Decimal]) -> None:
        super().__init__(behaviour)
        self.prices = dict(prices)

    def _line(self, order_id: int, index: int, sku: str, quantity: int) -> dict[str, Any]:
        return super()._line(order_id, index, sku, quantity) | {"price": f"{self.prices[sku]}"}

    def _payload(
        self, order_id: int, number: int, created: datetime, lines: Mapping[str, int]
    ) -> dict[str, Any]:
        payload = super()._payload(order_id, number, created, lines)
        name = payload["shipping_address"]["name"]
        address = payload["shipping_address"] | COLUMBUS | {"name": name}
        return payload | {"shipping_address": address, "billing_address": dict(address)}


class PricedShop(ShopSimulator):
    """A web shop selling at ``prices`` (SKU → unit price), as partner ``shop``."""

    def __init__(
        self, prices: Mapping[str, Decimal], secret: str, *, reply_to: str, partner: str = "shop"
    ) -> None:
        super().__init__(partner, secret, reply_to=reply_to)
        self._book = PricedOrderBook(self.behaviour, prices)


def customer_850(identity: X12Identity, order: PurchaseOrder, at: datetime) -> bytes:
    """``order`` as the customer ``identity`` sends it: one 850 in one interchange."""
    writer = PartnerWriter(identity, ControlNumbers())
    data, _ = writer.interchange("850", writer.body("850", order), NORTHWIND, at)
    return data
