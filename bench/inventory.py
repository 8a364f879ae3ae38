"""Inventory benchmark (issue 6): events applied per second with ATP kept current, query cost.

In one run, on the same machine:

1. **Events per second** (``bench/inventory_apply.py``): a seeded stream of
   partial stock snapshots (20 items each), adjustments, reservations and
   releases over ``--items`` items in five warehouses, appended to a SQLite
   log through the service's intake and delivered by the worker to the
   ``inventory.atp`` subscription; the baseline is the same stream delivered
   to a subscription that does nothing. Also ``InventoryFlow.apply`` in
   process, and ``AtpBook.apply`` on the rule events alone.
2. **Query cost by size** (``bench/inventory_query.py``): books of 10,000,
   100,000 and 1,000,000 item-warehouse pairs, ``positions(sku)`` and
   ``network_available(sku)`` for random items; the sizes take turns in
   every round. Resident memory after each book is built.
3. **``GET /v1/availability`` over HTTP** against a book of ``--http-pairs``
   pairs, with ``/healthz`` as the baseline.

Figures are medians over runs or rounds; ratios compare figures of one run.
The issue's targets: at least 5,000 events/s on the embedded profile, the
query flat from 10,000 to 1,000,000 pairs, the route's p99 at most 5 ms.

Usage::

    python bench/inventory.py                 # 20,000 events x 3 runs; 10k/100k/1M pairs
    python bench/inventory.py --quick         # a smaller run, to see that it works
    python bench/inventory.py --record        # also write the results into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from distsync.flows.inventory import ATP, InventoryFlow
from inventory_apply import NOOP, LogOptions, book_rate, flow_rate, same_book, through_log
from inventory_query import SizeFigures, over_http, query_round, rss_mib
from inventory_report import record, report
from inventory_serve import LISTENERS
from inventory_traffic import Traffic, envelopes, filled_flow, rule_events


@dataclass(frozen=True)
class Options:
    events: int
    items: int
    runs: int
    batch: int
    durability: str
    sizes: tuple[int, ...]
    queries: int
    rounds: int
    http_pairs: int
    requests: int
    rate: float


@dataclass
class Figures:
    rule_events: int = 0
    rates: dict[str, list[float]] = field(default_factory=dict)
    sizes: list[SizeFigures] = field(default_factory=list)
    http: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)

    def add(self, name: str, rate: float) -> None:
        self.rates.setdefault(name, []).append(rate)


def measure(options: Options) -> Figures:
    figures = Figures(load=[os.getloadavg()[0]])
    apply_rates(options, figures)
    flows = build_books(options, figures)
    for number in range(options.rounds):
        pick = random.Random(number)
        for flow, size in zip(flows, figures.sizes, strict=True):
            query_round(flow, size, options.queries, pick)
        print(f"query round {number + 1}/{options.rounds} done", flush=True)
    with tempfile.TemporaryDirectory(prefix="distsync-bench-") as tmp:
        for listener in LISTENERS:
            call = over_http(
                Path(tmp), options.http_pairs, options.requests, options.rate, listener
            )
            figures.http[listener] = asyncio.run(call)
            print(f"HTTP through {listener} done", flush=True)
    figures.load.append(os.getloadavg()[0])
    return figures


def apply_rates(options: Options, figures: Figures) -> None:
    documents = Traffic(options.items).documents(options.events)
    batch, events = envelopes(documents), rule_events(documents)
    figures.rule_events = len(events)
    gc.collect()
    gc.freeze()  # the prepared traffic is not the service's: keep it out of the collections
    log = LogOptions(options.batch, options.durability)
    for run in range(options.runs):
        with tempfile.TemporaryDirectory(prefix="distsync-bench-") as tmp:
            rate, _ = asyncio.run(through_log(batch, Path(tmp), log, subscription=NOOP))
            figures.add("noop", rate)
            rate, delivered = asyncio.run(through_log(batch, Path(tmp), log, subscription=ATP.name))
            figures.add("atp", rate)
        rate, reference = flow_rate(batch)
        figures.add("flow", rate)
        figures.add("book", book_rate(events))
        same_book(delivered, reference, options.items)
        line = ", ".join(f"{name} {values[-1]:,.0f}/s" for name, values in figures.rates.items())
        print(f"run {run + 1}/{options.runs}: {line}", flush=True)


def build_books(options: Options, figures: Figures) -> list[InventoryFlow]:
    flows = []
    for pairs in options.sizes:
        started = time.perf_counter()
        flows.append(filled_flow(pairs))
        elapsed = time.perf_counter() - started
        current, peak = rss_mib()
        figures.sizes.append(SizeFigures(pairs, elapsed, current, peak))
        print(
            f"book of {pairs:,} pairs built in {elapsed:.1f} s; RSS {current:,.0f} MiB", flush=True
        )
    return flows


QUICK = {"events": 3_000, "runs": 1, "sizes": "10000,100000", "queries": 2_000, "rounds": 2,
         "http_pairs": 10_000, "requests": 300}  # fmt: skip


def options_from(args: argparse.Namespace) -> Options:
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    return Options(
        events=args.events,
        items=args.items,
        runs=args.runs,
        batch=args.batch,
        durability=args.durability,
        sizes=tuple(int(n) for n in str(args.sizes).split(",")),
        queries=args.queries,
        rounds=args.rounds,
        http_pairs=args.http_pairs,
        requests=args.requests,
        rate=args.rate,
    )


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parse.add_argument("--events", type=int, default=20_000, help="logged events per run")
    parse.add_argument("--items", type=int, default=2_000, help="items the events touch")
    parse.add_argument("--runs", type=int, default=3)
    parse.add_argument("--batch", type=int, default=100, help="events per append and per claim")
    parse.add_argument("--durability", choices=("full", "normal"), default="full")
    parse.add_argument("--sizes", default="10000,100000,1000000", help="book sizes, pairs")
    parse.add_argument("--queries", type=int, default=20_000, help="queries per size and round")
    parse.add_argument("--rounds", type=int, default=5, help="query rounds")
    parse.add_argument("--http-pairs", type=int, default=100_000, help="book size behind the API")
    parse.add_argument("--requests", type=int, default=2_000, help="requests per route")
    parse.add_argument("--rate", type=float, default=200, help="requests per second, both routes")
    parse.add_argument("--quick", action="store_true", help="a small run, to see that it works")
    parse.add_argument(
        "--record", action="store_true", help="write the results into docs/benchmarks.md"
    )
    return parse


def main() -> None:
    args = parser().parse_args()
    options = options_from(args)
    text = report(options, measure(options))
    print()
    print(text)
    if args.record:
        record(text)


if __name__ == "__main__":
    main()
