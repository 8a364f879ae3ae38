"""One process serving the API, the worker, or both, in one event loop.

``serve`` owns the signals: SIGTERM and SIGINT set ``stop``. Then the worker
takes no new batch and finishes (or releases) the one in hand, uvicorn stops
accepting connections and lets running requests end, and the services are
closed. Work held by a process killed without that chance comes back to
another worker when its leases expire. This module sits above ``api`` and
``bootstrap`` (``runtime`` must not import ``api``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
from collections.abc import Coroutine, Iterator
from enum import StrEnum
from typing import Any

import uvicorn

from distsync.api.app import create_app
from distsync.bootstrap import Services
from distsync.errors import ConfigError
from distsync.runtime.scheduler import run_jobs
from distsync.telemetry import get_logger

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACEFUL_HTTP_SECONDS = 5

log = get_logger(component="server")


class Role(StrEnum):
    API = "api"
    WORKER = "worker"
    ALL = "all"


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    services: Services, *, role: Role | str, host: str, port: int, stop: asyncio.Event
) -> None:
    """Run ``role`` until ``stop`` is set (by a signal or the caller); closes ``services``."""
    chosen = Role(role)
    loop = asyncio.get_running_loop()
    for sig in SHUTDOWN_SIGNALS:
        loop.add_signal_handler(sig, _stop_on_signal, stop, sig)
    try:
        if services.inventory is not None:  # the book the worker keeps, before it runs
            await services.inventory.rebuild(services.backend)
            gc.freeze()  # the rebuilt book stays out of the collector's full passes
        await _run_until_stopped(_parts(services, chosen, host, port, stop), stop)
    finally:
        for sig in SHUTDOWN_SIGNALS:
            loop.remove_signal_handler(sig)
        await services.close()
        log.info("stopped", action="server.stopped", role=chosen.value)


def _stop_on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("stopping", action="server.stopping", signal=sig.name)
    stop.set()


def _parts(
    services: Services, role: Role, host: str, port: int, stop: asyncio.Event
) -> list[Coroutine[Any, Any, None]]:
    parts = []
    if role in (Role.API, Role.ALL):
        parts.append(_run_api(services, host, port, stop))
    if role in (Role.WORKER, Role.ALL):
        parts.append(_run_worker(services, stop))
    return parts


async def _run_until_stopped(parts: list[Coroutine[Any, Any, None]], stop: asyncio.Event) -> None:
    """Run the parts together; when one ends (or fails), the others are stopped too."""
    tasks = [asyncio.create_task(part) for part in parts]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]


async def _run_worker(services: Services, stop: asyncio.Event) -> None:
    worker = services.worker()
    log.info("worker started", action="server.worker_started", jobs=len(services.jobs))
    await asyncio.gather(worker.run(stop), run_jobs(services.jobs, stop))


async def _run_api(services: Services, host: str, port: int, stop: asyncio.Event) -> None:
    listener = listen(host, port)
    config = uvicorn.Config(
        create_app(services, stopping=stop, listen_host=host),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_HTTP_SECONDS,
    )
    api = _Uvicorn(config)
    bound_host, bound_port = listener.getsockname()[:2]
    log.info("api listening", action="server.listening", host=bound_host, port=bound_port)
    exit_when_stopped = asyncio.create_task(_exit_when(stop, api))
    try:
        await api.serve(sockets=[listener])
    finally:
        exit_when_stopped.cancel()
        listener.close()


async def _exit_when(stop: asyncio.Event, api: uvicorn.Server) -> None:
    await stop.wait()
    api.should_exit = True


def listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so that a taken port is a clear error and not an exit inside uvicorn."""
    try:
        listener = socket.create_server((host, port))
    except OSError as exc:
        raise ConfigError(
            f"listening on {host}:{port}: {exc.strerror or exc} (runtime.http or --host/--port)"
        ) from exc
    # uvicorn writes a response's head and body apart: without this the body waits
    # for the client's delayed acknowledgement, about 40 ms a request
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener
