"""The keys of partner documents: idempotency, partition and correlation, in one place.

- **Idempotency** of a received transaction set: the partner's identity and
  the document's: ``x12:<ISA05>/<ISA06>:<ISA13>:<GS06>:<ST02>:<set>:<number>``
  (the number of a 997/999 is the group it acknowledges). The same file
  received twice gives the same keys, and the log stores each key once.
- **Partition**: a carrier's tracking event by its tracking number (correlation
  ``tracking:<number>``), as the carrier webhooks key it, so one parcel's
  events are handled in order whichever way they come. Otherwise the
  purchase order number for procurement documents, so a
  PO's acknowledgement, ship notices, receipts and invoice are handled in
  order. An ASN for several POs is partitioned by the first PO in document
  order (one event per ASN, never split: the ASN is one document for the
  partner and for matching). A document naming no PO is partitioned by
  itself: ``<kind>:<partner>/<number>`` (``invoice:acme/INV-1``).
- **Correlation**: ``po:<PO number>``, shared by the whole chain of one PO,
  whichever partner sends the document (the 944 comes from the warehouse,
  not the supplier; PO numbers are ours and unique). Without a PO, the
  correlation id is the partition key.
- A **sent group** is found by ``x12:<partner>/<GS06>`` (:func:`group_correlation_id`).
"""

from __future__ import annotations

from distsync.formats.x12.envelope import TransactionSet
from distsync.model.asn import AdvanceShipNotice
from distsync.model.base import Document
from distsync.model.receipts import Receipt

TRACKING_EVENT = "tracking.updated"

__all__ = [
    "document_keys",
    "group_correlation_id",
    "po_correlation_id",
    "purchase_orders",
    "set_idempotency_key",
]


def po_correlation_id(po_number: str) -> str:
    """The correlation id of a purchase order's whole chain: ``po:<PO number>``."""
    return f"po:{po_number}"


def purchase_orders(document: Document) -> list[str]:
    """The purchase orders a document names, in document order, without repeats."""
    if isinstance(document, AdvanceShipNotice):
        return list(dict.fromkeys(order.po_number for order in document.orders))
    if isinstance(document, Receipt):
        return document.po_numbers()
    number = getattr(document, "po_number", None)
    return [number] if isinstance(number, str) else []


def document_keys(partner: str, event_type: str, document: Document) -> tuple[str, str]:
    """The partition key and correlation id of a document received from ``partner``."""
    if event_type == TRACKING_EVENT:
        number = document.document_number()
        return number, f"tracking:{number}"
    orders = purchase_orders(document)
    if orders:
        return orders[0], po_correlation_id(orders[0])
    kind = event_type.split(".", maxsplit=1)[0]
    own = f"{kind}:{partner}/{document.document_number()}"
    return own, own


def set_idempotency_key(transaction: TransactionSet, number: str) -> str:
    """The idempotency key of a received set carrying document ``number``."""
    t = transaction
    sender = "/".join(t.interchange.sender())
    return f"x12:{sender}:{t.interchange.control}:{t.group.control}:{t.control}:{t.set_id}:{number}"


def group_correlation_id(partner: str, group_control: str | int) -> str:
    """``x12:<partner>/<GS06>``, the GS06 as a number (``000017`` is ``17``)."""
    text = str(group_control).strip()
    return f"x12:{partner}/{int(text) if text.isdigit() else text}"
