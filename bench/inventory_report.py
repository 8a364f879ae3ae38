"""The inventory benchmark's figures as Markdown, and their place in docs/benchmarks.md."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from inventory_query import percentiles
from inventory_traffic import SNAPSHOT_LINES, WAREHOUSES
from machine import machine

if TYPE_CHECKING:
    from inventory import Figures, Options

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/inventory.py begin -->", "<!-- bench/inventory.py end -->"
HEADING = "## Inventory and available to promise (`bench/inventory.py`)"
TARGET_RATE, TARGET_P99_MS = 5_000, 5.0


def report(options: Options, figures: Figures) -> str:
    return "\n".join(
        [
            f"Machine: {machine()}.",
            "",
            f"Load average (1 minute) at the start and the end of the run: "
            f"{figures.load[0]:.1f} and {figures.load[-1]:.1f}.",
            "",
            *_rates(options, figures),
            "",
            *_sizes(figures),
            "",
            *_http(options, figures),
        ]
    )


def _rates(options: Options, figures: Figures) -> list[str]:
    rates = figures.rates
    median = {name: statistics.median(values) for name, values in rates.items()}

    def row(label: str, name: str, unit: str = "") -> str:
        spread = f"({min(rates[name]):,.0f} to {max(rates[name]):,.0f})"
        share = f"{median[name] / median['noop']:.2f}x" if name in ("noop", "atp") else "-"
        return f"| {label} | {median[name]:,.0f}{unit} {spread} | {share} |"

    pairs = options.items * WAREHOUSES
    return [
        "### Events applied per second",
        "",
        f"Run: {options.events:,} logged events per run, {figures.rule_events:,} rule events "
        f"(a snapshot counts {SNAPSHOT_LINES} items), over {options.items:,} items in "
        f"{WAREHOUSES} warehouses ({pairs:,} pairs), appended in batches of {options.batch}, "
        f"durability `{options.durability}`, {options.runs} runs (median; min to max in "
        "brackets); each run starts from an empty book.",
        "",
        "| what | events/s | vs bare delivery |",
        "|---|---|---|",
        row("bare delivery: append -> ordered consume -> ack, a handler that does nothing", "noop"),
        row("ATP kept current: append -> `inventory.atp` (parse, convert, apply) -> ack", "atp"),
        row("in process: `InventoryFlow.apply` on the same envelopes", "flow"),
        row("in process: `AtpBook.apply` on the rule events alone", "book", " rule events/s"),
        "",
        f"Target (at least {TARGET_RATE:,} events/s end to end): "
        f"{_verdict(median['atp'] >= TARGET_RATE)}, {median['atp']:,.0f}/s.",
    ]


def _sizes(figures: Figures) -> list[str]:
    lines = [
        "### Query cost by size of the book",
        "",
        "Per call, in microseconds, median over the rounds of each round's percentile; "
        "*floor* is the timing around a call that does nothing. RSS is the process's "
        "resident memory after the book was built (all smaller books still held; peak in "
        "brackets).",
        "",
        "| pairs | built in | RSS MiB | `positions(sku)` p50 / p99 | "
        "`network_available(sku)` p50 / p99 | floor p50 / p99 |",
        "|---|---|---|---|---|---|",
    ]
    for size in figures.sizes:
        cells = [_pair(size.median(name)) for name in ("positions", "network", "floor")]
        lines.append(
            f"| {size.pairs:,} | {size.build_seconds:.1f} s | {size.rss:,.0f} ({size.peak:,.0f}) "
            f"| {' | '.join(cells)} |"
        )
    small, large = figures.sizes[0], figures.sizes[-1]
    ratio = [
        large.median(name)[k] / small.median(name)[k]
        for name in ("positions", "network")
        for k in (0, 1)
    ]
    return [
        *lines,
        "",
        f"Flatness, {large.pairs:,} against {small.pairs:,} pairs (1.00 is flat): "
        f"`positions` p50 {ratio[0]:.2f}x, p99 {ratio[1]:.2f}x; "
        f"`network_available` p50 {ratio[2]:.2f}x, p99 {ratio[3]:.2f}x.",
    ]


ROUTE_LABELS = (("availability", "`/v1/availability?sku=…`"), ("healthz", "`/healthz`"))
HTTP_ROWS = (
    ("serve", "`distsync serve` (its listening socket)"),
    ("uvicorn", "the same app, uvicorn binding the port itself"),
)


def _http(options: Options, figures: Figures) -> list[str]:
    rows, p99 = _http_rows(figures)
    inside = figures.http["uvicorn"].get("availability in app")
    in_app = f", in the app {percentiles(inside)[1]:.2f} ms" if inside else ""
    return [
        "### `GET /v1/availability` over HTTP",
        "",
        f"Run: a book of {options.http_pairs:,} pairs in the API process, "
        f"{options.requests:,} requests per route taking turns, {options.rate:g} requests/s "
        "in all, one at a time, from an httpx client in the benchmark's process.",
        "",
        "| served by | route | p50 ms | p99 ms | in the app: p50 / p99 ms |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Target (p99 at most {TARGET_P99_MS:g} ms): through `distsync serve` "
        f"{_verdict(p99['serve', 'availability'] <= TARGET_P99_MS)}, with uvicorn's own socket "
        f"{_verdict(p99['uvicorn', 'availability'] <= TARGET_P99_MS)} "
        f"({p99['uvicorn', 'availability']:.2f} ms at the client{in_app}).",
    ]


def _http_rows(figures: Figures) -> tuple[list[str], dict[tuple[str, str], float]]:
    rows, p99 = [], {}
    for listener, label in HTTP_ROWS:
        spent = figures.http[listener]
        for route, path in ROUTE_LABELS:
            p50, p99[listener, route] = percentiles(spent[route])
            app = spent.get(f"{route} in app")
            inside = _pair(percentiles(app), ".2f") if app else "-"
            rows.append(f"| {label} | {path} | {p50:.2f} | {p99[listener, route]:.2f} | {inside} |")
    return rows, p99


def _pair(values: tuple[float, float], spec: str = ".1f") -> str:
    return f"{values[0]:{spec}} / {values[1]:{spec}}"


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def record(text: str) -> None:
    """Replace the results between the markers of docs/benchmarks.md (or append the section)."""
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        current = current.rstrip("\n") + f"\n\n{HEADING}\n\n{block}\n"
    DOCS.write_text(current)
    print(f"\nrecorded in {DOCS}")
