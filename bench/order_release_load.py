"""An open-loop load generator: requests start on a fixed schedule, whatever the answers do.

Each request is started at its planned time (``Shot.at`` seconds after the
window opens) in its own task, so a slow answer does not delay the next
request, and its latency runs from the *planned* start to the end of the
answer. A client that waits for answers before sending more would send less
while the server stalls and hide the stall (coordinated omission); this one
keeps sending, and the stall shows in the percentiles. The requests go over
``order_release_wire.Pool`` (see there why not httpx); the warm-up, which
is not timed, uses httpx.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from order_release_wire import Pool, encode

TIMEOUT_SECONDS = 10.0
CONNECTIONS = 64
JSON = {"content-type": "application/json"}
DECISION = re.compile(rb'"decision":"(\w+)"')


@dataclass(frozen=True)
class Shot:
    """One planned request: when, which route (for the figures), what to send."""

    at: float
    route: str
    path: str
    body: bytes | None = None


@dataclass
class RouteFigures:
    """What one route's requests of a window measured, in milliseconds."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    sent: int = 0

    def percentile(self, pct: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=1000, method="inclusive")[round(pct * 10) - 1]


@dataclass
class Window:
    """One window of load: the figures per route, its span and how late the sender was."""

    routes: dict[str, RouteFigures]
    seconds: float
    late_ms: float
    client_cpu_seconds: float

    def client_busy(self) -> float:
        """The share of one core the load generator used over the window."""
        return self.client_cpu_seconds / self.seconds

    def rate(self, route: str) -> float:
        return self.routes[route].sent / self.seconds


async def run_window(base_url: str, shots: list[Shot]) -> Window:
    """Send ``shots`` on their schedule; wait for every answer (or its timeout)."""
    routes: dict[str, RouteFigures] = {shot.route: RouteFigures() for shot in shots}
    url = httpx.URL(base_url)
    host, port = url.host, url.port or 80
    encoded = [encode("GET" if s.body is None else "POST", s.path, host, s.body) for s in shots]
    pool = Pool(host, port, CONNECTIONS)
    tasks = []
    late = 0.0
    cpu = time.process_time()
    opened = time.perf_counter() + 0.05
    for shot, request in zip(shots, encoded, strict=True):
        planned = opened + shot.at
        wait = planned - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        late = max(late, time.perf_counter() - planned)
        figures = routes[shot.route]
        figures.sent += 1
        tasks.append(asyncio.create_task(_send(pool, request, planned, figures)))
    seconds = time.perf_counter() - opened
    await asyncio.gather(*tasks)
    pool.close()
    return Window(routes, seconds, late * 1000, time.process_time() - cpu)


async def _send(pool: Pool, request: bytes, planned: float, figures: RouteFigures) -> None:
    try:
        answer = await asyncio.wait_for(pool.request(request), TIMEOUT_SECONDS)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        figures.errors[type(exc).__name__] += 1
        return
    figures.latencies.append((time.perf_counter() - planned) * 1000)
    if answer.status != 200:
        figures.errors[f"HTTP {answer.status}"] += 1
        return
    decision = DECISION.search(answer.body)
    if decision is not None:
        figures.decisions[decision[1].decode()] += 1


async def warm(base_url: str, shots: list[Shot], concurrency: int = 8) -> None:
    """Send ``shots`` as fast as ``concurrency`` connections allow; every answer must be 200."""
    queue = list(reversed(shots))
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT_SECONDS) as client:

        async def worker() -> None:
            while queue:
                shot = queue.pop()
                if shot.body is None:
                    answer = await client.get(shot.path)
                else:
                    answer = await client.post(shot.path, content=shot.body, headers=JSON)
                answer.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
