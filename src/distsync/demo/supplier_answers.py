"""The simulated supplier's documents for one purchase order: 855, then 856 and 810 per shipment.

Pure: ``plan_answers(order, behaviour, numbers, now)`` reads nothing but its
arguments. Times are ``now`` plus each document's delay, so a later notice
is also dated later. See ``supplier_behaviour`` for what each setting does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from distsync.demo.supplier_behaviour import (
    DocumentNumbers,
    SupplierBehaviour,
    amount,
    for_sku,
    lot_numbers,
    split_quantity,
)
from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack, PackKind
from distsync.model.identifiers import gs1_check_digit
from distsync.model.invoices import Invoice, InvoiceLine
from distsync.model.items import ItemRef
from distsync.model.money import Money, minor_unit
from distsync.model.parties import CarrierRef
from distsync.model.procurement import (
    AckLine,
    AckLineStatus,
    PoAcknowledgement,
    PurchaseOrder,
    PurchaseOrderLine,
)
from distsync.model.units import Quantity

__all__ = ["Shipment", "SupplierAnswers", "plan_answers"]


@dataclass(frozen=True)
class Shipment:
    """One notice, the invoice for it, when each goes, and the codes shipped unannounced."""

    notice: AdvanceShipNotice
    invoice: Invoice
    delay: float
    invoice_delay: float
    unknown_codes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SupplierAnswers:
    acknowledgement: PoAcknowledgement
    ack_delay: float
    shipments: tuple[Shipment, ...]


@dataclass(frozen=True)
class _Wave:
    delay: float
    quantities: dict[int, Decimal]  # PO line number -> quantity shipped in this wave


def plan_answers(
    order: PurchaseOrder, behaviour: SupplierBehaviour, numbers: DocumentNumbers, now: datetime
) -> SupplierAnswers:
    """What the supplier sends back for ``order``."""
    acknowledgement = _acknowledgement(order, behaviour, numbers, now)
    shipments = tuple(
        _shipment(order, behaviour, numbers, now, wave) for wave in _waves(order, behaviour)
    )
    return SupplierAnswers(acknowledgement, behaviour.ack_delay, shipments)


# -- 855 --------------------------------------------------------------------------------


def _acknowledgement(
    order: PurchaseOrder, behaviour: SupplierBehaviour, numbers: DocumentNumbers, now: datetime
) -> PoAcknowledgement:
    lines = tuple(_ack_line(order, line, behaviour) for line in order.lines)
    return PoAcknowledgement(
        po_number=order.po_number,
        po_revision=order.revision,
        ack_number=numbers.next("ACK"),
        acknowledged_at=now + timedelta(seconds=int(behaviour.ack_delay)),
        supplier=order.supplier,
        status=PoAcknowledgement.status_for(lines),
        lines=lines,
    )


def _ack_line(
    order: PurchaseOrder, line: PurchaseOrderLine, behaviour: SupplierBehaviour
) -> AckLine:
    sku = line.item.sku
    substitute = for_sku(behaviour.substitutions, sku)
    price = for_sku(behaviour.price_changes, sku)
    changed = Money(amount=price, currency=order.currency) if price is not None else None
    if substitute is not None:
        status, reason = AckLineStatus.SUBSTITUTED, f"{sku} is replaced by {substitute.sku}"
    elif changed is not None:
        status, reason = AckLineStatus.CHANGED, "price list updated"
    else:
        status, reason = AckLineStatus.ACCEPTED, None
    return AckLine(
        line_number=line.line_number,
        item=line.item,
        status=status,
        changed_unit_price=changed,
        substitute_item=substitute,
        reason=reason,
    )


# -- shipments --------------------------------------------------------------------------


def _waves(order: PurchaseOrder, behaviour: SupplierBehaviour) -> list[_Wave]:
    now: dict[int, Decimal] = {}
    later: dict[int, Decimal] = {}
    for line in order.lines:
        first, rest = split_quantity(line.quantity.value, for_sku(behaviour.partial, line.item.sku))
        if first > 0:
            now[line.line_number] = first
        if rest > 0:
            later[line.line_number] = rest
    waves = [
        _Wave(behaviour.asn_delay, now),
        _Wave(behaviour.asn_delay + behaviour.rest_delay, later),
    ]
    return [wave for wave in waves if wave.quantities]


def _shipment(
    order: PurchaseOrder,
    behaviour: SupplierBehaviour,
    numbers: DocumentNumbers,
    now: datetime,
    wave: _Wave,
) -> Shipment:
    shipped_at = now + timedelta(seconds=int(wave.delay))
    asn_number = numbers.next("ASN")
    lots = lot_numbers(behaviour.seed, asn_number)
    lines = [line for line in order.lines if line.line_number in wave.quantities]
    items = tuple(
        AsnItem(
            po_line_number=line.line_number,
            item=_shipped_item(line.item, behaviour),
            quantity=Quantity(value=wave.quantities[line.line_number], uom=line.quantity.uom),
            lot=f"L{lots.randrange(10**6):06d}" if behaviour.lots else None,
        )
        for line in lines
    )
    notice = AdvanceShipNotice(
        asn_number=asn_number,
        issued_at=shipped_at,
        supplier=order.supplier,
        ship_to_warehouse_id=order.ship_to_warehouse_id,
        carrier=_carrier(behaviour),
        bill_of_lading=f"BOL-{asn_number}",
        shipped_at=shipped_at,
        expected_delivery_date=_delivery(lines, shipped_at, behaviour.late_days),
        orders=(AsnOrder(po_number=order.po_number, packs=(_pallet(items, behaviour, numbers),)),),
    )
    unknown = frozenset(
        code for line in lines if (code := for_sku(behaviour.unknown_skus, line.item.sku))
    )
    invoice = _invoice(order, notice, lines, behaviour, numbers)
    return Shipment(notice, invoice, wave.delay, wave.delay + behaviour.invoice_delay, unknown)


def _shipped_item(ordered: ItemRef, behaviour: SupplierBehaviour) -> ItemRef:
    substitute = for_sku(behaviour.substitutions, ordered.sku)
    if substitute is not None:
        return substitute
    code = for_sku(behaviour.unknown_skus, ordered.sku)
    if code is not None:
        return ItemRef(sku=code, supplier_part_number=code)
    return ordered


def _pallet(
    items: tuple[AsnItem, ...], behaviour: SupplierBehaviour, numbers: DocumentNumbers
) -> AsnPack:
    digits = f"0{behaviour.gs1_prefix}{numbers.serial():0{16 - len(behaviour.gs1_prefix)}d}"
    return AsnPack(sscc=digits + str(gs1_check_digit(digits)), kind=PackKind.PALLET, items=items)


def _carrier(behaviour: SupplierBehaviour) -> CarrierRef | None:
    scac = behaviour.carrier_scac
    return CarrierRef(party_id=scac, scac=scac) if scac else None


def _delivery(lines: Sequence[PurchaseOrderLine], shipped_at: datetime, late_days: int) -> date:
    requested = max(line.requested_delivery_date for line in lines) + timedelta(days=late_days)
    return max(requested, shipped_at.date())


# -- 810 --------------------------------------------------------------------------------


def _invoice(
    order: PurchaseOrder,
    notice: AdvanceShipNotice,
    lines: Sequence[PurchaseOrderLine],
    behaviour: SupplierBehaviour,
    numbers: DocumentNumbers,
) -> Invoice:
    minor = minor_unit(order.currency)
    shipped = {entry.item.po_line_number: entry.item for entry in notice.items()}
    invoiced = []
    for number, line in enumerate(lines, 1):
        item = shipped[line.line_number]
        quantity = item.quantity.value + (for_sku(behaviour.invoice_extra, line.item.sku) or 0)
        price = for_sku(behaviour.price_changes, line.item.sku) or line.unit_price.amount
        invoiced.append(
            InvoiceLine(
                line_number=number,
                po_line_number=line.line_number,
                item=for_sku(behaviour.substitutions, line.item.sku) or line.item,
                quantity=Quantity(value=quantity, uom=item.quantity.uom),
                unit_price=Money(amount=price, currency=order.currency),
                amount=Money(amount=amount(quantity, price, minor), currency=order.currency),
            )
        )
    total = sum((line.amount.amount for line in invoiced), Decimal(0))
    return Invoice(
        invoice_number=numbers.next("INV"),
        invoice_date=notice.shipped_at.date(),
        seller=order.supplier,
        buyer=order.buyer,
        po_number=order.po_number,
        asn_number=notice.asn_number,
        currency=order.currency,
        payment_terms=order.payment_terms,
        lines=tuple(invoiced),
        total=Money(amount=total, currency=order.currency),
    )
