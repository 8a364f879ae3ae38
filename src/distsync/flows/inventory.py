"""Available to promise, kept in memory from the inventory events of the log.

One ordered subscription, ``inventory.atp``, over the inventory event types
(``EVENT_TYPES``). The partition key is the one the senders give:
``<sku>@<warehouse>`` for adjustments and reservations, the warehouse for
snapshots and receipts. Ordering per key is not needed for correctness
(the rules are order-free); it keeps one key's events in the order stated.

The events: warehouse snapshots and adjustments (846, 947, REST),
reservations and their release (order release, ``order_allocation.py``),
receipts (ending a notice's inbound), shipments (``shipment.confirmed``:
the shipped quantities leave the shelf as of the ship time) and matched
ship notices (``inventory.inbound_expected`` from ``procure_asns.py``).
Each is turned into :mod:`distsync.rules.atp_events` by the rules'
converters and applied to one :class:`~distsync.rules.atp.AtpBook`. A
repeated or stale event changes nothing. Quantities are taken as base units:
the senders must have converted document units already.

The book lives in this process only. **One worker owns it**: run the
subscription in a single worker process, and answer ``/v1/availability``
from that same process; the book is not thread-safe and is not shared.

At start, :meth:`InventoryFlow.rebuild` reads every inventory event of the
log, oldest first, and applies it: O(events in the log) time, and memory for
all of them while they are read (the log pages newest first), once at start.
After that each event costs a few dictionary updates and a query is a
look-up.

``on_change`` (optional) is called with the SKU whenever an event or a
reservation changed the book; the availability feed (``inventory_feed``)
listens there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from distsync.model.asn import AdvanceShipNotice
from distsync.model.envelope import Envelope
from distsync.model.inventory import InventorySnapshot
from distsync.model.receipts import Receipt
from distsync.model.shipping import ShipmentConfirmation
from distsync.rules.atp import AtpBook, PositionView, ReserveDecision, SafetyStock
from distsync.rules.atp_events import (
    InventoryEvent,
    adjustment_from_json,
    inbound_events,
    receipt_events,
    reservation_from_json,
    shipment_events,
    snapshot_events,
)
from distsync.runtime.context import HandlerContext
from distsync.runtime.operations import EventFilter
from distsync.runtime.ports import LogInspector, SubscriptionSpec
from distsync.runtime.worker import Subscription

__all__ = ["ATP", "EVENT_TYPES", "InventoryFlow"]

SNAPSHOT = "inventory.snapshot_received"
ADJUSTED = "inventory.adjusted"
RESERVED = "inventory.reserved"
RELEASED = "inventory.reservation_released"
RECEIVED = "inventory.received"
SHIPPED = "shipment.confirmed"
INBOUND = "inventory.inbound_expected"
EVENT_TYPES = (SNAPSHOT, ADJUSTED, RESERVED, RELEASED, RECEIVED, SHIPPED, INBOUND)
ATP = SubscriptionSpec("inventory.atp", EVENT_TYPES, ordered=True)
PAGE = 500

Clock = Callable[[], datetime]


class InventoryFlow:
    """One in-memory :class:`AtpBook`, fed by the ``inventory.atp`` subscription."""

    def __init__(
        self,
        clock: Clock,
        horizon: timedelta = timedelta(days=7),
        safety: SafetyStock | None = None,
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        self._book = AtpBook(clock().date(), horizon, safety)
        self._skus: dict[str, set[str]] = {}
        self.on_change = on_change

    def subscriptions(self) -> list[Subscription]:
        """The flow's one subscription."""
        return [Subscription(ATP, handler=self.handle)]

    async def handle(self, ctx: HandlerContext) -> None:
        """Apply one delivered event (the worker's handler)."""
        self.apply(ctx.envelope)

    def apply(self, envelope: Envelope) -> int:
        """Convert and apply one logged event; how many rule events changed the book."""
        return self.apply_now(self._convert(envelope))

    async def rebuild(self, log: LogInspector, page: int = PAGE) -> int:
        """Apply every inventory event of ``log``, oldest first; how many were read.

        Call once at start, before the worker runs: O(events in the log).
        """
        stored = []
        before: int | None = None
        while True:
            batch = await log.list_events(
                EventFilter(types=EVENT_TYPES), limit=page, before_seq=before
            )
            stored += batch
            if len(batch) < page:
                break
            before = batch[-1].seq
        for event in reversed(stored):
            self.apply(event.envelope)
        return len(stored)

    def positions(self, sku: str) -> list[PositionView]:
        """Every warehouse's figures for ``sku``, by warehouse id (empty: unknown item)."""
        self._book.advance_to(self._clock().date())
        return [self._book.view(sku, wh) for wh in sorted(self._book.warehouses(sku))]

    def network_available(self, sku: str) -> Decimal:
        """Available to promise for ``sku`` summed over every warehouse."""
        return self._book.network_available(sku)

    def available(self, sku: str, warehouse_id: str) -> Decimal:
        """Available to promise for ``sku`` in one warehouse."""
        return self._book.available(sku, warehouse_id)

    def reserve(
        self, sku: str, warehouse_id: str, quantity: Decimal, reservation_id: str, at: datetime
    ) -> ReserveDecision:
        """Hold stock for an order now, or refuse (``AtpBook.reserve``): no oversell.

        The caller records the reservation in the log (``inventory.reserved``)
        so that a rebuilt book holds it too; that event then changes nothing here.
        """
        self._book.advance_to(self._clock().date())
        decision = self._book.reserve(sku, warehouse_id, quantity, reservation_id, at)
        if decision.ok:
            self._skus.setdefault(warehouse_id, set()).add(sku)
            self._changed(sku)
        return decision

    def apply_now(self, events: Iterable[InventoryEvent]) -> int:
        """Apply rule events at once, together (a shipment and the reservations it ends);
        the caller logs them, and the logged events then change nothing here."""
        self._book.advance_to(self._clock().date())
        changed = 0
        for event in events:
            self._skus.setdefault(event.warehouse_id, set()).add(event.sku)
            if self._book.apply(event):
                changed += 1
                self._changed(event.sku)
        return changed

    def skus(self) -> list[str]:
        """Every SKU with a position in some warehouse, sorted."""
        return sorted(set().union(*self._skus.values()))

    def _changed(self, sku: str) -> None:
        if self.on_change is not None:
            self.on_change(sku)

    def _convert(self, envelope: Envelope) -> Iterable[InventoryEvent]:
        match envelope.type:
            case "inventory.snapshot_received":
                snapshot = envelope.document(InventorySnapshot)
                return snapshot_events(snapshot, self._skus.get(snapshot.warehouse_id, ()))
            case "inventory.adjusted":
                return [adjustment_from_json(envelope.payload)]
            case "inventory.reserved" | "inventory.reservation_released":
                return [reservation_from_json(envelope.payload)]
            case "inventory.received":
                return receipt_events(envelope.document(Receipt))
            case "shipment.confirmed":
                return shipment_events(
                    envelope.document(ShipmentConfirmation), envelope.received_at
                )
            case "inventory.inbound_expected":
                return inbound_events(envelope.document(AdvanceShipNotice))
            case _:
                return []
