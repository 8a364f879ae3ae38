"""``/ops/procure`` over HTTP: the app as ``serve`` builds it, on 127.0.0.1, on a real SQLite file.

State comes from the real procure flow (``procure_world.py``: ERP and 3PL
are recording connectors); the answers are read at the services' frozen
clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from distsync.api.app import create_app
from distsync.errors import RetryableError
from distsync.model.examples import variant
from distsync.model.examples.procurement import example_po_ack, example_purchase_order
from distsync.testing_http import loopback_listener
from tests.integration.procure_world import PO, ProcureWorld
from tests.integration.test_procure_flow import first_pallet, receipt_of
from tests.integration.test_procure_queries import dearer_invoice

pytestmark = pytest.mark.asyncio

HOUR = 3600
DAY = 24 * HOUR


@dataclass
class Api:
    world: ProcureWorld
    client: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.client.get(f"/ops/procure{path}", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    world = ProcureWorld.open(tmp_path, ack_deadline_hours=4, asn_date_tolerance_days=2)
    listener = loopback_listener()  # listening before uvicorn runs
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(world.services), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield Api(world, client)
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await world.close()


async def test_late_orders_notices_and_exceptions_by_reason_come_back_as_json(api: Api) -> None:
    world = api.world
    await world.receive(example_purchase_order())
    await world.receive(example_po_ack())  # parked for a buyer
    await world.receive(first_pallet())  # shipping: no longer waiting for an 855
    await world.receive(variant(example_purchase_order(), {"po_number": "PO-2"}))
    world.clock.advance(12 * DAY)  # 2024-05-22: two days past the notice's date
    (parked,) = await world.exceptions()

    overdue = await api.get("/overdue")
    assert overdue["groups"] == []  # the channel is recorded here: no group was written
    (late,) = overdue["orders"]
    assert (late["po_number"], late["partner"], late["sent"]) == ("PO-2", "acme", True)
    assert late["late_seconds"] == 12 * DAY - 4 * HOUR
    assert (await api.get("/overdue", partner="globex"))["orders"] == []

    (notice,) = await api.get("/in-transit")
    assert (notice["asn_number"], notice["expected_on"], notice["days_late"]) == (
        "ASN-1",
        "2024-05-20",
        2,
    )

    ages = await api.get("/exceptions")
    assert (ages["total"], ages["truncated"]) == (1, False)
    (reason,) = ages["reasons"]
    assert (reason["reason_code"], reason["older"], reason["oldest_id"]) == (
        "ack_change_out_of_tolerance",
        1,
        parked.id,
    )


async def test_unposted_receipts_and_invoices_in_mismatch_come_back_as_json(api: Api) -> None:
    world = api.world
    await world.receive(example_purchase_order())
    asn = first_pallet()
    await world.receive(asn)
    world.erp.fail_with, world.erp.fail_times = RetryableError("ERP answered 503"), 1
    received_at = (world.clock() - timedelta(minutes=20)).isoformat()
    await world.receive(receipt_of(asn, "REC-1", received_at=received_at), partner="eastwms")
    await world.receive(dearer_invoice("INV-1"))  # a price difference: parked

    (waiting,) = await api.get("/unposted")
    assert (waiting["receipt_number"], waiting["state"], waiting["attempts"]) == (
        "REC-1",
        "waiting_retry",
        1,
    )
    assert waiting["waiting_seconds"] == 20 * 60
    assert "ERP answered 503" in waiting["last_error"]

    found = await api.get("/mismatches")
    (mismatch,) = found["invoices"]
    assert (mismatch["invoice_number"], mismatch["po_number"]) == ("INV-1", PO)
    assert mismatch["differences"]
    assert found["truncated"] is False


async def test_an_order_is_shown_with_its_history_and_an_unknown_one_is_404(api: Api) -> None:
    world = api.world
    await world.receive(example_purchase_order())
    await world.receive(first_pallet())

    shown = await api.get(f"/orders/{PO}")
    assert shown["record"]["state"] == "partially_shipped"
    assert [step["to_state"] for step in shown["record"]["history"]] == [
        "sent",
        "partially_shipped",
    ]
    assert shown["sent"]["route"] == "partner:acme"
    assert [notice["asn_number"] for notice in shown["notices"]] == ["ASN-1"]

    missing = await api.client.get("/ops/procure/orders/PO-NOPE")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "the procure flow has no record of PO-NOPE"
    assert (await api.client.get("/ops/procure/unposted", params={"days": 0})).status_code == 422
