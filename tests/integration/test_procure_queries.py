"""The procure operations queries on a real SQLite file, over what the real flow recorded.

Documents go through the flow as in ``test_procure_flow.py`` (ERP and 3PL
are recording connectors); for the 997 questions ACME's channel is a real
folder, so the 850 groups are recorded by the partner channel itself and
the 997 comes back through the X12 inbound path. Ages come from the frozen
clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, build
from distsync.config import build_landscape
from distsync.errors import Rejected, RetryableError
from distsync.flows import procure_queries
from distsync.flows.procure_queries import each_document, in_transit, overdue
from distsync.flows.procure_queries_exceptions import exceptions_by_reason, mismatches
from distsync.flows.procure_queries_order import show_order
from distsync.flows.procure_queries_posting import unposted_receipts
from distsync.formats.x12.ack import acknowledgement_interchange
from distsync.formats.x12.envelope import X12Reader
from distsync.model.asn import AdvanceShipNotice
from distsync.model.examples import variant
from distsync.model.examples.procurement import example_po_ack, example_purchase_order
from distsync.model.invoices import Invoice
from distsync.model.procurement import PoAcknowledgement, PurchaseOrder
from distsync.partners.x12_in import X12Inbound
from distsync.rules.po_lifecycle import PoState
from distsync.runtime.ports import StoredDocument
from distsync.testing import FrozenClock, RecordingConnector
from tests.integration.procure_world import PO, START, ProcureWorld, landscape_data
from tests.integration.test_procure_flow import (
    first_pallet,
    full_invoice,
    receipt_of,
    second_pallet,
)

pytestmark = pytest.mark.asyncio

HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ProcureWorld]:
    opened = ProcureWorld.open(tmp_path, asn_date_tolerance_days=2, ack_deadline_hours=4)
    yield opened
    await opened.close()


@pytest.fixture
async def edi_world(tmp_path: Path) -> AsyncIterator[ProcureWorld]:
    """ACME's 850s go through its real channel into a folder; ERP and 3PL are recorded."""
    folder = tmp_path / "acme"
    folder.mkdir()
    data = landscape_data(tmp_path, ack_deadline_hours=4)
    data["partners"]["acme"]["channel"] = {"transport": "directory", "path": str(folder)}
    clock = FrozenClock(START)
    erp, warehouse = RecordingConnector(), RecordingConnector()
    services = build(
        build_landscape(data, base_dir=tmp_path),
        overrides=Overrides(connectors={"erp": erp, "partner:eastwms": warehouse}, clock=clock),
    )
    opened = ProcureWorld(services, clock, erp, RecordingConnector(), warehouse)
    yield opened
    await opened.close()


def order(number: str = PO, **changes: object) -> PurchaseOrder:
    return variant(example_purchase_order(), {"po_number": number, **changes})


def ack_within_tolerance() -> PoAcknowledgement:
    """Line 2 cut from 6 to 5 cases: within a 20 % quantity tolerance."""
    change = {"line_number": 2, "item": {"sku": "GLV-2211"}, "status": "changed",
              "changed_quantity": {"value": "5", "uom": "CA"}}  # fmt: skip
    return variant(example_po_ack(), {"lines": [change]})


def reply_997(sent: Path, world: ProcureWorld) -> bytes:
    """ACME's 997 for the 850 interchange in ``sent``."""
    reader = X12Reader(sent.read_bytes())
    reader.read_all()
    theirs = acknowledgement_interchange(reader, controls=(900, 900, 1), at=world.clock())
    assert theirs is not None
    return theirs.encode()


async def acknowledge_850(world: ProcureWorld, sent: Path) -> None:
    """The 997 comes back through the X12 inbound path; the worker runs."""
    s = world.services
    inbound = X12Inbound(landscape=s.landscape, log=s.backend, intake=s.intake, clock=s.clock)
    await inbound.receive(reply_997(sent, world))
    await world.drain()


# -- overdue -------------------------------------------------------------------------


async def test_an_850_without_a_997_is_overdue_after_the_deadline_with_its_po_numbers(
    edi_world: ProcureWorld, tmp_path: Path
) -> None:
    world = edi_world
    await world.receive(order(PO))
    await world.receive(order("PO-2"))
    first = tmp_path / "acme" / "outbound" / "acme_850_000000001.edi"
    await acknowledge_850(world, first)
    log = world.services.backend

    world.clock.advance(3 * HOUR)
    assert (await overdue(log, now=world.clock())).groups == ()

    world.clock.advance(2 * HOUR)
    (late,) = (await overdue(log, now=world.clock())).groups
    assert (late.partner, late.group_control, late.po_numbers) == ("acme", "2", ("PO-2",))
    assert late.late_seconds == HOUR
    assert (await overdue(log, now=world.clock(), partner="globex")).groups == ()


async def test_orders_still_sent_past_ack_due_are_late_and_an_applied_855_clears_them(
    tmp_path: Path,
) -> None:
    world = ProcureWorld.open(tmp_path, ack_deadline_hours=4, ack_qty_tolerance_pct=20)
    try:
        await world.receive(order(PO))
        await world.receive(order("PO-2"))
        world.clock.advance(3 * HOUR)
        assert (await overdue(world.services.backend, now=world.clock())).orders == ()

        world.clock.advance(3 * HOUR)
        found = await overdue(world.services.backend, now=world.clock())
        assert [(o.po_number, o.partner, o.late_seconds) for o in found.orders] == [
            ("PO-2", "acme", 2 * HOUR),
            (PO, "acme", 2 * HOUR),
        ]
        assert all(o.sent and o.parked_ack is None for o in found.orders)

        await world.receive(ack_within_tolerance())
        assert (await world.record()).state is PoState.ACKNOWLEDGED
        left = await overdue(world.services.backend, now=world.clock())
        assert [o.po_number for o in left.orders] == ["PO-2"]
    finally:
        await world.close()


async def test_an_855_waiting_for_a_buyer_and_an_order_never_sent_are_told_apart(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    await world.receive(example_po_ack())  # beyond tolerance: parked for a buyer
    nobody = {"supplier": {"party_id": "SUP-NOBODY", "name": "Nobody Ltd"}}
    await world.receive(order("PO-3", **nobody))
    world.clock.advance(5 * HOUR)

    found = await overdue(world.services.backend, now=world.clock())

    (parked,) = await world.exceptions("ack_change_out_of_tolerance")
    by_number = {o.po_number: o for o in found.orders}
    assert (by_number[PO].sent, by_number[PO].parked_ack) == (True, parked.id)
    assert (by_number["PO-3"].sent, by_number["PO-3"].partner) == (False, None)


async def test_every_order_is_read_page_by_page(
    world: ProcureWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spy on the real store counts the pages the query asks for."""
    numbers = [f"PO-{n}" for n in range(1, 6)]
    for number in numbers:
        await world.receive(order(number))
    world.clock.advance(5 * HOUR)
    asked: list[int] = []
    store = world.services.backend
    listing = store.list_documents

    async def counted(
        kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]:
        asked.append(limit)
        return await listing(kind, after_key=after_key, limit=limit)

    monkeypatch.setattr(procure_queries, "PAGE", 2)
    monkeypatch.setattr(store, "list_documents", counted)

    found = await overdue(store, now=world.clock())

    assert [o.po_number for o in found.orders] == numbers
    assert asked == [2, 2, 2]
    assert [d.key async for d in each_document(store, "procure.po", page=4)] == numbers


# -- in transit ----------------------------------------------------------------------


async def test_notices_past_their_date_without_a_receipt_are_in_transit(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    one, two = first_pallet(), second_pallet()
    await world.receive(one)
    await world.receive(two)
    log = world.services.backend
    assert await in_transit(log, now=world.clock()) == []  # expected on 2024-05-20

    world.clock.advance(12 * DAY)  # 2024-05-22
    await world.receive(receipt_of(one, "REC-1"), partner="eastwms")

    (late,) = await in_transit(log, now=world.clock())
    assert (late.asn_number, late.po_numbers, late.warehouse_id) == ("ASN-2", (PO,), "WH-EAST")
    assert (late.expected_on, late.days_late) == (date(2024, 5, 20), 2)


# -- unposted ------------------------------------------------------------------------


async def shipped_and_received(world: ProcureWorld, asn: AdvanceShipNotice, number: str) -> None:
    """The notice, then its receipt, which the warehouse took in two hours ago."""
    await world.receive(asn)
    received_at = (world.clock() - timedelta(hours=2)).isoformat()
    await world.receive(receipt_of(asn, number, received_at=received_at), partner="eastwms")


async def test_a_receipt_the_erp_refused_for_now_waits_for_its_retry_then_is_posted(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    await shipped_and_received(world, first_pallet(), "REC-1")
    world.erp.fail_with, world.erp.fail_times = RetryableError("ERP answered 503"), 1
    await shipped_and_received(world, second_pallet(), "REC-2")
    log = world.services.backend

    (waiting,) = await unposted_receipts(log, now=world.clock())
    assert (waiting.receipt_number, waiting.po_numbers, waiting.asn_number) == (
        "REC-2",
        (PO,),
        "ASN-2",
    )
    assert (waiting.state, waiting.attempts) == ("waiting_retry", 1)
    assert waiting.last_error is not None
    assert "ERP answered 503" in waiting.last_error
    assert waiting.waiting_seconds == 2 * HOUR

    await world.later(HOUR)
    assert await unposted_receipts(log, now=world.clock()) == []


async def test_a_receipt_whose_post_was_dead_lettered_names_its_dead_letter(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    world.erp.fail_with, world.erp.fail_times = Rejected("ERP answered 400: no such move"), 1
    await shipped_and_received(world, first_pallet(), "REC-1")

    (stuck,) = await unposted_receipts(world.services.backend, now=world.clock())
    (dead,) = await world.services.backend.dead_letters()
    assert (stuck.state, stuck.record) == ("dead_lettered", f"dlq {dead.id}")
    assert stuck.post_event_id == dead.event.envelope.event_id
    assert (
        await unposted_receipts(world.services.backend, now=world.clock() + timedelta(days=31))
        == []
    )


# -- mismatches and exceptions ---------------------------------------------------------


async def test_an_invoice_in_mismatch_is_listed_with_its_order_differences_and_age(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    asn = first_pallet()
    await world.receive(asn)
    await world.receive(receipt_of(asn, "REC-1"), partner="eastwms")
    await world.receive(dearer_invoice("INV-1"))
    world.clock.advance(90 * 60)

    found = await mismatches(world.services.backend, now=world.clock())

    (mismatch,) = found.invoices
    (parked,) = await world.exceptions("invoice_mismatch")
    assert (mismatch.exception_id, mismatch.invoice_number, mismatch.po_number) == (
        parked.id,
        "INV-1",
        PO,
    )
    assert (mismatch.supplier_id, mismatch.partner) == ("SUP-ACME", "acme")
    assert mismatch.differences
    assert all(text in parked.message for text in mismatch.differences)
    assert any("110" in text for text in mismatch.differences)  # the price
    assert any("received" in text for text in mismatch.differences)  # lines 3 to 5
    assert mismatch.age_seconds == 90 * 60
    assert not found.truncated


def dearer_invoice(number: str = "INV-1") -> Invoice:
    """The whole order, line 1 at 110.00 instead of 100.00: a price difference always parks."""
    changes = {"lines.0.unit_price.amount": "110.00", "lines.0.amount.amount": "220.00",
               "total.amount": "1872.09"}  # fmt: skip
    return variant(full_invoice(number), changes)


def over_shipped(asn_number: str) -> AdvanceShipNotice:
    """Three cases against line 1, which ordered two."""
    return variant(first_pallet(asn_number), {"orders.0.packs.0.items.0.quantity.value": "3"})


async def test_open_exceptions_are_counted_per_reason_with_the_oldest_and_age_buckets(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    await world.receive(example_po_ack())  # parked at the start
    world.clock.advance(DAY)
    await world.receive(over_shipped("ASN-1"))  # a day later
    world.clock.advance(90 * 60)
    await world.receive(over_shipped("ASN-2"))  # and an hour and a half after that
    world.clock.advance(30 * 60)

    found = await exceptions_by_reason(world.services.backend, now=world.clock())

    assert found.total == 3
    over, ack = found.reasons
    first_over = min(x.id for x in await world.exceptions("over_shipment"))
    assert (over.reason_code, over.count, over.under_hour, over.under_day, over.older) == (
        "over_shipment",
        2,
        1,
        1,
        0,
    )
    assert (over.oldest_id, over.oldest_age_seconds) == (first_over, 2 * HOUR)
    assert (ack.reason_code, ack.count, ack.older, ack.oldest_age_seconds) == (
        "ack_change_out_of_tolerance",
        1,
        1,
        DAY + 2 * HOUR,
    )
    capped = await exceptions_by_reason(world.services.backend, now=world.clock(), limit=2)
    assert (capped.total, capped.truncated) == (2, True)


# -- one order -----------------------------------------------------------------------


async def test_show_gives_the_record_its_history_notices_receipts_and_open_exceptions(
    world: ProcureWorld,
) -> None:
    await world.receive(order(PO))
    one = first_pallet()
    await world.receive(one)
    await world.receive(receipt_of(one, "REC-1"), partner="eastwms")
    await world.receive(dearer_invoice("INV-1"))  # in mismatch
    log = world.services.backend

    view = await show_order(log, PO, now=world.clock())

    assert view is not None
    assert view.record.state is PoState.PARTIALLY_RECEIVED
    assert [step.to_state for step in view.record.history] == [
        PoState.SENT,
        PoState.PARTIALLY_SHIPPED,
        PoState.PARTIALLY_RECEIVED,
    ]
    assert view.sent is not None
    assert (view.sent.route, view.sent.partner) == ("partner:acme", "acme")
    assert [notice.asn_number for notice in view.notices] == ["ASN-1"]
    assert [(r.receipt_number, r.state) for r in view.receipts] == [("REC-1", "done")]
    assert [x.reason_code for x in view.exceptions] == ["invoice_mismatch"]
    assert await show_order(log, "PO-NOPE", now=world.clock()) is None
