"""The business exceptions of the procure-to-pay rules, and how they name documents.

::

    BusinessException (distsync.errors)
    ├── UnknownSku, PurchaseOrderNotFound, NotSystemOfRecord   (distsync.errors)
    ├── QuantityMismatch                                       (distsync.errors)
    │   ├── OverShipment            over_shipment
    │   └── ReceiptVariance         receipt_variance
    ├── ItemNotOnPo                 item_not_on_po
    ├── Substitution                substitution
    ├── WrongWarehouse              wrong_warehouse
    ├── OutsideDeliveryWindow       delivery_window
    ├── WrongSupplier               wrong_supplier
    ├── AckChangeOutOfTolerance     ack_change_out_of_tolerance
    ├── AckRevisionMismatch         ack_revision_mismatch
    ├── InvoiceMismatch             invoice_mismatch
    └── PoTransitionRefused         po_transition_refused

Every exception a rule builds carries ``facts["problem_key"]``: a stable name
for that one problem (``over_shipment:PO-1/2``). A person's "accept variance"
is recorded as that key, and the rule, given the key back, lets the problem
pass on replay. :func:`parking_exception` picks the exception a flow parks a
document with when a rule found several problems.
"""

from __future__ import annotations

from collections.abc import Sequence

from distsync.errors import BusinessException, QuantityMismatch, Resolution

__all__ = [
    "AckChangeOutOfTolerance",
    "AckRevisionMismatch",
    "InvoiceMismatch",
    "ItemNotOnPo",
    "OutsideDeliveryWindow",
    "OverShipment",
    "PoTransitionRefused",
    "ReceiptVariance",
    "Substitution",
    "WrongSupplier",
    "WrongWarehouse",
    "accept_variance",
    "discard",
    "parking_exception",
    "reject",
    "replay",
    "wrong_supplier",
]


class OverShipment(QuantityMismatch):
    """More shipped against a PO line than its open balance plus the tolerance."""

    reason_code = "over_shipment"


class ReceiptVariance(QuantityMismatch):
    """The warehouse received more, less or damaged goods compared with the ship notice."""

    reason_code = "receipt_variance"


class ItemNotOnPo(BusinessException):
    """A shipped item is on no line of the purchase order."""

    reason_code = "item_not_on_po"


class Substitution(BusinessException):
    """A PO line was shipped as another item than the one ordered."""

    reason_code = "substitution"


class WrongWarehouse(BusinessException):
    """Goods ship to another warehouse than the PO line's."""

    reason_code = "wrong_warehouse"


class OutsideDeliveryWindow(BusinessException):
    """Goods arrive earlier or later than the requested date allows."""

    reason_code = "delivery_window"


class WrongSupplier(BusinessException):
    """A supplier's document names a purchase order placed with another supplier."""

    reason_code = "wrong_supplier"


class AckChangeOutOfTolerance(BusinessException):
    """An acknowledgement changes, rejects or substitutes lines beyond what is applied alone."""

    reason_code = "ack_change_out_of_tolerance"


class AckRevisionMismatch(BusinessException):
    """An acknowledgement answers another revision than the purchase order's current one."""

    reason_code = "ack_revision_mismatch"


class InvoiceMismatch(BusinessException):
    """An invoice differs from the order's prices or the received quantities."""

    reason_code = "invoice_mismatch"


class PoTransitionRefused(BusinessException):
    """Something happened to a purchase order that its state does not allow."""

    reason_code = "po_transition_refused"


def accept_variance(label: str) -> Resolution:
    """Let the problem pass (recorded with who and why) and run the document again."""
    return Resolution("accept_variance", label, ("reason",))


def reject(label: str) -> Resolution:
    """Refuse the document or the change; the flow tells the partner."""
    return Resolution("reject", label, ("reason",))


def replay(label: str) -> Resolution:
    """Fix the cause elsewhere, then run the document again."""
    return Resolution("replay", label)


def discard() -> Resolution:
    """Drop the document, with a reason."""
    return Resolution("discard", "Discard the document, with a reason", ("reason",))


def wrong_supplier(ref: str, po_number: str, *, owner: str, sender: str) -> BusinessException:
    """A supplier's document names a purchase order placed with another supplier."""
    return WrongSupplier(
        f"{ref}: purchase order {po_number} was placed with {owner}, not with {sender}",
        document_ref=ref,
        resolutions=(reject(f"Tell {sender} that {po_number} is not theirs"), discard()),
        facts={
            "po_number": po_number,
            "po_supplier": owner,
            "sender": sender,
            "problem_key": f"wrong_supplier:{po_number}",
        },
    )


def parking_exception(problems: Sequence[BusinessException]) -> BusinessException | None:
    """The first problem, with every problem listed in its facts; None when there is none.

    Facts added: ``problem_count``, ``problem_keys`` (comma separated) and
    ``problem.<n>`` (``<reason_code>: <message>``), numbered from 1.
    """
    if not problems:
        return None
    first = problems[0]
    facts = dict(first.facts)
    facts["problem_count"] = str(len(problems))
    facts["problem_keys"] = ",".join(p.facts.get("problem_key", p.reason_code) for p in problems)
    for number, problem in enumerate(problems, 1):
        facts[f"problem.{number}"] = f"{problem.reason_code}: {problem}"
    return type(first)(
        str(first),
        document_ref=first.document_ref,
        reason_code=first.reason_code,
        resolutions=first.resolutions,
        facts=facts,
    )
