"""Warehouse adjustments in Tryton: stock found or lost, moved to or from lost and found.

Mapping (canonical ``InventoryAdjustment`` -> ``stock.shipment.internal``)::

    adjustment_id              reference (the idempotency key)
    warehouse_id               the warehouse's storage location, and the lost
                               and found location under it (else Tryton's first)
    delta < 0                  storage -> lost and found
    delta > 0                  lost and found -> storage
    item, |delta|              one move: product.code, quantity + unit
    adjusted_at                planned and effective date

The reason and note are not kept: an internal shipment has no free text, and
its reference names the adjustment, whose event holds them.

The shipment is made to wait, assigned (forced: the warehouse counted it,
the ERP follows) and done at once. The warehouse is the system of record
for on-hand stock; this is how the ERP learns of what it found or lost.
"""

from __future__ import annotations

from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import tryton_quantity, x2many_create
from distsync.model.inventory import InventoryAdjustment
from distsync.runtime.ports import Receipt

__all__ = ["post_adjustment"]

MODEL = "stock.shipment.internal"


def post_adjustment(directory: TrytonDirectory, adjustment: InventoryAdjustment) -> Receipt:
    """Post ``adjustment`` as a done internal shipment unless one with its reference exists."""
    found = directory.find_document(MODEL, adjustment.adjustment_id, ["state"])
    if found is not None and found["state"] == "done":
        return Receipt(remote_id=str(found["id"]), duplicate=True)
    shipment_id = int(found["id"]) if found else _create(directory, adjustment)
    state = str(found["state"]) if found else "draft"
    _finish(directory, shipment_id, state)
    return Receipt(remote_id=str(shipment_id), duplicate=False)


def _create(directory: TrytonDirectory, adjustment: InventoryAdjustment) -> int:
    company, _, _ = directory.company()
    warehouse = directory.warehouse(adjustment.warehouse_id)
    lost = _lost_and_found(directory, warehouse.id)
    source, target = (
        (lost, warehouse.storage) if adjustment.delta.value > 0 else (warehouse.storage, lost)
    )
    product = directory.product(
        adjustment.item.sku, document_ref=f"inventory_adjustment:{adjustment.adjustment_id}"
    )
    day = adjustment.adjusted_at.date()
    move: dict[str, Any] = {
        "product": product.id,
        "quantity": tryton_quantity(abs(adjustment.delta.value)),
        "unit": directory.unit(adjustment.delta.uom).id,
        "from_location": source,
        "to_location": target,
        "company": company,
        "planned_date": day,
        "effective_date": day,
    }
    values = {
        "company": company,
        "reference": adjustment.adjustment_id,
        "from_location": source,
        "to_location": target,
        "planned_date": day,
        "planned_start_date": day,
        "effective_date": day,
        "effective_start_date": day,
        "moves": x2many_create([move]),
    }
    (shipment_id,) = directory.rpc.model(MODEL, "create", [values])
    return int(shipment_id)


def _finish(directory: TrytonDirectory, shipment_id: int, state: str) -> None:
    steps = {"draft": ["wait", "assign_force", "do"], "waiting": ["assign_force", "do"]}
    for step in steps.get(state, ["do"]):
        directory.rpc.model(MODEL, step, [shipment_id])


def _lost_and_found(directory: TrytonDirectory, warehouse: int) -> int:
    def find() -> int:
        rows = directory.rpc.model(
            "stock.location", "search_read",
            [["type", "=", "lost_found"]], 0, None, [["id", "ASC"]], ["parent"],
        )  # fmt: skip
        if not rows:
            return directory.search_one("stock.location", [["type", "=", "lost_found"]], "lost")
        own = [row for row in rows if row["parent"] == warehouse]
        return int((own or rows)[0]["id"])

    return directory.remember(f"lost_found.{warehouse}", find)
