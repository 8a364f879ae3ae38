"""Goods receipts in Tryton: an incoming shipment for a purchase's moves, received and done.

A Tryton purchase creates draft stock moves (supplier -> warehouse input),
one per line; receiving means putting them in a ``stock.shipment.in`` and
running ``receive`` then ``do``. Mapping (canonical ``Receipt`` ->
``stock.shipment.in``)::

    receipt_number             reference (the idempotency key)
    warehouse_id               warehouse (+ its input and storage locations)
    received_at                effective_date (the date); read back from write_date
    po_number / lines[].po_number   the purchase found by reference, else number
    lines[].po_line_number     the move of the purchase line with that sequence,
                               else the first open move of the same SKU
    lines[].received_quantity  the move's quantity, converted to the move's unit

A partial receipt sets the move to the quantity received; when the shipment
is done, Tryton's purchase processing creates a new draft move for the
balance, which a later receipt picks up. Damaged goods are received with the
rest (Tryton has no condition on a move); lots, serials and SSCCs are not
kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import aware, decimal, item_ref, party_ref, quantity
from distsync.connectors.tryton_ops_purchase import find_purchase
from distsync.errors import BusinessException, PurchaseOrderNotFound, QuantityMismatch, Rejected
from distsync.model.receipts import Receipt as GoodsReceipt
from distsync.model.receipts import ReceiptLine
from distsync.runtime.ports import Receipt

__all__ = ["post_receipt", "read_receipt"]

MODEL = "stock.shipment.in"
MOVE_FIELDS = ["product", "product.code", "quantity", "unit", "purchase", "origin.sequence"]


def find_shipment(directory: TrytonDirectory, receipt_number: str) -> dict[str, Any] | None:
    """The incoming shipment whose reference is ``receipt_number``, if any."""
    return directory.find_reference(MODEL, receipt_number)


def post_receipt(directory: TrytonDirectory, receipt: GoodsReceipt) -> Receipt:
    """Receive ``receipt`` against its purchases unless a shipment with its reference exists."""
    existing = find_shipment(directory, receipt.receipt_number)
    if existing is not None:
        _finish(directory, int(existing["id"]), str(existing["state"]))
        return Receipt(remote_id=str(existing["id"]), duplicate=True)
    moves, purchases, supplier = _open_moves(directory, receipt)
    received = _match(directory, receipt, purchases, moves)
    (shipment_id,) = directory.rpc.model(
        MODEL, "create", [_values(directory, receipt, moves, received, supplier)]
    )
    _finish(directory, int(shipment_id), "draft")
    return Receipt(remote_id=str(shipment_id), duplicate=False)


def _finish(directory: TrytonDirectory, shipment_id: int, state: str) -> None:
    if state == "draft":
        directory.rpc.model(MODEL, "receive", [shipment_id])
    if state in ("draft", "received"):
        directory.rpc.model(MODEL, "do", [shipment_id])


def _open_moves(
    directory: TrytonDirectory, receipt: GoodsReceipt
) -> tuple[list[Mapping[str, Any]], dict[str, int], int]:
    """The draft moves of the purchases the receipt names (one call), each PO number's
    purchase id, and their one supplier."""
    numbers = receipt.po_numbers()
    if not numbers:
        raise Rejected(f"posting {receipt.describe()}: it names no purchase order")
    company, _, _ = directory.company()
    moves = directory.rpc.model(
        "stock.move", "search_read",
        [["company", "=", company], ["state", "=", "draft"], ["shipment", "=", None],
         ["OR", ["purchase.reference", "in", numbers], ["purchase.number", "in", numbers]]],
        0, None, [["id", "ASC"]],
        [*MOVE_FIELDS, "purchase.reference", "purchase.number", "purchase.party"],
    )  # fmt: skip
    purchases = {number: _purchase_of(directory, receipt, number, moves) for number in numbers}
    suppliers = {m["purchase."]["party"] for m in moves if m["purchase"] in purchases.values()}
    if len(suppliers) != 1:
        raise Rejected(f"posting {receipt.describe()}: its purchases have different suppliers")
    return moves, purchases, int(suppliers.pop())


def _purchase_of(
    directory: TrytonDirectory,
    receipt: GoodsReceipt,
    number: str,
    moves: Sequence[Mapping[str, Any]],
) -> int:
    for field in ("reference", "number"):
        found = [m["purchase"] for m in moves if m["purchase."][field] == number]
        if found:
            return int(found[0])
    document_ref = f"receipt:{receipt.receipt_number}"
    if find_purchase(directory, number) is None:
        raise PurchaseOrderNotFound(
            f"posting {receipt.describe()}: Tryton has no purchase {number}",
            document_ref=document_ref,
            facts={"po_number": number},
        )
    raise QuantityMismatch(
        f"posting {receipt.describe()}: nothing of purchase {number} is still expected",
        document_ref=document_ref,
        facts={"po_number": number},
    )


def _match(
    directory: TrytonDirectory,
    receipt: GoodsReceipt,
    purchases: Mapping[str, int],
    moves: Sequence[Mapping[str, Any]],
) -> dict[int, Decimal]:
    """The quantity received per move id, in the move's unit."""
    received: dict[int, Decimal] = defaultdict(Decimal)
    for line in receipt.lines:
        po_number = line.po_number or receipt.po_number
        purchase = purchases[po_number] if po_number else next(iter(purchases.values()))
        move = _move_for(receipt, line, [m for m in moves if m["purchase"] == purchase])
        unit = directory.unit(line.received_quantity.uom)
        received[int(move["id"])] += directory.convert(
            line.received_quantity.value, unit.id, int(move["unit"])
        )
    for move in moves:
        wanted = received.get(int(move["id"]))
        if wanted is not None and wanted > decimal(move["quantity"]):
            raise QuantityMismatch(
                f"posting {receipt.describe()}: {wanted} received of {move['product.']['code']} "
                f"but only {decimal(move['quantity'])} is still expected",
                document_ref=f"receipt:{receipt.receipt_number}",
                facts={"sku": move["product."]["code"], "received": str(wanted)},
            )
    return received


def _move_for(
    receipt: GoodsReceipt, line: ReceiptLine, moves: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any]:
    if line.po_line_number is not None:
        candidates = [
            m for m in moves if (m["origin."] or {}).get("sequence") == line.po_line_number
        ]
    else:
        candidates = [m for m in moves if m["product."]["code"] == line.item.sku]
    for move in candidates:
        if move["product."]["code"] == line.item.sku:
            return move
    raise BusinessException(
        f"posting {receipt.describe()}: line {line.line_number} ({line.item.sku}) matches no "
        "open line of the purchase order with that item",
        document_ref=f"receipt:{receipt.receipt_number}",
        reason_code="receipt_line_unmatched",
        facts={"sku": line.item.sku, "po_line_number": str(line.po_line_number or "")},
    )


def _values(
    directory: TrytonDirectory,
    receipt: GoodsReceipt,
    moves: Sequence[Mapping[str, Any]],
    received: Mapping[int, Decimal],
    supplier: int,
) -> dict[str, Any]:
    company, _, _ = directory.company()
    warehouse = directory.warehouse(receipt.warehouse_id)
    ids = sorted(received)
    writes: list[Any] = [["add", ids]]
    for move in moves:
        move_id = int(move["id"])
        if move_id in received and received[move_id] != decimal(move["quantity"]):
            writes.append(["write", [move_id], {"quantity": float(received[move_id])}])
    return {
        "company": company,
        "supplier": supplier,
        "warehouse": warehouse.id,
        "warehouse_input": warehouse.input,
        "warehouse_storage": warehouse.storage,
        "reference": receipt.receipt_number,
        "effective_date": receipt.received_at.date(),
        "incoming_moves": writes,
    }


def read_receipt(directory: TrytonDirectory, receipt_number: str) -> GoodsReceipt | None:
    """The incoming shipment with this reference as a canonical receipt, if Tryton has it."""
    found = find_shipment(directory, receipt_number)
    if found is None:
        return None
    (row,) = directory.rpc.model(
        MODEL, "read", [found["id"]],
        ["reference", "write_date", "supplier.code", "supplier.name", "warehouse.code",
         "incoming_moves"],
    )  # fmt: skip
    moves = directory.rpc.model(
        "stock.move", "read", row["incoming_moves"],
        [*MOVE_FIELDS, "purchase.reference", "purchase.number"],
    )  # fmt: skip
    lines = [_receipt_line(directory, index, move) for index, move in enumerate(moves, 1)]
    po_numbers = {line.po_number for line in lines}
    return GoodsReceipt(
        receipt_number=row["reference"],
        warehouse_id=directory.warehouse_id_of(row["warehouse."]["code"]),
        received_at=aware(row["write_date"]),
        supplier=party_ref(row["supplier."]),
        po_number=po_numbers.pop() if len(po_numbers) == 1 else None,
        lines=tuple(lines),
    )


def _receipt_line(directory: TrytonDirectory, index: int, move: Mapping[str, Any]) -> ReceiptLine:
    purchase = move.get("purchase.") or {}
    origin = move.get("origin.") or {}
    return ReceiptLine(
        line_number=index,
        po_number=purchase.get("reference") or purchase.get("number"),
        po_line_number=origin.get("sequence"),
        item=item_ref(move["product."]),
        received_quantity=quantity(directory, move["quantity"], int(move["unit"])),
    )
