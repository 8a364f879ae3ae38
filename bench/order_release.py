"""Order release benchmark (issue 6): ``POST /v1/orders/validate`` and ``GET /v1/availability``.

The real app (``bootstrap.build`` + ``api.app.create_app``) is served by
uvicorn in its own process on 127.0.0.1 (``bench/order_release_server.py``);
this process is the load generator, on an **open-loop** schedule
(``bench/order_release_load.py``): a validate every 5 ms (200/s) and an
availability query every 20 ms (50/s), each started at its planned time
whatever the answers do, latency counted from that planned time. The
requests go over a lean keep-alive pool (``bench/order_release_wire.py``):
httpx itself needed more than a core here and was the bottleneck. The share
of a core the generator used and how late it ever was are printed.

Two listeners are measured in turn (``--listeners``): the port bound first
and handed to uvicorn, as ``distsync serve`` does, and bound by uvicorn
(they differ in Nagle's algorithm; see ``order_release_server.py``). The
server runs on whatever uvicorn finds: h11 and asyncio with the project's
dependencies; ``PYTHONPATH=<dir with httptools and uvloop>`` measures
``uvicorn[standard]`` without installing it into the project.

The ERP is **cached**: its reads go through ``TermsCache`` to an in-process
stand-in (``order_release_world.ErpTerms``) holding credit for ``--customers``
customers and a price list of ``--items`` items; no ERP runs. Before timing,
every customer is asked about once and the price list read, and the TTL is an
hour, so the ERP is not asked during a measured window: the stand-in counts
its reads and the figure printed for the windows must be 0. The stock book is
the inventory flow's, fed a snapshot of every item in each of two warehouses.

The orders are canonical ``SalesOrder`` JSON, built before the window: one to
five lines from random customers for random items, mostly accepted, some held
(credit, price, stock, an unsold item) or rejected (unknown or inactive
customer); the answers' decisions are counted and printed.

Baseline, in the same run and at the same schedule: every request a
``GET /healthz`` (the cheapest route), so its percentiles are what the HTTP
stack, the client and the machine cost. Each repeat runs the baseline window,
then the mixed one; figures are medians over the repeats.

The issue's targets, on this machine: validate p99 at most 25 ms, availability
p99 at most 5 ms.

Usage::

    python bench/order_release.py                  # 20 s windows, 3 repeats
    python bench/order_release.py --quick          # 3 s windows, to see that it works
    python bench/order_release.py --record         # also write docs/benchmarks.md
    python bench/order_release.py --profile        # and a profiled window after the repeats
    python bench/order_release.py --listeners uvicorn --seconds 10 --repeats 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from order_release_load import Shot, Window, run_window, warm
from order_release_report import Repeat, profile_summary, record, report
from order_release_world import Orders, sku

HERE = Path(__file__).resolve().parent
START_SECONDS = 120.0


@dataclass(frozen=True)
class Options:
    seconds: float
    rate: float
    availability_rate: float
    repeats: int
    customers: int
    items: int
    seed: int


def mixed(options: Options, orders: Orders, pick: random.Random) -> list[Shot]:
    """Validates at ``rate`` and availability queries at ``availability_rate``, by time."""
    validates = [
        Shot(n / options.rate, "validate", "/v1/orders/validate",
             orders.next().model_dump_json().encode())
        for n in range(round(options.seconds * options.rate))
    ]  # fmt: skip
    queries = [
        Shot(n / options.availability_rate, "availability",
             f"/v1/availability?sku={sku(pick.randrange(options.items))}")
        for n in range(round(options.seconds * options.availability_rate))
    ]  # fmt: skip
    return sorted(validates + queries, key=lambda shot: shot.at)


def baseline(shots: list[Shot]) -> list[Shot]:
    """The same schedule, every request a ``GET /healthz``."""
    return [Shot(shot.at, "healthz", "/healthz") for shot in shots]


def warming(options: Options, orders: Orders) -> list[Shot]:
    """One order per party (the credit cache), and a few of each route."""
    shots = [
        Shot(0, "validate", "/v1/orders/validate", orders.next(party).model_dump_json().encode())
        for party in orders.every_party()
    ]
    shots += [Shot(0, "availability", f"/v1/availability?sku={sku(n)}") for n in range(200)]
    return shots + [Shot(0, "healthz", "/healthz") for _ in range(200)]


class Server:
    """``order_release_server.py`` in its own process, on a free port."""

    def __init__(self, options: Options, listener: str, profile_to: Path | None) -> None:
        script = str(HERE / "order_release_server.py")
        command = [sys.executable, script, "--customers", str(options.customers),
                   "--items", str(options.items), "--listener", listener]  # fmt: skip
        if profile_to is not None:
            command += ["--profile", str(profile_to)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.process.kill()
            raise SystemExit(f"the server did not start: {line!r}")
        _, port, _, self.stack = line.split()
        self.url = f"http://127.0.0.1:{port}"
        self._until_serving()

    def _until_serving(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                httpx.get(f"{self.url}/healthz").raise_for_status()
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit("the server did not answer /healthz") from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User and system CPU the server process has used so far (Linux)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def erp_reads(self) -> int:
        async with httpx.AsyncClient(base_url=self.url) as client:
            return int((await client.get("/_bench/erp-reads")).json()["reads"])

    async def post(self, path: str) -> None:
        async with httpx.AsyncClient(base_url=self.url) as client:
            (await client.post(path)).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


async def one_repeat(server: Server, options: Options, orders: Orders, seed: int) -> Repeat:
    shots = mixed(options, orders, random.Random(seed))
    cpu = server.cpu_seconds()
    base = await run_window(server.url, baseline(shots))
    base_cpu, cpu = server.cpu_seconds() - cpu, server.cpu_seconds()
    before = await server.erp_reads()
    load = await run_window(server.url, shots)
    load_cpu = server.cpu_seconds() - cpu
    reads = await server.erp_reads() - before
    return Repeat(load, base, reads, load_cpu / len(shots) * 1000, base_cpu / len(shots) * 1000)


async def measure(servers: dict[str, Server], options: Options) -> dict[str, list[Repeat]]:
    """Every listener in every repeat, in turn, so that a noisy moment weighs on all of them."""
    orders = Orders(options.customers, options.items, options.seed)
    for server in servers.values():
        await warm(server.url, warming(options, orders))
    repeats: dict[str, list[Repeat]] = {listener: [] for listener in servers}
    for number in range(options.repeats):
        for listener, server in servers.items():
            repeat = await one_repeat(server, options, orders, options.seed + number)
            repeats[listener].append(repeat)
            print(f"{listener}: {repeat.line(number + 1, options.repeats)}", flush=True)
    return repeats


async def profiled(server: Server, options: Options) -> Window:
    orders = Orders(options.customers, options.items, options.seed + 100)
    shots = mixed(options, orders, random.Random(options.seed + 100))
    await server.post("/_bench/profile/start")
    window = await run_window(server.url, shots)
    await server.post("/_bench/profile/stop")
    return window


@dataclass
class Results:
    """The repeats of each listener, the server's HTTP stack, the profile if one was made."""

    repeats: dict[str, list[Repeat]]
    stack: str = "h11+asyncio"
    profile: str | None = None


def run(options: Options, listeners: list[str], *, profile: bool) -> Results:
    """Start a server per listener, measure them in turn, profile the last one if asked."""
    with tempfile.TemporaryDirectory(prefix="distsync-bench-") as folder:
        profile_to = Path(folder) / "server.prof" if profile else None
        servers: dict[str, Server] = {}
        try:
            for listener in listeners:
                profiling = profile_to if listener == listeners[-1] else None
                servers[listener] = Server(options, listener, profiling)
            last = servers[listeners[-1]]
            results = Results(asyncio.run(measure(servers, options)), last.stack)
            if profile_to is not None:
                window = asyncio.run(profiled(last, options))
                results.profile = profile_summary(profile_to, window)
            return results
        finally:
            for server in servers.values():
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each window")
    parser.add_argument("--rate", type=float, default=200.0, help="validates per second")
    parser.add_argument("--availability-rate", type=float, default=50.0,
                        help="availability queries per second, alongside")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="3 s windows")
    parser.add_argument(
        "--listeners",
        default="serve,uvicorn",
        help="who binds the port, comma separated (order_release_server.py)",
    )
    parser.add_argument("--profile", action="store_true", help="profile one more mixed window")
    parser.add_argument("--record", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    options = Options(3.0 if args.quick else args.seconds, args.rate, args.availability_rate,
                      args.repeats, args.customers, args.items, args.seed)  # fmt: skip
    results = run(options, args.listeners.split(","), profile=args.profile)
    text = report(results.repeats, options, results.stack)
    print()
    print(text)
    if results.profile is not None:
        print()
        print(results.profile)
    if args.record:
        extra = os.environ.get("PYTHONPATH")
        command = " ".join(["python", "bench/order_release.py", *sys.argv[1:]])
        command = f"PYTHONPATH={extra} .venv/bin/{command}" if extra else f".venv/bin/{command}"
        record(text, command, results.stack)


if __name__ == "__main__":
    main()
