"""The single checks of the 3-way invoice match, each giving a difference in words or None.

``invoice_match.match_invoice`` runs them; they are separate so that each
stays short and can be read on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from distsync.model.invoices import ChargeIndicator, Invoice, InvoiceLine
from distsync.model.items import Item
from distsync.model.money import minor_unit
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine
from distsync.rules.tolerances import (
    Tolerances,
    exceeds,
    percent_of,
    plain,
    share_of,
    signed_percent,
)
from distsync.rules.uom import base_factor, price_in

__all__ = [
    "InvoiceDifference",
    "InvoicedLine",
    "charge_differences",
    "expected_total",
    "money",
    "po_line_for",
    "price_difference",
    "quantity_difference",
    "total_difference",
]

ZERO = Decimal(0)


@dataclass(frozen=True)
class InvoiceDifference:
    """One difference: what it is about (``line 2``, ``charges``), its kind, and the words."""

    subject: str
    kind: str
    text: str


@dataclass(frozen=True)
class InvoicedLine:
    """One PO line of an invoice; quantities in the line's unit ``uom`` (its item's base unit)."""

    po_line_number: int
    sku: str
    uom: str
    invoiced: Decimal
    received: Decimal
    invoiced_before: Decimal
    invoice_lines: tuple[int, ...]

    @property
    def open_to_invoice(self) -> Decimal:
        """Received but not yet invoiced, before this invoice."""
        return self.received - self.invoiced_before


def quantity_difference(line: InvoicedLine, tolerances: Tolerances) -> InvoiceDifference | None:
    """More invoiced than received and not yet invoiced, beyond the tolerance."""
    allowed = line.open_to_invoice + share_of(line.received, tolerances.invoice_qty_pct)
    if line.invoiced <= allowed:
        return None
    numbers = ", ".join(str(n) for n in line.invoice_lines)
    subject = f"line {numbers}" if len(line.invoice_lines) == 1 else f"lines {numbers}"
    unit = line.uom
    text = (
        f"{subject}: invoiced {plain(line.invoiced)} {unit}, received {plain(line.received)} {unit}"
    )
    if line.invoiced_before:
        text += f" of which {plain(line.invoiced_before)} {unit} already invoiced"
    if tolerances.invoice_qty_pct:
        text += f" (tolerance {plain(tolerances.invoice_qty_pct)}%)"
    return InvoiceDifference(subject, "quantity", text)


def price_difference(
    line: InvoiceLine,
    po_line: PurchaseOrderLine,
    items: Mapping[str, Item],
    ref: str,
    tolerances: Tolerances,
) -> InvoiceDifference | None:
    """The invoiced unit price against the order's, per base unit, beyond the tolerance."""
    invoiced, ordered = line.unit_price.amount, po_line.unit_price.amount
    unit, po_unit, sku = line.quantity.uom, po_line.quantity.uom, po_line.item.sku
    if unit != po_unit:  # per base unit: invoiced / f(unit) against ordered / f(po unit)
        item, field = items.get(sku), f"lines (line {line.line_number}).unit_price"
        invoiced *= base_factor(item, po_unit, sku=sku, document_ref=ref, field=field)
        ordered *= base_factor(item, unit, sku=sku, document_ref=ref, field=field)
    pct = tolerances.price_pct
    if not exceeds(invoiced, ordered, pct):
        return None
    currency, subject = line.unit_price.currency, f"line {line.line_number}"
    change = f"{signed_percent(invoiced, ordered)}, tolerance {plain(pct)}%"
    if unit == po_unit:
        return InvoiceDifference(
            subject,
            "price",
            f"{subject}: price {line.unit_price.amount} {currency} vs PO "
            f"{po_line.unit_price.amount} {currency} ({change})",
        )
    converted = price_in(
        po_line.unit_price.amount, po_unit, unit, items.get(sku), sku=sku, document_ref=ref
    )
    return InvoiceDifference(
        subject,
        "price",
        f"{subject}: price {line.unit_price.amount} {currency} per {unit} vs PO "
        f"{po_line.unit_price.amount} {currency} per {po_unit} "
        f"({money(converted, currency)} per {unit}, {change})",
    )


def charge_differences(invoice: Invoice, tolerances: Tolerances) -> list[InvoiceDifference]:
    """Charges whose code is not allowed, and charges beyond their share of the lines."""
    found, currency = [], invoice.currency
    allowed = ", ".join(sorted(tolerances.charge_codes)) or "none"
    for charge in invoice.charges:
        if (
            charge.indicator is ChargeIndicator.CHARGE
            and charge.code not in tolerances.charge_codes
        ):
            named = f" ({charge.description})" if charge.description else ""
            text = (
                f"charge {charge.code}{named} {charge.amount} is not an allowed charge "
                f"(allowed: {allowed})"
            )
            found.append(InvoiceDifference(f"charge {charge.code}", "charge", text))
    charges, lines = invoice.charges_total(ChargeIndicator.CHARGE), invoice.lines_total()
    if charges > share_of(lines, tolerances.charge_pct):
        text = (
            f"charges {money(charges, currency)} are {percent_of(charges, lines)} of the "
            f"lines' {money(lines, currency)} (tolerance {plain(tolerances.charge_pct)}%)"
        )
        found.append(InvoiceDifference("charges", "charge", text))
    return found


def expected_total(
    invoice: Invoice, order: PurchaseOrder, items: Mapping[str, Item], ref: str
) -> Decimal:
    """The invoice's quantities at the order's prices, plus charges, less allowances.

    Each line at the order's price is rounded to the currency's minor unit,
    as the invoice's own line amounts are; a line for no item of the order
    counts at the invoice's price.
    """
    cent, total = minor_unit(invoice.currency), ZERO
    for line in invoice.lines:
        po_line = po_line_for(order, line.po_line_number, line.item.sku)
        if po_line is None or po_line.item.sku != line.item.sku:
            total += line.amount.amount
            continue
        amount = po_line.unit_price.amount * line.quantity.value
        unit, po_unit = line.quantity.uom, po_line.quantity.uom
        if unit != po_unit:
            sku, item = po_line.item.sku, items.get(po_line.item.sku)
            field = f"lines (line {line.line_number}).quantity"
            with localcontext() as context:
                context.prec = 50
                amount *= base_factor(item, unit, sku=sku, document_ref=ref, field=field)
                amount /= base_factor(item, po_unit, sku=sku, document_ref=ref, field=field)
        total += amount.quantize(cent)
    return total + sum((charge.signed_amount() for charge in invoice.charges), ZERO)


def total_difference(
    invoice: Invoice, expected: Decimal, tolerances: Tolerances
) -> InvoiceDifference | None:
    """The invoice total against the total at the order's prices, beyond the price tolerance."""
    stated = invoice.total.amount
    if not exceeds(stated, expected, tolerances.price_pct):
        return None
    currency = invoice.currency
    text = (
        f"total: invoiced {money(stated, currency)}, {money(expected, currency)} at PO prices "
        f"({signed_percent(stated, expected)}, tolerance {plain(tolerances.price_pct)}%)"
    )
    return InvoiceDifference("total", "total", text)


def po_line_for(
    order: PurchaseOrder, line_number: int | None, sku: str
) -> PurchaseOrderLine | None:
    """The order's line a document line names: by PO line number, else the first with the SKU."""
    if line_number is not None:
        return order.line(line_number)
    return next((line for line in order.lines if line.item.sku == sku), None)


def money(amount: Decimal, currency: str) -> str:
    """``85.00 USD``: at least the currency's minor unit, more places only when there are."""
    cent = minor_unit(currency)
    shown = amount.quantize(cent) if amount == amount.quantize(cent) else amount
    return f"{shown} {currency}"
