"""The simulated 3PL warehouse: 943 in → 997 and 944; 940 in → 997 and 945; 846 and 947 out.

::

    DISTSYNC = "http://127.0.0.1:8000/v1/inbound/x12"
    profile = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
    behaviour = WarehouseBehaviour(shortages={"GLV-2211": Decimal(1)}, receipt_delay=0.2)
    with ThreePlSimulator(profile, behaviour, reply_to=DISTSYNC) as sim:
        post the 943 interchange to sim.url (or drop it into the inbox folder)
        sim.wait_idle()
        sim.sent   # the 997 and the 944, as sent
        sim.send_snapshot()                          # an 846 of the whole stock book
        sim.adjust("GLV-2211", Decimal(-2), AdjustmentReason.DAMAGED)  # a 947

It is the warehouse's EDI system: what it sends carries its own ISA/GS ids
and goes to whoever sent the 943, in the profile's version and delimiters.
For each 943 that maps without errors it books a receipt (see
``threepl_behaviour``) and sends it as a 944 after ``receipt_delay``
(twice with ``duplicate_receipt``); a 943 that does not map is rejected in
the 997 and gets no 944. For each 940 it ships the order
(``threepl_shipping``) and sends a 945 after ``ship_delay`` (twice with
``duplicate_945``). It keeps its own stock book (``threepl_stock``): 944s
raise it, 945s lower it, ``adjust`` moves it and sends a 947, and
``send_snapshot`` (or every ``snapshot_every`` documents) sends an 846 of
all of it. Documents it sends unasked go to whoever sent the last 943 or
940 (or to ``to``). Run as a process:
``python -m distsync.demo.threepl_sim --port 9200 --config warehouse.json``
(see ``partner_cli``; the ``behaviour`` object is a ``WarehouseBehaviour``).
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from distsync.config_x12 import X12Identity
from distsync.demo.partner_cli import PartnerConfig, run_process
from distsync.demo.partner_delivery import Delivery
from distsync.demo.partner_sim import Clock, PartnerSimulator, utc_now
from distsync.demo.partner_x12 import InboundSet, Outgoing
from distsync.demo.threepl_behaviour import WarehouseBehaviour, receive
from distsync.demo.threepl_shipping import ship
from distsync.demo.threepl_stock import StockBook
from distsync.formats.x12.writer import Party
from distsync.model.asn import AdvanceShipNotice
from distsync.model.base import Document
from distsync.model.inventory import AdjustmentReason, InventoryAdjustment, InventorySnapshot
from distsync.model.shipping import ShipmentOrder

__all__ = ["ThreePlSimulator", "main"]


class ThreePlSimulator(PartnerSimulator):
    """A third-party warehouse's EDI system on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "threepl"
    takes: ClassVar[frozenset[str]] = frozenset({"943", "940"})

    def __init__(
        self,
        profile: X12Identity,
        behaviour: WarehouseBehaviour | None = None,
        *,
        reply_to: Delivery | str | Path | dict[str, Any],
        inbox: Path | None = None,
        port: int = 0,
        first_control: int = 1,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            profile, reply_to=reply_to, inbox=inbox, port=port,
            first_control=first_control, clock=clock,
        )  # fmt: skip
        self.behaviour = behaviour or WarehouseBehaviour()
        self.book = StockBook(self.behaviour)
        self._receipts = itertools.count(1)
        self._shipments = itertools.count(1)
        self._snapshots = itertools.count(1)
        self._adjustments = itertools.count(1)
        self._answered = 0
        self._depositor: Party | None = None
        self._warehouse: str | None = None

    def send_functional_ack(self) -> bool:
        return self.behaviour.send_997

    def answer(self, found: InboundSet) -> list[Outgoing]:
        document, to = found.document, found.sender()
        self._depositor = to
        if isinstance(document, AdvanceShipNotice):
            self._warehouse = document.ship_to_warehouse_id
            answers = self._receive(document, to)
        elif isinstance(document, ShipmentOrder):
            self._warehouse = document.warehouse_id
            answers = self._ship(document, to)
        else:
            return []
        self._answered += 1
        every = self.behaviour.snapshot_every
        if every is not None and self._answered % every == 0:
            delay = max((item.delay for item in answers), default=0.0)
            answers.append(self._outgoing("846", self._snapshot(), to, delay))
        return answers

    # -- what the warehouse sends unasked ----------------------------------------------

    def send_snapshot(self, to: Party | None = None) -> InventorySnapshot:
        """Send an 846 of the whole stock book now; the snapshot sent."""
        snapshot = self._snapshot()
        self._send_now(self._outgoing("846", snapshot, self._recipient(to)))
        return snapshot

    def adjust(
        self,
        sku: str,
        quantity: Decimal,
        reason: AdjustmentReason = AdjustmentReason.CORRECTION,
        *,
        note: str | None = None,
        to: Party | None = None,
    ) -> InventoryAdjustment:
        """Change the book of ``sku`` by ``quantity`` (signed) and send it as a 947 now."""
        number = f"ADJ{next(self._adjustments):06d}"
        change = (sku, Decimal(quantity))
        adjustment = self.book.adjust(
            number, self._warehouse_id(), change, AdjustmentReason(reason), self.clock(), note
        )
        self._send_now(self._outgoing("947", adjustment, self._recipient(to)))
        return adjustment

    # -- inside -----------------------------------------------------------------------

    def _receive(self, notice: AdvanceShipNotice, to: Party) -> list[Outgoing]:
        number = f"{self.behaviour.number_prefix}{next(self._receipts):06d}"
        receipt = receive(notice, self.behaviour, number, self.clock())
        if receipt is None:
            return []
        self.book.receive(receipt)
        copies = 2 if self.behaviour.duplicate_receipt else 1
        delay = self.behaviour.receipt_delay
        return [self._outgoing("944", receipt, to, delay, copies, at=receipt.received_at)]

    def _ship(self, order: ShipmentOrder, to: Party) -> list[Outgoing]:
        number = f"{self.behaviour.shipment_prefix}{next(self._shipments):06d}"
        shipment = ship(order, self.behaviour, number, self.clock())
        self.book.ship(shipment)
        copies = 2 if self.behaviour.duplicate_945 else 1
        delay = self.behaviour.ship_delay
        return [self._outgoing("945", shipment, to, delay, copies, at=shipment.shipped_at)]

    def _snapshot(self) -> InventorySnapshot:
        number = f"INV{next(self._snapshots):06d}"
        return self.book.snapshot(number, self._warehouse_id(), self.clock())

    def _outgoing(
        self,
        set_id: str,
        document: Document,
        to: Party,
        delay: float = 0.0,
        copies: int = 1,
        *,
        at: datetime | None = None,
    ) -> Outgoing:
        body = self.writer.body(set_id, document)
        data, controls = self.writer.interchange(set_id, body, to, at or self.clock())
        return Outgoing(set_id, document.document_number(), data, controls, delay, copies)

    def _send_now(self, outgoing: Outgoing) -> None:
        self._schedule.add(outgoing, time.monotonic())

    def _warehouse_id(self) -> str:
        return self.behaviour.warehouse or self._warehouse or self.profile.id

    def _recipient(self, to: Party | None) -> Party:
        found = to or self._depositor
        if found is None:
            raise RuntimeError(
                f"the {self.role} simulator has received no 943 or 940 yet: say whom to send to"
            )
        return found


def build(config: dict[str, Any], port: int) -> ThreePlSimulator:
    """A 3PL simulator from a process configuration (see ``partner_cli``)."""
    settings = PartnerConfig.model_validate(config)
    return ThreePlSimulator(
        settings.profile,
        WarehouseBehaviour.from_dict(settings.behaviour),
        reply_to=settings.delivery(),
        inbox=settings.inbox,
        port=port,
        first_control=settings.first_control,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_process("threepl", build, argv)


if __name__ == "__main__":
    sys.exit(main())
