"""Three-way match: the supplier's invoice against the order's prices and the received goods.

:func:`match_invoice` checks, with every figure exact and quantities in the
items' base units:

- each invoice line names a line of the order (by PO line number, else by
  SKU) for the same item;
- per PO line, what is invoiced now stays within what was received and not
  yet invoiced, plus ``invoice_qty_tolerance_pct`` of the received quantity;
- each unit price is the order's within ``price_tolerance_pct``, up or down
  (compared per base unit, so a price per case meets a price per each);
- each charge's code is one of ``invoice_charge_codes``, and the charges
  together stay within ``invoice_charge_tolerance_pct`` of the lines' amount
  (allowances are always welcome);
- the invoice total is the total at the order's prices within ``price_tolerance_pct``;
- the invoice is in the order's currency, from the order's supplier.

Every difference is spelled out in words and numbers ("line 2: invoiced 12
EA, received 10 EA"); any difference makes one ``invoice_mismatch``
exception. :func:`received_by_line` totals receipts per PO line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from distsync.errors import BusinessException, Resolution
from distsync.model.invoices import Invoice
from distsync.model.items import Item
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine
from distsync.model.receipts import Receipt
from distsync.rules.exceptions import InvoiceMismatch, accept_variance, parking_exception, reject
from distsync.rules.invoice_checks import (
    InvoiceDifference,
    InvoicedLine,
    charge_differences,
    expected_total,
    money,
    po_line_for,
    price_difference,
    quantity_difference,
    total_difference,
)
from distsync.rules.tolerances import Tolerances
from distsync.rules.uom import value_in

__all__ = [
    "InvoiceDifference",
    "InvoiceMatch",
    "InvoicedLine",
    "invoice_ref",
    "match_invoice",
    "received_by_line",
]

NOTHING: Mapping[int, Decimal] = MappingProxyType({})
ZERO = Decimal(0)


def invoice_ref(invoice: Invoice) -> str:
    """How exceptions name a supplier invoice: ``invoice:<seller>/<invoice number>``."""
    return f"invoice:{invoice.seller.party_id}/{invoice.invoice_number}"


@dataclass(frozen=True)
class InvoiceMatch:
    """The 3-way match of one invoice: per PO line, every difference, the expected total."""

    document_ref: str
    lines: tuple[InvoicedLine, ...]
    differences: tuple[InvoiceDifference, ...]
    expected_total: Decimal | None
    problems: tuple[BusinessException, ...]

    @property
    def ok(self) -> bool:
        """True when the invoice may be recorded in the ERP against the order."""
        return not self.problems

    def exception(self) -> BusinessException | None:
        """What the invoice is parked with, or None."""
        return parking_exception(self.problems)


def line_unit(line: PurchaseOrderLine, items: Mapping[str, Item]) -> str:
    """The unit a PO line's quantities are counted in: its item's base unit, else its own."""
    item = items.get(line.item.sku)
    return item.base_uom if item is not None else line.quantity.uom


def received_by_line(
    order: PurchaseOrder, receipts: Iterable[Receipt], items: Mapping[str, Item]
) -> dict[int, Decimal]:
    """What the receipts received per line of ``order``, in each line's :func:`line_unit`.

    A receipt line belongs to the order by its own PO number, else its
    receipt's; to a line by PO line number, else by SKU. Lines of other
    orders, and lines for no item of this order, are left out.
    """
    received: dict[int, Decimal] = {}
    for receipt in receipts:
        for index, line in enumerate(receipt.lines):
            if (line.po_number or receipt.po_number) != order.po_number:
                continue
            po_line = po_line_for(order, line.po_line_number, line.item.sku)
            if po_line is None:
                continue
            sku = po_line.item.sku
            value = value_in(
                line.received_quantity,
                line_unit(po_line, items),
                items.get(sku),
                sku=sku,
                document_ref=f"receipt:{receipt.receipt_number}",
                field=f"lines.{index}.received_quantity",
            )
            received[po_line.line_number] = received.get(po_line.line_number, ZERO) + value
    return received


def match_invoice(
    invoice: Invoice,
    order: PurchaseOrder,
    *,
    received: Mapping[int, Decimal],
    items: Mapping[str, Item],
    tolerances: Tolerances,
    invoiced_before: Mapping[int, Decimal] = NOTHING,
    accepted: Collection[str] = frozenset(),
) -> InvoiceMatch:
    """Match ``invoice`` against ``order`` and the received quantities per PO line.

    ``received`` and ``invoiced_before`` are per PO line number in the
    line's :func:`line_unit`. Raises MissingUomConversion when a quantity
    does not convert, ValueError when the invoice names another order.
    """
    if invoice.po_number is not None and invoice.po_number != order.po_number:
        raise ValueError(f"{invoice.describe()} is for {invoice.po_number}, not {order.po_number}")
    ref = invoice_ref(invoice)
    invoiced, line_differences = _invoiced_lines(invoice, order, items, tolerances, ref)
    differences = _header_differences(invoice, order) + line_differences
    lines = tuple(
        InvoicedLine(
            number,
            entry.line.item.sku,
            entry.unit,
            entry.quantity,
            received.get(number, ZERO),
            invoiced_before.get(number, ZERO),
            tuple(entry.numbers),
        )
        for number, entry in invoiced.items()
    )
    differences += [d for line in lines if (d := quantity_difference(line, tolerances))]
    total = None
    if invoice.currency == order.currency:
        differences += charge_differences(invoice, tolerances)
        total = expected_total(invoice, order, items, ref)
        differences += [d for d in (total_difference(invoice, total, tolerances),) if d]
    key = f"invoice_mismatch:{invoice.seller.party_id}/{invoice.invoice_number}"
    problems: tuple[BusinessException, ...] = ()
    if differences and key not in accepted:
        problems = (_mismatch(ref, invoice, order, differences, total, key),)
    return InvoiceMatch(ref, lines, tuple(differences), total, problems)


def _header_differences(invoice: Invoice, order: PurchaseOrder) -> list[InvoiceDifference]:
    found = []
    if invoice.currency != order.currency:
        text = f"currency: invoiced in {invoice.currency}, the order is in {order.currency}"
        found.append(InvoiceDifference("currency", "currency", text))
    if invoice.seller.party_id != order.supplier.party_id:
        text = (
            f"supplier: invoiced by {invoice.seller.party_id}, "
            f"the order is with {order.supplier.party_id}"
        )
        found.append(InvoiceDifference("supplier", "supplier", text))
    return found


def _invoiced_lines(
    invoice: Invoice,
    order: PurchaseOrder,
    items: Mapping[str, Item],
    tolerances: Tolerances,
    ref: str,
) -> tuple[dict[int, _Invoiced], list[InvoiceDifference]]:
    """Invoiced quantity per PO line number, and the differences of single lines."""
    invoiced: dict[int, _Invoiced] = {}
    differences: list[InvoiceDifference] = []
    for index, line in enumerate(invoice.lines):
        subject, sku = f"line {line.line_number}", line.item.sku
        po_line = po_line_for(order, line.po_line_number, sku)
        if po_line is None or po_line.item.sku != sku:
            where = (
                f"line {po_line.line_number} of {order.po_number} is {po_line.item.sku}"
                if po_line
                else f"{sku} is on no line of {order.po_number}"
            )
            text = f"{subject}: invoices {sku}, but {where}"
            differences.append(InvoiceDifference(subject, "item", text))
            continue
        field = f"lines.{index}.quantity"
        unit = line_unit(po_line, items)
        quantity = value_in(
            line.quantity, unit, items.get(sku), sku=sku, document_ref=ref, field=field
        )
        entry = invoiced.setdefault(po_line.line_number, _Invoiced(po_line, unit))
        entry.quantity += quantity
        entry.numbers.append(line.line_number)
        if invoice.currency == order.currency:
            found = price_difference(line, po_line, items, ref, tolerances)
            differences += [found] if found else []
    return invoiced, differences


class _Invoiced:
    def __init__(self, line: PurchaseOrderLine, unit: str) -> None:
        self.line, self.unit = line, unit
        self.quantity = ZERO
        self.numbers: list[int] = []


def _mismatch(
    ref: str,
    invoice: Invoice,
    order: PurchaseOrder,
    differences: list[InvoiceDifference],
    total: Decimal | None,
    key: str,
) -> BusinessException:
    facts = {
        "invoice_number": invoice.invoice_number,
        "po_number": order.po_number,
        "invoice_total": str(invoice.total),
        "problem_key": key,
    }
    if total is not None:
        facts["expected_total"] = money(total, invoice.currency)
    facts |= {f"difference.{n}": d.text for n, d in enumerate(differences, 1)}
    return InvoiceMismatch(
        f"{ref}: does not match {order.po_number}: " + "; ".join(d.text for d in differences),
        document_ref=ref,
        resolutions=(
            accept_variance("Record the invoice in the ERP as it is"),
            reject("Dispute the invoice with the supplier"),
            Resolution("replay", "Match it again, once more goods are received"),
        ),
        facts=facts,
    )
