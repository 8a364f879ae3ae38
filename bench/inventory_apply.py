"""Inventory events per second: through the log on the embedded profile, and in process.

- **end to end**: the envelopes appended through ``services.intake`` in
  batches to a SQLite file (WAL) while a worker delivers them to the
  ``inventory.atp`` subscription, which keeps the flow's book current; timed
  from the first append until the last delivery is acked. The baseline is
  the same run with the same envelopes delivered to a subscription over the
  same event types whose handler does nothing (its own SQLite file).
- **in process**: ``InventoryFlow.apply`` on the same envelopes (each
  document parsed and converted, then applied), and ``AtpBook.apply`` on the
  rule events alone (parsing and converting done before the clock starts).

Each run starts from an empty book. After the end-to-end run the book must
hold the same figures as the in-process one (the rules are order-free), or
the run fails: a benchmark that loses events is measuring nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.inventory import EVENT_TYPES, InventoryFlow
from distsync.model.envelope import Envelope
from distsync.rules.atp import AtpBook
from distsync.rules.atp_events import InventoryEvent
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription
from event_log import ACKED, only
from inventory_traffic import START, sku

NOOP = "bench.inventory_noop"


@dataclass(frozen=True)
class LogOptions:
    batch: int
    durability: str


def now() -> datetime:
    return datetime.now(UTC)


async def ignore(ctx: HandlerContext) -> None:
    """The baseline's handler: the delivery without the work."""


async def through_log(
    batch: list[Envelope], folder: Path, options: LogOptions, *, subscription: str
) -> tuple[float, InventoryFlow]:
    """Events per second appended and delivered to ``subscription``; and the flow's book."""
    landscape = build_landscape(
        {
            "runtime": {
                "database": str(folder / f"{subscription}.sqlite"),
                "batch_size": options.batch,
                "concurrency": 16,
                "poll_interval_ms": 1,
                "durability": options.durability,
            }
        },
        base_dir=folder,
    )
    flow = InventoryFlow(now)
    noop = Subscription(SubscriptionSpec(NOOP, EVENT_TYPES, ordered=True), ignore)
    services = build(landscape, overrides=Overrides(inventory=flow, subscriptions=[noop]))
    worker = only(services, subscription)
    await worker.register()
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run(stop))
    for start in range(0, len(batch), options.batch):
        await services.intake.accept(batch[start : start + options.batch])
    await acked_by(services, subscription, len(batch))
    elapsed = time.perf_counter() - started
    stop.set()
    await running
    await services.close()
    return len(batch) / elapsed, flow


async def acked_by(services: Services, subscription: str, expected: int) -> None:
    """Wait until ``subscription`` has settled ``expected`` deliveries."""
    labels = {"subscription": subscription}
    registry = services.metrics.registry
    # The worker's counter moves only after each commit; nothing else signals it.
    while (registry.get_sample_value(ACKED, labels) or 0) < expected:  # noqa: ASYNC110
        await asyncio.sleep(0.001)


def flow_rate(batch: list[Envelope]) -> tuple[float, InventoryFlow]:
    """Envelopes per second through ``InventoryFlow.apply``, in process."""
    flow = InventoryFlow(now)
    started = time.perf_counter()
    for envelope in batch:
        flow.apply(envelope)
    return len(batch) / (time.perf_counter() - started), flow


def book_rate(events: list[InventoryEvent]) -> float:
    """Rule events per second through ``AtpBook.apply`` alone."""
    book = AtpBook(START.date())
    started = time.perf_counter()
    for event in events:
        book.apply(event)
    return len(events) / (time.perf_counter() - started)


def figures(flow: InventoryFlow, items: int) -> list[tuple[str, Decimal, tuple[Decimal, ...]]]:
    """Every item's network figure and per-warehouse on hand and reserved."""
    result = []
    for number in range(items):
        views = flow.positions(sku(number))
        held = tuple(v.on_hand - v.reserved for v in views)
        result.append((sku(number), flow.network_available(sku(number)), held))
    return result


def same_book(delivered: InventoryFlow, reference: InventoryFlow, items: int) -> None:
    if figures(delivered, items) != figures(reference, items):
        raise AssertionError("the book fed through the log differs from the one fed in process")
    if not any(delivered.positions(sku(n)) for n in range(items)):
        raise AssertionError("the book fed through the log is empty")
