"""The inventory events available-to-promise is computed from, and how documents become them.

Each event concerns one item in one warehouse (a *position*), carries the
time its source stated (``at``) and an id, and holds quantities as exact
decimals in the item's base unit: converting a document's units is the
flow's job (``rules.uom``) before it builds events, and the converters here
assume it is done.

=====================  ============================================  ===================
event                  from                                          identity
=====================  ============================================  ===================
``OnHandCounted``      a warehouse snapshot (X12 846, REST)          snapshot id
``OnHandAdjusted``     an adjustment (X12 947, REST)                 adjustment id
``StockReserved``      our reservation, new or with a new quantity   reservation id
``ReservationEnded``   a reservation released or consumed            reservation id
``InboundExpected``    a matched ship notice, per item               ``asn:…/<sku>``
``InboundEnded``       a notice cancelled, or its goods received     ``asn:…/<sku>``
=====================  ============================================  ===================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from distsync.model.asn import AdvanceShipNotice, AsnPurpose
from distsync.model.inventory import (
    InventoryAdjustment,
    InventoryReservation,
    InventorySnapshot,
    ReservationStatus,
)
from distsync.model.receipts import Receipt
from distsync.model.shipping import ShipmentConfirmation

__all__ = [
    "InboundEnded",
    "InboundExpected",
    "InventoryEvent",
    "OnHandAdjusted",
    "OnHandCounted",
    "ReservationEnded",
    "StockReserved",
    "adjustment_event",
    "adjustment_from_json",
    "inbound_events",
    "inbound_id",
    "receipt_events",
    "reservation_event",
    "reservation_from_json",
    "shipment_events",
    "snapshot_events",
]


@dataclass(frozen=True, slots=True)
class OnHandCounted:
    """The warehouse counted ``quantity`` on hand as of ``at`` (everything up to it included)."""

    sku: str
    warehouse_id: str
    quantity: Decimal
    at: datetime
    snapshot_id: str


@dataclass(frozen=True, slots=True)
class OnHandAdjusted:
    """On hand changed by ``delta`` at ``at`` (negative takes away)."""

    sku: str
    warehouse_id: str
    delta: Decimal
    at: datetime
    adjustment_id: str


@dataclass(frozen=True, slots=True)
class StockReserved:
    """``quantity`` is set aside for an order; a later ``at`` for the same id replaces it."""

    sku: str
    warehouse_id: str
    quantity: Decimal
    at: datetime
    reservation_id: str


@dataclass(frozen=True, slots=True)
class ReservationEnded:
    """A reservation no longer holds stock (released, or consumed by a shipment); final."""

    sku: str
    warehouse_id: str
    at: datetime
    reservation_id: str


@dataclass(frozen=True, slots=True)
class InboundExpected:
    """``quantity`` is on its way, due ``due``; a later ``at`` for the same id replaces it."""

    sku: str
    warehouse_id: str
    quantity: Decimal
    due: date
    at: datetime
    inbound_id: str


@dataclass(frozen=True, slots=True)
class InboundEnded:
    """An expected arrival no longer counts (received or cancelled); final."""

    sku: str
    warehouse_id: str
    at: datetime
    inbound_id: str


InventoryEvent = (
    OnHandCounted
    | OnHandAdjusted
    | StockReserved
    | ReservationEnded
    | InboundExpected
    | InboundEnded
)


def snapshot_events(
    snapshot: InventorySnapshot, known_skus: Iterable[str] = ()
) -> list[OnHandCounted]:
    """One count per item of the snapshot (lots and locations summed).

    A ``complete`` snapshot also counts zero for each of ``known_skus`` it does not mention.
    """
    totals: dict[str, Decimal] = {}
    for balance in snapshot.balances:
        totals[balance.sku] = totals.get(balance.sku, Decimal(0)) + balance.on_hand.value
    if snapshot.complete:
        for sku in known_skus:
            totals.setdefault(sku, Decimal(0))
    return [
        OnHandCounted(sku, snapshot.warehouse_id, quantity, snapshot.as_of, snapshot.snapshot_id)
        for sku, quantity in totals.items()
    ]


def adjustment_event(adjustment: InventoryAdjustment) -> OnHandAdjusted:
    """The change an adjustment makes (``on_hand_after`` is not used: counts come as snapshots)."""
    return OnHandAdjusted(
        adjustment.item.sku,
        adjustment.warehouse_id,
        adjustment.delta.value,
        adjustment.adjusted_at,
        adjustment.adjustment_id,
    )


def adjustment_from_json(payload: Mapping[str, Any]) -> OnHandAdjusted:
    """:func:`adjustment_event` of an adjustment's canonical JSON, already validated.

    The inventory flow's hot path: building the document again costs five
    times what the book does with the event.
    """
    return OnHandAdjusted(
        payload["item"]["sku"],
        payload["warehouse_id"],
        Decimal(payload["delta"]["value"]),
        datetime.fromisoformat(payload["adjusted_at"]),
        payload["adjustment_id"],
    )


def reservation_from_json(payload: Mapping[str, Any]) -> StockReserved | ReservationEnded:
    """:func:`reservation_event` of a reservation's canonical JSON, already validated."""
    sku, warehouse = payload["item"]["sku"], payload["warehouse_id"]
    at, reservation_id = datetime.fromisoformat(payload["reserved_at"]), payload["reservation_id"]
    if payload.get("status", ReservationStatus.ACTIVE.value) == ReservationStatus.ACTIVE.value:
        quantity = Decimal(payload["quantity"]["value"])
        return StockReserved(sku, warehouse, quantity, at, reservation_id)
    return ReservationEnded(sku, warehouse, at, reservation_id)


def reservation_event(reservation: InventoryReservation) -> StockReserved | ReservationEnded:
    """An active reservation holds its quantity; a released or consumed one ends."""
    sku, warehouse = reservation.item.sku, reservation.warehouse_id
    if reservation.status is ReservationStatus.ACTIVE:
        return StockReserved(
            sku,
            warehouse,
            reservation.quantity.value,
            reservation.reserved_at,
            reservation.reservation_id,
        )
    return ReservationEnded(sku, warehouse, reservation.reserved_at, reservation.reservation_id)


def inbound_id(supplier_id: str, asn_number: str, sku: str) -> str:
    """The id of one item of one ship notice: the same for its replacements."""
    return f"asn:{supplier_id}/{asn_number}/{sku}"


def inbound_events(
    notice: AdvanceShipNotice, base_quantities: dict[str, Decimal] | None = None
) -> list[InboundExpected] | list[InboundEnded]:
    """What a matched notice brings per item, due on its expected delivery (else ship) date.

    ``base_quantities`` (per SKU, in base units, e.g. summed from the match's
    lines) overrides the notice's own figures, which are taken as base units.
    A cancelling notice ends every item it names.
    """
    supplier, number = notice.supplier.party_id, notice.asn_number
    quantities = base_quantities if base_quantities is not None else _per_sku(notice)
    warehouse, at = notice.ship_to_warehouse_id, notice.issued_at
    if notice.purpose is AsnPurpose.CANCEL:
        return [
            InboundEnded(sku, warehouse, at, inbound_id(supplier, number, sku))
            for sku in quantities
        ]
    due = notice.expected_delivery_date or notice.shipped_at.date()
    return [
        InboundExpected(sku, warehouse, quantity, due, at, inbound_id(supplier, number, sku))
        for sku, quantity in quantities.items()
    ]


def receipt_events(receipt: Receipt) -> list[InboundEnded]:
    """A receipt against a notice ends that notice's inbound for each item received.

    Empty when the receipt names no notice or supplier; the received stock
    counts once the warehouse reports it on hand.
    """
    if receipt.asn_number is None or receipt.supplier is None:
        return []
    supplier, number = receipt.supplier.party_id, receipt.asn_number
    skus = dict.fromkeys(line.item.sku for line in receipt.lines)
    return [
        InboundEnded(
            sku, receipt.warehouse_id, receipt.received_at, inbound_id(supplier, number, sku)
        )
        for sku in skus
    ]


def shipment_events(
    confirmation: ShipmentConfirmation, received_at: datetime | None = None
) -> list[OnHandAdjusted]:
    """What a shipment takes off the shelf, per line, as of the later of its ship time and
    ``received_at`` (when we learned of it).

    A 945 often gives the ship date only (midnight), earlier than the morning's
    count, which would then wrongly supersede the shipment. Taking the later
    time can count a shipment twice until the next count (one counted after
    it shipped but reported before its 945): stock looks lower, never higher.
    """
    at = (
        confirmation.shipped_at
        if received_at is None
        else max(confirmation.shipped_at, received_at)
    )
    return [
        OnHandAdjusted(
            line.item.sku,
            confirmation.warehouse_id,
            -line.shipped_quantity.value,
            at,
            f"shipment:{confirmation.warehouse_id}/{confirmation.shipment_id}/{line.line_number}",
        )
        for line in confirmation.lines
        if line.shipped_quantity.value > 0
    ]


def _per_sku(notice: AdvanceShipNotice) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for entry in notice.items():
        sku = entry.item.item.sku
        totals[sku] = totals.get(sku, Decimal(0)) + entry.item.quantity.value
    return totals
