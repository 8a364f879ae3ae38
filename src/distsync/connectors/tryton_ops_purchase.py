"""Purchase orders in Tryton: create and confirm one, read those confirmed since a cursor.

Mapping (canonical ``PurchaseOrder`` <-> ``purchase.purchase``)::

    po_number                  reference (distsync puts the canonical number there);
                               read back as reference, else Tryton's own number
    supplier.party_id          party.code
    buyer                      the company's party (code, name)
    ship_to_warehouse_id       warehouse.code (through the landscape's warehouses map)
    order_date                 purchase_date
    issued_at                  create_date (Tryton keeps no issue time of its own)
    currency                   currency.code
    note                       comment
    status                     state + shipment_state (see ``_status``)
    lines[].line_number        purchase.line.sequence
    lines[].item.sku           product.code
    lines[].quantity           quantity + unit (canonical unit <-> Tryton unit symbol)
    lines[].unit_price         unit_price
    lines[].requested_delivery_date   delivery_date_store (an edited delivery date)

Polling: :func:`read_confirmed_since` returns the purchases in state
confirmed, processing or done whose ``(write_date, id)`` is after the cursor,
oldest first, and the cursor of the last one. A purchase written again later
(received, cancelled) comes again with its new status. Only purchases written
at least ``settle_seconds`` ago are returned: a transaction that started
earlier but commits later carries an older ``write_date``, and the delay
lets it land before the cursor passes its time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import (
    aware,
    item_ref,
    line_numbers,
    money,
    party_ref,
    quantity,
    tryton_quantity,
    x2many_create,
)
from distsync.connectors.tryton_workflow import finish_confirmation
from distsync.errors import Rejected
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.runtime.ports import Receipt

__all__ = [
    "PurchaseCursor",
    "create_purchase_order",
    "find_purchase",
    "read_confirmed_since",
    "read_purchase_order",
]

MODEL = "purchase.purchase"
CONFIRMED_STATES = ["confirmed", "processing", "done"]
HEADER_FIELDS = [
    "number", "reference", "state", "shipment_state", "purchase_date", "create_date",
    "write_date", "party.code", "party.name", "warehouse.code", "currency.code", "comment",
    "lines",
]  # fmt: skip
LINE_FIELDS = [
    "purchase", "type", "sequence", "product.code", "description", "quantity", "unit",
    "unit_price", "delivery_date_store", "delivery_date",
]  # fmt: skip


@dataclass(frozen=True, order=True)
class PurchaseCursor:
    """Where polling stands: the ``(write_date, id)`` of the last purchase returned.

    ``write_date`` is Tryton's naive UTC timestamp. :meth:`encode` gives text
    to store; :meth:`decode` reads it back.
    """

    write_date: datetime
    id: int

    def encode(self) -> str:
        """The cursor as text: ``<ISO write date>#<id>``."""
        return f"{self.write_date.isoformat()}#{self.id}"

    @classmethod
    def decode(cls, text: str) -> PurchaseCursor:
        """A cursor from :meth:`encode`'s text."""
        moment, _, ident = text.rpartition("#")
        return cls(write_date=datetime.fromisoformat(moment), id=int(ident))


def find_purchase(directory: TrytonDirectory, po_number: str) -> dict[str, Any] | None:
    """The purchase whose reference (else number) is ``po_number``, oldest first."""
    return directory.find_document(MODEL, po_number, ["state", "party", "warehouse", "lines"])


def create_purchase_order(directory: TrytonDirectory, order: PurchaseOrder) -> Receipt:
    """Create, quote and confirm ``order`` unless a purchase with its reference exists.

    A purchase found by reference that a previous attempt left in draft or
    quotation is confirmed now, one left confirmed but unprocessed is processed
    (see ``tryton_workflow``); the answer says ``duplicate`` either way.
    """
    existing = directory.find_reference(MODEL, order.po_number)
    if existing is not None:
        finish_confirmation(directory.rpc, MODEL, int(existing["id"]), str(existing["state"]))
        return Receipt(remote_id=str(existing["id"]), duplicate=True)
    (purchase_id,) = directory.rpc.model(MODEL, "create", [_values(directory, order)])
    finish_confirmation(directory.rpc, MODEL, int(purchase_id), "draft")
    return Receipt(remote_id=str(purchase_id), duplicate=False)


def _values(directory: TrytonDirectory, order: PurchaseOrder) -> dict[str, Any]:
    company, _, _ = directory.company()
    supplier = directory.party(order.supplier.party_id)
    others = {line.ship_to_warehouse_id for line in order.lines} - {None}
    if others - {order.ship_to_warehouse_id}:
        raise Rejected(f"{order.describe()}: a Tryton purchase delivers to one warehouse")
    return {
        "company": company,
        "party": supplier.id,
        "invoice_address": supplier.address,
        "warehouse": directory.warehouse(order.ship_to_warehouse_id).id,
        "currency": directory.currency(order.currency),
        "invoice_method": "manual",
        "reference": order.po_number,
        "purchase_date": order.order_date,
        "comment": order.note,
        "lines": x2many_create([_line_values(directory, order, line) for line in order.lines]),
    }


def _line_values(
    directory: TrytonDirectory, order: PurchaseOrder, line: PurchaseOrderLine
) -> dict[str, Any]:
    product = directory.product(line.item.sku, document_ref=f"purchase_order:{order.po_number}")
    return {
        "type": "line",
        "sequence": line.line_number,
        "product": product.id,
        "quantity": tryton_quantity(line.quantity.value),
        "unit": directory.unit(line.quantity.uom).id,
        "unit_price": line.unit_price.amount,
        "delivery_date_edit": True,
        "delivery_date_store": line.requested_delivery_date,
    }


def read_purchase_order(directory: TrytonDirectory, po_number: str) -> PurchaseOrder | None:
    """The purchase with this reference (else number) as a canonical order, if Tryton has it."""
    found = find_purchase(directory, po_number)
    if found is None:
        return None
    rows = directory.rpc.model(MODEL, "read", [found["id"]], HEADER_FIELDS)
    return _orders(directory, rows)[0]


def read_confirmed_since(
    directory: TrytonDirectory,
    cursor: PurchaseCursor | None,
    *,
    limit: int = 100,
    settle_seconds: float = 5.0,
) -> tuple[list[PurchaseOrder], PurchaseCursor | None]:
    """Confirmed purchases written after ``cursor``, oldest first, and the new cursor."""
    company, _, _ = directory.company()
    horizon = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=settle_seconds)
    domain: list[Any] = [
        ["company", "=", company],
        ["state", "in", CONFIRMED_STATES],
        ["write_date", "<=", horizon],
    ]
    if cursor is not None:
        domain.append(
            ["OR", ["write_date", ">", cursor.write_date],
             [["write_date", "=", cursor.write_date], ["id", ">", cursor.id]]],
        )  # fmt: skip
    order = [["write_date", "ASC"], ["id", "ASC"]]
    rows = directory.rpc.model(MODEL, "search_read", domain, 0, limit, order, HEADER_FIELDS)
    if not rows:
        return [], cursor
    last = rows[-1]
    return _orders(directory, rows), PurchaseCursor(last["write_date"], int(last["id"]))


def _orders(directory: TrytonDirectory, rows: Sequence[Mapping[str, Any]]) -> list[PurchaseOrder]:
    line_ids = [line_id for row in rows for line_id in row["lines"]]
    lines = directory.rpc.model("purchase.line", "read", line_ids, LINE_FIELDS)
    by_purchase: dict[int, list[Mapping[str, Any]]] = {}
    for line in sorted(lines, key=lambda ln: (ln["sequence"] or 0, ln["id"])):
        if line["type"] == "line" and line["quantity"]:  # an amendment zeroes a dropped line
            by_purchase.setdefault(int(line["purchase"]), []).append(line)
    return [_order(directory, row, by_purchase.get(int(row["id"]), [])) for row in rows]


def _order(
    directory: TrytonDirectory, row: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> PurchaseOrder:
    _, company_party, _ = directory.company()
    currency = row["currency."]["code"]
    order_date = row["purchase_date"] or aware(row["create_date"]).date()
    numbers = line_numbers(lines)
    return PurchaseOrder(
        po_number=row["reference"] or row["number"] or f"TRYTON-{row['id']}",
        revision=0,
        status=_status(row),
        order_date=order_date,
        issued_at=aware(row["create_date"]),
        buyer=PartyRef(party_id=company_party.code, name=company_party.name),
        supplier=party_ref(row["party."]),
        ship_to_warehouse_id=directory.warehouse_id_of(row["warehouse."]["code"]),
        currency=currency,
        note=row["comment"] or None,
        lines=tuple(
            PurchaseOrderLine(
                line_number=number,
                item=item_ref(line["product."]),
                quantity=quantity(directory, line["quantity"], line["unit"]),
                unit_price=money(line["unit_price"], currency),
                requested_delivery_date=_delivery_date(line, order_date),
            )
            for number, line in zip(numbers, lines, strict=True)
        ),
    )


def _delivery_date(line: Mapping[str, Any], order_date: date) -> date:
    wanted: date = line["delivery_date_store"] or line["delivery_date"] or order_date
    return max(wanted, order_date)


def _status(row: Mapping[str, Any]) -> PurchaseOrderStatus:
    if row["state"] == "cancelled":
        return PurchaseOrderStatus.CANCELLED
    if row["state"] == "done":
        return PurchaseOrderStatus.CLOSED
    shipment = row["shipment_state"]
    if shipment == "received":
        return PurchaseOrderStatus.RECEIVED
    if shipment == "partially shipped":
        return PurchaseOrderStatus.PARTIALLY_RECEIVED
    return PurchaseOrderStatus.CONFIRMED
