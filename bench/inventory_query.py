"""What an available-to-promise query costs: in the book by size, and over HTTP.

- **by size**: ``InventoryFlow.positions(sku)`` (every warehouse's figures)
  and ``network_available(sku)`` for random items, each call timed alone
  with ``perf_counter_ns``. The floor is the same timing around a call that
  does nothing, so what is left above it is the query.
- **over HTTP**: ``GET /v1/availability?sku=…`` from the real app served
  by uvicorn on 127.0.0.1 in a process of its own (``bench/inventory_serve.py``),
  asked by an httpx client at a steady rate, one request at a time;
  ``GET /healthz`` takes turns with it as the baseline. Both figures carry
  the client's own time and the loopback round trip; where the server says
  (``Server-Timing``), the time spent in the app is kept as well.
"""

from __future__ import annotations

import asyncio
import random
import resource
import socket
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from distsync.flows.inventory import InventoryFlow
from inventory_traffic import WAREHOUSES, sku

Percentiles = tuple[float, float]
ROUTES = ("availability", "healthz")
SERVE = Path(__file__).resolve().parent / "inventory_serve.py"
START_SECONDS = 120
PATHS = {"availability": "/v1/availability", "healthz": "/healthz"}


def percentiles(values: list[float]) -> Percentiles:
    """The 50th and 99th percentiles."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def rss_mib() -> tuple[float, float]:
    """Resident memory now and at its peak, in MiB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    current = pages * resource.getpagesize() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return current, max(current, peak)


def _nothing(sku: str) -> None:
    return None


def timed_calls(call: Callable[[str], object], skus: list[str]) -> list[float]:
    """Microseconds per call, one timing per item."""
    clock = time.perf_counter_ns
    spent = []
    for item in skus:
        started = clock()
        call(item)
        spent.append((clock() - started) / 1000)
    return spent


@dataclass
class SizeFigures:
    """One book size: its build, memory, and per round the percentiles of each query."""

    pairs: int
    build_seconds: float
    rss: float
    peak: float
    rounds: dict[str, list[Percentiles]] = field(default_factory=dict)

    def add(self, name: str, spent: list[float]) -> None:
        self.rounds.setdefault(name, []).append(percentiles(spent))

    def median(self, name: str) -> Percentiles:
        rounds = self.rounds[name]
        return statistics.median(p for p, _ in rounds), statistics.median(p for _, p in rounds)


def query_round(
    flow: InventoryFlow, figures: SizeFigures, queries: int, pick: random.Random
) -> None:
    items = figures.pairs // WAREHOUSES
    skus = [sku(pick.randrange(items)) for _ in range(queries)]
    figures.add("floor", timed_calls(_nothing, skus))
    figures.add("positions", timed_calls(flow.positions, skus))
    figures.add("network", timed_calls(flow.network_available, skus))


async def over_http(
    folder: Path, pairs: int, requests: int, rate: float, listener: str
) -> dict[str, list[float]]:
    """Milliseconds per request of each route, ``rate`` requests/s over both."""
    port = _free_port()
    command = ("--pairs", str(pairs), "--folder", str(folder), "--port", str(port))
    with (folder / f"{listener}.log").open("w") as output:
        server = await asyncio.create_subprocess_exec(
            sys.executable, str(SERVE), *command, "--listener", listener,
            stdout=output, stderr=output,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                await _until_up(client, server)
                return await _paced(client, pairs // WAREHOUSES, requests, rate)
        finally:
            if server.returncode is None:
                server.terminate()
            await server.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _until_up(client: httpx.AsyncClient, server: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            (await client.get(PATHS["healthz"])).raise_for_status()
            break
        except httpx.TransportError:
            if server.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("the API process did not start; see its log") from None
            await asyncio.sleep(0.1)
    for _ in range(50):
        (await client.get(PATHS["availability"], params={"sku": sku(0)})).raise_for_status()


async def _paced(
    client: httpx.AsyncClient, items: int, requests: int, rate: float
) -> dict[str, list[float]]:
    pick = random.Random(61)
    spent: dict[str, list[float]] = {route: [] for route in ROUTES}
    started = time.perf_counter()
    for number in range(2 * requests):
        wait = started + number / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        route = ROUTES[number % 2]
        params = {"sku": sku(pick.randrange(items))} if route == "availability" else {}
        sent = time.perf_counter()
        answer = await client.get(PATHS[route], params=params)
        spent[route].append((time.perf_counter() - sent) * 1000)
        timing = answer.headers.get("server-timing")
        if timing is not None:
            spent.setdefault(f"{route} in app", []).append(float(timing.split("dur=")[1]))
        if answer.status_code != 200:
            raise AssertionError(f"{route} answered {answer.status_code}: {answer.text}")
    return spent
