"""The simulated supplier: takes X12 850 purchase orders, answers 997, 855, 856 and 810.

::

    DISTSYNC = "http://127.0.0.1:8000/v1/inbound/x12"
    profile = X12Identity(qualifier="ZZ", id="ACME", version="004010")
    behaviour = SupplierBehaviour(partial={"*": Decimal("0.5")}, carrier_scac="RLCA")
    with SupplierSimulator(profile, behaviour, reply_to=DISTSYNC) as sim:
        post the 850 interchange to sim.url (or drop it into the inbox folder)
        sim.wait_idle()
        sim.sent   # the 997, the 855, the 856s and 810s, each as sent

It is the partner: what it sends carries its own ISA/GS ids (the profile)
and goes to whoever sent the order (the 850's ISA sender and GS02), in the
profile's version, delimiters and map options. For each purchase order that
maps without errors it queues, with the behaviour's delays: the 855, then
per shipment the 856 (twice with ``duplicate_asn``) and the 810. Orders that
do not map are rejected in the 997 and get nothing else. Run as a process:
``python -m distsync.demo.supplier_sim --port 9100 --config supplier.json``
(see ``partner_cli``; the ``behaviour`` object is a ``SupplierBehaviour``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from distsync.config_x12 import X12Identity
from distsync.demo.partner_cli import PartnerConfig, run_process
from distsync.demo.partner_delivery import Delivery
from distsync.demo.partner_sim import Clock, PartnerSimulator, utc_now
from distsync.demo.partner_x12 import InboundSet, Outgoing
from distsync.demo.supplier_answers import Shipment, plan_answers
from distsync.demo.supplier_behaviour import DocumentNumbers, SupplierBehaviour
from distsync.formats.x12.writer import Fields, Party
from distsync.model.procurement import PurchaseOrder
from distsync.x12_partners import map_options

__all__ = ["SupplierSimulator", "main"]


class SupplierSimulator(PartnerSimulator):
    """A supplier's EDI system on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "supplier"
    takes: ClassVar[frozenset[str]] = frozenset({"850"})

    def __init__(
        self,
        profile: X12Identity,
        behaviour: SupplierBehaviour | None = None,
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
        self.behaviour = behaviour or SupplierBehaviour()
        self.numbers = DocumentNumbers(self.behaviour.number_prefix)

    def send_functional_ack(self) -> bool:
        return self.behaviour.send_997

    def answer(self, found: InboundSet) -> list[Outgoing]:
        order = found.document
        if not isinstance(order, PurchaseOrder):
            return []
        to, now = found.sender(), self.clock()
        answers = plan_answers(order, self.behaviour, self.numbers, now)
        ack = answers.acknowledgement
        outgoing = [self._outgoing("855", ack, ack.po_number, to, answers.ack_delay)]
        for shipment in answers.shipments:
            outgoing += self._shipment(shipment, to)
        return outgoing

    def _shipment(self, shipment: Shipment, to: Party) -> list[Outgoing]:
        notice, invoice = shipment.notice, shipment.invoice
        body = self._without_buyer_item(self.writer.body("856", notice), shipment.unknown_codes)
        copies = 2 if self.behaviour.duplicate_asn else 1
        data, controls = self.writer.interchange("856", body, to, notice.issued_at)
        asn = Outgoing("856", notice.asn_number, data, controls, shipment.delay, copies)
        bill = self._outgoing("810", invoice, invoice.invoice_number, to, shipment.invoice_delay)
        return [asn, bill]

    def _outgoing(
        self, set_id: str, document: BaseModel, reference: str, to: Party, delay: float
    ) -> Outgoing:
        body = self.writer.body(set_id, document)
        data, controls = self.writer.interchange(set_id, body, to, self.clock())
        return Outgoing(set_id, reference, data, controls, delay)

    def _without_buyer_item(self, body: Sequence[Fields], codes: frozenset[str]) -> list[Fields]:
        """LIN segments of unannounced items without the buyer's item id: only ours remains."""
        if not codes:
            return list(body)
        options = map_options(self.profile, "856", self.profile.version)
        buyer = options.qualifier("buyer_item", "BP")
        return [
            _drop_pair(fields, buyer, codes) if fields[0] == "LIN" else fields for fields in body
        ]


def _drop_pair(lin: Fields, qualifier: str, codes: frozenset[str]) -> list[str]:
    values = list(lin)
    for position in range(2, len(values) - 1, 2):
        if values[position] == qualifier and values[position + 1] in codes:
            del values[position : position + 2]
            break
    return values


def build(config: dict[str, Any], port: int) -> SupplierSimulator:
    """A supplier simulator from a process configuration (see ``partner_cli``)."""
    settings = PartnerConfig.model_validate(config)
    return SupplierSimulator(
        settings.profile,
        SupplierBehaviour.from_dict(settings.behaviour),
        reply_to=settings.delivery(),
        inbox=settings.inbox,
        port=port,
        first_control=settings.first_control,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_process("supplier", build, argv)


if __name__ == "__main__":
    sys.exit(main())
