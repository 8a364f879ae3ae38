"""The demo's two flows: purchasing keeps purchase orders, receiving announces ASNs to the WMS.

``demo.purchasing`` stores each purchase order revision as a document (the
envelope's ``source_sequence`` is the revision, so an older revision arriving
late is skipped by the runtime). ``demo.receiving`` checks an ASN against the
purchase orders it names: an item an order does not have is parked as
``unknown_sku`` with the actions that resolve it; otherwise the ASN becomes
an expected receipt, stored and sent to the WMS through the outbox under the
key ``asn:<number>``, so that no re-run announces it twice.
"""

from __future__ import annotations

from typing import Any

from distsync.errors import PurchaseOrderNotFound, Resolution, UnknownSku
from distsync.model.asn import AdvanceShipNotice, ShippedItem
from distsync.model.procurement import PurchaseOrder
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription

__all__ = [
    "EXPECTED_RECEIPTS",
    "PURCHASING",
    "RECEIVING",
    "WMS",
    "announce_receipt",
    "asn_ref",
    "expected_receipt",
    "keep_purchase_order",
    "subscriptions",
]

PURCHASING = SubscriptionSpec(
    "demo.purchasing", ("purchase_order.confirmed", "purchase_order.revised"), ordered=True
)
RECEIVING = SubscriptionSpec("demo.receiving", ("asn.received",), ordered=True)
WMS = "wms"
EXPECTED_RECEIPTS = "expected_receipts"

UNKNOWN_SKU_RESOLUTIONS = (
    Resolution("map_sku", "Map the supplier's item to one of ours, then replay", ("sku",)),
    Resolution("replay", "Fix the purchase order, then run the ASN again"),
    Resolution("discard", "Discard the ASN, with a reason", ("reason",)),
)


def subscriptions() -> list[Subscription]:
    """The demo's flows, purchasing first so that an order is kept before its ASN is read."""
    return [
        Subscription(PURCHASING, handler=keep_purchase_order),
        Subscription(RECEIVING, handler=announce_receipt),
    ]


async def keep_purchase_order(ctx: HandlerContext) -> None:
    order = ctx.envelope.document(PurchaseOrder)
    ctx.write("purchase_order", order.po_number, ctx.envelope.payload)


async def announce_receipt(ctx: HandlerContext) -> None:
    asn = ctx.envelope.document(AdvanceShipNotice)
    numbers = sorted({order.po_number for order in asn.orders})
    orders = {number: await _purchase_order(ctx, asn, number) for number in numbers}
    for entry in asn.items():
        _require_ordered(asn, orders[entry.po_number], entry)
    receipt = expected_receipt(asn)
    ctx.write("expected_receipt", asn.asn_number, receipt)
    ctx.send(WMS, EXPECTED_RECEIPTS, receipt, idempotency_key=f"asn:{asn.asn_number}")


def expected_receipt(asn: AdvanceShipNotice) -> dict[str, Any]:
    """What the WMS needs to receive the shipment: pallets, items, quantities, lots."""
    return {
        "asn_number": asn.asn_number,
        "warehouse_id": asn.ship_to_warehouse_id,
        "supplier": asn.supplier.party_id,
        "carrier": asn.carrier.scac if asn.carrier else None,
        "expected_on": str(asn.expected_delivery_date or asn.shipped_at.date()),
        "lines": [
            {
                "po_number": entry.po_number,
                "po_line_number": entry.item.po_line_number,
                "sscc": entry.pack.sscc,
                "sku": entry.item.item.sku,
                "quantity": str(entry.item.quantity.value),
                "uom": entry.item.quantity.uom,
                "lot": entry.item.lot,
            }
            for entry in asn.items()
        ],
    }


def asn_ref(asn: AdvanceShipNotice) -> str:
    return f"asn:{asn.supplier.party_id}/{asn.asn_number}"


async def _purchase_order(
    ctx: HandlerContext, asn: AdvanceShipNotice, po_number: str
) -> PurchaseOrder:
    stored = await ctx.documents.get_document("purchase_order", po_number)
    if stored is None:
        raise PurchaseOrderNotFound(
            f"receiving ASN {asn.asn_number}: purchase order {po_number} is not known (yet)",
            document_ref=asn_ref(asn),
            facts={"po_number": po_number},
        )
    return PurchaseOrder.model_validate(stored.body, strict=False)


def _require_ordered(asn: AdvanceShipNotice, order: PurchaseOrder, entry: ShippedItem) -> None:
    item = entry.item.item
    if any(line.item.sku == item.sku for line in order.lines):
        return
    raise UnknownSku(
        f"receiving ASN {asn.asn_number}: item {item.sku} (supplier part "
        f"{item.supplier_part_number or '?'}) shipped against {order.po_number} line "
        f"{entry.item.po_line_number} is not on that purchase order",
        document_ref=asn_ref(asn),
        resolutions=UNKNOWN_SKU_RESOLUTIONS,
        facts={
            "sku": item.sku,
            "supplier_part_number": item.supplier_part_number or "",
            "po_number": order.po_number,
            "po_line_number": str(entry.item.po_line_number),
            "path": entry.path,
        },
    )
