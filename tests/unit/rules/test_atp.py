"""Available to promise: what each inventory event does to a position, and the reserve decision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from distsync.model.asn import AsnPurpose
from distsync.model.examples.fulfilment import example_inventory_adjustment
from distsync.model.inventory import (
    AdjustmentReason,
    InventoryAdjustment,
    InventoryBalance,
    InventoryReservation,
    InventorySnapshot,
    ReservationStatus,
)
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.receipts import Receipt, ReceiptLine
from distsync.model.units import Quantity
from distsync.rules.atp import AtpBook, SafetyStock
from distsync.rules.atp_events import (
    InboundEnded,
    InboundExpected,
    InventoryEvent,
    OnHandAdjusted,
    OnHandCounted,
    ReservationEnded,
    StockReserved,
    adjustment_event,
    adjustment_from_json,
    inbound_events,
    receipt_events,
    reservation_event,
    reservation_from_json,
    snapshot_events,
)
from tests.unit.rules.support import SUPPLIER, Ship, notice

TODAY = date(2024, 5, 10)
T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)
SKU, WH, WH2 = "BOLT", "WH-1", "WH-2"


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def count(
    quantity: int, minute: int = 0, snapshot: str = "S-1", warehouse: str = WH
) -> OnHandCounted:
    return OnHandCounted(SKU, warehouse, Decimal(quantity), at(minute), snapshot)


def adjust(delta: int, minute: int, adjustment: str = "ADJ-1") -> OnHandAdjusted:
    return OnHandAdjusted(SKU, WH, Decimal(delta), at(minute), adjustment)


def reserved(quantity: int, reservation: str = "R-1", minute: int = 1) -> StockReserved:
    return StockReserved(SKU, WH, Decimal(quantity), at(minute), reservation)


def expected(quantity: int, due: date, inbound: str = "IN-1", minute: int = 1) -> InboundExpected:
    return InboundExpected(SKU, WH, Decimal(quantity), due, at(minute), inbound)


def book_with(*events: InventoryEvent, safety: SafetyStock | None = None) -> AtpBook:
    book = AtpBook(TODAY, safety=safety)
    for event in events:
        book.apply(event)
    return book


def test_a_count_sets_on_hand() -> None:
    assert book_with(count(40)).view(SKU, WH).on_hand == 40


def test_an_adjustment_after_the_count_applies_on_top() -> None:
    assert book_with(count(40), adjust(-5, minute=10)).view(SKU, WH).on_hand == 35


def test_an_adjustment_at_or_before_the_count_is_already_in_it() -> None:
    book = book_with(count(40, minute=10), adjust(-5, minute=10), adjust(3, 5, "ADJ-2"))

    assert book.view(SKU, WH).on_hand == 40


def test_a_newer_count_replaces_on_hand_and_the_adjustments_it_covers() -> None:
    book = book_with(count(40), adjust(-5, minute=10), count(31, minute=20, snapshot="S-2"))

    assert book.view(SKU, WH).on_hand == 31


def test_an_older_count_arriving_late_is_skipped() -> None:
    book = book_with(count(31, minute=20, snapshot="S-2"))

    assert book.apply(count(40)) is False
    assert book.view(SKU, WH).on_hand == 31


def test_a_repeated_adjustment_counts_once() -> None:
    book = book_with(count(40), adjust(-5, minute=10))

    assert book.apply(adjust(-5, minute=10)) is False
    assert book.view(SKU, WH).on_hand == 35


def test_available_is_on_hand_less_reserved_and_safety_stock_plus_inbound() -> None:
    book = book_with(
        count(40),
        reserved(10),
        expected(7, due=TODAY + timedelta(days=3)),
        safety=SafetyStock(per_sku={SKU: Decimal(5)}),
    )

    assert book.available(SKU, WH) == 40 - 10 - 5 + 7


def test_safety_stock_falls_back_to_the_default() -> None:
    book = book_with(count(40), safety=SafetyStock(default=Decimal(4)))

    assert book.view(SKU, WH).safety_stock == 4


def test_available_is_never_reported_below_zero() -> None:
    book = book_with(count(3), reserved(2), adjust(-3, minute=10))

    assert book.available(SKU, WH) == 0
    assert book.network_available(SKU) == 0


def test_a_reservation_counts_once_however_often_it_arrives() -> None:
    book = book_with(count(40), reserved(10), reserved(10))

    assert book.view(SKU, WH).reserved == 10


def test_a_newer_version_of_a_reservation_replaces_its_quantity() -> None:
    book = book_with(count(40), reserved(10), reserved(4, minute=5))

    assert book.view(SKU, WH).reserved == 4


def test_an_older_version_of_a_reservation_is_skipped() -> None:
    book = book_with(count(40), reserved(4, minute=5))

    assert book.apply(reserved(10, minute=1)) is False
    assert book.view(SKU, WH).reserved == 4


def test_a_released_reservation_frees_its_stock() -> None:
    book = book_with(count(40), reserved(10), ReservationEnded(SKU, WH, at(5), "R-1"))

    assert book.available(SKU, WH) == 40


def test_a_release_arriving_before_its_reservation_still_wins() -> None:
    book = book_with(count(40), ReservationEnded(SKU, WH, at(5), "R-1"), reserved(10))

    assert book.view(SKU, WH).reserved == 0


def test_inbound_beyond_the_horizon_does_not_count() -> None:
    book = book_with(count(40), expected(7, due=TODAY + timedelta(days=8)))

    assert book.view(SKU, WH).inbound == 0


def test_inbound_starts_to_count_when_the_horizon_reaches_it() -> None:
    book = book_with(count(40), expected(7, due=TODAY + timedelta(days=8)))

    book.advance_to(TODAY + timedelta(days=1))

    assert book.view(SKU, WH).inbound == 7
    assert book.network_available(SKU) == 47


def test_inbound_past_its_due_date_still_counts_until_it_ends() -> None:
    book = book_with(expected(7, due=TODAY - timedelta(days=2)))

    assert book.view(SKU, WH).inbound == 7


def test_ended_inbound_no_longer_counts() -> None:
    book = book_with(expected(7, due=TODAY), InboundEnded(SKU, WH, at(9), "IN-1"))

    assert book.view(SKU, WH).inbound == 0


def test_inbound_moved_beyond_the_horizon_stops_counting() -> None:
    book = book_with(expected(7, due=TODAY), expected(7, due=TODAY + timedelta(days=30), minute=5))

    assert book.view(SKU, WH).inbound == 0


def test_network_available_is_the_sum_over_warehouses() -> None:
    book = book_with(count(40), count(12, warehouse=WH2))

    assert book.network_available(SKU) == 52
    assert book.warehouses(SKU) == {WH, WH2}


def test_changing_safety_stock_updates_every_warehouse_and_the_network() -> None:
    book = book_with(count(40), count(12, warehouse=WH2))

    book.set_safety_stock(SKU, Decimal(10))

    assert (book.available(SKU, WH), book.available(SKU, WH2)) == (Decimal(30), Decimal(2))
    assert book.network_available(SKU) == 32


def test_an_unknown_position_has_nothing_available() -> None:
    assert AtpBook(TODAY).available("NOPE", WH) == 0


def test_reserve_holds_stock_when_enough_is_available() -> None:
    book = book_with(count(10))

    decision = book.reserve(SKU, WH, Decimal(10), "R-1", at(1))

    assert decision.ok
    assert decision.event == reserved(10)
    assert book.available(SKU, WH) == 0


def test_reserve_refuses_what_would_oversell() -> None:
    book = book_with(count(10), reserved(8))

    decision = book.reserve(SKU, WH, Decimal(3), "R-2", at(2))

    assert (decision.ok, decision.reason, decision.available) == (False, "insufficient", Decimal(2))
    assert book.view(SKU, WH).reserved == 8


def test_reserve_keeps_safety_stock_back() -> None:
    book = book_with(count(10), safety=SafetyStock(default=Decimal(3)))

    assert not book.reserve(SKU, WH, Decimal(8), "R-1", at(1)).ok


def test_asking_again_for_a_held_reservation_is_granted_without_reserving_twice() -> None:
    book = book_with(count(10), reserved(10))

    assert book.reserve(SKU, WH, Decimal(10), "R-1", at(2)).ok
    assert book.view(SKU, WH).reserved == 10


def test_a_held_reservation_may_grow_into_what_it_already_holds() -> None:
    book = book_with(count(10), reserved(6))

    assert book.reserve(SKU, WH, Decimal(10), "R-1", at(2)).ok
    assert book.view(SKU, WH).reserved == 10


def test_reserve_refuses_a_released_reservation() -> None:
    book = book_with(count(10), ReservationEnded(SKU, WH, at(1), "R-1"))

    assert book.reserve(SKU, WH, Decimal(1), "R-1", at(2)).reason == "ended"


def test_reserve_rejects_a_quantity_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="not positive"):
        AtpBook(TODAY).reserve(SKU, WH, Decimal(0), "R-1", at(1))


def test_a_snapshot_counts_each_item_with_its_lots_summed() -> None:
    def balance(sku: str, on_hand: int, lot: str) -> InventoryBalance:
        return InventoryBalance(
            sku=sku,
            warehouse_id=WH,
            lot=lot,
            on_hand=Quantity(value=Decimal(on_hand), uom="EA"),
            allocated=Quantity(value=Decimal(0), uom="EA"),
            as_of=T0,
        )

    snapshot = InventorySnapshot(
        snapshot_id="S-9",
        warehouse_id=WH,
        as_of=T0,
        complete=True,
        balances=(balance(SKU, 5, "L1"), balance(SKU, 7, "L2")),
    )

    assert snapshot_events(snapshot, known_skus=["TAPE"]) == [
        OnHandCounted(SKU, WH, Decimal(12), T0, "S-9"),
        OnHandCounted("TAPE", WH, Decimal(0), T0, "S-9"),
    ]


def test_an_adjustment_document_becomes_its_delta() -> None:
    adjustment = InventoryAdjustment(
        adjustment_id="ADJ-7",
        warehouse_id=WH,
        item=ItemRef(sku=SKU),
        delta=Quantity(value=Decimal(-2), uom="EA"),
        reason_code=AdjustmentReason.DAMAGED,
        adjusted_at=T0,
    )

    assert adjustment_event(adjustment) == OnHandAdjusted(SKU, WH, Decimal(-2), T0, "ADJ-7")


def test_a_released_reservation_document_ends_the_reservation() -> None:
    reservation = InventoryReservation(
        reservation_id="R-5",
        item=ItemRef(sku=SKU),
        warehouse_id=WH,
        quantity=Quantity(value=Decimal(3), uom="EA"),
        status=ReservationStatus.RELEASED,
        reserved_at=T0,
    )

    assert reservation_event(reservation) == ReservationEnded(SKU, WH, T0, "R-5")


def test_a_notice_is_expected_per_item_on_its_delivery_date() -> None:
    asn = notice(Ship(quantity=24))

    [event] = inbound_events(asn)

    assert isinstance(event, InboundExpected)
    assert (event.sku, event.quantity, event.warehouse_id) == (
        SKU,
        Decimal(24),
        asn.ship_to_warehouse_id,
    )
    assert event.due == (asn.expected_delivery_date or asn.shipped_at.date())
    assert event.inbound_id == f"asn:{SUPPLIER}/{asn.asn_number}/{SKU}"


def test_a_cancelling_notice_ends_what_it_named() -> None:
    asn = notice(Ship(quantity=24)).model_copy(update={"purpose": AsnPurpose.CANCEL})

    assert [type(event) for event in inbound_events(asn)] == [InboundEnded]


def test_a_receipt_of_a_notice_ends_its_inbound() -> None:
    asn = notice(Ship(quantity=24))
    receipt = Receipt(
        receipt_number="RC-1",
        warehouse_id=asn.ship_to_warehouse_id,
        received_at=T0,
        supplier=PartyRef(party_id=SUPPLIER),
        asn_number=asn.asn_number,
        lines=(
            ReceiptLine(
                line_number=1,
                item=ItemRef(sku=SKU),
                received_quantity=Quantity(value=Decimal(24), uom="EA"),
            ),
        ),
    )
    [expected_event] = inbound_events(asn)

    [ended] = receipt_events(receipt)

    assert ended.inbound_id == expected_event.inbound_id


def test_the_json_fast_path_reads_what_the_documents_say() -> None:
    adjustment = example_inventory_adjustment()
    assert adjustment_from_json(adjustment.model_dump(mode="json")) == adjustment_event(adjustment)
    held = InventoryReservation.model_validate_json(
        '{"reservation_id": "SO-1/1@WH-EAST", "item": {"sku": "FAS-10432"}, '
        '"warehouse_id": "WH-EAST", "quantity": {"value": "2.5", "uom": "EA"}, '
        '"reserved_at": "2026-03-02T09:00:00Z"}'
    )
    for reservation in (held, held.model_copy(update={"status": ReservationStatus.CONSUMED})):
        as_json = reservation.model_dump(mode="json")
        assert reservation_from_json(as_json) == reservation_event(reservation)
