"""Realistic example documents: one story from purchase order to delivered parcel.

Northwind Distribution (the distributor running distsync) orders five items
from ACME Industrial Supply for its east warehouse; ACME acknowledges with
changes, ships two pallets, the warehouse receives them and ACME invoices. A
web-shop customer orders, the warehouse ships two UPS parcels, and the first
is delivered. Tests, the demo and the benchmarks build on these; every
function returns a fresh, valid document, and :data:`EXAMPLES` finds one by
document name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from distsync.model.base import Document
from distsync.model.examples.fulfilment import (
    example_inventory_adjustment,
    example_inventory_reservation,
    example_inventory_snapshot,
    example_inventory_transfer,
    example_sales_order,
    example_shipment_confirmation,
    example_shipment_order,
    example_tracking_event,
)
from distsync.model.examples.master import example_item, example_party, example_warehouse
from distsync.model.examples.procurement import (
    example_asn,
    example_invoice,
    example_po_ack,
    example_price,
    example_purchase_order,
    example_receipt,
)

__all__ = [
    "EXAMPLES",
    "REMOVE",
    "example_asn",
    "example_inventory_adjustment",
    "example_inventory_reservation",
    "example_inventory_snapshot",
    "example_inventory_transfer",
    "example_invoice",
    "example_item",
    "example_party",
    "example_po_ack",
    "example_price",
    "example_purchase_order",
    "example_receipt",
    "example_sales_order",
    "example_shipment_confirmation",
    "example_shipment_order",
    "example_tracking_event",
    "example_warehouse",
    "variant",
]

D = TypeVar("D", bound=Document)

REMOVE: Any = object()
"""Give this as a value to :func:`variant` to drop the field."""

EXAMPLES: Mapping[str, Callable[[], Document]] = MappingProxyType(
    {
        "party": example_party,
        "item": example_item,
        "warehouse": example_warehouse,
        "price": example_price,
        "purchase_order": example_purchase_order,
        "po_ack": example_po_ack,
        "asn": example_asn,
        "receipt": example_receipt,
        "sales_order": example_sales_order,
        "shipment_order": example_shipment_order,
        "shipment_confirmation": example_shipment_confirmation,
        "tracking_event": example_tracking_event,
        "inventory_snapshot": example_inventory_snapshot,
        "inventory_adjustment": example_inventory_adjustment,
        "inventory_reservation": example_inventory_reservation,
        "inventory_transfer": example_inventory_transfer,
        "invoice": example_invoice,
    }
)
"""Document name (as in the catalog) -> function building a valid example of it."""


def variant(document: D, changes: Mapping[str, Any]) -> D:
    """A copy of ``document`` with ``changes`` applied to its JSON form, validated strictly.

    Keys are field paths as validation errors print them (``"lines.0.quantity.value"``);
    values are JSON values, or :data:`REMOVE`. Raises ``pydantic.ValidationError``
    when the changed document is not valid, which is how tests build broken ones.
    """
    data = document.model_dump(mode="json")
    for path, value in changes.items():
        *parents, last = path.split(".")
        container = data
        for part in parents:
            container = container[int(part)] if isinstance(container, list) else container[part]
        key: Any = int(last) if isinstance(container, list) else last
        if value is REMOVE:
            del container[key]
        else:
            container[key] = value
    return type(document).model_validate_json(json.dumps(data), strict=True)
