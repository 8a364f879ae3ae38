"""Confirmed purchase orders polled out of a real Tryton into the event log.

The cursor lives in the SQLite document store; the test restarts everything
(a new connector, the database reopened) between polls, rewinds the cursor
as a crash between append and cursor-store would, and checks the log holds
each order once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.procure_poll import (
    CURSOR_KIND,
    EVENT_TYPE,
    cursor_key,
    poll_purchase_orders,
)
from distsync.model.procurement import PurchaseOrder
from distsync.runtime.ports import EventFilter
from tests.integration.tryton_documents import PO_LINES, purchase_order, receipt
from tests.integration.tryton_fixtures import make_connector

pytestmark = pytest.mark.service


def open_services(database: Path) -> Services:
    landscape = build_landscape({"runtime": {"database": str(database)}}, base_dir=database.parent)
    return build(landscape)


async def create(sandbox: TrytonSandbox, *numbers: str) -> None:
    erp = make_connector(sandbox)
    try:
        for number in numbers:
            await erp.create_purchase_order(purchase_order(number))
    finally:
        await erp.close()


async def poll_once(sandbox: TrytonSandbox, database: Path, *, page: int = 100) -> bool:
    """One poll the way a freshly started process does it."""
    services = open_services(database)
    erp = make_connector(sandbox)
    try:
        await erp.connect()
        return await poll_purchase_orders(
            erp, services.intake, services.backend, system="erp", page=page
        )
    finally:
        await erp.close()
        await services.close()


async def announced(database: Path) -> list[str]:
    services = open_services(database)
    try:
        events = await services.backend.list_events(EventFilter(types=(EVENT_TYPE,)))
        return sorted(e.envelope.document(PurchaseOrder).po_number for e in events)
    finally:
        await services.close()


async def test_each_confirmed_order_is_announced_once_across_restarts(
    tryton: TrytonSandbox, tmp_path: Path
) -> None:
    database = tmp_path / "distsync.sqlite"
    await create(tryton, "PO-POLL-1", "PO-POLL-2", "PO-POLL-3")

    assert await poll_once(tryton, database, page=2), "a full page: more to read"
    assert not await poll_once(tryton, database, page=2)
    assert not await poll_once(tryton, database, page=2)
    await create(tryton, "PO-POLL-4")
    await poll_once(tryton, database)

    assert await announced(database) == ["PO-POLL-1", "PO-POLL-2", "PO-POLL-3", "PO-POLL-4"]


async def test_a_cursor_lost_in_a_crash_reads_again_without_doubling(
    tryton: TrytonSandbox, tmp_path: Path
) -> None:
    database = tmp_path / "distsync.sqlite"
    await create(tryton, "PO-CRASH-1", "PO-CRASH-2")
    await poll_once(tryton, database)
    services = open_services(database)
    try:  # the page was appended, the process died before storing its cursor
        await services.backend.put_document(
            CURSOR_KIND, cursor_key("erp"), {"cursor": None}, by="t"
        )
    finally:
        await services.close()

    await poll_once(tryton, database)

    assert await announced(database) == ["PO-CRASH-1", "PO-CRASH-2"]
    services = open_services(database)
    try:
        stats = await services.backend.stats()
    finally:
        await services.close()
    assert stats.duplicates == 2, "the second reading was recognised, not appended"


async def test_an_order_received_in_the_erp_is_not_announced_again(
    tryton: TrytonSandbox, tmp_path: Path
) -> None:
    database = tmp_path / "distsync.sqlite"
    await create(tryton, "PO-PROGRESS-1")
    await poll_once(tryton, database)
    erp = make_connector(tryton)
    try:
        line, sku, quantity, uom, _ = PO_LINES[0]
        await erp.post_receipt(
            receipt("REC-PROGRESS-1", "PO-PROGRESS-1", (line, sku, quantity, uom))
        )
    finally:
        await erp.close()

    await poll_once(tryton, database)

    assert await announced(database) == ["PO-PROGRESS-1"]
