"""Purchase orders through the whole runtime into a real Tryton that is killed mid-run.

The landscape declares the ERP as a ``tryton`` system, so the connector comes
from the registry wrapped in its delivery policy, exactly as ``distsync
serve`` builds it. A flow turns each ``purchase_order.confirmed`` event into
an outbox call; while the worker delivers them, ``trytond`` is killed with
SIGKILL (calls in flight are cut off) and restarted on the same port a little
later. Every order must end up in Tryton once: none lost, none doubled,
nothing dead-lettered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.connectors.policy import PolicyConnector
from distsync.connectors.tryton import TrytonConnector
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.model.envelope import Envelope
from distsync.model.examples.master import at
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import LogStats, SubscriptionSpec
from distsync.runtime.worker import Subscription
from tests.integration.tryton_documents import purchase_order

pytestmark = pytest.mark.service

ORDERS = 24
KILL_AFTER = 6
DOWN_SECONDS = 2.0
DEADLINE_SECONDS = 120
PASSWORD_ENV = "DISTSYNC_TEST_OUTAGE_ERP_PASSWORD"
EVENT_TYPE = "purchase_order.confirmed"
FLOW = SubscriptionSpec("test.po-to-erp", (EVENT_TYPE,), ordered=True)


def open_services(database: Path, sandbox: TrytonSandbox) -> Services:
    erp = {
        "type": "tryton",
        "url": sandbox.url,
        "database": sandbox.database,
        "user": sandbox.user,
        "password_env": PASSWORD_ENV,
        "warehouse": sandbox.warehouse,
        "timeout_seconds": 10,
        "rate_limit": "10/s",
        "policy": {"breaker": {"failures": 3, "cooldown_seconds": 1}},
    }
    runtime = {
        "database": str(database),
        "poll_interval_ms": 20,
        "retry": {"max_attempts": 50, "base_seconds": 0.1, "cap_seconds": 1.0},
    }
    landscape = build_landscape(
        {"runtime": runtime, "systems": {"erp": erp}}, base_dir=database.parent
    )
    flow = Subscription(FLOW, handler=order_to_erp)
    return build(landscape, overrides=Overrides(subscriptions=[flow]))


async def order_to_erp(ctx: HandlerContext) -> None:
    order = ctx.envelope.payload
    ctx.send(
        "erp",
        "create_purchase_order",
        order,
        idempotency_key=f"erp:purchase:{order['po_number']}",
    )


def confirmed(number: int) -> Envelope:
    order = purchase_order(f"PO-OUTAGE-{number:03d}")
    return Envelope(
        type=EVENT_TYPE,
        schema_version=1,
        source_system="buyer-portal",
        correlation_id=f"outage-{number}",
        idempotency_key=f"buyer-portal:po:{order.po_number}",
        partition_key=order.po_number,
        occurred_at=at("2026-11-02T09:15:00-05:00"),
        payload=order.model_dump(mode="json"),
    )


def purchases_in_erp(sandbox: TrytonSandbox) -> list[tuple[str, str]]:
    """Reference and state of every purchase this test created, asked of Tryton itself."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        found = rpc.model(
            "purchase.purchase",
            "search_read",
            [["reference", "like", "PO-OUTAGE-%"]],
            0,
            None,
            None,
            ["reference", "state"],
        )
    finally:
        rpc.close()
    return sorted((str(row["reference"]), str(row["state"])) for row in found)


async def test_orders_delivered_while_tryton_is_killed_reach_it_exactly_once(
    tryton: TrytonSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, tryton.password)
    services = open_services(tmp_path / "distsync.sqlite", tryton)
    assert isinstance(services.connectors["erp"], PolicyConnector)
    assert isinstance(services.connectors["erp"].connector, TrytonConnector)
    stop = asyncio.Event()
    worker = asyncio.create_task(services.worker().run(stop))
    try:
        await services.worker("setup").register()
        await services.backend.append([confirmed(n) for n in range(ORDERS)])
        await wait_until(lambda: len(purchases_in_erp(tryton)) >= KILL_AFTER, "first orders")
        tryton.server.kill()
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(tryton.server.start)
        stats = await drained(services)
        failed = services.metrics.registry.get_sample_value(
            "distsync_connector_attempts_total", {"system": "erp", "outcome": "retryable"}
        )
    finally:
        stop.set()
        await worker
        await services.close()

    expected = [(f"PO-OUTAGE-{n:03d}", "processing") for n in range(ORDERS)]
    assert purchases_in_erp(tryton) == expected, "every order once and confirmed, none doubled"
    assert failed, "the outage reached the connector: calls failed and were delivered again"
    assert stats.dead_letters_open == 0
    assert stats.exceptions_open == 0


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def drained(services: Services) -> LogStats:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        stats = await services.backend.stats()
        if all(s.pending + s.in_flight + s.waiting_retry == 0 for s in stats.subscriptions):
            return stats
        if time.monotonic() > deadline:
            pytest.fail(f"the outbox did not drain: {stats}")
        await asyncio.sleep(0.3)
