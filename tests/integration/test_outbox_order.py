"""The outbox keeps one order key's calls in order, even when one batch holds several.

A handler queues "create" then "confirm" for one document (one ``order_key``)
and another document's call beside them; the endpoint is a slow connector
that records when each call starts and ends. Real SQLite log, real worker.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, build
from distsync.config import build_landscape
from distsync.errors import RetryableError
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import OutboundRequest, Receipt, SubscriptionSpec
from distsync.runtime.worker import Subscription
from distsync.testing import FrozenClock, make_envelope

pytestmark = pytest.mark.asyncio


class SlowEndpoint:
    """Takes 50 ms per call; fails the first ``failures`` calls of operation ``create``."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, str, float, float]] = []
        self.failures = failures

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, request: OutboundRequest) -> Receipt:
        started = time.perf_counter()
        await asyncio.sleep(0.05)
        if request.operation == "create" and self.failures:
            self.failures -= 1
            raise RetryableError("the endpoint is busy")
        self.calls.append(
            (request.idempotency_key, request.operation, started, time.perf_counter())
        )
        return Receipt(remote_id=None, duplicate=False)


async def queue_calls(ctx: HandlerContext) -> None:
    for key, operation in (("doc-1:create", "create"), ("doc-1:confirm", "confirm")):
        ctx.send("wms", operation, {}, idempotency_key=key, order_key="doc-1")
    ctx.send("wms", "create", {}, idempotency_key="doc-2:create", order_key="doc-2")


async def run(tmp_path: Path, endpoint: SlowEndpoint, clock: FrozenClock) -> None:
    data = {"runtime": {"database": str(tmp_path / "distsync.sqlite")}}
    landscape = build_landscape(data, base_dir=tmp_path)
    queuer = Subscription(
        SubscriptionSpec("test.queuer", ("inventory.adjusted",)), handler=queue_calls
    )
    overrides = Overrides(connectors={"wms": endpoint}, subscriptions=[queuer], clock=clock)
    services = build(landscape, overrides=overrides)
    try:
        await services.intake.accept([make_envelope()])
        worker = services.worker("test")
        await worker.drain()
        for _ in range(3):  # retries come due
            clock.advance(600)
            await worker.drain()
    finally:
        await services.close()


async def test_calls_of_one_order_key_never_overlap_and_keep_their_order(tmp_path: Path) -> None:
    endpoint = SlowEndpoint()
    await run(tmp_path, endpoint, FrozenClock())
    by_key = {key: (started, ended) for key, _, started, ended in endpoint.calls}
    assert set(by_key) == {"doc-1:create", "doc-1:confirm", "doc-2:create"}
    assert by_key["doc-1:confirm"][0] >= by_key["doc-1:create"][1]
    assert by_key["doc-2:create"][0] < by_key["doc-1:create"][1], "other keys still go at once"


async def test_a_call_behind_a_failed_one_waits_and_goes_after_it(tmp_path: Path) -> None:
    endpoint = SlowEndpoint(failures=2)  # doc-1's and doc-2's first creates fail
    await run(tmp_path, endpoint, FrozenClock())
    order = [key for key, *_ in endpoint.calls]
    assert sorted(order) == ["doc-1:confirm", "doc-1:create", "doc-2:create"]
    assert order.index("doc-1:confirm") > order.index("doc-1:create")
