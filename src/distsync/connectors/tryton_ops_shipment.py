"""Outgoing shipments in Tryton: read a sale's shipments, confirm one as shipped.

A confirmed sale has one ``stock.shipment.out`` per warehouse and date, with
inventory moves (storage -> output) and outgoing moves (output -> customer).
Mapping::

    ShipmentOrder.shipment_order_number     shipment number (or its reference)
    ShipmentOrder.sales_order_number        the sale's reference, else its number
    ShipmentOrder.lines[].line_number       the sale line's sequence (= the
                                            canonical sales order line number)
    ShipmentConfirmation -> the shipment found by reference, else number,
                            else the sale's (below)

distsync posts each (order, warehouse) portion as a sale whose reference is
the shipment order number it sends the warehouse (``SO-1001-WH-WEST``), so
the warehouse's confirmation names a number no shipment carries. When no
shipment has that reference or number, the shipment is the not-cancelled
outgoing shipment of the sale with that reference (and no other reference
of its own): of several, one still waiting (draft or waiting) first, then
one assigned, picked, packed or shipped, then a done one, the oldest of
each; a read takes a done one first. Confirming writes the number into the shipment's
reference before anything else, so a repeated confirmation finds that very
shipment (and answers duplicate once it is done) rather than the backorder
a short line left on the sale.

Confirming sets each inventory move to the quantity shipped of its line
(zero for a line not shipped), then runs ``assign_try`` (``assign_force``
when stock is short: the warehouse has shipped, so the ERP follows), ``pick``,
``pack`` and ``do``. For a line shipped short Tryton moves the rest to a
new waiting shipment of the same sale (a backorder, under Tryton's own
number). Quantities can only be changed while the shipment waits; a
shipment already assigned or picked in Tryton is finished as it stands. A
shipment already done is a duplicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import (
    aware,
    item_ref,
    party_ref,
    quantity,
)
from distsync.connectors.tryton_ops_sale import find_sale, read_address
from distsync.errors import BusinessException, Rejected
from distsync.model.parties import CarrierRef
from distsync.model.shipping import (
    ShipmentConfirmation,
    ShipmentConfirmationLine,
    ShipmentOrder,
    ShipmentOrderLine,
)
from distsync.runtime.ports import Receipt

__all__ = ["confirm_shipment", "read_outgoing_shipments", "read_shipment_confirmation"]

MODEL = "stock.shipment.out"
HEADER_FIELDS = [
    "number", "reference", "state", "planned_date", "create_date", "write_date",
    "warehouse.code", "customer.code", "customer.name", "delivery_address", "outgoing_moves",
]  # fmt: skip
MOVE_FIELDS = ["product.code", "quantity", "unit", "origin.sequence", "state"]
ADDRESS_FIELDS = ["party_name", "street", "city", "postal_code", "country.code", "subdivision.code"]
WAITING = ("draft", "waiting")
PREFERENCE = ("draft", "waiting", "assigned", "picked", "packed", "shipped", "done")
"""Which of a sale's shipments a confirmation takes first (a read takes them in reverse)."""
SHIPMENT_FIELDS = ["number", "state", "outgoing_moves", "inventory_moves"]


def read_outgoing_shipments(directory: TrytonDirectory, order_number: str) -> list[ShipmentOrder]:
    """The outgoing shipments of the sale with this reference (else number), as canonical orders."""
    sale = find_sale(directory, order_number)
    if sale is None or not sale["shipments"]:
        return []
    rows = directory.rpc.model(MODEL, "read", sale["shipments"], HEADER_FIELDS)
    return [_shipment_order(directory, order_number, row) for row in rows]


def _shipment_order(
    directory: TrytonDirectory, order_number: str, row: Mapping[str, Any]
) -> ShipmentOrder:
    moves = _moves(directory, row["outgoing_moves"])
    (address,) = directory.rpc.model(
        "party.address", "read", [row["delivery_address"]], ADDRESS_FIELDS
    )
    released = aware(row["create_date"])
    return ShipmentOrder(
        shipment_order_number=row["reference"] or row["number"],
        sales_order_number=order_number,
        warehouse_id=directory.warehouse_id_of(row["warehouse."]["code"]),
        released_at=released,
        requested_ship_date=row["planned_date"] or released.date(),
        customer=party_ref(row["customer."]),
        ship_to=read_address(address),
        lines=tuple(
            ShipmentOrderLine(
                line_number=_line_number(move, index),
                sales_order_line_number=(move.get("origin.") or {}).get("sequence"),
                item=item_ref(move["product."]),
                quantity=quantity(directory, move["quantity"], int(move["unit"])),
            )
            for index, move in enumerate(moves, 1)
        ),
    )


def _moves(directory: TrytonDirectory, ids: Sequence[int]) -> list[Mapping[str, Any]]:
    moves = directory.rpc.model("stock.move", "read", list(ids), MOVE_FIELDS)
    return sorted(moves, key=lambda m: ((m.get("origin.") or {}).get("sequence") or 0, m["id"]))


def _line_number(move: Mapping[str, Any], index: int) -> int:
    return int((move.get("origin.") or {}).get("sequence") or index)


def find_shipment(
    directory: TrytonDirectory, number: str, *, done_first: bool = False
) -> dict[str, Any] | None:
    """The outgoing shipment with this reference, else number, else of the sale with it."""
    found = directory.find_document(MODEL, number, SHIPMENT_FIELDS)
    if found is not None:
        return found
    return _shipment_of_sale(directory, number, done_first=done_first)


def _shipment_of_sale(
    directory: TrytonDirectory, reference: str, *, done_first: bool
) -> dict[str, Any] | None:
    company, _, _ = directory.company()
    sales = directory.rpc.model(
        "sale.sale", "search_read", [["reference", "=", reference], ["company", "=", company]],
        0, 1, [["id", "ASC"]], ["shipments"],
    )  # fmt: skip
    if not sales or not sales[0]["shipments"]:
        return None
    rows = directory.rpc.model(
        MODEL, "search_read", [["id", "in", sales[0]["shipments"]], ["state", "!=", "cancelled"]],
        0, None, [["id", "ASC"]], ["reference", *SHIPMENT_FIELDS],
    )  # fmt: skip
    unclaimed = [row for row in rows if row["reference"] in (None, "", reference)]
    order = PREFERENCE[::-1] if done_first else PREFERENCE
    unclaimed.sort(key=lambda row: (order.index(row["state"]), row["id"]))
    return dict(unclaimed[0]) if unclaimed else None


def _claim(directory: TrytonDirectory, number: str, shipment: Mapping[str, Any]) -> None:
    """Write the confirmed number into the reference of a shipment found through its sale."""
    if not shipment["reference"] and shipment["number"] != number:
        directory.rpc.model(MODEL, "write", [shipment["id"]], {"reference": number})


def confirm_shipment(directory: TrytonDirectory, confirmation: ShipmentConfirmation) -> Receipt:
    """Mark the shipment ``confirmation`` names as done with the quantities it shipped."""
    number = confirmation.shipment_order_number
    found = find_shipment(directory, number)
    if found is None:
        raise BusinessException(
            f"confirming {confirmation.describe()}: Tryton has no outgoing shipment {number}",
            document_ref=f"shipment:{confirmation.shipment_id}",
            reason_code="shipment_order_not_found",
            facts={"shipment_order_number": number},
        )
    shipment_id, state = int(found["id"]), str(found["state"])
    if state in ("done", "cancelled"):
        if state == "cancelled":
            raise Rejected(f"confirming {confirmation.describe()}: shipment {number} is cancelled")
        return Receipt(remote_id=str(shipment_id), duplicate=True)
    _claim(directory, number, found)
    if state in WAITING:
        _set_quantities(directory, confirmation, found)
    _complete(directory, shipment_id, state, confirmation)
    return Receipt(remote_id=str(shipment_id), duplicate=False)


def _set_quantities(
    directory: TrytonDirectory, confirmation: ShipmentConfirmation, shipment: Mapping[str, Any]
) -> None:
    outgoing = _moves(directory, shipment["outgoing_moves"])
    shipped = _shipped_per_move(directory, confirmation, outgoing)
    inventory = directory.rpc.model(
        "stock.move", "read", shipment["inventory_moves"], ["origin", "quantity", "unit"]
    )
    writes: list[Any] = []
    for move in inventory:
        origin = str(move["origin"] or "")
        target = int(origin.split(",")[1]) if origin.startswith("stock.move,") else None
        wanted = shipped.get(target, Decimal(0)) if target is not None else None
        if wanted is None:
            continue
        value = directory.convert(wanted, _unit_of(outgoing, target), int(move["unit"]))
        shipped[target] = Decimal(0)  # the first inventory move of a line takes it all
        writes += [[move["id"]], {"quantity": float(value)}]
    if writes:
        directory.rpc.model("stock.move", "write", *writes)


def _unit_of(moves: Sequence[Mapping[str, Any]], move_id: int | None) -> int:
    return next(int(m["unit"]) for m in moves if m["id"] == move_id)


def _shipped_per_move(
    directory: TrytonDirectory,
    confirmation: ShipmentConfirmation,
    outgoing: Sequence[Mapping[str, Any]],
) -> dict[int | None, Decimal]:
    shipped: dict[int | None, Decimal] = {int(m["id"]): Decimal(0) for m in outgoing}
    for line in confirmation.lines:
        move = _move_for(confirmation, line, outgoing)
        unit = directory.unit(line.shipped_quantity.uom)
        shipped[int(move["id"])] += directory.convert(
            line.shipped_quantity.value, unit.id, int(move["unit"])
        )
    return shipped


def _move_for(
    confirmation: ShipmentConfirmation,
    line: ShipmentConfirmationLine,
    moves: Sequence[Mapping[str, Any]],
) -> Mapping[str, Any]:
    numbered = [m for m in moves if _line_number(m, 0) == line.line_number]
    for move in [*numbered, *moves]:
        if move["product."]["code"] == line.item.sku:
            return move
    raise BusinessException(
        f"confirming {confirmation.describe()}: line {line.line_number} ({line.item.sku}) "
        "is not on the shipment",
        document_ref=f"shipment:{confirmation.shipment_id}",
        reason_code="shipment_line_unmatched",
        facts={"sku": line.item.sku},
    )


def _complete(
    directory: TrytonDirectory, shipment_id: int, state: str, confirmation: ShipmentConfirmation
) -> None:
    rpc = directory.rpc
    if state in WAITING:
        rpc.model(MODEL, "assign_try", [shipment_id])
        (row,) = rpc.model(MODEL, "read", [shipment_id], ["state"])
        if row["state"] in WAITING:
            rpc.model(MODEL, "assign_force", [shipment_id])
        state = "assigned"
    for step, before in (("pick", ("assigned",)), ("pack", ("assigned", "picked"))):
        if state in before:
            rpc.model(MODEL, step, [shipment_id])
            state = {"pick": "picked", "pack": "packed"}[step]
    rpc.model(MODEL, "write", [shipment_id], {"effective_date": confirmation.shipped_at.date()})
    rpc.model(MODEL, "do", [shipment_id])


def read_shipment_confirmation(
    directory: TrytonDirectory, number: str, *, carrier: CarrierRef
) -> ShipmentConfirmation | None:
    """A done outgoing shipment as a canonical confirmation (``carrier``: Tryton keeps none)."""
    found = find_shipment(directory, number, done_first=True)
    if found is None or found["state"] != "done":
        return None
    (row,) = directory.rpc.model(MODEL, "read", [found["id"]], HEADER_FIELDS)
    moves = _moves(directory, row["outgoing_moves"])
    return ShipmentConfirmation(
        shipment_id=row["number"],
        shipment_order_number=number,
        warehouse_id=directory.warehouse_id_of(row["warehouse."]["code"]),
        shipped_at=aware(row["write_date"]),
        carrier=carrier,
        lines=tuple(
            ShipmentConfirmationLine(
                line_number=_line_number(move, index),
                item=item_ref(move["product."]),
                shipped_quantity=quantity(directory, move["quantity"], int(move["unit"])),
            )
            for index, move in enumerate(moves, 1)
        ),
    )
