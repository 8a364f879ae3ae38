"""Ship notice (what the supplier said it sent) against warehouse receipt (what arrived).

:func:`check_receipt` compares, per item in the item's base unit, the
quantity the notice announced with the quantity the warehouse received,
across all lots, packs and PO lines of the two documents. Three kinds of
variance, each measured in percent of the announced quantity and raised
when beyond ``receipt_qty_tolerance_pct``:

- **shortage**: less arrived than announced (an announced item that did not
  arrive at all is a 100% shortage);
- **overage**: more arrived (an item the notice did not announce is always one);
- **damaged**: the part the warehouse booked as damaged.

The notice's items are resolved to our SKUs through the supplier's
cross-reference as in ship-notice matching; the receipt, from our own
warehouse, already speaks our SKUs. Beyond tolerance, one ``receipt_variance``
exception lists every variance (resolutions ``accept_variance``, ``reject``).
The receipt is still posted: the goods are there either way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from distsync.errors import BusinessException
from distsync.model.asn import AdvanceShipNotice
from distsync.model.items import Item, MissingUomConversion
from distsync.model.receipts import Receipt
from distsync.model.units import Quantity
from distsync.rules.exceptions import ReceiptVariance, accept_variance, parking_exception, reject
from distsync.rules.tolerances import (
    Tolerances,
    exceeds,
    percent_of,
    plain,
    share_of,
    signed_percent,
)
from distsync.rules.uom import value_in
from distsync.rules.xref import PartnerXref, resolve_sku

__all__ = ["ItemComparison", "ReceiptCheck", "Variance", "VarianceKind", "check_receipt"]

ZERO = Decimal(0)


class VarianceKind(StrEnum):
    """How what arrived differs from what was announced."""

    SHORTAGE = "shortage"
    OVERAGE = "overage"
    DAMAGED = "damaged"


@dataclass(frozen=True)
class ItemComparison:
    """One item: announced, received and damaged, in its base unit ``uom``."""

    sku: str
    uom: str
    expected: Decimal
    received: Decimal
    damaged: Decimal
    lots: tuple[str, ...]


@dataclass(frozen=True)
class Variance:
    """One difference; ``quantity`` is the received (or damaged) quantity."""

    sku: str
    uom: str
    kind: VarianceKind
    expected: Decimal
    quantity: Decimal
    tolerance_pct: Decimal
    within_tolerance: bool

    def describe(self) -> str:
        """``GLV-2211: expected 50 BX, received 40 BX (-20%, tolerance 0%)``."""
        tolerance = f"tolerance {plain(self.tolerance_pct)}%"
        expected = f"{plain(self.expected)} {self.uom}"
        if self.kind is VarianceKind.DAMAGED:
            share = percent_of(self.quantity, self.expected)
            quantity = f"{plain(self.quantity)} {self.uom}"
            return f"{self.sku}: {quantity} of {expected} damaged ({share}, {tolerance})"
        received = f"{plain(self.quantity)} {self.uom}"
        change = signed_percent(self.quantity, self.expected)
        return f"{self.sku}: expected {expected}, received {received} ({change}, {tolerance})"


@dataclass(frozen=True)
class ReceiptCheck:
    """The comparison of one receipt with its notice: every item, every variance, the problems."""

    document_ref: str
    items: tuple[ItemComparison, ...]
    variances: tuple[Variance, ...]
    problems: tuple[BusinessException, ...]

    @property
    def ok(self) -> bool:
        """True when every variance is within tolerance (or was accepted)."""
        return not self.problems

    def exception(self) -> BusinessException | None:
        """What the receipt's variance is parked with, or None."""
        return parking_exception(self.problems)


def check_receipt(
    receipt: Receipt,
    asn: AdvanceShipNotice,
    *,
    xref: PartnerXref,
    items: Mapping[str, Item],
    tolerances: Tolerances,
    accepted: Collection[str] = frozenset(),
) -> ReceiptCheck:
    """Compare ``receipt`` with the notice ``asn`` it received; see the module docstring."""
    ref = f"receipt:{receipt.receipt_number}"
    try:
        compared = _compare(receipt, asn, xref, items, ref)
    except MissingUomConversion as exc:
        return ReceiptCheck(ref, (), (), (exc,))
    pct = tolerances.receipt_qty_pct
    variances = tuple(v for c in compared for v in _variances(c, pct))
    beyond = [v for v in variances if not v.within_tolerance]
    problems: tuple[BusinessException, ...] = ()
    if beyond and f"receipt_variance:{receipt.receipt_number}" not in accepted:
        problems = (_variance_exception(ref, receipt, asn, beyond),)
    return ReceiptCheck(ref, compared, variances, problems)


class _Tally:
    def __init__(self) -> None:
        self.expected: list[tuple[Quantity, str]] = []
        self.received: list[tuple[Quantity, str]] = []
        self.damaged: list[tuple[Quantity, str]] = []
        self.lots: list[str] = []


def _compare(
    receipt: Receipt,
    asn: AdvanceShipNotice,
    xref: PartnerXref,
    items: Mapping[str, Item],
    ref: str,
) -> tuple[ItemComparison, ...]:
    tallies: dict[str, _Tally] = {}
    received_skus = {line.item.sku for line in receipt.lines}
    for entry in asn.items():
        sku = resolve_sku(entry.item.item, xref, lambda s: s in items or s in received_skus)
        sku = sku or entry.item.item.sku  # unmapped: it shows as a shortage
        tallies.setdefault(sku, _Tally()).expected.append(
            (entry.item.quantity, f"asn {entry.path}")
        )
    for index, line in enumerate(receipt.lines):
        tally = tallies.setdefault(line.item.sku, _Tally())
        tally.received.append((line.received_quantity, f"lines.{index}.received_quantity"))
        if line.damaged_quantity is not None:
            tally.damaged.append((line.damaged_quantity, f"lines.{index}.damaged_quantity"))
        tally.lots += [line.lot] if line.lot and line.lot not in tally.lots else []
    return tuple(_summed(sku, tally, items, ref) for sku, tally in tallies.items())


def _summed(sku: str, tally: _Tally, items: Mapping[str, Item], ref: str) -> ItemComparison:
    item = items.get(sku)
    first = (tally.expected or tally.received)[0][0]
    unit = item.base_uom if item is not None else first.uom

    def total(quantities: list[tuple[Quantity, str]]) -> Decimal:
        return sum(
            (value_in(q, unit, item, sku=sku, document_ref=ref, field=f) for q, f in quantities),
            ZERO,
        )

    return ItemComparison(
        sku,
        unit,
        total(tally.expected),
        total(tally.received),
        total(tally.damaged),
        tuple(tally.lots),
    )


def _variances(compared: ItemComparison, pct: Decimal) -> list[Variance]:
    found = []
    expected, received = compared.expected, compared.received
    if received != expected:
        kind = VarianceKind.SHORTAGE if received < expected else VarianceKind.OVERAGE
        within = expected > 0 and not exceeds(received, expected, pct)
        found.append(Variance(compared.sku, compared.uom, kind, expected, received, pct, within))
    if compared.damaged > 0:
        within = compared.damaged <= share_of(expected, pct)
        found.append(
            Variance(
                compared.sku,
                compared.uom,
                VarianceKind.DAMAGED,
                expected,
                compared.damaged,
                pct,
                within,
            )
        )
    return found


def _variance_exception(
    ref: str, receipt: Receipt, asn: AdvanceShipNotice, beyond: list[Variance]
) -> BusinessException:
    facts = {
        "receipt_number": receipt.receipt_number,
        "asn_number": asn.asn_number,
        "warehouse_id": receipt.warehouse_id,
        "problem_key": f"receipt_variance:{receipt.receipt_number}",
    }
    facts |= {f"variance.{n}": v.describe() for n, v in enumerate(beyond, 1)}
    return ReceiptVariance(
        f"{ref}: differs from ship notice {asn.asn_number} beyond tolerance: "
        + "; ".join(v.describe() for v in beyond),
        document_ref=ref,
        resolutions=(
            accept_variance("Accept the received quantities as they are"),
            reject("Claim the difference from the supplier"),
        ),
        facts=facts,
    )
