"""200 warehouse receipts arrive while the ERP is down; each reaches it once when it is back.

Forty purchase orders of five lines each are confirmed in a real Tryton and
polled, and one ship notice per line is matched, all while Tryton is up. One
receipt is posted too: distsync has been talking to the ERP when ``trytond``
stops. Then the 3PL reports 200 receipts at once, one per line. The procure
flow handles every one (the goods are in the building) and queues its
``post_receipt``; the outbox tries the ERP, fails, backs off, and the
delivery policy's breaker opens. ``trytond`` starts again on the same
database and port, the worker drains, and Tryton must hold exactly one done
incoming shipment per receipt with the warehouse's quantities, WH-EAST's
stock must have risen by everything received, and the outbox must have
delivered every call named on the orders' records: nothing dead-lettered,
nothing parked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services
from distsync.connectors.tryton import TrytonConnector
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.procure_state import load_po
from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack
from distsync.model.envelope import utcnow
from distsync.model.examples.master import ACME, at, qty
from distsync.model.items import ItemRef
from distsync.model.receipts import Receipt
from distsync.rules.po_lifecycle import PoState
from distsync.runtime.operations import DeliveryStateKind, EventFilter
from distsync.testing import RecordingConnector
from tests.integration.procure_tryton_world import (
    DELIVERY,
    PASSWORD_ENV,
    TrytonBook,
    create_orders,
    envelope,
    open_services,
    partners,
    run_job,
    settle,
)
from tests.integration.tryton_documents import receipt
from tests.integration.tryton_fixtures import make_connector, tryton, tryton_template

__all__ = ["tryton", "tryton_template"]  # the Tryton fixtures, for this module

ORDERS = 40
# line number, SKU, quantity and unit (each item's stock unit), unit price
LINES = ((1, "FAS-10432", 500, "EA", "0.08"), (2, "GLV-2211", 6, "BX", "7.90"),
         (3, "TAP-0048", 12, "RL", "3.15"), (4, "LUB-5500", 24, "EA", "4.60"),
         (5, "DRL-1800", 2, "EA", "89.00"))  # fmt: skip
SKUS = [sku for _, sku, _, _, _ in LINES]
WARM_UP = "PO-WARM-UP"
POSTING_SECONDS = 600.0
NOWHERE = "http://127.0.0.1:9"  # the partners' channels are recording connectors


def po_number(index: int) -> str:
    return f"PO-OUT-{index:03d}"


def notice(po: str, line: int) -> AdvanceShipNotice:
    """ACME ships one PO line in full."""
    _, sku, quantity, uom, _ = LINES[line - 1]
    item = AsnItem(po_line_number=line, item=ItemRef(sku=sku), quantity=qty(quantity, uom))
    return AdvanceShipNotice(
        asn_number=f"ASN-{po.removeprefix('PO-')}-{line}",
        issued_at=at("2026-11-12T15:00:00+00:00"),
        supplier=ACME,
        ship_to_warehouse_id="WH-EAST",
        shipped_at=at("2026-11-12T14:30:00+00:00"),
        expected_delivery_date=DELIVERY,
        orders=(AsnOrder(po_number=po, packs=(AsnPack(items=(item,)),)),),
    )


def received(po: str, line: int) -> Receipt:
    """The 3PL's receipt of that notice, every unit in good order."""
    _, sku, quantity, uom, _ = LINES[line - 1]
    number = f"REC-{po.removeprefix('PO-')}-{line}"
    found = receipt(number, po, (line, sku, quantity, uom))
    return found.model_copy(update={"asn_number": notice(po, line).asn_number})


@pytest.fixture
async def services(
    tryton: TrytonSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    monkeypatch.setenv(PASSWORD_ENV, tryton.password)
    partner_ends = {"partner:acme": RecordingConnector(), "partner:east3pl": RecordingConnector()}
    opened = open_services(
        tmp_path,
        tryton,
        partners=partners(NOWHERE, NOWHERE),
        procure={"warehouses": {"WH-EAST": "partner:east3pl"}},
        erp={
            "timeout_seconds": 10,
            "policy": {
                "retry": {"attempts": 2, "base_seconds": 0.05, "cap_seconds": 0.1},
                "breaker": {"failures": 3, "cooldown_seconds": 0.5},
            },
        },
        # retries a fraction of a second apart: the head of the queue needs many attempts
        runtime={"retry": {"max_attempts": 1000, "base_seconds": 0.1, "cap_seconds": 0.5}},
        overrides=Overrides(connectors=partner_ends),
    )
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.service
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_receipts_that_arrive_while_the_erp_is_down_are_posted_once_when_it_is_back(
    tryton: TrytonSandbox, services: Services
) -> None:
    numbers = [po_number(n) for n in range(ORDERS)]
    create_orders(tryton, [*numbers, WARM_UP], LINES)
    await run_job(services, "poll:erp:master_data")
    await run_job(services, "poll:erp:purchase_orders")
    await append(services, [notice(po, n) for po in [*numbers, WARM_UP] for n, *_ in LINES])
    await append(services, [received(WARM_UP, 1)], partner="east3pl")  # the outbox connects
    await settle(services)
    erp = make_connector(tryton)
    try:
        before = await on_hand(erp)
        tryton.server.stop()
        receipts = [received(po, n) for po in numbers for n, *_ in LINES]
        await append(services, receipts, partner="east3pl")
        await worker_meets_the_outage(services, len(receipts))
        calls = await posts_on_the_records(services, numbers)
        await asyncio.to_thread(tryton.server.start)
        stats = await settle(services, seconds=POSTING_SECONDS)
        after = await on_hand(erp)
    finally:
        await erp.close()

    expected = {r.receipt_number: warehouse_quantities(r) for r in receipts}
    book = TrytonBook(tryton)
    try:
        assert book.shipment_states("REC-OUT-") == {n: ["done"] for n in expected}
        assert book.received_by_reference("REC-OUT-") == expected
    finally:
        book.close()
    assert {sku: after[sku] - before[sku] for sku in SKUS} == total_received(receipts)
    posts = await receipt_posts(services)
    assert posts.pop(received(WARM_UP, 1).receipt_number)  # posted before the outage
    assert posts == calls, "each receipt's record names its one post_receipt call"
    for number, event_id in posts.items():
        states = await services.backend.delivery_states(event_id)
        assert [s.state for s in states] == [DeliveryStateKind.DONE], (number, states)
    assert (stats.dead_letters_open, stats.exceptions_open) == (0, 0)


async def append(
    services: Services, documents: Sequence[AdvanceShipNotice | Receipt], *, partner: str = "acme"
) -> None:
    now = utcnow()
    await services.intake.accept([envelope(d, partner=partner, at=now) for d in documents])


async def worker_meets_the_outage(services: Services, receipts: int) -> None:
    """Run the worker against the stopped ERP until the delivery policy's breaker opens."""
    deadline = time.monotonic() + 60.0
    while breaker_openings(services) == 0:
        assert time.monotonic() < deadline, "the breaker never opened"
        await services.worker("test").drain()
        await asyncio.sleep(0.1)
    await services.worker("test").drain()
    stats = {s.name: s for s in (await services.backend.stats()).subscriptions}
    documents, outbox = stats["procure.documents"], stats["outbox"]
    assert documents.pending + documents.waiting_retry == 0, "every receipt handled while down"
    assert outbox.pending + outbox.waiting_retry == receipts, "every post waits for the ERP"


async def posts_on_the_records(services: Services, numbers: Sequence[str]) -> dict[str, str | None]:
    """Each order received in full on its record; receipt number -> its ``post_receipt`` call."""
    calls: dict[str, str | None] = {}
    for po in numbers:
        record = await load_po(services.backend, po)
        assert record is not None
        assert record.state is PoState.RECEIVED, po
        assert len(record.receipts) == len(LINES), po
        calls |= {n: entry.post_event_id for n, entry in record.receipts.items()}
    return calls


def breaker_openings(services: Services) -> float:
    value = services.metrics.registry.get_sample_value(
        "distsync_connector_breaker_opened_total", {"system": "erp"}
    )
    return value or 0.0


async def receipt_posts(services: Services) -> dict[str, str]:
    """Receipt number -> the event id of its ``post_receipt`` call (each number once)."""
    found = await services.backend.list_events(
        EventFilter(types=("outbound.requested",)), limit=1000
    )
    posts = [e.envelope for e in found if e.envelope.payload["operation"] == "post_receipt"]
    numbers = [p.payload["body"]["receipt_number"] for p in posts]
    assert len(numbers) == len(set(numbers)), "one post per receipt"
    return {number: post.event_id for number, post in zip(numbers, posts, strict=True)}


async def on_hand(erp: TrytonConnector) -> dict[str, Decimal]:
    stock = await erp.read_stock("WH-EAST", SKUS)
    found = {b.sku: b.on_hand.value for b in stock.balances}
    return {sku: found.get(sku, Decimal(0)) for sku in SKUS}


def warehouse_quantities(found: Receipt) -> dict[str, Decimal]:
    return {line.item.sku: line.received_quantity.value for line in found.lines}


def total_received(receipts: Sequence[Receipt]) -> dict[str, Decimal]:
    totals = dict.fromkeys(SKUS, Decimal(0))
    for found in receipts:
        for sku, quantity in warehouse_quantities(found).items():
            totals[sku] += quantity
    return totals
