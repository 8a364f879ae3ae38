"""The simulated supplier portal: purchase orders in as JSON; acknowledgement, ASNs, invoices out.

::

    DISTSYNC = "http://127.0.0.1:8080"
    behaviour = SupplierBehaviour(partial={"*": Decimal("0.5")}, carrier_scac="RLCA")
    with PortalSimulator("globex", behaviour, reply_to=DISTSYNC) as sim:
        point the partner's portal system (type http-json) at sim.url
        sim.wait_idle()
        sim.sent   # the acknowledgement, the ship notices and invoices, each as sent

It is a supplier's web portal, the other side of distsync's ``http-json``
connector. ``POST /purchase_order`` takes one canonical ``PurchaseOrder``
(what the procure flow sends) and answers at once:

- ``201`` ``{"id", "po_number", "duplicate": false}`` for a new request;
- ``200``, the same id and ``"duplicate": true`` for an ``Idempotency-Key``
  seen before with the same order: nothing more is sent;
- ``422`` for a key seen before with a different order, or an order the
  model refuses (fields named); ``400`` for a body that is not JSON; ``404``
  for any other path; ``500`` if answering failed (a bug, recorded).

For each new order it plans, with ``SupplierBehaviour`` and ``plan_answers``
exactly as the X12 supplier does, the acknowledgement, then per shipment
the ship notice (twice with ``duplicate_asn``) and its invoice, and POSTs
each as canonical JSON when due to
``{reply_to}/v1/inbound/{partner}/{po_ack|asn|invoice}`` (``api/inbound_json.py``),
retrying as ``partner_delivery.HttpDelivery`` does. ``GET /log`` and
``GET /healthz`` as for the X12 simulators. Run as a process:
``python -m distsync.demo.portal_sim --port 9300 --config portal.json``
(see ``portal_cli``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from distsync.demo.json_sim import Answer, ServedSimulator
from distsync.demo.partner_log import Schedule
from distsync.demo.partner_sim import Clock, utc_now
from distsync.demo.partner_x12 import Outgoing
from distsync.demo.portal_cli import PortalConfig, run_portal
from distsync.demo.portal_http import deliveries_for
from distsync.demo.portal_records import PortalLog, PortalReceived, PortalSent
from distsync.demo.supplier_answers import plan_answers
from distsync.demo.supplier_behaviour import DocumentNumbers, SupplierBehaviour
from distsync.errors import MalformedDocument, SchemaViolation
from distsync.model.base import Document
from distsync.model.catalog import validate_payload
from distsync.model.procurement import PurchaseOrder

__all__ = ["PortalSimulator", "main"]

ORDER_PATH = "/purchase_order"
NO_CONTROLS = (0, 0, 0)  # JSON has no control numbers; ``Schedule`` queues ``Outgoing``


class PortalSimulator(ServedSimulator):
    """A supplier's JSON portal on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "portal"
    _log: PortalLog

    def __init__(
        self,
        partner: str,
        behaviour: SupplierBehaviour | None = None,
        *,
        reply_to: str | Mapping[str, Any],
        port: int = 0,
        clock: Clock = utc_now,
    ) -> None:
        self.partner = partner
        self.behaviour = behaviour or SupplierBehaviour()
        self.numbers = DocumentNumbers(self.behaviour.number_prefix)
        self.deliveries = deliveries_for(partner, reply_to)
        self.clock = clock
        self._port = port
        self._log = PortalLog()
        self._schedule = Schedule(self._send)
        self._taking = threading.Lock()
        self._orders: dict[str, tuple[str, str]] = {}  # Idempotency-Key -> (order id, digest)
        self._order_ids = itertools.count(1)
        self._sequence = 0

    # -- records ----------------------------------------------------------------------

    @property
    def received(self) -> list[PortalReceived]:
        """Every request taken in, in arrival order, refused ones included."""
        return self._log.snapshot()[0]

    @property
    def sent(self) -> list[PortalSent]:
        """Every document handed to the delivery, in sending order."""
        return self._log.snapshot()[1]

    # -- taking orders in -------------------------------------------------------------

    def take(
        self, body: bytes, *, path: str = ORDER_PATH, idempotency_key: str | None = None
    ) -> Answer:
        """Read one request, queue its answers, record it; what the HTTP caller is told."""
        with self._taking:
            number, at = self._log.next_received(), self.clock()
            try:
                status, reply = self._take(body, path, idempotency_key)
            except Exception as exc:  # a bug: recorded and answered, the server lives on
                status, reply = 500, {"error": f"answering failed: {exc!r}"}
            self._log.add_received(PortalReceived(
                number, path, idempotency_key, body, at, status, reply.get("error"),
                reply.get("id"), reply.get("po_number"), reply.get("duplicate") is True,
            ))  # fmt: skip
            return status, reply

    def _take(self, body: bytes, path: str, key: str | None) -> Answer:
        if path.rstrip("/") != ORDER_PATH:
            return 404, {"error": f"no operation at {path!r}: POST orders to {ORDER_PATH}"}
        try:
            payload = validate_payload("purchase_order.confirmed", body)
        except MalformedDocument as exc:
            return 400, {"error": str(exc)}
        except SchemaViolation as exc:
            return 422, {"error": str(exc)}
        order = PurchaseOrder.model_validate(payload, strict=False)
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        known = self._orders.get(key) if key is not None else None
        if known is not None:
            return _repeated(key, known, digest, order.po_number)
        order_id = f"{self.behaviour.number_prefix}-ORD-{next(self._order_ids):06d}"
        if key is not None:
            self._orders[key] = (order_id, digest)
        self._queue(order)
        return 201, {"id": order_id, "po_number": order.po_number, "duplicate": False}

    def _queue(self, order: PurchaseOrder) -> None:
        answers = plan_answers(order, self.behaviour, self.numbers, self.clock())
        outgoing = [_outgoing("po_ack", answers.acknowledgement, answers.ack_delay)]
        copies = 2 if self.behaviour.duplicate_asn else 1
        for shipment in answers.shipments:
            outgoing.append(_outgoing("asn", shipment.notice, shipment.delay, copies))
            outgoing.append(_outgoing("invoice", shipment.invoice, shipment.invoice_delay))
        base = time.monotonic()
        for item in outgoing:
            self._schedule.add(item, base)

    def _send(self, outgoing: Outgoing) -> None:
        delivery = self.deliveries[outgoing.set_id]
        for copy in range(1, outgoing.copies + 1):
            self._sequence += 1
            done = delivery.deliver(
                outgoing.body,
                sequence=self._sequence,
                set_id=outgoing.set_id,
                reference=outgoing.reference,
            )
            self._log.add_sent(PortalSent(
                self._sequence, outgoing.set_id, outgoing.reference, outgoing.body,
                delivery.describe(), done.ok, done.attempts, done.detail, copy, self.clock(),
            ))  # fmt: skip


def _repeated(key: str | None, known: tuple[str, str], digest: str, po_number: str) -> Answer:
    order_id, seen = known
    if seen != digest:
        return 422, {
            "error": f"Idempotency-Key {key} was used before for a different order ({order_id})"
        }
    return 200, {"id": order_id, "po_number": po_number, "duplicate": True}


def _outgoing(document_type: str, document: Document, delay: float, copies: int = 1) -> Outgoing:
    body = document.model_dump_json().encode()
    return Outgoing(document_type, document.document_number(), body, NO_CONTROLS, delay, copies)


def build(config: Mapping[str, Any], port: int) -> PortalSimulator:
    """A portal simulator from a process configuration (see ``portal_cli``)."""
    settings = PortalConfig.model_validate(config)
    return PortalSimulator(
        settings.partner,
        SupplierBehaviour.from_dict(settings.behaviour),
        reply_to=settings.reply_to,
        port=port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_portal(build, argv)


if __name__ == "__main__":
    sys.exit(main())
