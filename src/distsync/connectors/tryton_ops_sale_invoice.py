"""Customer invoices in Tryton: a delivered sale invoiced for what was shipped.

Mapping (canonical ``SalesOrder`` of one shipped portion -> ``account.invoice``
of type ``out``)::

    order_number               the sale's reference, and the invoice's reference
                               (the idempotency key)
    lines[].line_number        the sale line with that sequence: the invoice
                               line's origin, product, unit and unit price
    lines[].quantity           the invoiced quantity: what was shipped

The invoice stays a draft, booked on the company's first revenue and
receivable accounts, for the same reason supplier invoices do
(``tryton_ops_invoice``): posting belongs to the accounting team's set-up.
Tryton's own ``manual_invoice`` is not used because it invoices the ordered
quantity, and a portion shipped short must be invoiced for what left.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import tryton_quantity, x2many_create
from distsync.connectors.tryton_ops_sale import find_sale
from distsync.errors import BusinessException
from distsync.model.sales import SalesOrder
from distsync.runtime.ports import Receipt

__all__ = ["find_customer_invoice", "invoice_sales_order"]

MODEL = "account.invoice"
SALE_FIELDS = ["party", "invoice_address", "currency", "lines", "number"]
LINE_FIELDS = ["sequence", "product", "unit", "unit_price", "description"]


def find_customer_invoice(directory: TrytonDirectory, reference: str) -> dict[str, Any] | None:
    """The customer invoice whose reference is ``reference``, if any."""
    company, _, _ = directory.company()
    rows = directory.rpc.model(
        MODEL, "search_read",
        [["company", "=", company], ["type", "=", "out"], ["reference", "=", reference]],
        0, 1, [["id", "ASC"]], ["state"],
    )  # fmt: skip
    return dict(rows[0]) if rows else None


def invoice_sales_order(directory: TrytonDirectory, order: SalesOrder) -> Receipt:
    """Invoice the sale whose reference is ``order``'s number, for ``order``'s quantities."""
    existing = find_customer_invoice(directory, order.order_number)
    if existing is not None:
        return Receipt(remote_id=str(existing["id"]), duplicate=True)
    sale = find_sale(directory, order.order_number)
    if sale is None:
        raise BusinessException(
            f"invoicing {order.describe()}: Tryton has no sale {order.order_number}",
            document_ref=f"sales_order:{order.order_number}",
            reason_code="sales_order_not_found",
            facts={"order_number": order.order_number},
        )
    (row,) = directory.rpc.model("sale.sale", "read", [sale["id"]], SALE_FIELDS)
    values = _values(directory, order, row)
    (invoice_id,) = directory.rpc.model(MODEL, "create", [values])
    return Receipt(remote_id=str(invoice_id), duplicate=False)


def _values(
    directory: TrytonDirectory, order: SalesOrder, sale: Mapping[str, Any]
) -> dict[str, Any]:
    company, _, _ = directory.company()
    lines = directory.rpc.model("sale.line", "read", sale["lines"], LINE_FIELDS)
    by_number = {int(line["sequence"] or 0): line for line in lines if line["product"]}
    journal = directory.remember(
        "journal.revenue",
        lambda: directory.search_one("account.journal", [["type", "=", "revenue"]], "journal"),
    )
    invoice_lines = [
        _line(directory, by_number[line.line_number], tryton_quantity(line.quantity.value))
        for line in order.lines
        if line.line_number in by_number and line.quantity.value > 0
    ]
    return {
        "company": company,
        "type": "out",
        "party": sale["party"],
        "invoice_address": sale["invoice_address"],
        "currency": sale["currency"],
        "journal": journal,
        "account": _account(directory, "receivable"),
        "reference": order.order_number,
        "description": f"Sale {order.order_number}",
        "lines": x2many_create(invoice_lines),
    }


def _line(
    directory: TrytonDirectory, sale_line: Mapping[str, Any], quantity: float
) -> dict[str, Any]:
    return {
        "type": "line",
        "product": sale_line["product"],
        "description": sale_line["description"],
        "quantity": quantity,
        "unit": sale_line["unit"],
        "unit_price": sale_line["unit_price"],
        "account": _account(directory, "revenue"),
        "origin": f"sale.line,{sale_line['id']}",
    }


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
