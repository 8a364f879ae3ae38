"""A canonical document sent as JSON by a partner: checked, keyed, made an event.

Shared by the HTTP route (``api/inbound_json.py``) and the file drop
(``partners/inbox.py``), so a document is taken the same way however it
arrives. :data:`DOCUMENT_EVENTS` lists the document types taken as JSON and
the event each becomes; a partner must list ``json-<document_type>`` in its
``sends``. The body is validated strictly as its document and keyed
``json:<partner>:<document_type>:<document number>:<16 hex of sha256>`` of
its canonical JSON (keys sorted): the same document again, however it is
formatted, is a duplicate; a changed one is a new event.

Refusals are :class:`JsonRefused`, carrying the HTTP status, a stable code,
the detail and, for a document the model refuses, each failing field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from distsync.config import Landscape
from distsync.errors import MalformedDocument, SchemaViolation
from distsync.model.base import Document
from distsync.model.catalog import spec_for_event, validate_document
from distsync.model.envelope import Envelope
from distsync.partners.keys import document_keys
from distsync.partners.x12_in import Appender

__all__ = [
    "DOCUMENT_EVENTS",
    "JsonInbound",
    "JsonRefused",
    "JsonTaken",
    "document_type_of",
    "event_type_for",
    "json_envelope",
]

MAX_LISTED_ERRORS = 20

DOCUMENT_EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "po_ack": "po_ack.received",
        "asn": "asn.received",
        "invoice": "invoice.received",
        "receipt": "receipt.recorded",
        "sales_order": "sales_order.received",
        "shipment_confirmation": "shipment.confirmed",
        "inventory_snapshot": "inventory.snapshot_received",
        "inventory_adjustment": "inventory.adjusted",
    }
)
"""The document types taken as JSON from partners, and the event each becomes."""


class JsonRefused(Exception):
    """A request refused before anything is stored: its status, code, detail and extras."""

    def __init__(self, status: int, error: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.extra = status, error, detail, extra


def event_type_for(landscape: Landscape, partner: str, document_type: str) -> str:
    declared = landscape.partners.get(partner)
    if declared is None:
        raise JsonRefused(404, "unknown_partner", f"the landscape declares no partner {partner!r}")
    event_type = DOCUMENT_EVENTS.get(document_type)
    if event_type is None:
        raise JsonRefused(
            404,
            "unknown_document_type",
            f"no document type {document_type!r} is taken as JSON from partners "
            f"(known: {', '.join(DOCUMENT_EVENTS)})",
        )
    if f"json-{document_type}" not in declared.sends:
        raise JsonRefused(
            403,
            "not_declared",
            f"{partner} is not declared to send json-{document_type} "
            f"(partners.{partner}.sends: {', '.join(declared.sends) or 'nothing'})",
        )
    return event_type


def json_envelope(
    partner: str, document_type: str, event_type: str, body: bytes, now: datetime
) -> Envelope:
    spec = spec_for_event(event_type)
    document = _document(partner, document_type, event_type, body)
    assert isinstance(document, Document)  # every DOCUMENT_EVENTS model is one
    payload = document.model_dump(mode="json")
    number = document.document_number()
    canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(canonical).hexdigest()[:16]
    partition, correlation = document_keys(partner, event_type, document)
    return Envelope(
        type=event_type,
        schema_version=spec.version,
        source_system=f"partner:{partner}",
        partner=partner,
        correlation_id=correlation,
        idempotency_key=f"json:{partner}:{document_type}:{number}:{digest}",
        partition_key=partition,
        occurred_at=now,
        received_at=now,
        payload=payload,
    )


def _document(partner: str, document_type: str, event_type: str, body: bytes) -> BaseModel:
    action = f"receiving {document_type} from {partner}"
    try:
        return validate_document(event_type, body)
    except MalformedDocument as exc:
        raise JsonRefused(422, "malformed_document", f"{action}: {exc}") from exc
    except SchemaViolation as exc:
        errors = _field_errors(spec_for_event(event_type).model, body)
        raise JsonRefused(422, "schema_violation", f"{action}: {exc}", errors=errors) from exc


def _field_errors(model: type[BaseModel], body: bytes) -> list[dict[str, str]]:
    """Each failing field (``lines.0.quantity.value``) with its message."""
    try:
        model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        found = exc.errors(include_url=False, include_input=False)[:MAX_LISTED_ERRORS]
        return [
            {"field": ".".join(str(part) for part in e["loc"]) or "(document)", "message": e["msg"]}
            for e in found
        ]
    return []


def document_type_of(file_name: str) -> str | None:
    """The document type a dropped JSON file's name starts with (``asn_0042.json``), or None.

    The longest type that the name starts with, followed by ``_``, ``-`` or
    ``.``, so ``inventory_snapshot_...`` is not taken for another type.
    """
    name = file_name.lower()
    for document_type in sorted(DOCUMENT_EVENTS, key=len, reverse=True):
        if name.startswith(document_type) and name[len(document_type) : len(document_type) + 1] in (
            "_", "-", "."
        ):  # fmt: skip
            return document_type
    return None


@dataclass(frozen=True)
class JsonTaken:
    """A JSON document stored: the event that holds it, and whether it was there already."""

    event_id: str
    duplicate: bool


class JsonInbound:
    """Takes one partner's JSON document (a dropped file) into the log, as the route does."""

    def __init__(
        self, *, landscape: Landscape, intake: Appender, clock: Callable[[], datetime]
    ) -> None:
        self._landscape = landscape
        self._intake = intake
        self._clock = clock

    async def receive(self, data: bytes, *, partner: str, document_type: str) -> JsonTaken:
        """Check, key and append ``data``; :class:`JsonRefused` says why it was not taken."""
        event_type = event_type_for(self._landscape, partner, document_type)
        limit = self._landscape.runtime.max_payload_bytes
        if len(data) > limit:
            raise JsonRefused(
                413, "payload_too_large",
                f"receiving {document_type} from {partner}: {len(data):,} bytes is over the "
                f"limit of {limit:,} bytes (runtime.max_payload_bytes)",
            )  # fmt: skip
        envelope = json_envelope(partner, document_type, event_type, data, self._clock())
        result = await self._intake.accept([envelope])
        first = result.duplicates.get(envelope.event_id)
        return JsonTaken(first or envelope.event_id, first is not None)
