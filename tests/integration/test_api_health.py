"""``distsync serve`` over real HTTP: probes, metrics, OpenAPI and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from distsync.api.app import create_app
from distsync.config import build_landscape
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.ports import LogStats, SubscriptionSpec
from distsync.telemetry import Metrics
from distsync.testing import make_envelope

STARTUP_SECONDS = 20
STOP_SECONDS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def landscape(tmp_path: Path) -> Path:
    path = tmp_path / "landscape.yaml"
    path.write_text("runtime:\n  database: var/distsync.sqlite\n", encoding="utf-8")
    return path


def start(landscape: Path, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "serve", *args]
    return subprocess.Popen(
        command, cwd=landscape.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"no answer on {base}/healthz within {STARTUP_SECONDS}s")


@pytest.fixture
def server(landscape: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = start(landscape, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def seed_backlog(landscape: Path) -> None:
    """Two deliveries for a subscription this server does not handle: a backlog that stays."""

    async def go() -> None:
        log = SqliteMessageLog.open(f"sqlite:///{landscape.parent / 'var' / 'distsync.sqlite'}")
        await log.register(SubscriptionSpec("erp-sync", ("inventory.*",)))
        old = datetime.now(UTC) - timedelta(minutes=5)
        await log.append([make_envelope(received_at=old), make_envelope()])
        await log.close()

    asyncio.run(go())


def test_serve_answers_probes_and_stops_with_exit_0_on_sigterm(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = server
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, logs = process.communicate(timeout=STOP_SECONDS)
    assert process.returncode == 0, logs
    assert time.monotonic() - started < STOP_SECONDS
    assert '"action": "server.stopping"' in logs
    assert '"action": "server.stopped"' in logs


def test_metrics_show_backlog_and_its_age_per_subscription(
    landscape: Path, server: tuple[str, subprocess.Popen[str]]
) -> None:
    base, _ = server
    seed_backlog(landscape)
    response = httpx.get(f"{base}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'distsync_backlog{subscription="erp-sync"} 2.0' in text
    assert 'distsync_skipped_stale{subscription="erp-sync"} 0.0' in text
    ages = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("distsync_backlog_age_seconds{")
    }
    assert ages["erp-sync"] >= 290


def test_openapi_describes_the_probes_and_metrics(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, _ = server
    document = httpx.get(f"{base}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/healthz", "/readyz", "/metrics"} <= set(document["paths"])
    readiness = document["paths"]["/readyz"]["get"]["responses"]
    assert {"200", "503"} <= set(readiness)
    assert "text/plain" in document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


def test_serve_on_a_taken_port_ends_with_one_clear_error(landscape: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(landscape, "--port", str(port), "--role", "api")
        _, errors = process.communicate(timeout=STARTUP_SECONDS)
    assert process.returncode == 1
    assert f"error: listening on 127.0.0.1:{port}" in errors
    assert "Traceback" not in errors


class FailingBackend:
    """A backend whose database cannot be read (a stand-in: no real fault to inject here)."""

    async def ping(self) -> None:
        raise OSError("database is locked")

    async def stats(self) -> LogStats:
        raise OSError("database is locked")


class BrokenServices:
    backend = FailingBackend()
    metrics = Metrics()
    landscape = build_landscape({}, base_dir=Path.cwd())
    intake = None  # the probes never reach the inbound routes
    xrefs = None  # nor the cross-reference routes
    inventory = None  # no availability route
    shipping_rates = None  # no rates route
    orders = None  # no order validation route

    @staticmethod
    def clock() -> datetime:
        return datetime.now(UTC)


async def test_readyz_is_503_with_the_reason_when_the_backend_fails() -> None:
    app = create_app(BrokenServices())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://distsync") as client:
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "reason": "the backend failed: OSError: database is locked",
    }
    assert metrics.status_code == 200


async def test_readyz_is_503_once_shutdown_has_begun() -> None:
    stopping = asyncio.Event()
    stopping.set()
    app = create_app(BrokenServices(), stopping=stopping)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://distsync") as client:
        ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()["reason"]) == (503, "shutting down")
