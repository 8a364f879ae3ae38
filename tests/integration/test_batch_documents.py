"""Handlers of one batch see each other's writes, on a real SQLite file.

The SQLite log claims a whole slot at once, so several events of one key
arrive in one batch; their writes commit together with the batch. Each
handler must still see the state its predecessors in the batch left, or
the last write of the batch would undo the others (a ship notice's update
of a purchase order erasing the acknowledgement handled just before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from distsync.errors import MalformedDocument
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription, Worker, WorkerSettings
from distsync.telemetry import Metrics
from distsync.testing import make_envelope

SPEC = SubscriptionSpec("counting", ("inventory.*",), ordered=True)
KEY = "SKU-1@WH-1"


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[SqliteMessageLog]:
    opened = SqliteMessageLog.open(f"sqlite:///{tmp_path / 'log.sqlite'}")
    yield opened
    await opened.close()


async def add_one(ctx: HandlerContext) -> None:
    if ctx.envelope.payload["n"] == 0:
        raise MalformedDocument("refused: its writes must reach no one")
    stored = await ctx.documents.get_document("count", ctx.envelope.partition_key)
    seen = 0 if stored is None else stored.body["n"]
    ctx.write("count", ctx.envelope.partition_key, {"n": seen + 1, "last": ctx.envelope.payload})


async def one_batch(log: SqliteMessageLog, payloads: list[int]) -> int:
    subscription = Subscription(SPEC, add_one)
    settings = WorkerSettings(consumer="test", batch_size=10)
    worker = Worker(
        log=log, documents=log, subscriptions=[subscription], settings=settings, metrics=Metrics()
    )
    await worker.register()
    await log.append([make_envelope(partition=KEY, payload={"n": n}) for n in payloads])
    return await worker.run_batch(subscription, asyncio.Event())


async def test_each_handler_reads_the_writes_of_those_before_it(log: SqliteMessageLog) -> None:
    assert await one_batch(log, [1, 2, 3]) == 3

    stored = await log.get_document("count", KEY)
    assert stored is not None
    assert stored.body == {"n": 3, "last": {"n": 3}}


async def test_a_failed_handler_leaves_nothing_for_the_next(log: SqliteMessageLog) -> None:
    assert await one_batch(log, [1, 0, 3]) == 3

    stored = await log.get_document("count", KEY)
    assert stored is not None
    assert stored.body == {"n": 2, "last": {"n": 3}}
