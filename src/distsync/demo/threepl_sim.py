"""The simulated 3PL warehouse: takes X12 943 expected receipts, answers 997 and 944.

::

    DISTSYNC = "http://127.0.0.1:8000/v1/inbound/x12"
    profile = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
    behaviour = WarehouseBehaviour(shortages={"GLV-2211": Decimal(1)}, receipt_delay=0.2)
    with ThreePlSimulator(profile, behaviour, reply_to=DISTSYNC) as sim:
        post the 943 interchange to sim.url (or drop it into the inbox folder)
        sim.wait_idle()
        sim.sent   # the 997 and the 944, as sent

It is the warehouse's EDI system: what it sends carries its own ISA/GS ids
and goes to whoever sent the 943, in the profile's version and delimiters.
For each 943 that maps without errors it books a receipt (see
``threepl_behaviour``) and sends it as a 944 after ``receipt_delay``
(twice with ``duplicate_receipt``); a 943 that does not map is rejected in
the 997 and gets no 944. Run as a process:
``python -m distsync.demo.threepl_sim --port 9200 --config warehouse.json``
(see ``partner_cli``; the ``behaviour`` object is a ``WarehouseBehaviour``).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from distsync.config_x12 import X12Identity
from distsync.demo.partner_cli import PartnerConfig, run_process
from distsync.demo.partner_delivery import Delivery
from distsync.demo.partner_sim import Clock, PartnerSimulator, utc_now
from distsync.demo.partner_x12 import InboundSet, Outgoing
from distsync.demo.threepl_behaviour import WarehouseBehaviour, receive
from distsync.model.asn import AdvanceShipNotice

__all__ = ["ThreePlSimulator", "main"]


class ThreePlSimulator(PartnerSimulator):
    """A third-party warehouse's EDI system on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "threepl"
    takes: ClassVar[frozenset[str]] = frozenset({"943"})

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
        self._receipts = itertools.count(1)

    def send_functional_ack(self) -> bool:
        return self.behaviour.send_997

    def answer(self, found: InboundSet) -> list[Outgoing]:
        notice = found.document
        if not isinstance(notice, AdvanceShipNotice):
            return []
        number = f"{self.behaviour.number_prefix}{next(self._receipts):06d}"
        receipt = receive(notice, self.behaviour, number, self.clock())
        if receipt is None:
            return []
        body = self.writer.body("944", receipt)
        data, controls = self.writer.interchange("944", body, found.sender(), receipt.received_at)
        copies = 2 if self.behaviour.duplicate_receipt else 1
        return [Outgoing("944", number, data, controls, self.behaviour.receipt_delay, copies)]


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
