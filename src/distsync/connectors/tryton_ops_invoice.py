"""Supplier invoices in Tryton: recorded as drafts against a purchase, for matching.

Mapping (canonical ``Invoice`` <-> ``account.invoice`` of type ``in``)::

    invoice_number             reference (the idempotency key)
    invoice_date               invoice_date
    seller.party_id            party.code (the supplier)
    buyer                      the company's party
    po_number                  each product line's origin: the purchase line
                               (found by line number, else by SKU)
    lines[].po_line_number     origin purchase.line.sequence
    lines[].item / quantity / unit_price   product.code / quantity + unit / unit_price
    lines[].amount             amount (Tryton computes it)
    charges                    lines without product, described "[D240] Freight",
                               quantity 1, at minus the amount for an allowance
    total                      untaxed_amount

The invoice stays a draft: posting needs a fiscal year, periods and
sequences, which belong to the accounting team's set-up, not to the
connector. Every line is booked on the company's first expense account and
the invoice on its first payable account. Tryton numbers invoice lines
itself, so line numbers read back are positions; due date and payment
terms are not kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import (
    item_ref,
    money,
    party_ref,
    quantity,
    tryton_quantity,
    x2many_create,
)
from distsync.connectors.tryton_ops_purchase import find_purchase
from distsync.errors import PurchaseOrderNotFound
from distsync.model.invoices import ChargeAllowance, ChargeIndicator, Invoice, InvoiceLine
from distsync.model.parties import PartyRef
from distsync.runtime.ports import Receipt

__all__ = ["read_supplier_invoice", "record_supplier_invoice"]

MODEL = "account.invoice"
CHARGE = re.compile(r"^\[([A-Z0-9]{4})\]\s*(.*)$")
LINE_FIELDS = [
    "product", "product.code", "description", "quantity", "unit", "unit_price", "amount",
    "origin", "origin.sequence", "origin.purchase",
]  # fmt: skip


def find_invoice(directory: TrytonDirectory, invoice_number: str) -> dict[str, Any] | None:
    """The supplier invoice whose reference is ``invoice_number``, if any."""
    company, _, _ = directory.company()
    rows = directory.rpc.model(
        MODEL, "search_read",
        [["company", "=", company], ["type", "=", "in"], ["reference", "=", invoice_number]],
        0, 1, [["id", "ASC"]], ["state"],
    )  # fmt: skip
    return dict(rows[0]) if rows else None


def record_supplier_invoice(directory: TrytonDirectory, invoice: Invoice) -> Receipt:
    """Record ``invoice`` as a draft supplier invoice unless one with its reference exists."""
    existing = find_invoice(directory, invoice.invoice_number)
    if existing is not None:
        return Receipt(remote_id=str(existing["id"]), duplicate=True)
    (invoice_id,) = directory.rpc.model(MODEL, "create", [_values(directory, invoice)])
    return Receipt(remote_id=str(invoice_id), duplicate=False)


def _account(directory: TrytonDirectory, kind: str) -> int:
    company, _, _ = directory.company()
    return directory.remember(
        f"account.{kind}",
        lambda: directory.search_one(
            "account.account",
            [["company", "=", company], [f"type.{kind}", "=", True], ["closed", "!=", True]],
            f"{kind} account",
        ),
    )


def _values(directory: TrytonDirectory, invoice: Invoice) -> dict[str, Any]:
    company, _, _ = directory.company()
    supplier = directory.party(invoice.seller.party_id)
    journal = directory.remember(
        "journal.expense",
        lambda: directory.search_one("account.journal", [["type", "=", "expense"]], "journal"),
    )
    purchase_lines = _purchase_lines(directory, invoice)
    lines = [_line_values(directory, invoice, line, purchase_lines) for line in invoice.lines]
    lines += [_charge_values(directory, charge) for charge in invoice.charges]
    return {
        "company": company,
        "type": "in",
        "party": supplier.id,
        "invoice_address": supplier.address,
        "currency": directory.currency(invoice.currency),
        "journal": journal,
        "account": _account(directory, "payable"),
        "reference": invoice.invoice_number,
        "invoice_date": invoice.invoice_date,
        "description": f"PO {invoice.po_number}" if invoice.po_number else None,
        "lines": x2many_create(lines),
    }


def _purchase_lines(directory: TrytonDirectory, invoice: Invoice) -> list[Mapping[str, Any]]:
    if invoice.po_number is None:
        return []
    found = find_purchase(directory, invoice.po_number)
    if found is None:
        raise PurchaseOrderNotFound(
            f"recording {invoice.describe()}: Tryton has no purchase {invoice.po_number}",
            document_ref=f"invoice:{invoice.invoice_number}",
            facts={"po_number": invoice.po_number},
        )
    rows = directory.rpc.model("purchase.line", "read", found["lines"], ["sequence", "product"])
    return list(rows)


def _line_values(
    directory: TrytonDirectory,
    invoice: Invoice,
    line: InvoiceLine,
    purchase_lines: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    product = directory.product(line.item.sku, document_ref=f"invoice:{invoice.invoice_number}")
    values: dict[str, Any] = {
        "type": "line",
        "product": product.id,
        "description": line.item.description,
        "quantity": tryton_quantity(line.quantity.value),
        "unit": directory.unit(line.quantity.uom).id,
        "unit_price": line.unit_price.amount,
        "account": _account(directory, "expense"),
    }
    origin = _origin(line, product.id, purchase_lines)
    if origin is not None:
        values["origin"] = f"purchase.line,{origin}"
    return values


def _origin(
    line: InvoiceLine, product: int, purchase_lines: Sequence[Mapping[str, Any]]
) -> int | None:
    same = [row for row in purchase_lines if row["product"] == product]
    numbered = [row for row in same if row["sequence"] == line.po_line_number]
    chosen = numbered or same
    return int(chosen[0]["id"]) if chosen else None


def _charge_values(directory: TrytonDirectory, charge: ChargeAllowance) -> dict[str, Any]:
    amount = charge.signed_amount()
    return {
        "type": "line",
        "description": f"[{charge.code}] {charge.description or ''}".strip(),
        "quantity": 1.0,
        "unit_price": amount,
        "account": _account(directory, "expense"),
    }


def read_supplier_invoice(directory: TrytonDirectory, invoice_number: str) -> Invoice | None:
    """The supplier invoice with this reference as a canonical invoice, if Tryton has it."""
    found = find_invoice(directory, invoice_number)
    if found is None:
        return None
    (row,) = directory.rpc.model(
        MODEL, "read", [found["id"]],
        ["reference", "invoice_date", "party.code", "party.name", "currency.code", "lines",
         "untaxed_amount"],
    )  # fmt: skip
    lines = directory.rpc.model("account.invoice.line", "read", row["lines"], LINE_FIELDS)
    lines = sorted(lines, key=lambda ln: ln["id"])
    _, company_party, _ = directory.company()
    currency = row["currency."]["code"]
    return Invoice(
        invoice_number=row["reference"],
        invoice_date=row["invoice_date"],
        seller=party_ref(row["party."]),
        buyer=PartyRef(party_id=company_party.code, name=company_party.name),
        po_number=_po_number(directory, lines),
        currency=currency,
        lines=tuple(
            _invoice_line(directory, index, line, currency)
            for index, line in enumerate((ln for ln in lines if ln["product"]), 1)
        ),
        charges=tuple(_charge(line, currency) for line in lines if not line["product"]),
        total=money(row["untaxed_amount"], currency),
    )


def _po_number(directory: TrytonDirectory, lines: Sequence[Mapping[str, Any]]) -> str | None:
    purchases = {(ln.get("origin.") or {}).get("purchase") for ln in lines} - {None}
    if len(purchases) != 1:
        return None
    (row,) = directory.rpc.model(
        "purchase.purchase", "read", list(purchases), ["reference", "number"]
    )
    return str(row["reference"] or row["number"])


def _invoice_line(
    directory: TrytonDirectory, index: int, line: Mapping[str, Any], currency: str
) -> InvoiceLine:
    return InvoiceLine(
        line_number=index,
        po_line_number=(line.get("origin.") or {}).get("sequence"),
        item=item_ref(line["product."], line["description"]),
        quantity=quantity(directory, line["quantity"], int(line["unit"])),
        unit_price=money(line["unit_price"], currency),
        amount=money(line["amount"], currency),
    )


def _charge(line: Mapping[str, Any], currency: str) -> ChargeAllowance:
    match = CHARGE.match(line["description"] or "")
    code, text = (match.group(1), match.group(2)) if match else ("ZZZZ", line["description"])
    amount = money(line["unit_price"], currency).amount * money(line["quantity"], currency).amount
    indicator = ChargeIndicator.ALLOWANCE if amount < 0 else ChargeIndicator.CHARGE
    return ChargeAllowance(
        indicator=indicator,
        code=code,
        amount=money(abs(amount), currency),
        description=text or None,
    )
