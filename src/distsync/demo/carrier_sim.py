"""The simulated carrier: rate quotes over HTTP, tracking events out as JSON webhooks or X12 214.

::

    behaviour = CarrierBehaviour(rate_latency=0.2, late={Milestone.PICKED_UP})
    with CarrierSimulator("rlca", behaviour, reply_to=TRACKING_WEBHOOK_URL) as sim:
        POST {"ship_from", "ship_to", "packages": [{"weight_kg"}]} to sim.url + "/rates"
        sim.track("1Z999AA10123456784")   # label created ... delivered, sent to reply_to
        sim.wait_idle()
        sim.sent                          # every event as sent

``POST /rates`` answers ``200 {"carrier", "quotes": [{"service", "amount",
"currency", "transit_days"}]}`` after ``rate_latency`` plus a seeded share
of ``rate_jitter`` seconds; with ``rate_failure`` ``unavailable`` a 503
instead, with ``timeout`` nothing for ``rate_timeout`` seconds (then a 504).
``POST /shipments`` (``{"tracking_number", "milestones"?, "start"?}``) or
``track`` plans a parcel's journey (``carrier_behaviour.plan_events``) and
queues its events; one background thread sends them when due, one at a
time, as tracker webhooks (``rules.tracking_json.TrackerUpdate``) or 214
interchanges written with distsync's own map (``carrier_events``).
``GET /log`` and ``GET /healthz`` as for the other simulators. Run as a
process: ``python -m distsync.demo.carrier_sim --port N --config FILE``
(see ``carrier_cli``).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from distsync.config_x12 import X12Identity
from distsync.demo.carrier_behaviour import (
    JOURNEY,
    CarrierBehaviour,
    PlannedEvent,
    RateRequest,
    ShipmentRequest,
    plan_events,
    quote,
)
from distsync.demo.carrier_cli import CarrierConfig, run_carrier
from distsync.demo.carrier_events import CarrierLog, CarrierReceived, CarrierSent, outgoing_of
from distsync.demo.carrier_http import delivery_for, route
from distsync.demo.json_sim import Answer, ServedSimulator
from distsync.demo.partner_delivery import Delivery
from distsync.demo.partner_log import Schedule
from distsync.demo.partner_sim import Clock, utc_now
from distsync.demo.partner_x12 import ControlNumbers, Outgoing, PartnerWriter
from distsync.formats.x12.writer import Party
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone

__all__ = ["CarrierSimulator", "main"]


class CarrierSimulator(ServedSimulator):
    """A parcel carrier on 127.0.0.1 (see the module docstring)."""

    role: ClassVar[str] = "carrier"
    _log: CarrierLog

    def __init__(
        self,
        name: str,
        behaviour: CarrierBehaviour | None = None,
        *,
        reply_to: Delivery | str | Path | Mapping[str, Any],
        profile: X12Identity | None = None,
        receiver: Party | None = None,
        port: int = 0,
        clock: Clock = utc_now,
    ) -> None:
        self.name = name
        self.behaviour = behaviour or CarrierBehaviour()
        scac = self.behaviour.scac
        self.carrier = CarrierRef(party_id=name, name=name.upper(), scac=scac)
        self.delivery = delivery_for(reply_to, self.behaviour.format)
        identity = profile or X12Identity(qualifier="ZZ", id=scac)
        self.writer = PartnerWriter(identity, ControlNumbers())
        self.receiver = receiver or Party("ZZ", "DISTSYNC")
        self.clock = clock
        self._port = port
        self._log = CarrierLog()
        self._schedule = Schedule(self._send)
        self._planning = threading.Lock()
        self._planned: dict[Outgoing, PlannedEvent] = {}
        self._draw = random.Random(self.behaviour.seed)
        self._stopping = threading.Event()
        self._sequence = 0

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port unless one was given)."""
        self._stopping.clear()
        return super().start()

    def stop(self) -> None:
        """Stop listening (a rate call held for a timeout is let go); queued events are dropped."""
        self._stopping.set()
        super().stop()

    # -- records ----------------------------------------------------------------------

    @property
    def sent(self) -> list[CarrierSent]:
        """Every event handed to the delivery, in sending order (copies included)."""
        return self._log.snapshot()[1]

    @property
    def received(self) -> list[CarrierReceived]:
        """Every request taken in, in arrival order, refused ones included."""
        return self._log.snapshot()[0]

    # -- tracking ---------------------------------------------------------------------

    def track(
        self,
        tracking_number: str,
        plan: Sequence[Milestone | str] = JOURNEY,
        *,
        start: datetime | None = None,
    ) -> list[PlannedEvent]:
        """Plan ``tracking_number``'s journey and queue its events; them in sending order."""
        request = ShipmentRequest(
            tracking_number=tracking_number, milestones=tuple(Milestone(m) for m in plan)
        )
        when = start or self.clock()
        with self._planning:
            events = plan_events(
                request.tracking_number, request.milestones, when, self.behaviour,
                self.behaviour.scac,
            )  # fmt: skip
            outgoing = [self._outgoing(event) for event in events]
            base = time.monotonic()
            for item in outgoing:
                self._schedule.add(item, base)
        return events

    def _outgoing(self, event: PlannedEvent) -> Outgoing:
        writer = self.writer if self.behaviour.format == "x12" else None
        outgoing = outgoing_of(
            event, self.behaviour, self.carrier, writer, self.receiver, self.clock()
        )
        self._planned[outgoing] = event
        return outgoing

    def _send(self, outgoing: Outgoing) -> None:
        event = self._planned[outgoing]
        for copy in range(1, outgoing.copies + 1):
            self._sequence += 1
            done = self.delivery.deliver(
                outgoing.body,
                sequence=self._sequence,
                set_id=outgoing.set_id,
                reference=outgoing.reference,
            )
            self._log.add_sent(CarrierSent(
                self._sequence, self.behaviour.format, event.event_id, event.tracking_number,
                event.milestone, event.occurred_at, outgoing.body, self.delivery.describe(),
                done.ok, done.attempts, done.detail, copy, self.clock(),
            ))  # fmt: skip

    # -- HTTP -------------------------------------------------------------------------

    def take(self, body: bytes, *, path: str, idempotency_key: str | None = None) -> Answer:
        """Answer one POST (``/rates`` or ``/shipments``) and record it."""
        at = self.clock()
        try:
            answer = route(path, body, {"/rates": self._rates, "/shipments": self._shipment})
        except Exception as exc:  # a bug: recorded and answered, the server lives on
            answer = 500, {"error": f"answering failed: {exc!r}"}
        self._log.add_received(path, body, at, answer)
        return answer

    def _rates(self, data: Any) -> Answer:
        request = RateRequest.model_validate(data)
        behaviour = self.behaviour
        with self._planning:
            latency = behaviour.latency(self._draw)
        if behaviour.rate_failure == "timeout":
            self._stopping.wait(behaviour.rate_timeout)
            return 504, {"error": f"{self.name}: no rate answer within {behaviour.rate_timeout} s"}
        self._stopping.wait(latency)
        if behaviour.rate_failure == "unavailable":
            return 503, {"error": f"{self.name}: rating is unavailable"}
        return 200, {"carrier": self.name, "quotes": quote(request, behaviour)}

    def _shipment(self, data: Any) -> Answer:
        request = ShipmentRequest.model_validate(data)
        events = self.track(request.tracking_number, request.milestones, start=request.start)
        planned = [
            {"event_id": e.event_id, "milestone": e.milestone.value,
             "occurred_at": e.occurred_at.isoformat()}
            for e in events
        ]  # fmt: skip
        return 201, {"tracking_number": request.tracking_number, "events": planned}


def build(config: Mapping[str, Any], port: int) -> CarrierSimulator:
    """A carrier simulator from a process configuration (see ``carrier_cli``)."""
    settings = CarrierConfig.model_validate(config)
    profile = X12Identity.model_validate(settings.profile) if settings.profile else None
    return CarrierSimulator(
        settings.name,
        CarrierBehaviour.from_dict(settings.behaviour),
        reply_to=settings.reply_to,
        profile=profile,
        receiver=Party(settings.receiver.qualifier, settings.receiver.id),
        port=port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_carrier(build, argv)


if __name__ == "__main__":
    sys.exit(main())
