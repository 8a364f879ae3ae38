"""The figures of ``bench/order_release.py``: per repeat, their medians, and the docs section."""

from __future__ import annotations

import io
import os
import pstats
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from machine import machine
from order_release_load import RouteFigures, Window


class Settings(Protocol):
    @property
    def seconds(self) -> float: ...
    @property
    def rate(self) -> float: ...
    @property
    def availability_rate(self) -> float: ...
    @property
    def customers(self) -> int: ...
    @property
    def items(self) -> int: ...
    @property
    def repeats(self) -> int: ...


DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADING = "## Order validation under load (`bench/order_release.py`)"
MARK = "<!-- bench/order_release.py {edge}: {stack} -->"
TARGETS = {"validate": 25.0, "availability": 5.0}
CUTS = (50, 90, 99, 100)
LISTENERS = {"serve": "bound as `distsync serve` binds", "uvicorn": "bound by uvicorn"}
INTRO = """\
```console
$ .venv/bin/python bench/order_release.py --record        # 20 s windows, 3 repeats
$ .venv/bin/python bench/order_release.py --quick         # 3 s windows, to see that it works
```

The real app (`bootstrap.build` + `api.app.create_app`) served by uvicorn
in its own process on 127.0.0.1; the load generator in another process
sends on an open-loop schedule (each request started at its planned time
whatever the answers do; latency counted from that planned time):
`POST /v1/orders/validate` every 5 ms and `GET /v1/availability` every
20 ms, together, over a pool of keep-alive connections. The ERP is cached:
credit of 1,000 customers and a price list of 10,000 items come from an
in-process stand-in through `TermsCache`, warmed before timing (TTL one
hour), and the stand-in's reads during the measured windows are counted
(they must be 0). Stock: the inventory flow's book, one snapshot of every
item in each of two warehouses. Orders: canonical `SalesOrder` JSON, one to
five lines, random customers and items, mostly accepted, some held or
rejected. Baseline in the same run: the same schedule with every request a
`GET /healthz`. Each figure is the median over the repeats.

Two listeners are measured, taking turns in every repeat: the port bound with
`socket.create_server` and handed to uvicorn, as `distsync serve` does
(`server._listen`), and bound by uvicorn itself. asyncio turns Nagle's
algorithm off only on connections of a socket made with `IPPROTO_TCP`, so
with the first every answer written in two parts (headers, then body) waits
for the client's delayed ACK, about 40 ms."""


@dataclass(frozen=True)
class Repeat:
    """One repeat: the mixed and the baseline window, the ERP reads during the mixed one,
    and the server's CPU milliseconds per request in each window."""

    load: Window
    base: Window
    erp_reads: int
    load_cpu_ms: float
    base_cpu_ms: float

    def line(self, number: int, repeats: int) -> str:
        validate, base = self.load.routes["validate"], self.base.routes["healthz"]
        return (
            f"repeat {number}/{repeats}: validate p50 {validate.percentile(50):.1f} ms, "
            f"p99 {validate.percentile(99):.1f} ms; availability p99 "
            f"{self.load.routes['availability'].percentile(99):.1f} ms; healthz p99 "
            f"{base.percentile(99):.1f} ms; server CPU/request {self.load_cpu_ms:.2f} ms "
            f"(baseline {self.base_cpu_ms:.2f} ms); client busy {self.load.client_busy():.0%} "
            f"(baseline {self.base.client_busy():.0%}); ERP reads {self.erp_reads}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )


def _median(repeats: list[Repeat], route: str, cut: float) -> float:
    def figures(repeat: Repeat) -> RouteFigures:
        window = repeat.base if route == "healthz" else repeat.load
        return window.routes[route]

    if cut == 100:
        return statistics.median(max(figures(r).latencies) for r in repeats)
    return statistics.median(figures(r).percentile(cut) for r in repeats)


def _row(listener: str, repeats: list[Repeat], route: str) -> str:
    window = "base" if route == "healthz" else "load"
    rate = statistics.median(getattr(r, window).rate(route) for r in repeats)
    errors = sum((getattr(r, window).routes[route].errors for r in repeats), Counter[str]())
    cells = " | ".join(f"{_median(repeats, route, cut):.1f}" for cut in CUTS)
    shown = ", ".join(f"{k} {v}" for k, v in errors.items()) or "0"
    return f"| {LISTENERS[listener]} | {route} | {rate:.0f} | {cells} | {shown} |"


def _verdicts(listener: str, repeats: list[Repeat]) -> list[str]:
    base_p99 = _median(repeats, "healthz", 99)
    lines = []
    for name, target in TARGETS.items():
        p99 = _median(repeats, name, 99)
        verdict = "met" if p99 <= target else "not met"
        lines.append(
            f"- {LISTENERS[listener]}: {name} p99 {p99:.1f} ms, target <= {target:g} ms "
            f"**{verdict}**; {p99 / base_p99:.1f}x the baseline's p99."
        )
    load_cpu = statistics.median(r.load_cpu_ms for r in repeats)
    base_cpu = statistics.median(r.base_cpu_ms for r in repeats)
    lines.append(
        f"- {LISTENERS[listener]}: server CPU per request (user + system of the server "
        f"process) {load_cpu:.2f} ms in the mixed window, {base_cpu:.2f} ms for `/healthz`."
    )
    return lines


def report(results: dict[str, list[Repeat]], options: Settings, stack: str) -> str:
    every = [r for repeats in results.values() for r in repeats]
    decisions = sum((r.load.routes["validate"].decisions for r in every), Counter[str]())
    total = sum(decisions.values())
    mix = ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(decisions.items()))
    late = max(max(r.load.late_ms, r.base.late_ms) for r in every)
    rate, availability = options.rate, options.availability_rate
    lines = [
        f"Run: windows of {options.seconds:g} s, validate {rate:g}/s with availability "
        f"{availability:g}/s; baseline `/healthz` at {rate + availability:g}/s; "
        f"{options.repeats} repeats per listener (median); {options.customers:,} customers, "
        f"{options.items:,} items; uvicorn on {stack}.",
        "",
        "| listener | route | sent/s | p50 ms | p90 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for listener, repeats in results.items():
        lines += [_row(listener, repeats, r) for r in ("validate", "availability", "healthz")]
    lines.append("")
    for listener, repeats in results.items():
        lines += _verdicts(listener, repeats)
    lines += [
        f"- Verdicts of the validated orders: {mix} ({total:,} orders).",
        f"- ERP reads during the measured windows: {sum(r.erp_reads for r in every)}; "
        f"the sender was at most {late:.1f} ms behind its schedule.",
    ]
    return "\n".join(lines)


def profile_summary(stats_file: Path, window: Window, top: int = 25) -> str:
    """The server's hottest functions over the profiled window, by own time and cumulative."""
    out = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=out)
    validate = window.routes["validate"]
    out.write(f"Profiled window (cProfile in the server; its overhead inflates the times): "
              f"validate p50 {validate.percentile(50):.1f} ms, "
              f"p99 {validate.percentile(99):.1f} ms\n")  # fmt: skip
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def record(text: str, command: str, stack: str) -> None:
    """Write the results between this stack's markers (the section is added once)."""
    current = DOCS.read_text()
    begin, end = (MARK.format(edge=edge, stack=stack) for edge in ("begin", "end"))
    block = (
        f"{begin}\n### Results: uvicorn on {stack}\n\nMachine: {machine()}; load average "
        f"{os.getloadavg()[0]:.1f} at the end (other work shares this machine).\n\n"
        f"```console\n$ {command}\n```\n\n{text}\n{end}"
    )
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        DOCS.write_text(head + block + rest.split(end, 1)[1])
    elif HEADING in current:
        head, section = current.split(HEADING, 1)
        cut = section.find("\n## ")
        cut = len(section) if cut < 0 else cut
        section = section[:cut].rstrip("\n") + f"\n\n{block}\n" + section[cut:]
        DOCS.write_text(head + HEADING + section)
    else:
        DOCS.write_text(current.rstrip("\n") + f"\n\n{HEADING}\n\n{INTRO}\n\n{block}\n")
