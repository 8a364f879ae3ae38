"""Every document: examples round-trip; broken ones name the document and the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.model.base import Document
from distsync.model.catalog import DOCUMENTS
from distsync.model.envelope import Envelope
from distsync.model.examples import (
    EXAMPLES,
    REMOVE,
    example_inventory_adjustment,
    example_inventory_reservation,
    example_inventory_snapshot,
    example_inventory_transfer,
    example_party,
    example_price,
    example_purchase_order,
    example_sales_order,
    example_shipment_confirmation,
    example_shipment_order,
    example_tracking_event,
    example_warehouse,
    variant,
)
from distsync.model.inventory import InventoryBalance
from distsync.model.parties import AddressPurpose, PartyRole


def test_there_is_an_example_of_every_document_type() -> None:
    assert set(EXAMPLES) == set(DOCUMENTS)
    for name, build in EXAMPLES.items():
        assert isinstance(build(), DOCUMENTS[name].model), name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_round_trips_through_json_unchanged(name: str) -> None:
    document = EXAMPLES[name]()
    text = json.dumps(document.model_dump(mode="json"))
    assert type(document).model_validate_json(text, strict=True) == document


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_read_back_from_an_envelope_is_unchanged(name: str) -> None:
    document = EXAMPLES[name]()
    envelope = Envelope(
        type=f"{name}.example",
        schema_version=DOCUMENTS[name].version,
        source_system="test",
        correlation_id="c-1",
        idempotency_key=f"{name}-1",
        partition_key=document.document_number(),
        occurred_at=datetime(2024, 5, 6, tzinfo=UTC),
        payload=document.model_dump(mode="json"),
    )
    assert envelope.document(type(document)) == document


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_document_says_what_and_which_it_is(name: str) -> None:
    document = EXAMPLES[name]()
    assert document.describe() == f"{document.kind} {document.document_number()}"
    assert document.document_number()


def test_the_purchase_order_example_is_a_realistic_size() -> None:
    purchase_order = example_purchase_order()
    assert len(purchase_order.lines) == 5
    assert 1200 <= len(purchase_order.model_dump_json()) <= 2000


def refusal(document: Document, changes: dict[str, Any]) -> str:
    """The text of the validation error that ``changes`` cause."""
    with pytest.raises(ValidationError) as exc:
        variant(document, changes)
    return str(exc.value)


def test_a_party_refuses_a_scac_unless_it_is_a_carrier() -> None:
    message = refusal(example_party(), {"scac": "ACME"})
    assert "party SUP-ACME: scac is set but roles does not include carrier" in message
    carrier = variant(example_party(), {"scac": "ACME", "roles": ["supplier", "carrier"]})
    assert carrier.has_role(PartyRole.CARRIER)


def test_a_party_refuses_a_role_listed_twice() -> None:
    message = refusal(example_party(), {"roles": ["supplier", "supplier"]})
    assert "party SUP-ACME: roles lists supplier twice" in message


def test_a_party_finds_its_address_by_purpose_or_falls_back_to_main() -> None:
    party = example_party()
    remit_to = party.address_for(AddressPurpose.REMIT_TO)
    assert remit_to is not None
    assert remit_to.purpose is AddressPurpose.REMIT_TO
    billing = party.address_for(AddressPurpose.BILLING)
    assert billing is not None
    assert billing.purpose is AddressPurpose.MAIN


def test_a_warehouse_refuses_a_location_listed_twice() -> None:
    message = refusal(example_warehouse(), {"locations.1.location_id": "DOCK-3"})
    assert "warehouse WH-EAST: locations lists DOCK-3 twice" in message


def test_a_price_must_apply_to_a_price_list_or_a_customer() -> None:
    message = refusal(example_price(), {"price_list": None})
    assert "price WEB-RETAIL/TAP-0048/2024: set price_list or customer_id" in message


def test_a_price_cannot_end_before_it_starts() -> None:
    message = refusal(example_price(), {"valid_to": "2023-12-31"})
    assert "price WEB-RETAIL/TAP-0048/2024: valid_to (2023-12-31) is before valid_from" in message


def test_a_sales_order_refuses_amounts_in_another_currency() -> None:
    message = refusal(example_sales_order(), {"shipping_charge.currency": "EUR"})
    assert "sales order SO-100245: shipping_charge is in EUR, the document is in USD" in message


def test_a_sales_order_cannot_ship_before_it_was_ordered() -> None:
    message = refusal(example_sales_order(), {"requested_ship_date": "2024-05-20"})
    assert "sales order SO-100245: requested_ship_date (2024-05-20) is before ordered_at" in message


def test_a_sales_order_needs_a_ship_to_address() -> None:
    message = refusal(example_sales_order(), {"ship_to": REMOVE})
    assert "ship_to\n  Field required" in message


def test_a_shipment_order_refuses_a_line_of_nothing() -> None:
    message = refusal(example_shipment_order(), {"lines.1.quantity.value": "0"})
    assert "shipment order SHO-100245-1: lines.1.quantity (line 2) must be positive" in message


def test_a_shipment_confirmation_refuses_contents_of_an_unknown_line() -> None:
    message = refusal(example_shipment_confirmation(), {"packages.1.contents.0.line_number": 9})
    assert "shipment SHP-WH-EAST-9981: packages.1.contents.0.line_number 9 is not a line" in message


def test_a_shipment_confirmation_refuses_one_tracking_number_on_two_packages() -> None:
    confirmation = example_shipment_confirmation()
    repeated = confirmation.packages[0].tracking_number
    message = refusal(confirmation, {"packages.1.tracking_number": repeated})
    assert f"shipment SHP-WH-EAST-9981: tracking number {repeated} appears twice" in message


def test_a_shipment_confirmation_lists_its_tracking_numbers_and_shipped_lines() -> None:
    confirmation = example_shipment_confirmation()
    assert confirmation.tracking_numbers() == ["1Z999AA10123456784", "1Z999AA10123456793"]
    short = variant(confirmation, {"lines.0.shipped_quantity.value": "0"})
    assert [line.line_number for line in short.shipped_lines()] == [2, 3]


def test_proof_of_delivery_belongs_to_a_delivered_parcel_only() -> None:
    message = refusal(example_tracking_event(), {"milestone": "in_transit"})
    assert "tracking number 1Z999AA10123456784: proof_of_delivery is set but milestone" in message


def test_tracking_milestones_are_the_normalised_set() -> None:
    message = refusal(example_tracking_event(), {"milestone": "delivered_to_neighbour"})
    assert "milestone" in message
    assert "'label_created', 'picked_up', 'in_transit', 'out_for_delivery'" in message
    assert example_tracking_event().is_final()


def test_a_snapshot_refuses_a_balance_of_another_warehouse() -> None:
    message = refusal(example_inventory_snapshot(), {"balances.1.warehouse_id": "WH-WEST"})
    assert "inventory snapshot SNAP-WH-EAST-20240521: balances.1.warehouse_id is WH-WEST" in message


def test_a_snapshot_refuses_more_available_than_on_hand_less_allocated() -> None:
    changes = {"balances.1.available": {"value": "37", "uom": "BX"}}
    message = refusal(example_inventory_snapshot(), changes)
    assert "balances.1.available (37 BX) exceeds on hand less allocated (36 BX)" in message


def test_a_balance_without_available_is_on_hand_less_allocated() -> None:
    balance: InventoryBalance = example_inventory_snapshot().balances[1]
    assert str(balance.available_quantity()) == "36 BX"


def test_an_adjustment_must_change_something() -> None:
    message = refusal(example_inventory_adjustment(), {"delta.value": "0"})
    assert "inventory adjustment ADJ-WH-EAST-3318: delta is zero" in message


def test_an_adjustment_for_other_reasons_must_say_why() -> None:
    changes = {"reason_code": "other", "note": None}
    message = refusal(example_inventory_adjustment(), changes)
    assert "ADJ-WH-EAST-3318: reason_code is other, so note must say why" in message


def test_a_reservation_cannot_expire_before_it_was_made() -> None:
    changes = {"expires_at": "2024-05-20T00:00:00+00:00"}
    message = refusal(example_inventory_reservation(), changes)
    assert "inventory reservation RSV-SO-100245-2: expires_at" in message


def test_a_transfer_must_go_somewhere_else() -> None:
    changes = {"to_warehouse_id": "WH-EAST", "to_location_id": "R-12-04"}
    message = refusal(example_inventory_transfer(), changes)
    assert "inventory transfer TRF-2024-0412: to_warehouse_id/to_location_id equal" in message
