"""The worker process the crash test kills: ``python crash_worker.py <database> <sink url>``.

It runs one ordered flow over ``inventory.adjusted`` events (write a state
document, send the adjustment to the sink through the outbox under the
event's idempotency key) and the outbox, until SIGTERM or SIGKILL. The test
process builds its services with :func:`open_services` too, so that both
sides register the same subscriptions.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from distsync.bootstrap import Overrides, Services, build
from distsync.config import Landscape, build_landscape
from distsync.connectors.http_json import BatchHttpJsonConnector
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription
from distsync.telemetry import configure_logging

EVENT_TYPE = "inventory.adjusted"
FLOW = SubscriptionSpec("crash.inventory", (EVENT_TYPE,), ordered=True)
SINK = "sink"
OPERATION = "adjustments"
STATE_KIND = "crash_adjustment"
LEASE_SECONDS = 2


def landscape(database: Path) -> Landscape:
    """Short leases, so that work held by a killed worker comes back within seconds."""
    runtime = {
        "database": str(database),
        "lease_seconds": LEASE_SECONDS,
        "batch_size": 100,
        "poll_interval_ms": 20,
        "retry": {"max_attempts": 50, "base_seconds": 0.1, "cap_seconds": 1.0},
    }
    return build_landscape({"runtime": runtime}, base_dir=database.parent)


def open_services(database: Path, sink_url: str) -> Services:
    connector = BatchHttpJsonConnector(SINK, sink_url, timeout_seconds=10.0)
    return build(
        landscape(database),
        overrides=Overrides(
            connectors={SINK: connector},
            subscriptions=[Subscription(FLOW, handler=record_adjustment)],
        ),
    )


async def record_adjustment(ctx: HandlerContext) -> None:
    envelope = ctx.envelope
    ctx.write(
        STATE_KIND,
        envelope.idempotency_key,
        {"event_id": envelope.event_id, "sequence": envelope.source_sequence},
    )
    ctx.send(
        SINK,
        OPERATION,
        {"adjustment_id": envelope.payload["adjustment_id"], "key": envelope.partition_key},
        idempotency_key=envelope.idempotency_key,
    )


async def main(database: Path, sink_url: str) -> None:
    services = open_services(database, sink_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    orphaned = asyncio.create_task(stop_when_orphaned(stop))
    try:
        await services.worker().run(stop)
    finally:
        orphaned.cancel()
        await services.close()


async def stop_when_orphaned(stop: asyncio.Event) -> None:
    """Stop when the test that started this worker is gone (pytest killed, not the worker):
    an orphan would go on posting to a port another test may have bound since."""
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            stop.set()
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    configure_logging("warning")
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
