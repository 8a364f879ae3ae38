"""X12 214 Transportation Carrier Shipment Status ↔ ``TrackingEvent`` (``tracking.updated``).

One LX loop is one status event; a 214 may carry several. ``read_events``
gives all of them; ``read`` (the map contract, one document per set) gives
the latest, with a warning naming how many others the set carried, until the
model has a document for a batch of events. ``write`` writes one event,
``write_events`` several of one shipment.

=====================  ===========================================================
``B10``                01 carrier's reference (PRO) → ``tracking_number`` (unless
                       the LX has an ``L11 2I``), 02 shipment id → ``shipment_id``,
                       03 SCAC → ``carrier`` (code list ``carrier``)
``L11``                ``2I`` tracking number, ``SO`` → ``shipment_order_number``
                       (``qualifiers["shipment_order"]``), ``ZZ`` → proof of
                       delivery signer (``qualifiers["signed_by"]``); an LX's own
                       L11 wins over the heading's (5010 has them in the LX only)
``N1 CA``              carrier name; other N1 loops (shipper, consignee) are read
                       past: the event has no place for them
``AT7``                01 status → ``milestone`` (table in ``m214_codes``; code
                       list ``shipment_status``) and ``carrier_status_code`` (as
                       sent), 02 reason → ``exception_reason`` (its X12 name; ``NS``
                       normal), 05-07 date, time, time code → ``occurred_at``; a
                       second AT7 ``AG`` (estimated delivery) →
                       ``estimated_delivery_at``; appointment-only AT7s are skipped
``MS1``                01 city, 02 state, 03 country, 08 postal code → ``location``
``K1``                 → ``carrier_status_text`` (30 characters an element, two a K1)
``MS2``, ``AT8``       read past (equipment, weight: not in the event)
=====================  ===========================================================

Layout: 4010 has L11 and N1 loops in the heading and the AT7 loop first in
the LX loop; 5010 puts L11, K1 and AT8 before the AT7 loop and has an N1 loop
in the LX loop. A status code the table does not know is read as
``exception``, keeping the code, with a warning. A code that is not an X12
214 status (a web carrier's own) is written as the milestone's standard code.
Not carried: ``carrier.service``, ``proof_of_delivery.signature_reference``
(and a ``delivered_at`` other than ``occurred_at``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions, MapResult
from distsync.formats.x12.maps.logistics_common import (
    Reading,
    chunks,
    finish,
    layout_version,
    write_moment,
    writing_version,
)
from distsync.formats.x12.maps.m214_codes import (
    DEFAULT_CODES,
    ESTIMATED_DELIVERY,
    MILESTONES,
    NORMAL,
    OTHER,
    REASON_CODES,
)
from distsync.formats.x12.maps.m214_read import order_qualifier, read_events_of
from distsync.formats.x12.problems import Problem, Severity
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, SetSpec, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.tracking import Milestone, TrackingEvent

STATUS_CODE = re.compile(r"^[A-Z0-9]{2}$")


def set_spec(version: str) -> SetSpec:
    """The 214 as this map reads and writes it."""
    late = version >= "005010"
    return SetSpec("214", "Transportation Carrier Shipment Status Message", (
        seg("B10", "shipment status beginning",
            el(1, "reference identification", "AN", 1, 50 if late else 30),
            el(2, "shipment identification", "AN", 1, 30),
            el(3, "SCAC", "ID", 2, 4, required=True), min_use=1),
        _l11(late, 300),
        parties.n1_loop(max_use=10, contact=False),
        _lx_spec(late),
    ))  # fmt: skip


def _lx_spec(late: bool) -> LoopSpec:
    k1 = seg("K1", "remarks", el(1, "remark", "AN", 1, 30, required=True),
             el(2, "remark", "AN", 1, 30), max_use=10)  # fmt: skip
    at8 = seg("AT8", "weight and quantity", el(1, "weight qualifier", "ID", 1, 2),
              el(2, "weight unit", "ID", 1, 1), el(3, "weight", "R", 1, 10),
              max_use=10)  # fmt: skip
    if late:
        n1 = parties.n1_loop(max_use=5, contact=False)
        return loop("LX", parties.lx(), _l11(late, 999), k1, at8, _status_loop(late), n1,
                    min_use=1, max_use=999999)  # fmt: skip
    return loop("LX", parties.lx(), _status_loop(late), _l11(late, 10), k1, at8,
                min_use=1, max_use=999999)  # fmt: skip


def _l11(late: bool, max_use: int) -> SegmentSpec:
    return seg("L11", "reference", el(1, "reference", "AN", 1, 50 if late else 30),
               el(2, "reference qualifier", "ID", 2, 3), el(3, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def _status_loop(late: bool) -> LoopSpec:
    return loop("AT7",
                seg("AT7", "shipment status", el(1, "shipment status", "ID", 2, 2),
                    el(2, "status reason", "ID", 2, 2), el(3, "appointment status", "ID", 2, 2),
                    el(4, "appointment reason", "ID", 2, 2), el(5, "date", "DT", 8, 8),
                    el(6, "time", "TM", 4, 8), el(7, "time code", "ID", 2, 2), min_use=1),
                seg("MS1", "location", el(1, "city", "AN", 2, 30),
                    el(2, "state or province", "ID", 2, 2), el(3, "country", "ID", 2, 3),
                    el(8, "postal code", "ID", 3, 15)),
                seg("MS2", "equipment", el(1, "SCAC", "ID", 2, 4),
                    el(2, "equipment number", "AN", 1, 15 if late else 10),
                    max_use=2 if late else 1),
                min_use=1 if late else 0, max_use=10)  # fmt: skip


class TransportationStatus214:
    """214 ↔ TrackingEvent (one per LX loop)."""

    set_id: ClassVar[str] = "214"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "QM"
    document: ClassVar[type[BaseModel]] = TrackingEvent

    def spec(self, options: MapOptions) -> SetSpec:
        return options.adjust(set_spec(writing_version(options)))

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        """The latest status event of the set (see ``read_events`` for all of them)."""
        events, problems = self.read_events(transaction, options)
        if not events:
            return MapResult(None, problems)
        latest = events[0]
        for event in events[1:]:
            if event.occurred_at >= latest.occurred_at:
                latest = event
        if len(events) > 1:
            reading = Reading(transaction, options)
            when = latest.occurred_at.isoformat()
            message = (
                f"the set carries {len(events)} status events; the document is the latest "
                f"({latest.carrier_status_code} at {when}); read_events gives them all"
            )
            reading.warn(0, None, "several_events", message)
            problems += reading.problems
        return MapResult(latest, problems)

    def read_events(
        self, transaction: TransactionSet, options: MapOptions
    ) -> tuple[list[TrackingEvent], list[Problem]]:
        """Every status event of the set, in LX order, and the problems found."""
        spec = options.adjust(set_spec(layout_version(transaction, options)))
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return [], problems
        reading = Reading(transaction, options)
        events = read_events_of(reading)
        return ([] if reading.failed else events), problems + reading.problems

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        if not isinstance(document, TrackingEvent):
            raise SchemaViolation(
                f"the 214 map writes a TrackingEvent, not {type(document).__name__}"
            )
        return self.write_events([document], options)

    def write_events(
        self, events: Sequence[TrackingEvent], options: MapOptions
    ) -> Sequence[Fields]:
        """One 214 body for several events of one shipment (one carrier, one shipment id)."""
        first = events[0]
        for event in events[1:]:
            if (event.carrier, event.shipment_id) != (first.carrier, first.shipment_id):
                raise SchemaViolation(
                    f"writing 214 for {first.describe()}: the events are not of one shipment"
                )
        late = writing_version(options) >= "005010"
        scac = first.carrier.scac or options.to_partner("carrier", first.carrier.party_id)
        segments = [["B10", first.tracking_number, first.shipment_id or "", scac]]
        if first.shipment_order_number and not late:
            segments.append(["L11", first.shipment_order_number, order_qualifier(options)])
        if first.carrier.name:
            segments.append(parties.write_carrier_party(first.carrier, options))
        for number, event in enumerate(events, 1):
            segments += _lx_segments(event, number, first, late, options)
        return finish(segments, self.spec(options), options, f"214 for {first.describe()}")


# -- writing ---------------------------------------------------------------------------


def _lx_segments(
    event: TrackingEvent, number: int, first: TrackingEvent, late: bool, options: MapOptions
) -> list[list[str]]:
    """One LX loop; 5010 has its references and remarks before the status, 4010 after."""
    references_ = _lx_references(event, first, late, options)
    text = event.carrier_status_text or ""
    remarks = [["K1", piece[:30], piece[30:]] for piece in chunks(text, 60)]
    statuses = _statuses(event, options)
    body = [*references_, *remarks, *statuses] if late else [*statuses, *references_, *remarks]
    return [["LX", str(number)], *body]


def _lx_references(
    event: TrackingEvent, first: TrackingEvent, late: bool, options: MapOptions
) -> list[list[str]]:
    found: list[list[str]] = []
    if event.tracking_number != first.tracking_number:
        found.append(["L11", event.tracking_number, options.qualifier("tracking", "2I")])
    order = event.shipment_order_number
    if order and (late or order != first.shipment_order_number):
        found.append(["L11", order, order_qualifier(options)])
    if event.proof_of_delivery is not None:
        signer = event.proof_of_delivery.signed_by
        found.append(["L11", signer, options.qualifier("signed_by", "ZZ")])
    return found


def _statuses(event: TrackingEvent, options: MapOptions) -> list[list[str]]:
    day, clock, code = write_moment(event.occurred_at, options)
    segments = [
        ["AT7", _status_code(event, options), _reason_code(event), "", "", day, clock, code]
    ]
    if event.location is not None:
        place = event.location
        segments.append(
            [
                "MS1",
                place.city or "",
                place.region or "",
                place.country or "",
                "",
                "",
                "",
                "",
                place.postal_code or "",
            ]
        )
    if event.estimated_delivery_at is not None:
        day, clock, code = write_moment(event.estimated_delivery_at, options)
        segments.append(["AT7", ESTIMATED_DELIVERY, NORMAL, "", "", day, clock, code])
    return segments


def _status_code(event: TrackingEvent, options: MapOptions) -> str:
    raw = event.carrier_status_code
    standard = options.from_partner("shipment_status", raw)
    known = MILESTONES.get(standard)
    if known is event.milestone:
        return options.to_partner("shipment_status", standard)
    if known is None and event.milestone is Milestone.EXCEPTION and STATUS_CODE.match(raw):
        return raw
    return options.to_partner("shipment_status", DEFAULT_CODES[event.milestone])


def _reason_code(event: TrackingEvent) -> str:
    if event.exception_reason is None:
        return NORMAL
    return REASON_CODES.get(event.exception_reason.casefold(), OTHER)


TRANSPORTATION_STATUS_214 = TransportationStatus214()
