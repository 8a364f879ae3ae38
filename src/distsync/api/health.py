"""Liveness and readiness probes.

``/healthz`` answers as long as the process serves HTTP. ``/readyz`` pings
the backend (a cheap read): ready only when that answers in time, and not
ready once shutdown has begun, so a load balancer stops sending work first.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from distsync.redaction import redact
from distsync.runtime.ports import LogInspector
from distsync.telemetry import get_logger

PROBE_TIMEOUT_SECONDS = 2.0

log = get_logger(component="api")


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    reason: str | None = None


async def unready_reason(backend: LogInspector, stopping: asyncio.Event | None) -> str | None:
    """Why this process should not take traffic now, or ``None`` when it may."""
    if stopping is not None and stopping.is_set():
        return "shutting down"
    try:
        await asyncio.wait_for(backend.ping(), PROBE_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"the backend did not answer within {PROBE_TIMEOUT_SECONDS}s"
    except Exception as exc:  # a probe reports a failure, it does not raise it
        log.warning("backend not ready", action="api.not_ready", error=repr(exc))
        return redact(f"the backend failed: {type(exc).__name__}: {exc}")
    return None


def health_router(backend: LogInspector, stopping: asyncio.Event | None = None) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive", operation_id="healthz")
    async def healthz() -> Liveness:
        return Liveness()

    @router.get(
        "/readyz",
        operation_id="readyz",
        summary="The backend answers and the process is not shutting down",
        responses={503: {"model": Readiness, "description": "Not ready, with the reason"}},
    )
    async def readyz(response: Response) -> Readiness:
        reason = await unready_reason(backend, stopping)
        if reason is None:
            return Readiness(status="ready")
        response.status_code = 503
        return Readiness(status="unavailable", reason=reason)

    return router
