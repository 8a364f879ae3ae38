"""How the simulated 3PL warehouse ships a shipment order (940) and the 945 it confirms.

``ship(order, behaviour, shipment_id, now)`` is pure: each order line is
confirmed with its ordered quantity less its ``short_ship`` units (zero when
nothing is left), and each line of which something was shipped travels in a
package of its own with a tracking number. The carrier is the order's, else
``behaviour.carrier``. Tracking numbers depend only on ``seed``, the order
number and the line, so the same order is always shipped the same way.
Lots and serial numbers are not picked: the confirmation carries the lot
the order asked for, no serials.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from distsync.demo.supplier_behaviour import for_sku
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.model.parties import CarrierRef
from distsync.model.shipping import (
    Package,
    PackageContent,
    ShipmentConfirmation,
    ShipmentConfirmationLine,
    ShipmentOrder,
    ShipmentOrderLine,
)
from distsync.model.units import Quantity

__all__ = ["ship", "tracking_number"]


def ship(
    order: ShipmentOrder, behaviour: WarehouseBehaviour, shipment_id: str, now: datetime
) -> ShipmentConfirmation:
    """The confirmation the 3PL sends for ``order``: shipped = ordered less short."""
    lines = tuple(_line(line, behaviour) for line in order.lines)
    packages = tuple(
        Package(
            tracking_number=tracking_number(behaviour.seed, order.shipment_order_number, line),
            contents=(
                PackageContent(line_number=line.line_number, quantity=line.shipped_quantity),
            ),
        )
        for line in lines
        if line.shipped_quantity.is_positive()
    )
    return ShipmentConfirmation(
        shipment_id=shipment_id,
        shipment_order_number=order.shipment_order_number,
        warehouse_id=order.warehouse_id,
        shipped_at=now,
        carrier=order.carrier or CarrierRef(party_id=behaviour.carrier, scac=behaviour.carrier),
        lines=lines,
        packages=packages,
    )


def tracking_number(seed: int, order_number: str, line: ShipmentConfirmationLine) -> str:
    """The package tracking number of one shipped line: ``1Z`` and 16 seeded characters."""
    generator = random.Random(f"{seed}:{order_number}:{line.line_number}")
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "1Z" + "".join(generator.choice(alphabet) for _ in range(16))


def _line(line: ShipmentOrderLine, behaviour: WarehouseBehaviour) -> ShipmentConfirmationLine:
    ordered = line.quantity
    short = for_sku(behaviour.short_ship, line.item.sku) or Decimal(0)
    shipped = max(ordered.value - short, Decimal(0))
    return ShipmentConfirmationLine(
        line_number=line.line_number,
        item=line.item,
        ordered_quantity=ordered,
        shipped_quantity=Quantity(value=shipped, uom=ordered.uom),
        lot=line.lot,
    )
