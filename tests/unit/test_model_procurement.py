"""Procure to pay: purchase orders, acknowledgements, ship notices, receipts, invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.model.base import Document
from distsync.model.examples import (
    example_asn,
    example_invoice,
    example_po_ack,
    example_purchase_order,
    example_receipt,
    variant,
)
from distsync.model.procurement import AckLineStatus, AckStatus, PoAcknowledgement


def refusal(document: Document, changes: dict[str, Any]) -> str:
    """The text of the validation error that ``changes`` cause."""
    with pytest.raises(ValidationError) as exc:
        variant(document, changes)
    return str(exc.value)


def test_a_purchase_order_refuses_two_lines_with_one_number() -> None:
    message = refusal(example_purchase_order(), {"lines.3.line_number": 2})
    assert "purchase order PO-2024-00117: lines has line number 2 twice" in message


def test_a_purchase_order_refuses_a_price_in_another_currency() -> None:
    message = refusal(example_purchase_order(), {"lines.1.unit_price.currency": "EUR"})
    assert "purchase order PO-2024-00117: lines.1.unit_price (line 2) is in EUR" in message


def test_a_purchase_order_refuses_a_negative_quantity() -> None:
    message = refusal(example_purchase_order(), {"lines.4.quantity.value": "-3"})
    assert "PO-2024-00117: lines.4.quantity (line 5) must be positive, got -3 EA" in message


def test_a_purchase_order_refuses_delivery_before_the_order_date() -> None:
    changes = {"lines.0.requested_delivery_date": "2024-05-01"}
    message = refusal(example_purchase_order(), changes)
    assert "lines.0.requested_delivery_date (line 1) (2024-05-01) is before order_date" in message


def test_a_purchase_order_needs_at_least_one_line() -> None:
    message = refusal(example_purchase_order(), {"lines": []})
    assert "lines\n  Tuple should have at least 1 item" in message


def test_a_purchase_order_totals_its_lines_exactly() -> None:
    purchase_order = example_purchase_order()
    assert str(purchase_order.total()) == "1797.00 USD"
    line = purchase_order.lines[2]
    assert purchase_order.ship_to_warehouse_of(line) == "WH-EAST"
    moved = variant(purchase_order, {"lines.2.ship_to_warehouse_id": "WH-WEST"})
    assert moved.ship_to_warehouse_of(moved.lines[2]) == "WH-WEST"


CHANGES: dict[str, Any] = {
    "changed_quantity": {"value": "4", "uom": "CA"},
    "changed_delivery_date": "2024-06-10",
    "changed_unit_price": {"amount": "81.00", "currency": "USD"},
    "substitute_item": {"sku": "GLV-2212", "gtin": None},
}


def ack_line(status: str, *fields: str) -> dict[str, Any]:
    """Line 2 of the example acknowledgement with ``status`` and exactly ``fields`` set."""
    line: dict[str, Any] = {"line_number": 2, "item": {"sku": "GLV-2211"}, "status": status}
    return line | {field: CHANGES[field] for field in fields}


def acknowledge(line: dict[str, Any]) -> PoAcknowledgement:
    return variant(example_po_ack(), {"lines.1": line})


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("accepted", ()),
        ("rejected", ()),
        ("changed", ("changed_quantity",)),
        ("changed", ("changed_delivery_date", "changed_unit_price")),
        ("backordered", ("changed_delivery_date",)),
        ("backordered", ("changed_delivery_date", "changed_quantity")),
        ("substituted", ("substitute_item",)),
        ("substituted", ("substitute_item", "changed_unit_price", "changed_quantity")),
    ],
)
def test_ack_line_with_the_fields_its_status_needs_is_accepted(
    status: str, fields: tuple[str, ...]
) -> None:
    line = acknowledge(ack_line(status, *fields)).lines[1]
    assert line.status is AckLineStatus(status)
    assert line.change_fields() == set(fields)


@pytest.mark.parametrize(
    ("status", "fields", "problem"),
    [
        ("accepted", ("changed_quantity",), "is accepted but sets changed_quantity"),
        ("rejected", ("changed_unit_price",), "is rejected but sets changed_unit_price"),
        ("changed", (), "is changed but sets none of changed_delivery_date, changed_quantity"),
        ("changed", ("substitute_item",), "is changed but sets substitute_item"),
        ("backordered", (), "is backordered but sets none of changed_delivery_date"),
        ("backordered", ("changed_delivery_date", "changed_unit_price"), "is backordered but sets"),
        ("substituted", ("changed_quantity",), "is substituted but sets none of substitute_item"),
    ],
)
def test_ack_line_status_requires_the_right_fields(
    status: str, fields: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        acknowledge(ack_line(status, *fields))
    prefix = "acknowledgement of purchase order PO-2024-00117: lines.1 (line 2)"
    assert f"{prefix} {problem}" in str(exc.value)


def test_ack_refuses_a_changed_quantity_of_nothing() -> None:
    line = ack_line("changed", "changed_quantity") | {
        "changed_quantity": {"value": "0", "uom": "CA"}
    }
    with pytest.raises(
        ValidationError, match=r"lines.1.changed_quantity \(line 2\) must be positive"
    ):
        acknowledge(line)


def test_ack_header_status_must_agree_with_its_lines() -> None:
    message = refusal(example_po_ack(), {"status": "accepted"})
    assert "PO-2024-00117: status is accepted but lines.1.status (line 2) is changed" in message
    rejected = [ack_line("rejected") | {"line_number": n} for n in (1, 2)]
    ack = variant(example_po_ack(), {"status": "rejected", "lines": rejected})
    assert PoAcknowledgement.status_for(ack.lines) is AckStatus.REJECTED
    assert PoAcknowledgement.status_for(example_po_ack().lines) is AckStatus.ACCEPTED_WITH_CHANGES
    assert PoAcknowledgement.status_for(()) is AckStatus.ACCEPTED


def test_asn_walks_shipment_orders_packs_and_items() -> None:
    asn = example_asn()
    assert [sscc for _, pack in asn.packs() for sscc in [pack.sscc]] == [
        "006141410000000012",
        "006141410000000029",
    ]
    items = list(asn.items())
    assert [(entry.po_number, entry.item.po_line_number) for entry in items] == [
        ("PO-2024-00117", 1),
        ("PO-2024-00117", 2),
        ("PO-2024-00117", 4),
        ("PO-2024-00117", 5),
    ]
    assert items[3].path == "orders.0.packs.1.items.1"
    assert items[3].item.serial_numbers[0] == "CD18-240512-0001"


def test_asn_refuses_one_sscc_on_two_packs() -> None:
    message = refusal(example_asn(), {"orders.0.packs.1.sscc": "006141410000000012"})
    assert "advance ship notice ASN-88120: sscc 006141410000000012 appears twice" in message


def test_asn_refuses_a_bad_sscc_at_its_path() -> None:
    message = refusal(example_asn(), {"orders.0.packs.1.sscc": "006141410000000028"})
    assert (
        "orders.0.packs.1.sscc\n  Value error, SSCC 006141410000000028 has check digit 8" in message
    )


def test_asn_refuses_a_serial_number_twice() -> None:
    serials = ["CD18-240512-0001", "CD18-240512-0001", "CD18-240512-0003"]
    message = refusal(example_asn(), {"orders.0.packs.1.items.1.serial_numbers": serials})
    assert "ASN-88120: serial_numbers CD18-240512-0001 appears twice" in message


def test_asn_wants_one_serial_number_per_unit() -> None:
    message = refusal(example_asn(), {"orders.0.packs.1.items.1.quantity.value": "4"})
    assert "orders.0.packs.1.items.1.serial_numbers has 3 serial numbers for 4 EA" in message


def test_asn_refuses_an_empty_pack_and_delivery_before_shipping() -> None:
    assert "Tuple should have at least 1 item" in refusal(
        example_asn(), {"orders.0.packs.0.items": []}
    )
    message = refusal(example_asn(), {"expected_delivery_date": "2024-05-15"})
    assert "ASN-88120: expected_delivery_date (2024-05-15) is before shipped_at" in message


def test_receipt_splits_good_from_damaged() -> None:
    gloves = example_receipt().lines[1]
    assert str(gloves.good_quantity()) == "4 CA"
    assert example_receipt().po_numbers() == ["PO-2024-00117"]


def test_receipt_refuses_more_damaged_than_received() -> None:
    message = refusal(example_receipt(), {"lines.1.damaged_quantity.value": "6"})
    assert "receipt REC-WH-EAST-5531: lines.1.damaged_quantity (line 2) (6) must lie" in message


def test_receipt_refuses_damage_counted_in_another_unit() -> None:
    message = refusal(example_receipt(), {"lines.1.damaged_quantity.uom": "BX"})
    assert "lines.1.damaged_quantity (line 2) is in BX, expected CA" in message


def test_receipt_refuses_damage_on_a_line_in_good_condition() -> None:
    message = refusal(example_receipt(), {"lines.1.condition": "good"})
    assert "lines.1.condition (line 2) is good but damaged_quantity is 1" in message


def test_invoice_adds_lines_and_charges_and_takes_off_allowances() -> None:
    invoice = example_invoice()
    assert invoice.lines_total() == Decimal("1415.60")
    assert invoice.expected_total() == Decimal("1472.29") == invoice.total.amount


def test_invoice_total_must_equal_lines_plus_charges_minus_allowances() -> None:
    message = refusal(example_invoice(), {"total.amount": "1482.29"})
    assert (
        "invoice INV-55012: total is 1482.29 USD but lines (1415.60) + charges (85.00) "
        "- allowances (28.31) = 1472.29 USD"
    ) in message


def test_invoice_total_counts_a_charge_turned_allowance() -> None:
    message = refusal(example_invoice(), {"charges.0.indicator": "allowance"})
    assert "allowances (113.31) = 1302.29 USD" in message


def test_invoice_line_amount_must_be_quantity_times_price() -> None:
    message = refusal(example_invoice(), {"lines.0.amount.amount": "210.60"})
    assert "invoice INV-55012: lines.0.amount (line 1) is 210.60 USD" in message
    assert "quantity 2 CA x unit price 100.80 USD is 201.60" in message


def test_invoice_line_amount_may_round_half_a_cent_either_way() -> None:
    changes = {"lines.0.unit_price.amount": "100.805", "total.amount": "1472.30"}
    changes |= {"lines.0.amount.amount": "201.61"}
    assert variant(example_invoice(), changes).total.amount == Decimal("1472.30")


def test_invoice_refuses_negative_charges_and_charges_of_unknown_lines() -> None:
    message = refusal(example_invoice(), {"charges.0.amount.amount": "-85.00"})
    assert "INV-55012: charges.0.amount is negative; use indicator allowance instead" in message
    message = refusal(example_invoice(), {"charges.0.line_number": 3})
    assert "INV-55012: charges.0.line_number 3 is not a line of this invoice" in message


def test_invoice_refuses_amounts_in_another_currency() -> None:
    message = refusal(example_invoice(), {"charges.1.amount.currency": "CAD"})
    assert "invoice INV-55012: charges.1.amount is in CAD, the document is in USD" in message
