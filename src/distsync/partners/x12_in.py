"""Interchanges from partners: canonical events for the log, and the 997/999 that answers them.

``X12Inbound.receive(data)`` reads a file (one interchange or a mailbag),
checks and maps every transaction set (``formats.x12.inspect``), and appends
what is good through intake, in one batch:

- 214, 855, 856, 810 and 944 become ``tracking.updated``, ``po_ack.received``,
  ``asn.received``, ``invoice.received`` and ``receipt.recorded``; a
  warehouse's 945, 846 and 947 ``shipment.confirmed``,
  ``inventory.snapshot_received`` and ``inventory.adjusted``; a customer's
  850 ``sales_order.received``, its purchase order read as our sales order
  (``rules/customer_orders.py``) (:data:`EVENT_TYPES`), keyed as
  ``keys.py`` describes;
- a 997/999 is reconciled against the group it acknowledges (``acks.py``);
- a set with errors (envelope, its map's checks, the mapping), a set the
  partner is not declared to send (``partners.<name>.sends``) or one no event
  takes is not appended, and the 997/999 rejects it (AK5 R); a group with
  errors of its own is rejected whole (AK9 R). The other sets still go in.

The answer, one 997/999 interchange per interchange received (FA groups are
not acknowledged), numbered from the partner's counters, is recorded with
every set's outcome (``x12_in_record.py``) under a key made of the partner,
the ISA13 and a hash of the file: the same file received again appends
nothing and gets the same acknowledgement back, byte for byte.

What refuses a file whole (nothing appended, problems located) is in
``x12_in_checks.py``; a file over ``runtime.max_payload_bytes`` is refused
with ``PayloadTooLarge``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from distsync.config import Landscape
from distsync.errors import DistsyncError, PermanentError
from distsync.formats.x12.ack import acknowledgement_interchange, by_set
from distsync.formats.x12.ack_read import ACK_SETS, read_acknowledgement
from distsync.formats.x12.decode import encode
from distsync.formats.x12.envelope import Group, Interchange
from distsync.formats.x12.inspect import InspectedSet, Inspection, inspect
from distsync.formats.x12.maps.base import x12_datetime
from distsync.formats.x12.problems import Severity
from distsync.model.base import Document
from distsync.model.catalog import spec_for_event, validate_payload
from distsync.model.envelope import Envelope
from distsync.model.procurement import PurchaseOrder
from distsync.partners import acks
from distsync.partners.keys import document_keys, set_idempotency_key
from distsync.partners.x12_in_checks import (
    options_for,
    refuse_unreportable,
    sender_name,
    set_problem,
    x12_profile,
)
from distsync.partners.x12_in_record import Received, SetOutcome, acknowledgement_record
from distsync.partners.x12_out import assign_controls
from distsync.rules.customer_orders import sales_order_from_po
from distsync.runtime.intake import PayloadTooLarge
from distsync.runtime.ports import AppendResult, ControlNumbers, LogInspector

__all__ = ["EVENT_TYPES", "Appender", "InboundLog", "X12Inbound"]

EVENT_TYPES = {
    "214": "tracking.updated",
    "855": "po_ack.received",
    "856": "asn.received",
    "810": "invoice.received",
    "944": "receipt.recorded",
    "945": "shipment.confirmed",
    "846": "inventory.snapshot_received",
    "947": "inventory.adjusted",
    "850": "sales_order.received",
}
"""The transaction sets taken from partners, and the event each becomes."""

Routed = tuple[SetOutcome, Envelope | None]


class Appender(Protocol):
    """Where the envelopes go: ``runtime.intake.Intake`` (it registers subscriptions first)."""

    async def accept(self, envelopes: Sequence[Envelope]) -> AppendResult: ...


class InboundLog(ControlNumbers, LogInspector, Protocol):
    """What receiving needs of the backend: control numbers and reads of the log."""


@dataclass
class _Interchange:
    partner: str
    routed: list[Routed] = field(default_factory=list)
    record: Envelope | None = None

    @property
    def envelopes(self) -> list[Envelope]:
        found = [envelope for _, envelope in self.routed if envelope is not None]
        return found + ([self.record] if self.record is not None else [])


class X12Inbound:
    """Receives partner interchanges into the log (see the module docstring)."""

    def __init__(
        self,
        *,
        landscape: Landscape,
        log: InboundLog,
        intake: Appender,
        clock: Callable[[], datetime],
    ) -> None:
        self._landscape = landscape
        self._log = log
        self._intake = intake
        self._clock = clock

    async def receive(self, data: bytes, *, partner: str | None = None) -> Received:
        """Append the good sets of ``data``; ``partner``, when given, must be its sender."""
        if partner is not None:
            x12_profile(self._landscape, partner)
        limit = self._landscape.runtime.max_payload_bytes
        if len(data) > limit:
            raise PayloadTooLarge(
                f"receiving X12: {len(data):,} bytes is over the limit of {limit:,} bytes "
                "(runtime.max_payload_bytes)"
            )
        found = inspect(data, options_for(self._landscape))
        refuse_unreportable(found)
        digest = hashlib.sha256(data).hexdigest()[:16]
        parts = [await self._one(found, i, partner, digest) for i in found.reader.interchanges]
        result = await self._intake.accept([e for part in parts for e in part.envelopes])
        texts = [await self._answer(part, result) for part in parts]
        outcomes = tuple(_stored(o, e, result) for part in parts for o, e in part.routed)
        warnings = tuple(p for p in found.problems if p.severity == Severity.WARNING)
        answer = b"".join(encode(text, found.reader.encoding) for text in texts)
        return Received(answer, outcomes, result.appended, warnings)

    async def _one(
        self, found: Inspection, interchange: Interchange, wanted: str | None, digest: str
    ) -> _Interchange:
        name = sender_name(self._landscape, interchange, wanted)
        part = _Interchange(name)
        mine = [s for s in found.sets if s.transaction.interchange is interchange]
        part.routed = [await self._route(name, item) for item in mine]
        outcomes = [outcome for outcome, _ in part.routed]
        if all(g.functional_id == "FA" for g in interchange.groups):
            return part  # acknowledgements are not acknowledged: no numbers drawn
        key = f"x12-ack:{name}:{interchange.control}:{digest}"
        transactions = [s.transaction for s in mine]
        text = acknowledgement_interchange(
            interchange,
            by_set(p for o in outcomes for p in o.problems),
            kind=x12_profile(self._landscape, name).acknowledgement,
            controls=await assign_controls(self._log, name, key),
            at=self._clock(),
            transactions=transactions,
        )
        if text is not None:
            part.record = acknowledgement_record(
                name, key=key, interchange=interchange, text=text, outcomes=outcomes,
                transactions=transactions, at=self._clock(),
            )  # fmt: skip
        return part

    async def _route(self, name: str, item: InspectedSet) -> Routed:
        t = item.transaction
        where = (t.interchange.control, t.group.control, t.control, t.set_id)
        base = SetOutcome(name, *where, problems=tuple(item.problems))
        if item.errors or any(p.severity == Severity.ERROR for p in t.group.problems):
            return base, None
        try:
            if t.set_id in ACK_SETS:
                return await self._acknowledged(base, item)
            return self._document(base, item)
        except PermanentError as exc:
            refusal = set_problem(t, "not_taken", str(exc), "1")
            return replace(base, problems=(*base.problems, refusal)), None

    def _document(self, base: SetOutcome, item: InspectedSet) -> Routed:
        t = item.transaction
        event_type = EVENT_TYPES.get(t.set_id)
        sends = self._landscape.partners[base.partner].sends
        if event_type is None:
            raise PermanentError(f"transaction set {t.set_id} is not taken from partners yet")
        if f"x12-{t.set_id}" not in sends:
            raise PermanentError(
                f"{base.partner} is not declared to send x12-{t.set_id} "
                f"(partners.{base.partner}.sends: {', '.join(sends) or 'nothing'})"
            )
        document = self._as_taken(base.partner, item.document)
        if not isinstance(document, Document):
            raise PermanentError(f"transaction set {t.set_id} mapped to no document")
        number = document.document_number()
        partition, correlation = document_keys(base.partner, event_type, document)
        now = self._clock()
        envelope = Envelope(
            type=event_type,
            schema_version=spec_for_event(event_type).version,
            source_system=f"partner:{base.partner}",
            partner=base.partner,
            correlation_id=correlation,
            idempotency_key=set_idempotency_key(t, number),
            partition_key=partition,
            occurred_at=_group_time(t.group) or now,
            received_at=now,
            payload=validate_payload(event_type, document.model_dump_json()),
        )
        return replace(base, event_type=event_type, document_number=number), envelope

    def _as_taken(self, partner: str, document: object) -> object:
        """A customer's purchase order is our sales order; other documents are as read."""
        if isinstance(document, PurchaseOrder):
            customer = self._landscape.partners[partner].erp_party_id(partner)
            return sales_order_from_po(document, channel=partner, customer_id=customer)
        return document

    async def _acknowledged(self, base: SetOutcome, item: InspectedSet) -> Routed:
        t = item.transaction
        ack = read_acknowledgement(t, base.partner)
        record = await acks.find_sent_group(self._log, base.partner, ack.group_control)
        now = self._clock()
        envelope = acks.acknowledgement_envelope(
            ack,
            record,
            idempotency_key=set_idempotency_key(t, ack.group_control),
            occurred_at=_group_time(t.group) or now,
            received_at=now,
        )
        outcome = replace(
            base, event_type=acks.GROUP_ACKNOWLEDGED, document_number=ack.group_control
        )
        return outcome, envelope

    async def _answer(self, part: _Interchange, result: AppendResult) -> str:
        """The acknowledgement's text: the one recorded first, for a file received before."""
        if part.record is None:
            return ""
        first = result.duplicates.get(part.record.event_id)
        stored = await self._log.get_event(first) if first is not None else None
        chosen = stored.envelope if stored is not None else part.record
        return str(chosen.payload["text"])


def _stored(outcome: SetOutcome, envelope: Envelope | None, result: AppendResult) -> SetOutcome:
    if envelope is None:
        return outcome
    first = result.duplicates.get(envelope.event_id)
    return replace(outcome, event_id=first or envelope.event_id, duplicate=first is not None)


def _group_time(group: Group) -> datetime | None:
    """When the partner made the group (GS04/GS05, read as UTC), if readable."""
    try:
        return x12_datetime(group.gs.element(4), group.gs.element(5) or None, "GS04/GS05")
    except DistsyncError:
        return None
