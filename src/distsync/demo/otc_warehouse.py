"""A 3PL that picks each order at once but sends its 945 only when told: it ships on cue.

The day's warehouses take their 940s, answer with a 997 and book the
shipment at once (``ThreePlSimulator``), but hold each 945 until
:meth:`CuedThreePl.ship` is called: a real warehouse needs hours to pick
and pack, while the simulator would confirm within a second, before
Tryton has the sale the shipment belongs to (see docs/simulators.md,
"The order-to-cash day", on why the day waits). ``warehouse_behaviour``
sets a 3PL's book to Tryton's stock of its warehouse.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from distsync.config_x12 import X12Identity
from distsync.demo.partner_x12 import Outgoing
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.formats.x12.writer import Party
from distsync.model.inventory import InventorySnapshot
from distsync.model.shipping import ShipmentOrder

__all__ = ["SHORT_SKU", "CuedThreePl", "warehouse_behaviour"]

SHORT_AT, SHORT_SKU = "WH-EAST", "GLV-2211"  # one box short on every line of it


class CuedThreePl(ThreePlSimulator):
    """A :class:`ThreePlSimulator` whose 945s wait for :meth:`ship`."""

    def __init__(
        self, profile: X12Identity, behaviour: WarehouseBehaviour, *, reply_to: str
    ) -> None:
        super().__init__(profile, behaviour, reply_to=reply_to)
        self._packed: list[Outgoing] = []
        self._packing = threading.Lock()

    @property
    def packed(self) -> int:
        """945s held, waiting for the cue."""
        with self._packing:
            return len(self._packed)

    def ship(self) -> int:
        """Send every held 945 now; how many."""
        with self._packing:
            packed, self._packed = self._packed, []
        for outgoing in packed:
            self._send_now(outgoing)
        return len(packed)

    def _ship(self, order: ShipmentOrder, to: Party) -> list[Outgoing]:
        confirmations = super()._ship(order, to)
        with self._packing:
            self._packed += confirmations
        return []


def warehouse_behaviour(
    warehouse: str, stock: InventorySnapshot, prefix: str, carrier: str
) -> WarehouseBehaviour:
    """A 3PL whose book is Tryton's ``stock`` (a negative figure as a silent variance)."""
    on_hand = {b.sku: b.on_hand.value for b in stock.balances}
    return WarehouseBehaviour(
        seed=sum(map(ord, warehouse)),
        warehouse=warehouse,
        stock={sku: max(q, Decimal(0)) for sku, q in on_hand.items()},
        variance={sku: q for sku, q in on_hand.items() if q < 0},
        units={b.sku: b.on_hand.uom for b in stock.balances},
        short_ship={SHORT_SKU: Decimal(1)} if warehouse == SHORT_AT else {},
        carrier=carrier,
        shipment_prefix=prefix,
    )
