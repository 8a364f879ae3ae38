"""A supplier's acknowledgement against the purchase order: what changes, and who decides.

:func:`assess_ack` compares a ``PoAcknowledgement`` with the revision it
answers, line by line:

- accepted (or not mentioned in an acknowledgement that lists lines): nothing changes;
- changed or backordered: each of quantity, delivery date and unit price is
  compared with the order; a change within ``ack_qty_tolerance_pct``,
  ``ack_date_tolerance_days`` or ``price_tolerance_pct`` is applied alone;
- rejected, substituted, or naming a line the order does not have: always a buyer's call.

``changed_quantity`` is read as the line's new quantity, whatever the
status; a changed price is per the changed quantity's unit (else the line's).
When anything needs a buyer, the assessment carries one
``ack_change_out_of_tolerance`` exception that spells out every difference;
its resolutions are ``accept`` (the ERP's purchase order is updated) and
``reject`` (the supplier is told). :func:`~distsync.rules.ack_revise.revise_order`
gives the purchase order as it becomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from distsync.errors import BusinessException, Resolution
from distsync.model.items import Item, MissingUomConversion
from distsync.model.procurement import (
    AckLine,
    AckLineStatus,
    AckStatus,
    PoAcknowledgement,
    PurchaseOrder,
    PurchaseOrderLine,
)
from distsync.rules.exceptions import (
    AckChangeOutOfTolerance,
    AckRevisionMismatch,
    discard,
    reject,
    wrong_supplier,
)
from distsync.rules.tolerances import Tolerances, exceeds, plain, signed_percent
from distsync.rules.uom import base_factor, value_in

__all__ = ["AckAssessment", "AckLineDecision", "FieldChange", "ack_ref", "assess_ack"]

NO_ITEMS: Mapping[str, Item] = MappingProxyType({})
ALWAYS_A_BUYER = frozenset({AckLineStatus.REJECTED, AckLineStatus.SUBSTITUTED})


def ack_ref(ack: PoAcknowledgement) -> str:
    """How exceptions name an acknowledgement: ``po_ack:<supplier>/<po number>``."""
    return f"po_ack:{ack.supplier.party_id}/{ack.po_number}"


@dataclass(frozen=True)
class FieldChange:
    """One changed field of a line, as ordered and as acknowledged, in words."""

    field: str
    ordered: str
    acknowledged: str
    difference: str
    within_tolerance: bool

    def describe(self) -> str:
        """``quantity 6 CA -> 5 CA (-16.7%, tolerance 0%)``."""
        note = f" ({self.difference})" if self.difference else ""
        return f"{self.field} {self.ordered} -> {self.acknowledged}{note}"


@dataclass(frozen=True)
class AckLineDecision:
    """What the acknowledgement does to one line; ``apply`` when no buyer is needed."""

    line_number: int
    status: AckLineStatus
    changes: tuple[FieldChange, ...]
    apply: bool
    ack_line: AckLine | None
    note: str | None = None
    on_order: bool = True

    def describe(self) -> str:
        """``line 2 changed: quantity 6 CA -> 5 CA (-16.7%, tolerance 0%)``."""
        parts = [change.describe() for change in self.changes]
        parts += [self.note] if self.note else []
        detail = f": {'; '.join(parts)}" if parts else ""
        return f"line {self.line_number} {self.status}{detail}"


@dataclass(frozen=True)
class AckAssessment:
    """The decision on one acknowledgement of revision ``revision`` of ``po_number``."""

    document_ref: str
    po_number: str
    revision: int
    lines: tuple[AckLineDecision, ...]
    problems: tuple[BusinessException, ...]

    @property
    def ok(self) -> bool:
        """True when every change may be applied without a buyer."""
        return not self.problems

    @property
    def changes_order(self) -> bool:
        """Whether the order changes at all (else it is simply acknowledged)."""
        return any(
            decision.on_order and (decision.changes or decision.status is AckLineStatus.REJECTED)
            for decision in self.lines
        )

    def exception(self) -> BusinessException | None:
        """What the acknowledgement is parked with, or None."""
        return self.problems[0] if self.problems else None


def assess_ack(
    ack: PoAcknowledgement,
    order: PurchaseOrder,
    *,
    tolerances: Tolerances,
    items: Mapping[str, Item] = NO_ITEMS,
) -> AckAssessment:
    """Compare ``ack`` with ``order``; ``items`` convert quantities given in another unit."""
    if ack.po_number != order.po_number:
        raise ValueError(f"{ack.describe()} does not answer {order.describe()}")
    ref = ack_ref(ack)
    owner, sender = order.supplier.party_id, ack.supplier.party_id
    if owner != sender:
        problem = wrong_supplier(ref, order.po_number, owner=owner, sender=sender)
        return AckAssessment(ref, order.po_number, order.revision, (), (problem,))
    if ack.po_revision is not None and ack.po_revision != order.revision:
        return AckAssessment(ref, order.po_number, order.revision, (), (_stale(ack, order, ref),))
    try:
        decisions = tuple(_decide(ack, order, line, tolerances, items, ref) for line in order.lines)
    except MissingUomConversion as exc:
        return AckAssessment(ref, order.po_number, order.revision, (), (exc,))
    decisions += tuple(_unknown_line(a) for a in ack.lines if not order.line(a.line_number))
    if all(decision.apply for decision in decisions):
        return AckAssessment(ref, order.po_number, order.revision, decisions, ())
    problem = _out_of_tolerance(ref, order, decisions)
    return AckAssessment(ref, order.po_number, order.revision, decisions, (problem,))


def _answer(ack: PoAcknowledgement, line_number: int) -> AckLine | None:
    return next((line for line in ack.lines if line.line_number == line_number), None)


def _decide(
    ack: PoAcknowledgement,
    order: PurchaseOrder,
    line: PurchaseOrderLine,
    tolerances: Tolerances,
    items: Mapping[str, Item],
    ref: str,
) -> AckLineDecision:
    number, answer = line.line_number, _answer(ack, line.line_number)
    if answer is None and ack.status is AckStatus.REJECTED:
        return AckLineDecision(number, AckLineStatus.REJECTED, (), False, None)
    if answer is None:
        note = "not mentioned: taken as accepted" if ack.lines else None
        return AckLineDecision(number, AckLineStatus.ACCEPTED, (), True, None, note)
    found = (
        _item_change(line, answer),
        _quantity_change(line, answer, tolerances.ack_qty_pct, items, ref),
        _date_change(line, answer, tolerances.ack_date_days),
        _price_change(order, line, answer, tolerances.price_pct, items, ref),
    )
    changes = tuple(change for change in found if change is not None)
    apply = answer.status not in ALWAYS_A_BUYER and all(c.within_tolerance for c in changes)
    return AckLineDecision(number, answer.status, changes, apply, answer)


def _unknown_line(answer: AckLine) -> AckLineDecision:
    return AckLineDecision(
        answer.line_number, answer.status, (), False, answer, "is not a line of the order", False
    )


def _item_change(line: PurchaseOrderLine, answer: AckLine) -> FieldChange | None:
    substitute = answer.substitute_item
    if substitute is None or substitute.sku == line.item.sku:
        return None
    return FieldChange("item", line.item.sku, substitute.sku, "substitute", False)


def _date_change(
    line: PurchaseOrderLine, answer: AckLine, tolerance: Decimal
) -> FieldChange | None:
    changed, requested = answer.changed_delivery_date, line.requested_delivery_date
    if changed is None or changed == requested:
        return None
    days = (changed - requested).days
    return FieldChange(
        "delivery date",
        requested.isoformat(),
        changed.isoformat(),
        f"{days:+d} days, tolerance {plain(tolerance)} days",
        abs(days) <= tolerance,
    )


def _quantity_change(
    line: PurchaseOrderLine, answer: AckLine, pct: Decimal, items: Mapping[str, Item], ref: str
) -> FieldChange | None:
    changed = answer.changed_quantity
    if changed is None:
        return None
    sku, item = line.item.sku, items.get(line.item.sku)
    same_unit = changed.uom == line.quantity.uom
    unit = line.quantity.uom if same_unit or item is None else item.base_uom
    field = f"changed_quantity (line {line.line_number})"
    before = value_in(line.quantity, unit, item, sku=sku, document_ref=ref, field=field)
    after = value_in(changed, unit, item, sku=sku, document_ref=ref, field=field)
    if after == before:
        return None
    return FieldChange(
        "quantity",
        str(line.quantity),
        str(changed),
        f"{signed_percent(after, before)}, tolerance {plain(pct)}%",
        not exceeds(after, before, pct),
    )


def _price_change(
    order: PurchaseOrder,
    line: PurchaseOrderLine,
    answer: AckLine,
    pct: Decimal,
    items: Mapping[str, Item],
    ref: str,
) -> FieldChange | None:
    new, old = answer.changed_unit_price, line.unit_price
    if new is None:
        return None
    per, unit = (answer.changed_quantity or line.quantity).uom, line.quantity.uom
    ordered, acknowledged = f"{old} per {unit}", f"{new} per {per}"
    if new.currency != order.currency:
        return FieldChange("unit price", ordered, acknowledged, "another currency", False)
    after, before = new.amount, old.amount
    if per != unit:  # compare per base unit: new / f(per) against old / f(unit)
        sku, item = line.item.sku, items.get(line.item.sku)
        field = f"changed_unit_price (line {line.line_number})"
        after *= base_factor(item, unit, sku=sku, document_ref=ref, field=field)
        before *= base_factor(item, per, sku=sku, document_ref=ref, field=field)
    if after == before:
        return None
    return FieldChange(
        "unit price",
        ordered,
        acknowledged,
        f"{signed_percent(after, before)}, tolerance {plain(pct)}%",
        not exceeds(after, before, pct),
    )


def _stale(ack: PoAcknowledgement, order: PurchaseOrder, ref: str) -> BusinessException:
    return AckRevisionMismatch(
        f"{ref}: acknowledges revision {ack.po_revision} of {order.po_number}, "
        f"which is at revision {order.revision}",
        document_ref=ref,
        resolutions=(
            Resolution("replay", "Run it again against the revision it answers"),
            discard(),
        ),
        facts={
            "po_number": order.po_number,
            "acknowledged_revision": str(ack.po_revision),
            "current_revision": str(order.revision),
            "problem_key": f"ack_revision:{order.po_number}/{ack.po_revision}",
        },
    )


def _out_of_tolerance(
    ref: str, order: PurchaseOrder, decisions: tuple[AckLineDecision, ...]
) -> BusinessException:
    needing = [decision for decision in decisions if not decision.apply]
    facts = {
        "po_number": order.po_number,
        "revision": str(order.revision),
        "problem_key": f"ack_change:{order.po_number}/{order.revision}",
    }
    facts |= {f"line.{d.line_number}": d.describe() for d in decisions if d.changes or not d.apply}
    lines = ", ".join(str(decision.line_number) for decision in needing)
    return AckChangeOutOfTolerance(
        f"{ref}: the supplier's answer to {order.po_number} line(s) {lines} needs a buyer: "
        + "; ".join(decision.describe() for decision in needing),
        document_ref=ref,
        resolutions=(
            Resolution("accept", "Accept the changes: the ERP's purchase order is updated"),
            reject("Reject the changes: the supplier is told"),
        ),
        facts=facts,
    )
