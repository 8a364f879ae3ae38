"""The procure flow on a real SQLite file: each path, what reaches the ERP, supplier and 3PL.

Endpoints are recording connectors (see ``procure_world.py``); the same flow
runs against a real Tryton and the partner simulators in ``test_procure_tryton.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.model.asn import AdvanceShipNotice
from distsync.model.examples import REMOVE, variant
from distsync.model.examples.procurement import (
    example_asn,
    example_invoice,
    example_po_ack,
    example_purchase_order,
    example_receipt,
)
from distsync.model.invoices import Invoice
from distsync.model.receipts import Receipt
from distsync.rules.po_lifecycle import PoState
from tests.integration.procure_world import PO, ProcureWorld, calls

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ProcureWorld]:
    opened = ProcureWorld.open(tmp_path, asn_date_tolerance_days=2)
    yield opened
    await opened.close()


def first_pallet(asn_number: str = "ASN-1") -> AdvanceShipNotice:
    """Lines 1 (2 CA of 2) and 2 (5 CA of 6) of PO-2024-00117: a partial shipment."""
    return variant(example_asn(), {"asn_number": asn_number, "orders.0.packs.1": REMOVE})


def second_pallet(asn_number: str = "ASN-2") -> AdvanceShipNotice:
    """The rest: line 2's last case, lines 3, 4 and 5, each as ordered."""
    return variant(
        example_asn(),
        {
            "asn_number": asn_number,
            "orders.0.packs.0.items.0.po_line_number": 2,
            "orders.0.packs.0.items.0.item": {"sku": "GLV-2211"},
            "orders.0.packs.0.items.0.quantity": {"value": "1", "uom": "CA"},
            "orders.0.packs.0.items.1.po_line_number": 3,
            "orders.0.packs.0.items.1.item": {"sku": "TAP-0048"},
            "orders.0.packs.0.items.1.quantity": {"value": "4", "uom": "CA"},
            "orders.0.packs.1.items.0.item": {"sku": "LUB-5500", "supplier_part_number": "PL-400"},
        },
    )


def receipt_of(asn: AdvanceShipNotice, number: str, **changes: object) -> Receipt:
    """What the warehouse received of ``asn``: each item as announced, unless changed."""
    lines = [
        {
            "line_number": index + 1,
            "po_number": entry.po_number,
            "po_line_number": entry.item.po_line_number,
            "item": {"sku": entry.item.item.sku},
            "received_quantity": entry.item.quantity.model_dump(mode="json"),
        }
        for index, entry in enumerate(asn.items())
    ]
    base = variant(example_receipt(), {"receipt_number": number, "asn_number": asn.asn_number})
    return variant(base, {"lines": lines} | dict(changes))


async def test_a_confirmed_order_goes_to_its_supplier_once_as_an_850(world: ProcureWorld) -> None:
    order = example_purchase_order()
    await world.receive(order)
    await world.receive(order)  # the ERP poll announces it again after a restart

    (sent,) = calls(world.supplier, "x12-850")
    assert sent.body["po_number"] == PO
    record = await world.record()
    assert record.state is PoState.SENT
    assert record.partner == "acme"
    assert record.ack_due is not None
    assert record.ack_due > record.sent_at
    assert [step.to_state for step in record.history] == [PoState.SENT]


async def test_an_order_is_sent_even_when_its_record_was_started_first(
    world: ProcureWorld,
) -> None:
    await world.services.intake.accept([world.envelope(example_purchase_order())])
    worker = world.services.worker("test")
    await worker.register()
    (documents,) = [s for s in world.services.subscriptions if s.spec.name == "procure.documents"]
    await worker.run_batch(documents, asyncio.Event())  # the record exists before the send
    await world.drain()

    assert len(calls(world.supplier, "x12-850")) == 1


async def test_a_revised_order_is_sent_again_and_an_unchanged_one_is_not(
    world: ProcureWorld,
) -> None:
    order = example_purchase_order()
    await world.receive(order)
    await world.receive(variant(order, {"status": "partially_received"}))
    await world.receive(variant(order, {"revision": 1, "lines.0.quantity.value": "4"}))

    assert len(calls(world.supplier, "x12-850")) == 2
    record = await world.record()
    assert record.purchase_order().lines[0].quantity.value == 4
    assert [step.event for step in record.history] == ["sent", "revised"]


async def test_an_acknowledgement_within_tolerance_amends_the_erp_order(tmp_path: Path) -> None:
    world = ProcureWorld.open(tmp_path, ack_qty_tolerance_pct=20)
    try:
        await world.receive(example_purchase_order())
        ack = variant(
            example_po_ack(),
            {"lines": [{"line_number": 2, "item": {"sku": "GLV-2211"}, "status": "changed",
                        "changed_quantity": {"value": "5", "uom": "CA"}}]},
        )  # fmt: skip
        await world.receive(ack)

        (amended,) = calls(world.erp, "amend_purchase_order")
        assert amended.body["lines"][1]["quantity"]["value"] == "5"
        record = await world.record()
        assert record.state is PoState.ACKNOWLEDGED
        assert await world.exceptions() == []
    finally:
        await world.close()


async def test_an_acknowledgement_beyond_tolerance_waits_for_the_buyer(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    await world.receive(example_po_ack())

    (parked,) = await world.exceptions("ack_change_out_of_tolerance")
    assert (await world.record()).state is PoState.SENT
    assert calls(world.erp, "amend_purchase_order") == []

    await world.resolve(parked, "accept", reason="agreed by phone")

    (amended,) = calls(world.erp, "amend_purchase_order")
    record = await world.record()
    assert record.state is PoState.ACKNOWLEDGED
    assert "buyer@northwind accepted" in record.history[-1].note
    assert amended.body["revision"] == 1


async def test_a_rejected_acknowledgement_sends_the_order_again_as_it_stands(
    world: ProcureWorld,
) -> None:
    await world.receive(example_purchase_order())
    await world.receive(example_po_ack())
    (parked,) = await world.exceptions("ack_change_out_of_tolerance")

    await world.resolve(parked, "reject", reason="price is contractual")

    sent = calls(world.supplier, "x12-850")
    assert len(sent) == 2
    assert sent[1].body == sent[0].body
    assert calls(world.erp, "amend_purchase_order") == []
    assert "price is contractual" in (await world.record()).history[-1].note


async def test_a_partial_shipment_keeps_the_balance_open_and_tells_the_3pl(
    world: ProcureWorld,
) -> None:
    await world.receive(example_purchase_order())
    asn = first_pallet()
    await world.receive(asn)
    await world.receive(asn)  # a duplicate ASN is recorded once

    record = await world.record()
    assert record.state is PoState.PARTIALLY_SHIPPED
    assert record.shipped == {1: Decimal(2), 2: Decimal(5)}
    (told,) = calls(world.warehouse, "x12-943")
    assert [item["item"]["sku"] for item in told.body["orders"][0]["packs"][0]["items"]] == [
        "FAS-10432",
        "GLV-2211",
    ]

    await world.receive(second_pallet())
    assert (await world.record()).state is PoState.SHIPPED
    assert len(calls(world.warehouse, "x12-943")) == 2


async def test_a_notice_that_overtakes_its_order_waits_for_it(world: ProcureWorld) -> None:
    await world.receive(first_pallet())
    assert calls(world.warehouse, "x12-943") == []
    assert await world.exceptions() == []

    await world.receive(example_purchase_order())
    await world.later(61)

    assert (await world.record()).state is PoState.PARTIALLY_SHIPPED
    assert len(calls(world.warehouse, "x12-943")) == 1


async def test_a_notice_for_an_order_that_never_comes_is_parked_after_the_wait(
    tmp_path: Path,
) -> None:
    world = ProcureWorld.open(tmp_path, po_wait_minutes=2)
    try:
        await world.receive(first_pallet())
        for _ in range(4):
            await world.later(61)

        (parked,) = await world.exceptions("purchase_order_not_found")
        assert parked.facts["po_number"] == PO
    finally:
        await world.close()


async def test_an_unknown_sku_mapped_by_a_person_replays_its_parked_notices(
    world: ProcureWorld,
) -> None:
    await world.receive(example_purchase_order())
    unknown = {"sku": "ZZ-1", "supplier_part_number": "ACME-ZZ-1"}
    one = variant(first_pallet("ASN-1"), {"orders.0.packs.0.items.1.item": unknown})
    two = variant(second_pallet("ASN-2"), {"orders.0.packs.0.items.0.item": unknown})
    await world.receive(one)
    await world.receive(two)
    first, _second = await world.exceptions("unknown_sku")
    assert first.facts["partner_sku"] == "ACME-ZZ-1"

    await world.resolve(first, "map_sku", partner_sku="ACME-ZZ-1", sku="GLV-2211")

    assert await world.exceptions("unknown_sku") == []
    mapped = await world.services.xrefs.lookup_sku("acme", "ACME-ZZ-1")
    assert mapped is not None
    assert mapped.our_value == "GLV-2211"
    assert mapped.changed_by == "buyer@northwind"
    assert len(calls(world.warehouse, "x12-943")) == 2
    assert sorted((await world.record()).asns) == ["SUP-ACME/ASN-1", "SUP-ACME/ASN-2"]


async def test_an_over_shipment_accepted_by_a_person_goes_through(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    await world.receive(variant(first_pallet(), {"orders.0.packs.0.items.0.quantity.value": "3"}))
    (parked,) = await world.exceptions("over_shipment")

    await world.resolve(parked, "accept_variance", reason="we keep the extra case")

    record = await world.record()
    assert record.shipped[1] == 3
    assert any(key.startswith("over_shipment") for key in record.accepted)
    assert len(calls(world.warehouse, "x12-943")) == 1


async def test_a_receipt_is_posted_to_the_erp_and_announced_once(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    asn = first_pallet()
    await world.receive(asn)
    receipt = receipt_of(asn, "REC-1")
    await world.receive(receipt, partner="eastwms")
    await world.receive(receipt, partner="eastwms")  # a duplicate 944

    (posted,) = calls(world.erp, "post_receipt")
    assert posted.body["receipt_number"] == "REC-1"
    assert [line["po_line_number"] for line in posted.body["lines"]] == [1, 2]
    record = await world.record()
    assert record.state is PoState.PARTIALLY_RECEIVED
    assert record.received == {1: Decimal(2), 2: Decimal(5)}
    assert list(record.receipts) == ["REC-1"]
    assert len(await world.events("inventory.received")) == 1
    assert await world.exceptions() == []


async def test_a_receipt_short_of_its_notice_is_posted_and_its_variance_raised(
    world: ProcureWorld,
) -> None:
    await world.receive(example_purchase_order())
    asn = first_pallet()
    await world.receive(asn)
    short = receipt_of(asn, "REC-1", **{"lines.1.received_quantity.value": "3"})
    await world.receive(short, partner="eastwms")

    (posted,) = calls(world.erp, "post_receipt")
    assert posted.body["lines"][1]["received_quantity"]["value"] == "3"
    (variance,) = await world.exceptions("receipt_variance")
    assert "GLV-2211" in variance.message
    assert (await world.record()).received[2] == 3


async def test_a_matching_invoice_is_recorded_and_closes_a_received_order(
    world: ProcureWorld,
) -> None:
    await receive_everything(world)
    await world.receive(full_invoice())

    (recorded,) = calls(world.erp, "record_supplier_invoice")
    assert recorded.body["invoice_number"] == "INV-1"
    record = await world.record()
    assert record.state is PoState.CLOSED
    assert [step.to_state for step in record.history][-3:] == [
        PoState.INVOICED,
        PoState.MATCHED,
        PoState.CLOSED,
    ]


async def test_an_invoice_ahead_of_its_goods_waits_for_the_receipts(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    one, two = first_pallet(), second_pallet()
    await world.receive(one)
    await world.receive(two)
    await world.receive(full_invoice())  # billed when shipped

    assert await world.exceptions() == []
    assert (await world.record()).invoices["INV-1"].status == "awaiting_receipt"

    await world.receive(receipt_of(one, "REC-1"), partner="eastwms")
    assert calls(world.erp, "record_supplier_invoice") == []
    await world.receive(receipt_of(two, "REC-2"), partner="eastwms")

    (recorded,) = calls(world.erp, "record_supplier_invoice")
    assert recorded.body["invoice_number"] == "INV-1"
    assert (await world.record()).state is PoState.CLOSED
    assert await world.exceptions() == []


async def test_an_invoice_waits_while_its_notice_is_parked(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    unknown = {"sku": "ZZ-1", "supplier_part_number": "ACME-ZZ-1"}
    whole = variant(first_pallet("ASN-1"), {"orders.0.packs.0.items.0.item": unknown})
    await world.receive(whole)
    await world.receive(full_invoice())

    assert [e.reason_code for e in await world.exceptions()] == ["unknown_sku"]
    assert (await world.record()).invoices["INV-1"].status == "awaiting_receipt"


async def test_an_invoice_still_short_of_goods_when_all_arrived_is_parked(
    world: ProcureWorld,
) -> None:
    await world.receive(example_purchase_order())
    one, two = first_pallet(), second_pallet()
    await world.receive(one)
    await world.receive(two)
    await world.receive(full_invoice())
    await world.receive(receipt_of(one, "REC-1"), partner="eastwms")
    short = receipt_of(two, "REC-2", **{"lines.1.received_quantity.value": "3"})
    await world.receive(short, partner="eastwms")

    (mismatch,) = await world.exceptions("invoice_mismatch")
    assert "TAP-0048" in mismatch.message or "line 3" in mismatch.message
    assert calls(world.erp, "record_supplier_invoice") == []


async def test_an_invoice_at_another_price_is_parked_with_its_differences(
    world: ProcureWorld,
) -> None:
    await receive_everything(world)
    dearer = variant(full_invoice(), {"lines.0.unit_price.amount": "110.00",
                                      "lines.0.amount.amount": "220.00",
                                      "total.amount": "1872.09"})  # fmt: skip
    await world.receive(dearer)

    (mismatch,) = await world.exceptions("invoice_mismatch")
    assert "110" in mismatch.message
    assert calls(world.erp, "record_supplier_invoice") == []
    assert (await world.record()).state is PoState.RECEIVED


async def test_every_transition_names_its_cause_and_correlation(world: ProcureWorld) -> None:
    await receive_everything(world)

    record = await world.record()
    # the second notice arrives after the first receipt: receiving goes on, shipping is past
    assert [step.to_state for step in record.history] == [
        PoState.SENT,
        PoState.PARTIALLY_SHIPPED,
        PoState.PARTIALLY_RECEIVED,
        PoState.RECEIVED,
    ]
    assert {step.correlation_id for step in record.history} == {f"po:{PO}"}
    assert [step.cause_type for step in record.history][1:] == [
        "asn.received",
        "receipt.recorded",
        "receipt.recorded",
    ]
    assert record.history[-1].source_system == "partner:eastwms"
    assert record.shipped == record.received


async def receive_everything(world: ProcureWorld) -> None:
    await world.receive(example_purchase_order())
    for asn, number in ((first_pallet(), "REC-1"), (second_pallet(), "REC-2")):
        await world.receive(asn)
        await world.receive(receipt_of(asn, number), partner="eastwms")


def full_invoice(number: str = "INV-1") -> Invoice:
    """The whole order at its prices: 2, 6, 4 and 10 CA and 3 EA, freight and a discount."""
    ordered = example_purchase_order()
    lines = [
        {
            "line_number": line.line_number,
            "po_line_number": line.line_number,
            "item": {"sku": line.item.sku},
            "quantity": line.quantity.model_dump(mode="json"),
            "unit_price": line.unit_price.model_dump(mode="json"),
            "amount": {"amount": str(line.quantity.value * line.unit_price.amount),
                       "currency": "USD"},
        }
        for line in ordered.lines
    ]  # fmt: skip
    total = sum(line.quantity.value * line.unit_price.amount for line in ordered.lines)
    total += Decimal("85.00") - Decimal("28.31")
    changes = {"invoice_number": number, "asn_number": None, "lines": lines,
               "total": {"amount": str(total), "currency": "USD"}}  # fmt: skip
    return variant(example_invoice(), changes)
