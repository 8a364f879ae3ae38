"""API benchmark (issue 7): inbound JSON documents accepted per second with authentication on,
and what authentication costs per request.

**Throughput.** ``distsync serve --role api`` runs in its own process on a
landscape file with a SQLite database at full durability, one partner
(``globex``) that sends ``json-po_ack``, and a ``security`` section with one
client for that partner. This process obtains a token from ``/oauth/token``
and then, on ``--connections`` keep-alive connections (the lean client of
``bench/order_release_wire.py``), posts distinct purchase-order
acknowledgements to ``POST /v1/inbound/globex/po_ack`` as fast as the
answers come, for ``--seconds``. A document counts when it was answered 202,
which the route answers only once the log holds it; after each window the
events in the database are counted and must match.

Baseline, in the same run: the same server, the same documents and client,
**without** a ``security`` section (the open API on loopback). The ratio of
the two is what authentication costs at full load. Each repeat runs the
baseline, then the authenticated window, on fresh databases; figures are
medians over the repeats. The inbound rate limit is raised out of the way:
it is not what is measured.

**The app alone.** The same app's ASGI callable is also called in this
process, 32 documents in flight, without uvicorn and sockets: what the
route, the gateway middleware and the log cost by themselves.

**Cost per request, in process.** Verifying one of our Ed25519 tokens
(``LocalTokens.verify``) the first time it is seen (signature, claims) and
again (the verified-token cache), and checking an API key (hash, cache),
each timed over many calls.

The issue's targets: JWT validation adds under 0.2 ms per request; at least
2,000 inbound documents a second on one worker process.

Usage::

    python bench/api.py                 # 10 s windows, 3 repeats
    python bench/api.py --quick         # 2 s windows, 1 repeat
    python bench/api.py --record        # also write the figures into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import httpx

from api_world import (
    CLIENT_ID,
    CLIENT_SECRET,
    SECRET_VARIABLE,
    auth_costs,
    documents,
    free_port,
    in_process_rate,
    write_landscape,
)
from machine import machine
from order_release_wire import Pool

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
ROUTE = "/v1/inbound/globex/po_ack"
HEADING = "## API gateway: inbound with authentication (`bench/api.py`)"


@dataclass(frozen=True)
class Window:
    mode: str
    accepted: int
    refused: int
    stored: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds


class Server:
    """``distsync serve --role api`` on a fresh folder; ``secured`` adds the security section."""

    def __init__(self, folder: Path, secured: bool) -> None:
        self.folder, self.port = folder, free_port()
        landscape = write_landscape(folder, self.port, secured=secured)
        env = os.environ | {SECRET_VARIABLE: CLIENT_SECRET}
        if secured:
            subprocess.run(
                [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "auth", "keys",
                 "init"], check=True, env=env, capture_output=True,
            )  # fmt: skip
        command = [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "serve",
                   "--role", "api", "--port", str(self.port)]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz within 60 s")

    def token(self) -> str:
        answer = httpx.post(
            f"http://127.0.0.1:{self.port}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def stored(self) -> int:
        with sqlite3.connect(self.folder / "var" / "distsync.sqlite") as db:
            (count,) = db.execute("SELECT count(*) FROM events").fetchone()
        return int(count)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


async def run_window(port: int, requests: list[bytes], connections: int, seconds: float) -> Window:
    pool = Pool("127.0.0.1", port, connections)
    accepted = refused = 0
    taken = iter(requests)
    deadline = time.monotonic() + seconds

    async def sender() -> None:
        nonlocal accepted, refused
        for request in taken:
            if time.monotonic() >= deadline:
                return
            answer = await pool.request(request)
            if answer.status == 202:
                accepted += 1
            else:
                refused += 1

    started = time.monotonic()
    await asyncio.gather(*(sender() for _ in range(connections)))
    elapsed = time.monotonic() - started
    pool.close()
    return Window("", accepted, refused, 0, elapsed)


def measure(mode: str, options: argparse.Namespace) -> Window:
    with tempfile.TemporaryDirectory(prefix="distsync-bench-api-") as folder:
        server = Server(Path(folder), secured=mode == "jwt")
        try:
            token = server.token() if mode == "jwt" else None
            requests = documents(options.documents, ROUTE, server.port, token)
            asyncio.run(run_window(server.port, requests[:200], options.connections, 2))  # warm
            window = asyncio.run(
                run_window(server.port, requests[200:], options.connections, options.seconds)
            )
            stored = server.stored() - 200
        finally:
            server.stop()
    return Window(mode, window.accepted, window.refused, stored, window.seconds)


def report(rounds: list[tuple[Window, Window]], costs: dict[str, float], asgi: list[float]) -> str:
    open_rate = statistics.median(w.per_second for w, _ in rounds)
    jwt_rate = statistics.median(w.per_second for _, w in rounds)
    extra_ms = (1 / jwt_rate - 1 / open_rate) * 1000
    lines = [
        f"Machine: {machine()}.",
        "",
        "| measure | figure |",
        "|---|---|",
        f"| inbound accepted and stored, open API (baseline) | {open_rate:,.0f} docs/s |",
        f"| inbound accepted and stored, with a bearer JWT | {jwt_rate:,.0f} docs/s |",
        f"| ratio authenticated / baseline | {jwt_rate / open_rate:.2f}x |",
        f"| the same app called in process, no HTTP stack | {median(asgi):,.0f} docs/s |",
        f"| time added per document at full load | {extra_ms:.3f} ms |",
        f"| JWT verified, first sight (signature and claims) | {costs['jwt_cold']:.1f} µs |",
        f"| JWT verified again (verified-token cache) | {costs['jwt_cached']:.2f} µs |",
        f"| API key checked (hash, cache) | {costs['api_key']:.1f} µs |",
        "",
        "Per repeat (open / JWT, docs/s; refused; stored = accepted): "
        + "; ".join(
            f"{a.per_second:,.0f} / {b.per_second:,.0f} ({a.refused + b.refused}; "
            f"{a.stored == a.accepted and b.stored == b.accepted})"
            for a, b in rounds
        ),
    ]
    return "\n".join(lines)


def record(text: str, command: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or add it at the end)."""
    current = DOCS.read_text(encoding="utf-8")
    section = f"{HEADING}\n\nRun with `{command}`.\n\n{text}\n"
    before, found, rest = current.partition(HEADING)
    if not found:
        DOCS.write_text(current.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        return
    following = rest.find("\n## ")
    after = "" if following < 0 else "\n" + rest[following + 1 :]
    DOCS.write_text(before + section + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--documents", type=int, default=60_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--record", action="store_true")
    options = parser.parse_args()
    if options.quick:
        options.seconds, options.repeats, options.documents = 2, 1, 15_000
    rounds = []
    for n in range(options.repeats):
        baseline = measure("open", options)
        secured = measure("jwt", options)
        print(f"repeat {n + 1}: open {baseline.per_second:,.0f}/s, "
              f"jwt {secured.per_second:,.0f}/s", flush=True)  # fmt: skip
        rounds.append((baseline, secured))
    asgi = [asyncio.run(in_process_rate()) for _ in range(options.repeats)]
    text = report(rounds, auth_costs(), asgi)
    print(text)
    if options.record:
        record(text, "python " + " ".join(["bench/api.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
