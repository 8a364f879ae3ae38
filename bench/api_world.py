"""The world of ``bench/api.py``: its landscape file, its documents, and the in-process costs.

The landscape has one supplier, ``globex``, sending purchase-order
acknowledgements as JSON, a SQLite database at full durability, and, when
secured, a ``security`` section with one client acting for ``globex``
(scope ``inbound:write``). The inbound rate limit is lifted far above what
one machine can send: the benchmark measures intake and authentication, not
the limiter's refusals.

The documents are the model's example acknowledgement with a distinct
``ack_number`` each (so none is a duplicate of another), encoded into
complete HTTP/1.1 requests before the window opens.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import yaml

from distsync.api.app import create_app
from distsync.api.auth_api_keys import ApiKeys
from distsync.api.auth_keys import KeyRing
from distsync.api.auth_tokens import LocalTokens
from distsync.bootstrap import build
from distsync.config import build_landscape
from distsync.model.examples import example_po_ack

CLIENT_ID = "globex-portal"
CLIENT_SECRET = "bench-" + secrets.token_urlsafe(24)
SECRET_VARIABLE = "DISTSYNC_BENCH_GLOBEX_SECRET"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.create_server((HOST, 0)) as probe:
        port: int = probe.getsockname()[1]
        return port


def landscape_data(port: int, *, secured: bool) -> dict[str, object]:
    data: dict[str, object] = {
        "runtime": {"database": "var/distsync.sqlite", "http": {"host": HOST, "port": port}},
        "partners": {
            "globex": {"kind": "supplier", "party_id": "SUP-GLOBEX", "sends": ["json-po_ack"]}
        },
        "api": {"rate_limits": {"groups": {"inbound": {"rate": "1000000/s", "burst": 1_000_000}}}},
    }
    if secured:
        client = {"client_secret_env": SECRET_VARIABLE, "scopes": ["inbound:write"]}
        data["security"] = {"clients": {CLIENT_ID: client | {"partner": "globex"}}}
    return data


def write_landscape(folder: Path, port: int, *, secured: bool) -> Path:
    path = folder / "landscape.yaml"
    path.write_text(yaml.safe_dump(landscape_data(port, secured=secured)), encoding="utf-8")
    return path


def documents(count: int, route: str, port: int, token: str | None) -> list[bytes]:
    """``count`` distinct acknowledgements as ready-to-send HTTP requests."""
    template = orjson.loads(example_po_ack().model_dump_json())
    auth = "" if token is None else f"authorization: Bearer {token}\r\n"
    head = f"POST {route} HTTP/1.1\r\nhost: {HOST}:{port}\r\n{auth}"
    head += "content-type: application/json\r\n"
    head += "content-type: application/json\r\n"
    out = []
    for n in range(count):
        body = orjson.dumps(template | {"ack_number": f"ACK-B{n:07d}"})
        out.append(f"{head}content-length: {len(body)}\r\n\r\n".encode() + body)
    return out


async def in_process_rate(count: int = 6_000, concurrency: int = 32) -> float:
    """Documents per second through the app's ASGI callable and intake, without HTTP.

    The same app ``distsync serve`` runs (open landscape, SQLite at full
    durability), called directly with ``concurrency`` requests in flight: what
    the route, the gateway and the log cost, apart from uvicorn and sockets.
    """
    with tempfile.TemporaryDirectory(prefix="distsync-bench-asgi-") as folder:
        services = build(
            build_landscape(landscape_data(8080, secured=False), base_dir=Path(folder))
        )
        app = create_app(services)
        template = orjson.loads(example_po_ack().model_dump_json())
        bodies = [orjson.dumps(template | {"ack_number": f"ACK-A{n:07d}"}) for n in range(count)]
        gate = asyncio.Semaphore(concurrency)

        async def one(body: bytes) -> None:
            async with gate:
                await _call(app, "/v1/inbound/globex/po_ack", body)

        try:
            await asyncio.gather(*(one(body) for body in bodies[:500]))  # warm
            began = time.perf_counter()
            await asyncio.gather(*(one(body) for body in bodies[500:]))
            return (count - 500) / (time.perf_counter() - began)
        finally:
            await services.close()


async def _call(app: Any, path: str, body: bytes) -> None:
    headers = [(b"host", HOST.encode()), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": (HOST, 40000), "server": (HOST, 8080), "state": {}}  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        return {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    if status != [202]:
        raise RuntimeError(f"the app answered {status} to an inbound document")


def _median_us(calls: list[Callable[[], object]]) -> float:
    """The median time of one call, in microseconds, over batches of the given calls."""
    batches = []
    size = max(1, len(calls) // 20)
    for start in range(0, len(calls), size):
        chunk = calls[start : start + size]
        began = time.perf_counter()
        for call in chunk:
            call()
        batches.append((time.perf_counter() - began) / len(chunk))
    return statistics.median(batches) * 1e6


def auth_costs(count: int = 4_000) -> dict[str, float]:
    """Verifying our tokens (first sight and cached) and checking an API key, in µs."""
    with tempfile.TemporaryDirectory(prefix="distsync-bench-auth-") as folder:
        now = datetime.now(UTC)
        ring = KeyRing(
            Path(folder) / "keys", clock=lambda: now, token_ttl_seconds=900, key_lead_seconds=300
        )
        ring.init()
        tokens = LocalTokens(
            ring, issuer="distsync", audience="distsync", ttl_seconds=900, clock=lambda: now
        )
        fresh = [tokens.issue(CLIENT_ID, ["inbound:write"], "globex").access_token
                 for _ in range(count)]  # fmt: skip
        cold = _median_us([lambda t=t: tokens.verify(t) for t in fresh])
        cached = _median_us([lambda t=t: tokens.verify(t) for t in fresh])
        api_key = asyncio.run(_api_key_cost(Path(folder), count))
    return {"jwt_cold": cold, "jwt_cached": cached, "api_key": api_key}


async def _api_key_cost(folder: Path, count: int) -> float:
    landscape = build_landscape(landscape_data(free_port(), secured=False), base_dir=folder)
    services = build(landscape)
    try:
        keys = ApiKeys(services.backend, writer=services.backend, clock=services.clock)
        created = await keys.create(partner="globex", scopes=["inbound:write"], label="b", by="b")
        await keys.authenticate(created.key)  # read once; then the cache answers
        began = time.perf_counter()
        for _ in range(count):
            await keys.authenticate(created.key)
        return (time.perf_counter() - began) / count * 1e6
    finally:
        await services.close()
