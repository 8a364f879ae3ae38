"""What the order-to-cash handlers share: the landscape's routes, the terms cache, the stock book.

:class:`OrderDeps` answers the questions every handler asks: who is this
order's customer in the ERP (a web shop's own customers are the shop's
account, ``partners.<shop>.party_id``), which warehouses may ship and how
each hears of a shipment order (``flows.orders.warehouses``), and where a
channel's fulfilments go (the shop's admin system, ``partners.<shop>.portal``).

The stock book is the inventory flow's (``flows/inventory.py``), in this
process: release reads it and reserves in it with no wait in between, so two
orders for the last units cannot both get them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from distsync.config import Landscape, OrdersPolicy
from distsync.errors import ConfigError
from distsync.flows.order_terms import TermsCache
from distsync.flows.ports import ExceptionDesk
from distsync.model.sales import SalesOrder
from distsync.rules.atp import ReserveDecision
from distsync.rules.atp_events import InventoryEvent

__all__ = ["OrderDeps", "StockBook"]

PARTNER_PREFIX = "partner:"
WMS_OPERATION = "shipment_order"
FULFILMENT_OPERATION = "fulfillments"


class StockBook(Protocol):
    """Available to promise, and the one decision that holds stock (``InventoryFlow``)."""

    def available(self, sku: str, warehouse_id: str) -> Decimal: ...

    def network_available(self, sku: str) -> Decimal: ...

    def reserve(
        self, sku: str, warehouse_id: str, quantity: Decimal, reservation_id: str, at: datetime
    ) -> ReserveDecision: ...

    def apply_now(self, events: Iterable[InventoryEvent]) -> int: ...


@dataclass(frozen=True)
class OrderDeps:
    """The landscape's order settings and the look-ups the handlers need."""

    landscape: Landscape
    terms: TermsCache
    stock: StockBook
    desk: ExceptionDesk
    clock: Callable[[], datetime]

    @property
    def policy(self) -> OrdersPolicy:
        return self.landscape.flows.orders

    def check(self) -> None:
        """Refuse routes naming systems or partners the landscape does not declare."""
        systems, partners = self.landscape.systems, self.landscape.partners
        if self.policy.erp not in systems:
            raise ConfigError(
                f"flows.orders.erp: system {self.policy.erp} is not declared",
                location="flows.orders.erp",
            )
        for warehouse, destination in self.policy.warehouses.items():
            name = destination.removeprefix(PARTNER_PREFIX)
            known = partners if destination.startswith(PARTNER_PREFIX) else systems
            if name not in known:
                raise ConfigError(
                    f"flows.orders.warehouses.{warehouse}: {destination} is not declared",
                    location=f"flows.orders.warehouses.{warehouse}",
                )

    def customer_id(self, order: SalesOrder) -> str:
        """The ERP's party for the order: a channel's own shoppers buy on the channel's account."""
        party = order.customer.party_id
        partner = self.landscape.partners.get(order.channel)
        if partner is not None and party.startswith(f"{order.channel}/"):
            return partner.erp_party_id(order.channel)
        return party

    def warehouses(self) -> list[str]:
        """The warehouses that can be given shipment orders."""
        return sorted(self.policy.warehouses)

    def warehouse_route(self, warehouse_id: str) -> tuple[str, str]:
        """Destination and operation of a shipment order for ``warehouse_id``."""
        destination = self.policy.warehouses[warehouse_id]
        if destination.startswith(PARTNER_PREFIX):
            return destination, "x12-940"
        return destination, WMS_OPERATION

    def fulfilment_route(self, channel: str) -> str | None:
        """The system a channel takes fulfilments on (its admin API), if it has one."""
        partner = self.landscape.partners.get(channel)
        if partner is None or partner.kind != "channel":
            return None
        return partner.portal
