"""A confirmed purchase order amended in Tryton: quantities, prices or items the supplier changed.

When a buyer accepts a supplier's acknowledgement that changes a line, the
ERP's purchase must say the same. Tryton keeps a confirmed purchase
read-only; its ``purchase_amendment`` module changes one through a
``purchase.amendment`` whose lines each rewrite one purchase line (product,
quantity, unit, unit price). Validating it bumps the purchase's revision,
deletes the moves not yet shipped and processes the purchase again, which
recreates them with the new quantities.

The canonical ``PurchaseOrder`` sent is the order as it should now be. Lines
are matched by line number (Tryton's ``sequence``); a line the order no
longer has is set to quantity 0; a line Tryton does not have cannot be added
by an amendment and is refused. The amendment's description names the
order and its revision, so a repeated call finds it instead of amending
twice, and validates and processes it if an earlier attempt stopped short
(the same two-transaction gap as confirming: see ``tryton_workflow``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import decimal, line_numbers, tryton_quantity, x2many_create
from distsync.errors import PurchaseOrderNotFound, Rejected
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine
from distsync.runtime.ports import Receipt

__all__ = ["amend_purchase_order", "amendment_label"]

PURCHASE = "purchase.purchase"
AMENDMENT = "purchase.amendment"
LINE_FIELDS = ["sequence", "type", "product", "quantity", "unit", "unit_price", "description"]
AMENDABLE = ("confirmed", "processing")


def amendment_label(order: PurchaseOrder) -> str:
    return f"distsync {order.po_number} revision {order.revision}"


def amend_purchase_order(directory: TrytonDirectory, order: PurchaseOrder) -> Receipt:
    """Make Tryton's purchase say what ``order`` says (see the module docstring)."""
    purchase = _purchase(directory, order)
    rpc = directory.rpc
    found = rpc.model(
        AMENDMENT, "search_read",
        [["purchase", "=", purchase], ["description", "=", amendment_label(order)]],
        0, 1, None, ["state"],
    )  # fmt: skip
    if found:
        _finish(directory, int(found[0]["id"]), str(found[0]["state"]), purchase)
        return Receipt(remote_id=str(found[0]["id"]), duplicate=True)
    changes = _changes(directory, order, purchase)
    if not changes:
        return Receipt(remote_id=None, duplicate=False)
    values = {"purchase": purchase, "description": amendment_label(order)}
    (amendment,) = rpc.model(AMENDMENT, "create", [values | {"lines": x2many_create(changes)}])
    _finish(directory, int(amendment), "draft", purchase)
    return Receipt(remote_id=str(amendment), duplicate=False)


def _purchase(directory: TrytonDirectory, order: PurchaseOrder) -> int:
    found = directory.find_reference(PURCHASE, order.po_number)
    if found is None:
        raise PurchaseOrderNotFound(
            f"amending {order.describe()}: Tryton has no purchase with reference {order.po_number}",
            document_ref=f"purchase_order:{order.po_number}",
        )
    state = str(found["state"])
    if state == "confirmed":  # processing never ran (see tryton_workflow)
        directory.rpc.model(PURCHASE, "process", [int(found["id"])])
    elif state not in AMENDABLE:
        raise Rejected(
            f"amending {order.describe()}: the Tryton purchase is {state}; only a confirmed "
            "or processing purchase can be amended"
        )
    return int(found["id"])


def _finish(directory: TrytonDirectory, amendment: int, state: str, purchase: int) -> None:
    if state == "draft":
        directory.rpc.model(AMENDMENT, "validate_amendment", [amendment])
    directory.rpc.model(PURCHASE, "process", [purchase])


def _changes(
    directory: TrytonDirectory, order: PurchaseOrder, purchase: int
) -> list[dict[str, Any]]:
    rows = directory.rpc.model(
        "purchase.line", "search_read", [["purchase", "=", purchase], ["type", "=", "line"]],
        0, None, [["sequence", "ASC"], ["id", "ASC"]], LINE_FIELDS,
    )  # fmt: skip
    current = dict(zip(line_numbers(rows), rows, strict=True))
    wanted = {line.line_number: line for line in order.lines}
    missing = sorted(set(wanted) - set(current))
    if missing:
        raise Rejected(
            f"amending {order.describe()}: line {missing[0]} is not on the Tryton purchase; "
            "an amendment changes lines, it cannot add one"
        )
    changes = [_line_change(directory, order, wanted.get(n), row) for n, row in current.items()]
    return [change for change in changes if change is not None]


def _line_change(
    directory: TrytonDirectory,
    order: PurchaseOrder,
    line: PurchaseOrderLine | None,
    row: Mapping[str, Any],
) -> dict[str, Any] | None:
    if line is None:
        target = (int(row["product"]), Decimal(0), int(row["unit"]), decimal(row["unit_price"]))
    else:
        product = directory.product(line.item.sku, document_ref=f"purchase_order:{order.po_number}")
        unit = directory.unit(line.quantity.uom).id
        target = (product.id, line.quantity.value, unit, line.unit_price.amount)
    now = (
        int(row["product"]),
        decimal(row["quantity"]),
        int(row["unit"]),
        decimal(row["unit_price"]),
    )
    if target == now:
        return None
    product_id, quantity, unit_id, price = target
    return {
        "action": "line",
        "line": int(row["id"]),
        "product": product_id,
        "quantity": tryton_quantity(quantity),
        "unit": unit_id,
        "unit_price": price,
        "description": row["description"] or "",
    }
