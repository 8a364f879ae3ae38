"""The catalog: event types to documents, and strict validation of inbound payloads."""

from __future__ import annotations

import json
import re

import pytest

from distsync.errors import MalformedDocument, PermanentError, SchemaViolation
from distsync.model.catalog import (
    DOCUMENTS,
    ENVELOPE,
    ENVELOPE_SCHEMA_VERSION,
    EVENTS,
    event_types_for,
    spec_for_event,
    validate_payload,
)
from distsync.model.envelope import EVENT_TYPE_PATTERN, Envelope
from distsync.model.examples import EXAMPLES, example_purchase_order

REQUIRED_EVENTS = [
    "purchase_order.confirmed", "purchase_order.revised", "po_ack.received", "asn.received",
    "receipt.recorded", "inventory.received", "sales_order.received", "shipment_order.released",
    "shipment.confirmed", "tracking.updated", "inventory.snapshot_received", "inventory.adjusted",
    "inventory.reserved", "inventory.transferred", "invoice.received", "price.changed",
    "item.changed", "party.changed", "warehouse.changed",
]  # fmt: skip


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_every_event_type_resolves_to_its_document(event_type: str) -> None:
    spec = spec_for_event(event_type)
    assert spec is DOCUMENTS[EVENTS[event_type]]
    assert re.match(EVENT_TYPE_PATTERN, event_type)


def test_the_catalog_covers_every_business_event() -> None:
    assert set(REQUIRED_EVENTS) <= set(EVENTS)
    for name in DOCUMENTS:
        assert event_types_for(name), f"{name} has no event type"


def test_specs_are_named_as_they_are_keyed_and_start_at_version_one() -> None:
    for name, spec in DOCUMENTS.items():
        assert spec.name == name
        assert spec.version >= 1
    assert (ENVELOPE.name, ENVELOPE.model, ENVELOPE.version) == (
        "envelope",
        Envelope,
        ENVELOPE_SCHEMA_VERSION,
    )


def test_an_unknown_event_type_suggests_the_close_ones() -> None:
    with pytest.raises(SchemaViolation) as exc:
        spec_for_event("purchase_order.confirm")
    assert "unknown event type 'purchase_order.confirm'" in str(exc.value)
    assert "did you mean purchase_order.confirmed" in str(exc.value)


def test_an_unknown_event_type_with_nothing_close_lists_the_known_ones() -> None:
    with pytest.raises(SchemaViolation) as exc:
        spec_for_event("weather.forecast_issued")
    assert "known types: asn.received, inventory.adjusted" in str(exc.value)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_validate_payload_returns_the_document_json_ready(name: str) -> None:
    document = EXAMPLES[name]()
    raw = document.model_dump_json().encode()
    payload = validate_payload(event_types_for(name)[0], raw)
    assert payload == document.model_dump(mode="json")
    assert json.loads(json.dumps(payload)) == payload


def test_validate_payload_names_event_document_and_every_failing_field() -> None:
    data = example_purchase_order().model_dump(mode="json")
    data["lines"][1]["quantity"]["value"] = 6.0
    data["revision"] = "0"
    data["supplier"]["gln"] = "5012345000016"
    data["priority"] = "rush"
    with pytest.raises(SchemaViolation) as exc:
        validate_payload("purchase_order.confirmed", json.dumps(data))
    message = str(exc.value)
    assert message.startswith(
        "purchase_order.confirmed: purchase_order PO-2024-00117 breaks purchase_order v1 "
        "(4 problems): "
    )
    assert "revision: Input should be a valid integer" in message
    assert "supplier.gln: Value error, GLN 5012345000016 has check digit 6, expected 5" in message
    assert "lines.1.quantity.value: Value error, binary floats are refused (6.0)" in message
    assert "priority: Extra inputs are not permitted" in message
    assert exc.value.__cause__ is not None


def test_validate_payload_reports_document_rules_with_the_number() -> None:
    data = example_purchase_order().model_dump(mode="json")
    data["lines"][4]["line_number"] = 1
    with pytest.raises(SchemaViolation) as exc:
        validate_payload("purchase_order.revised", json.dumps(data))
    assert "purchase order PO-2024-00117: lines has line number 1 twice" in str(exc.value)


def test_validate_payload_without_a_document_number_still_names_the_fields() -> None:
    with pytest.raises(SchemaViolation) as exc:
        validate_payload("asn.received", "[]")
    assert str(exc.value).startswith("asn.received: asn breaks asn v1 (1 problem): ")


def test_validate_payload_refuses_bytes_that_are_not_json_as_malformed() -> None:
    with pytest.raises(MalformedDocument, match=r"asn\.received payload is not JSON"):
        validate_payload("asn.received", b"ISA*00*")
    assert issubclass(MalformedDocument, PermanentError)


def test_validate_payload_refuses_an_unknown_event_type() -> None:
    with pytest.raises(SchemaViolation, match="unknown event type"):
        validate_payload("purchase_order.lost", b"{}")


def test_validate_payload_keeps_the_message_short_for_hostile_input() -> None:
    data = example_purchase_order().model_dump(mode="json")
    data |= {f"junk_{n}": n for n in range(500)}
    with pytest.raises(SchemaViolation) as exc:
        validate_payload("purchase_order.confirmed", json.dumps(data))
    assert "(500 problems)" in str(exc.value)
    assert str(exc.value).endswith("; and 480 more")
