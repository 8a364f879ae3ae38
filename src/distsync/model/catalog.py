"""The catalog: which canonical document each event type carries, at which version.

:data:`DOCUMENTS` names every document type with its model and schema
version; :data:`EVENTS` maps each past-tense event type to the document its
payload holds. :func:`validate_payload` is the door every inbound payload goes
through: it validates strictly and returns the JSON-ready dict an
:class:`~distsync.model.envelope.Envelope` carries.

A document's ``version`` changes whenever its JSON Schema changes; the schema
lock (:mod:`distsync.model.schemas`) fails the build when it does not.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from distsync.errors import MalformedDocument, SchemaViolation
from distsync.model.asn import AdvanceShipNotice
from distsync.model.base import Document
from distsync.model.envelope import Envelope
from distsync.model.inventory import (
    InventoryAdjustment,
    InventoryReservation,
    InventorySnapshot,
    InventoryTransfer,
)
from distsync.model.invoices import Invoice
from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.prices import Price
from distsync.model.procurement import PoAcknowledgement, PurchaseOrder
from distsync.model.receipts import Receipt
from distsync.model.sales import SalesOrder
from distsync.model.shipping import ShipmentConfirmation, ShipmentOrder
from distsync.model.tracking import TrackingEvent
from distsync.model.warehouses import Warehouse

__all__ = [
    "DOCUMENTS",
    "ENVELOPE",
    "ENVELOPE_SCHEMA_VERSION",
    "EVENTS",
    "DocumentSpec",
    "event_types_for",
    "spec_for_event",
    "validate_payload",
]

ENVELOPE_SCHEMA_VERSION = 1
MAX_REPORTED_ERRORS = 20


@dataclass(frozen=True)
class DocumentSpec:
    """A document type: its stable ``name``, its pydantic ``model`` and its schema ``version``.

    ``version`` goes up by one whenever the model's JSON Schema changes; the
    envelope's ``schema_version`` carries it with every event.
    """

    name: str
    model: type[BaseModel]
    version: int


def _specs(*specs: DocumentSpec) -> Mapping[str, DocumentSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


DOCUMENTS: Mapping[str, DocumentSpec] = _specs(
    DocumentSpec("party", Party, 1),
    DocumentSpec("item", Item, 1),
    DocumentSpec("warehouse", Warehouse, 1),
    DocumentSpec("price", Price, 1),
    DocumentSpec("purchase_order", PurchaseOrder, 1),
    DocumentSpec("po_ack", PoAcknowledgement, 1),
    DocumentSpec("asn", AdvanceShipNotice, 1),
    DocumentSpec("receipt", Receipt, 1),
    DocumentSpec("sales_order", SalesOrder, 1),
    DocumentSpec("shipment_order", ShipmentOrder, 1),
    DocumentSpec("shipment_confirmation", ShipmentConfirmation, 1),
    DocumentSpec("tracking_event", TrackingEvent, 1),
    DocumentSpec("inventory_snapshot", InventorySnapshot, 1),
    DocumentSpec("inventory_adjustment", InventoryAdjustment, 1),
    DocumentSpec("inventory_reservation", InventoryReservation, 1),
    DocumentSpec("inventory_transfer", InventoryTransfer, 1),
    DocumentSpec("invoice", Invoice, 1),
)
"""Every canonical document type by name."""

ENVELOPE = DocumentSpec("envelope", Envelope, ENVELOPE_SCHEMA_VERSION)
"""The event envelope, versioned and locked like a document."""

EVENTS: Mapping[str, str] = MappingProxyType(
    {
        "party.changed": "party",
        "item.changed": "item",
        "warehouse.changed": "warehouse",
        "price.changed": "price",
        "purchase_order.confirmed": "purchase_order",
        "purchase_order.revised": "purchase_order",
        "purchase_order.cancelled": "purchase_order",
        "po_ack.received": "po_ack",
        "asn.received": "asn",
        "receipt.recorded": "receipt",
        "inventory.received": "receipt",
        "sales_order.received": "sales_order",
        "sales_order.changed": "sales_order",
        "sales_order.cancelled": "sales_order",
        "shipment_order.released": "shipment_order",
        "shipment_order.cancelled": "shipment_order",
        "shipment.confirmed": "shipment_confirmation",
        "tracking.updated": "tracking_event",
        "inventory.snapshot_received": "inventory_snapshot",
        "inventory.adjusted": "inventory_adjustment",
        "inventory.reserved": "inventory_reservation",
        "inventory.reservation_released": "inventory_reservation",
        "inventory.transferred": "inventory_transfer",
        "invoice.received": "invoice",
        "invoice.issued": "invoice",
    }
)
"""Every event type (past tense, dotted) and the document name its payload holds."""


def spec_for_event(event_type: str) -> DocumentSpec:
    """The document spec of an event type; an unknown type raises SchemaViolation."""
    name = EVENTS.get(event_type)
    if name is None:
        raise SchemaViolation(_unknown_event_message(event_type))
    return DOCUMENTS[name]


def event_types_for(document_name: str) -> list[str]:
    """The event types whose payload is the named document, in catalog order."""
    return [event for event, name in EVENTS.items() if name == document_name]


def validate_payload(event_type: str, raw_json: bytes | str) -> dict[str, Any]:
    """Validate a JSON payload strictly as the event's document; return it JSON-ready.

    Raises SchemaViolation naming the event type, the document number when the
    payload has one, and every failing field path; MalformedDocument when the
    bytes are not JSON at all.
    """
    return validate_document(event_type, raw_json).model_dump(mode="json")


def validate_document(event_type: str, raw_json: bytes | str) -> BaseModel:
    """:func:`validate_payload`, answering the document itself (its model's instance)."""
    spec = spec_for_event(event_type)
    try:
        document = spec.model.model_validate_json(raw_json, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if errors and errors[0]["type"] == "json_invalid":
            raise MalformedDocument(
                f"{event_type} payload is not JSON: {errors[0]['msg']}"
            ) from exc
        raise SchemaViolation(_violation_message(event_type, spec, raw_json, errors)) from exc
    return document


def _unknown_event_message(event_type: str) -> str:
    known = f"known types: {', '.join(sorted(EVENTS))}"
    close = difflib.get_close_matches(event_type, list(EVENTS), n=3, cutoff=0.75)
    if close:
        return f"unknown event type {event_type!r}; did you mean {', '.join(close)}? {known}"
    return f"unknown event type {event_type!r}; {known}"


def _violation_message(
    event_type: str,
    spec: DocumentSpec,
    raw_json: bytes | str,
    errors: Sequence[Mapping[str, object]],
) -> str:
    number = _document_number(spec, raw_json)
    subject = f"{spec.name} {number}" if number else spec.name
    problems = "; ".join(_describe_error(error) for error in errors[:MAX_REPORTED_ERRORS])
    if len(errors) > MAX_REPORTED_ERRORS:
        problems += f"; and {len(errors) - MAX_REPORTED_ERRORS} more"
    count = f"{len(errors)} problem" + ("s" if len(errors) > 1 else "")
    return f"{event_type}: {subject} breaks {spec.name} v{spec.version} ({count}): {problems}"


def _describe_error(error: Mapping[str, object]) -> str:
    location = error["loc"]
    path = ".".join(str(part) for part in location) if isinstance(location, tuple) else ""
    return f"{path}: {error['msg']}" if path else str(error["msg"])


def _document_number(spec: DocumentSpec, raw_json: bytes | str) -> str | None:
    """The payload's document number as sent, if it is there (for error messages only)."""
    if not issubclass(spec.model, Document):
        return None
    try:
        payload = json.loads(raw_json)
    except ValueError:
        return None
    number = payload.get(spec.model.number_field) if isinstance(payload, dict) else None
    if isinstance(number, str | int) and not isinstance(number, bool):
        return str(number)[:64]
    return None
