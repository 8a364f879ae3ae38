"""What the demo's partners send: raw JSON envelopes, as they would arrive over the wire.

The ERP confirms four purchase orders to ACME (variants of the canonical
example ``PO-2024-00117``). ACME ships against each: three notices carry only
the first pallet (items the orders have); ``ASN-88120`` is the canonical
example, whose second pallet holds a substitute (``LUB-5510``) that the order
does not know. ACME also retransmits one notice, and sends one whose ship
time has no UTC offset, which the canonical model refuses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from distsync.model.asn import AdvanceShipNotice
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.examples import REMOVE, example_asn, example_purchase_order, variant
from distsync.model.items import ItemRef
from distsync.model.procurement import PurchaseOrder

__all__ = [
    "ORDER_NUMBERS",
    "SUPPLIER",
    "accepting_substitute",
    "asn_envelope",
    "malformed_asn_envelope",
    "order_envelope",
    "purchase_order",
    "shipped_first_pallet",
    "substitute_asn",
]

SUPPLIER = "acme"
ORDER_NUMBERS = ("PO-2024-00117", "PO-2024-00118", "PO-2024-00119", "PO-2024-00120")


def purchase_order(po_number: str) -> PurchaseOrder:
    """Revision 0 of one of the demo's orders: the example's five lines to ACME."""
    return variant(example_purchase_order(), {"po_number": po_number})


def accepting_substitute(order: PurchaseOrder, line_number: int, item: ItemRef) -> PurchaseOrder:
    """The next revision of ``order``, with ``item`` ordered on ``line_number`` instead."""
    index = next(i for i, line in enumerate(order.lines) if line.line_number == line_number)
    return variant(
        order,
        {
            "revision": order.revision + 1,
            f"lines.{index}.item": item.model_dump(mode="json", exclude_none=True),
        },
    )


def shipped_first_pallet(asn_number: str, po_number: str) -> AdvanceShipNotice:
    """A notice for the example's first pallet only: lines 1 and 2, both on the order."""
    changes = {"asn_number": asn_number, "orders.0.po_number": po_number}
    return variant(example_asn(), changes | {"orders.0.packs.1": REMOVE})


def substitute_asn() -> AdvanceShipNotice:
    """The canonical ASN-88120: its second pallet ships a substitute the order lacks."""
    return example_asn()


def order_envelope(order: PurchaseOrder, event_type: str = "purchase_order.confirmed") -> bytes:
    """The ERP's event for one revision of a purchase order."""
    return _envelope(
        event_type,
        order.model_dump(mode="json"),
        source_system="erp",
        partner=None,
        idempotency_key=f"erp:po:{order.po_number}:rev{order.revision}",
        correlation_id=order.po_number,
        source_sequence=order.revision,
        occurred_at=order.issued_at,
    )


def asn_envelope(asn: AdvanceShipNotice) -> bytes:
    """ACME's ship notice; a retransmission carries the same idempotency key."""
    po_number = asn.orders[0].po_number
    return _envelope(
        "asn.received",
        asn.model_dump(mode="json"),
        source_system="acme-as2",
        partner=SUPPLIER,
        idempotency_key=f"{SUPPLIER}:856:{asn.asn_number}",
        correlation_id=po_number,
        occurred_at=asn.issued_at,
    )


def malformed_asn_envelope(asn_number: str, po_number: str) -> bytes:
    """A notice whose ship time has no UTC offset: which moment it means is anyone's guess."""
    raw = orjson.loads(asn_envelope(shipped_first_pallet(asn_number, po_number)))
    raw["payload"]["shipped_at"] = "2024-05-16T14:30:00"
    return orjson.dumps(raw)


def _envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    source_system: str,
    partner: str | None,
    idempotency_key: str,
    correlation_id: str,
    occurred_at: datetime,
    source_sequence: int | None = None,
) -> bytes:
    envelope = Envelope(
        event_id=new_event_id(),
        type=event_type,
        schema_version=1,
        source_system=source_system,
        partner=partner,
        correlation_id=correlation_id,
        idempotency_key=idempotency_key,
        partition_key=correlation_id,
        source_sequence=source_sequence,
        occurred_at=occurred_at,
        payload=payload,
    )
    return envelope.model_dump_json().encode()
