"""What the procure flow's handlers share: the landscape's routes, tolerances and look-ups.

:class:`ProcureDeps` is built once by ``flows.procure.subscriptions`` from the
landscape and the store's ports. It answers the questions every handler
asks: which partner is this supplier (``partners.<name>.party_id``), where
does a purchase order go (an X12 850 to the partner's channel, or JSON to
its ``portal`` system), where does a warehouse learn of a ship notice
(``flows.procure.warehouses``), and which items and cross-references apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from distsync.config import Landscape, Partner, ProcurePolicy
from distsync.errors import ConfigError
from distsync.flows.ports import ExceptionDesk
from distsync.model.items import Item
from distsync.partners import acks
from distsync.rules.tolerances import Tolerances
from distsync.rules.xref import MappingXref, PartnerXref
from distsync.store.ports import CrossReferences, ReferenceData

__all__ = ["OrderRoute", "ProcureDeps"]

PARTNER_PREFIX = "partner:"
EXPECTED_RECEIPT = "expected_receipt"
PORTAL_OPERATION = "purchase_order"


@dataclass(frozen=True)
class OrderRoute:
    """Where one supplier's purchase orders go: destination and operation of the call."""

    partner: str
    destination: str
    operation: str


@dataclass(frozen=True)
class ProcureDeps:
    """The landscape's procure settings and the look-ups the handlers need."""

    landscape: Landscape
    xrefs: CrossReferences
    reference: ReferenceData
    desk: ExceptionDesk
    clock: Callable[[], datetime]

    @property
    def policy(self) -> ProcurePolicy:
        return self.landscape.flows.procure

    @property
    def tolerances(self) -> Tolerances:
        return Tolerances.from_policy(self.policy)

    def check(self) -> None:
        """Refuse routes naming systems or partners the landscape does not declare."""
        systems, partners = self.landscape.systems, self.landscape.partners
        for warehouse, destination in self.policy.warehouses.items():
            name = destination.removeprefix(PARTNER_PREFIX)
            known = partners if destination.startswith(PARTNER_PREFIX) else systems
            if name not in known:
                raise ConfigError(
                    f"flows.procure.warehouses.{warehouse}: {destination} is not declared",
                    location=f"flows.procure.warehouses.{warehouse}",
                )
        for name, partner in partners.items():
            if partner.portal is not None and partner.portal not in systems:
                raise ConfigError(
                    f"partners.{name}.portal: system {partner.portal} is not declared",
                    location=f"partners.{name}.portal",
                )

    def supplier_partner(self, party_id: str) -> tuple[str, Partner] | None:
        """The partner whose ERP party id is ``party_id`` (or whose name it is)."""
        for name, partner in self.landscape.partners.items():
            if partner.erp_party_id(name) == party_id:
                return name, partner
        return None

    def ack_deadline(self, partner: str | None) -> timedelta:
        """How long the supplier has to acknowledge an order: its own deadline, else the flow's."""
        return acks.ack_deadline(self.landscape, partner)

    def order_route(self, party_id: str) -> OrderRoute | None:
        """How purchase orders reach this supplier; None when it has no channel for them."""
        found = self.supplier_partner(party_id)
        if found is None:
            return None
        name, partner = found
        if partner.portal is not None:
            return OrderRoute(name, partner.portal, PORTAL_OPERATION)
        if "x12-850" in partner.receives and partner.channel is not None:
            return OrderRoute(name, f"{PARTNER_PREFIX}{name}", "x12-850")
        return None

    def warehouse_route(self, warehouse_id: str) -> tuple[str, str] | None:
        """Destination and operation telling a warehouse of a ship notice, if configured."""
        destination = self.policy.warehouses.get(warehouse_id)
        if destination is None:
            return None
        if destination.startswith(PARTNER_PREFIX):
            return destination, "x12-943"
        return destination, EXPECTED_RECEIPT

    async def xref(self, partner: str | None) -> PartnerXref:
        """The partner's cross-reference; an empty one for a document from no partner."""
        if partner is None:
            return MappingXref()
        return await self.xrefs.table(partner)

    async def items(self, skus: Iterable[str]) -> dict[str, Item]:
        """The item masters of ``skus`` that the reference cache holds."""
        return await self.reference.items(sorted(set(skus)))
