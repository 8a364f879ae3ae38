"""Event-log benchmark: distsync's durable pipeline against raw SQLite inserts, in one run.

Measures, on the same machine and in the same run:

- the **ceiling**: raw inserts of the same ~1.5 KB event rows into a plain
  SQLite table with the standard library driver, WAL mode, batched;
- **distsync end to end** on the embedded profile: events appended through
  the event log, consumed by an ordered subscription over 1,000 partition
  keys whose handler queues one outbound call per event in the outbox (in
  the same transaction as its ack), and the outbox delivered to an
  in-process endpoint that records every idempotency key.

Each figure is the median of several runs; the ratio compares medians.
Usage::

    python bench/event_log.py                 # 50,000 events, 3 runs, durability full
    python bench/event_log.py --events 20000 --runs 5 --durability normal --batch 500
    python bench/event_log.py --record        # also write the results into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.model.envelope import Envelope, new_event_id, utcnow
from distsync.model.examples import example_purchase_order
from distsync.runtime.backends.sql_append import slot_of
from distsync.runtime.backends.sql_rows import EVENT_FIELDS, envelope_values
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import OutboundRequest, Receipt, SubscriptionSpec
from distsync.runtime.worker import Subscription, Worker, WorkerSettings
from distsync.testing import RecordingConnector
from machine import machine

KEYS = 1_000
CONSUMER = "bench.consume"
ACKED = "distsync_deliveries_acked_total"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
MARK = "<!-- bench/event_log.py {edge}: {label} -->"


@dataclass(frozen=True)
class Options:
    events: int
    runs: int
    batch: int
    durability: str


class CountingSink(RecordingConnector):
    """The endpoint: records every call and says when it has seen them all.

    It answers like a ``204 No Content``: no id of its own, so the outbox keeps
    no receipt document (an endpoint that returns its ids costs one document
    write per call more).
    """

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.complete = asyncio.Event()

    async def send(self, request: OutboundRequest) -> Receipt:
        await super().send(request)
        if len(self.effects) >= self.expected:
            self.complete.set()
        return Receipt()


def payload() -> dict[str, object]:
    return example_purchase_order().model_dump(mode="json")


def envelopes(count: int) -> list[Envelope]:
    body = payload()
    now = utcnow()
    return [
        Envelope(
            event_id=new_event_id(),
            type="purchase_order.confirmed",
            schema_version=1,
            source_system="bench",
            correlation_id=f"bench-{i}",
            idempotency_key=f"bench:{i}",
            partition_key=f"PO-{i % KEYS}",
            occurred_at=now,
            payload=body,
        )
        for i in range(count)
    ]


def raw_ceiling(options: Options, folder: Path) -> float:
    """Rows per second for plain batched inserts of the same rows (stdlib sqlite3)."""
    conn = _raw_connection(folder / "raw.sqlite", options)
    conn.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT, type TEXT, "
        "idempotency_key TEXT, partition_key TEXT, received_at TEXT, payload TEXT)"
    )
    text = orjson.dumps(payload()).decode()
    now = utcnow().isoformat()
    rows = [
        (None, new_event_id(), "purchase_order.confirmed", f"raw:{i}", f"PO-{i % KEYS}", now, text)
        for i in range(options.events)
    ]
    sql = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)"
    return _timed_inserts(conn, sql, rows, options)


def schema_ceiling(options: Options, folder: Path) -> float:
    """The same inserts into distsync's own ``events`` table (its indexes included)."""
    path = folder / "schema.sqlite"
    SqliteMessageLog.open(f"sqlite:///{path}")  # creates the schema by migration
    conn = _raw_connection(path, options)
    rows = [
        envelope_values(i + 1, slot_of(env.partition_key), env)
        for i, env in enumerate(envelopes(options.events))
    ]
    marks = ", ".join("?" * len(EVENT_FIELDS))
    sql = f"INSERT INTO events ({', '.join(EVENT_FIELDS)}) VALUES ({marks})"
    return _timed_inserts(conn, sql, rows, options)


def _raw_connection(path: Path, options: Options) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={options.durability.upper()}")
    return conn


def _timed_inserts(
    conn: sqlite3.Connection, sql: str, rows: list[tuple[object, ...]], options: Options
) -> float:
    started = time.perf_counter()
    for start in range(0, len(rows), options.batch):
        conn.execute("BEGIN")
        conn.executemany(sql, rows[start : start + options.batch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return options.events / elapsed


async def distsync_pipeline(options: Options, folder: Path, *, dispatch: bool) -> float:
    """Events per second from the first append until the last one is through.

    ``dispatch=False``: through the ordered subscription, its calls queued in
    the outbox and committed with its acks. ``dispatch=True``: and then
    delivered by the outbox to the endpoint.
    """
    landscape = build_landscape(
        {
            "runtime": {
                "database": str(folder / f"distsync-{dispatch}.sqlite"),
                "batch_size": options.batch,
                "concurrency": 16,
                "poll_interval_ms": 1,
                "durability": options.durability,
            }
        },
        base_dir=folder,
    )
    sink = CountingSink(options.events)
    consume = Subscription(SubscriptionSpec(CONSUMER, ("purchase_order.*",), ordered=True), handle)
    services = build(
        landscape, overrides=Overrides(connectors={"sink": sink}, subscriptions=[consume])
    )
    worker = services.worker("bench")
    if not dispatch:
        worker = only(services, CONSUMER)
    await worker.register()
    batch = envelopes(options.events)
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run(stop))
    for start in range(0, len(batch), options.batch):
        await services.intake.accept(batch[start : start + options.batch])
    if dispatch:
        await sink.complete.wait()
    else:
        await acked(services, options.events)
    elapsed = time.perf_counter() - started
    stop.set()
    await running
    await services.close()
    return options.events / elapsed


async def handle(ctx: HandlerContext) -> None:
    key = ctx.envelope.idempotency_key
    ctx.send("sink", "purchase_orders", {"po": ctx.envelope.partition_key}, idempotency_key=key)


def only(services: Services, name: str) -> Worker:
    """A worker that runs one subscription (the outbox left undelivered)."""
    chosen = [sub for sub in services.subscriptions if sub.spec.name == name]
    settings = WorkerSettings(
        consumer="bench",
        batch_size=services.landscape.runtime.batch_size,
        concurrency=services.landscape.runtime.concurrency,
        poll_interval=0.001,
    )
    return Worker(
        log=services.backend,
        documents=services.backend,
        subscriptions=chosen,
        settings=settings,
        metrics=services.metrics,
    )


async def acked(services: Services, expected: int) -> None:
    """Wait until the worker has settled ``expected`` deliveries of the consumer."""
    labels = {"subscription": CONSUMER}
    # The worker's counter moves only after each commit; nothing else signals it.
    while (services.metrics.registry.get_sample_value(ACKED, labels) or 0) < expected:  # noqa: ASYNC110
        await asyncio.sleep(0.001)


FIGURES = (
    ("raw SQLite insert ceiling: stdlib driver, WAL, plain table", "raw"),
    ("the same inserts into distsync's events table (its indexes)", "schema"),
    ("distsync: append -> ordered consume -> ack + call queued in the outbox", "outbox"),
    ("distsync: ... and the outbox delivers every call to the endpoint", "endpoint"),
)


def measure(options: Options) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {key: [] for _, key in FIGURES}
    for run in range(options.runs):
        with tempfile.TemporaryDirectory(prefix="distsync-bench-") as tmp:
            folder = Path(tmp)
            figures["raw"].append(raw_ceiling(options, folder))
            figures["schema"].append(schema_ceiling(options, folder))
            figures["outbox"].append(
                asyncio.run(distsync_pipeline(options, folder, dispatch=False))
            )
            figures["endpoint"].append(
                asyncio.run(distsync_pipeline(options, folder, dispatch=True))
            )
        line = ", ".join(f"{key} {values[-1]:,.0f}/s" for key, values in figures.items())
        print(f"run {run + 1}/{options.runs}: {line}", flush=True)
    return figures


def report(options: Options, figures: dict[str, list[float]]) -> str:
    median = {key: statistics.median(values) for key, values in figures.items()}
    size = len(orjson.dumps(payload()))
    lines = [
        f"Machine: {machine()}.",
        f"Run: {options.events:,} events of {size:,} bytes of payload, {KEYS:,} partition keys, "
        f"batches of {options.batch}, durability `{options.durability}`, {options.runs} runs "
        "(median; min to max in brackets).",
        "",
        "| what | events/s | of the raw ceiling |",
        "|---|---|---|",
    ]
    for label, key in FIGURES:
        values = figures[key]
        spread = f"({min(values):,.0f} to {max(values):,.0f})"
        share = median[key] / median["raw"]
        lines.append(f"| {label} | {median[key]:,.0f} {spread} | {share:.1%} |")
    return "\n".join(lines)


def record(text: str, options: Options) -> None:
    """Replace this configuration's section of docs/benchmarks.md (or append it)."""
    label = f"batch {options.batch}, durability {options.durability}"
    begin, end = MARK.format(edge="begin", label=label), MARK.format(edge="end", label=label)
    section = f"{begin}\n### Results: {label}\n\n{text}\n{end}"
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + section + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(current)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--durability", choices=("full", "normal"), default="full")
    parser.add_argument(
        "--record", action="store_true", help="write the results into docs/benchmarks.md"
    )
    args = parser.parse_args()
    options = Options(args.events, args.runs, args.batch, args.durability)
    text = report(options, measure(options))
    print()
    print(text)
    if args.record:
        record(text, options)
        print(f"\nrecorded in {DOCS}")


if __name__ == "__main__":
    main()
