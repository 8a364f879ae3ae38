"""The gateway in front of every route: correlation, trace context, body size, rate limits.

One pure ASGI middleware (no ``BaseHTTPMiddleware``: the inbound path must
stay cheap), installed by :func:`install_gateway`. For each HTTP request:

1. **Correlation.** ``X-Correlation-ID`` and W3C ``traceparent`` are taken
   when usable and made when not (``api/trace_context.py``). They sit in
   ``request.state`` (``correlation_id``, ``trace_id``, ``span_id``,
   ``parent_span_id``), are bound to every log line, and come back as headers
   on every response, errors included.
2. **Rate limit.** ``api/rate_limit.py`` picks the route group and the bucket;
   an empty bucket is answered 429 with ``Retry-After`` before the route runs.
3. **Body size.** A ``Content-Length`` above the group's limit is answered
   413 before a byte is read; a body without one is counted as it is read
   and refused (413) once it passes the limit.
4. **Failures.** An exception that escapes the app is answered 500
   ``internal_error`` (``api/problems.py``) here, so it too carries the headers.

An access line is logged at debug level (``action="api.request"``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from distsync.api.problems import internal_error, problem_response
from distsync.api.rate_limit import (
    ClientKeys,
    RateLimiter,
    Throttled,
    route_group,
    throttled_counter,
)
from distsync.api.trace_context import trace_state
from distsync.config_api import ApiPolicy, Group
from distsync.telemetry import Metrics, get_logger

__all__ = ["BodyTooLarge", "GatewayMiddleware", "install_gateway"]

_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")
log = get_logger(component="api")


class BodyTooLarge(HTTPException):
    """A body without ``Content-Length`` passed the limit while it was read (413)."""

    code = "payload_too_large"

    def __init__(self, limit: int, source: str) -> None:
        super().__init__(413, f"the request body is over the limit of {limit:,} bytes ({source})")


class GatewayMiddleware:
    """See the module docstring; one instance wraps the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: ApiPolicy,
        max_payload_bytes: int,
        limiter: RateLimiter | None,
        throttled: Counter,
    ) -> None:
        self.app = app
        self._policy = policy
        self._default_limit = max_payload_bytes
        self._limiter = limiter
        self._throttled = throttled
        self._clients = ClientKeys()
        self._log: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        correlation, traceparent, length, credential = _interesting_headers(scope["headers"])
        state = trace_state(scope.setdefault("state", {}), correlation, traceparent)
        reply = _Reply(send, state)
        tokens = bind_contextvars(
            correlation_id=state["correlation_id"], trace_id=state["trace_id"]
        )
        try:
            client = await self._serve(scope, receive, reply, length, credential)
            self._access_log().debug(
                "request served",
                action="api.request",
                method=scope["method"],
                route=getattr(scope.get("route"), "path", scope["path"]),
                status=reply.status,
                duration_ms=round((time.perf_counter() - began) * 1000, 3),
                client=client,
            )
        finally:
            reset_contextvars(**tokens)

    def _access_log(self) -> Any:
        """The logger, bound once: the lazy one would resolve its configuration per request."""
        if self._log is None:
            self._log = log.bind()
        return self._log

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        reply: _Reply,
        length: int | None,
        credential: bytes | None,
    ) -> str | None:
        """Guard and run the app; the client id the request was counted against, if known."""
        group = route_group(scope["method"], scope["path"])
        client = self._clients.client_for(credential)
        if group is not None and self._limiter is not None:
            key = f"client:{client}" if client else f"peer:{_peer(scope)}"
            refusal = self._limiter.check(group, key, client)
            if refusal is not None:
                await self._refuse_throttled(scope, receive, reply, refusal, client)
                return client
        limit = self._policy.body_limit(group, self._default_limit)
        if length is not None and length > limit:
            await _too_large(scope, receive, reply, length, limit, self._source(group))
            return client
        if length is None:
            receive = _counting(receive, limit, self._source(group))
        await self._run(scope, receive, reply)
        principal = scope["state"].get("principal")
        if principal is not None and credential is not None:
            self._clients.learn(credential, principal.client_id)
            client = principal.client_id
        return client

    def _source(self, group: Group | None) -> str:
        """The configuration key the body limit of ``group`` comes from."""
        if group is not None and group in self._policy.max_body_bytes:
            return f"api.max_body_bytes.{group}"
        return "runtime.max_payload_bytes"

    async def _run(self, scope: Scope, receive: Receive, reply: _Reply) -> None:
        try:
            await self.app(scope, receive, reply)
        except ClientDisconnect:
            log.info("client left before its body was read", action="api.client_disconnected")
        except BodyTooLarge as exc:
            if reply.started:
                raise
            await problem_response(413, exc.code, str(exc.detail))(scope, receive, reply)
        except Exception as exc:
            if reply.started:
                raise
            where = f"{scope['method']} {scope['path']}"
            await internal_error(exc, where=where)(scope, receive, reply)

    async def _refuse_throttled(
        self, scope: Scope, receive: Receive, reply: _Reply, refusal: Throttled, client: str | None
    ) -> None:
        self._throttled.labels(refusal.group).inc()
        wait = str(max(1, math.ceil(refusal.retry_after)))
        who = client or "this address"
        detail = f"too many {refusal.group} requests from {who}; retry after {wait} s"
        headers = {
            "Retry-After": wait,
            "RateLimit-Limit": str(refusal.limit),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": wait,
        }
        answer = problem_response(429, "rate_limited", detail, headers=headers, group=refusal.group)
        await answer(scope, receive, reply)


class _Reply:
    """``send`` that adds the correlation and trace headers and remembers the status."""

    __slots__ = ("_headers", "_send", "started", "status")

    def __init__(self, send: Send, state: dict[str, Any]) -> None:
        self._send = send
        self._headers = [
            (b"x-correlation-id", state["correlation_id"].encode()),
            (b"traceparent", state["traceparent"].encode()),
        ]
        self.started = False
        self.status = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started, self.status = True, message["status"]
            message["headers"] = [*message.get("headers", ()), *self._headers]
        await self._send(message)


def _interesting_headers(
    headers: list[tuple[bytes, bytes]],
) -> tuple[str | None, str | None, int | None, bytes | None]:
    correlation = traceparent = credential = None
    length: int | None = None
    for name, value in headers:
        if name == b"x-correlation-id":
            correlation = value.decode("latin-1")
        elif name == b"traceparent":
            traceparent = value.decode("latin-1").strip()
        elif name == b"content-length" and value.isdigit():
            length = int(value)
        elif name in _CREDENTIAL_HEADERS:
            credential = value
    return correlation, traceparent, length, credential


def _counting(receive: Receive, limit: int, source: str) -> Receive:
    """``receive`` that raises :class:`BodyTooLarge` once more than ``limit`` bytes came."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise BodyTooLarge(limit, source)
        return message

    return counted


async def _too_large(
    scope: Scope, receive: Receive, send: Send, size: int, limit: int, source: str
) -> None:
    detail = f"the request body of {size:,} bytes is over the limit of {limit:,} bytes ({source})"
    await problem_response(413, "payload_too_large", detail)(scope, receive, send)


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def install_gateway(
    app: FastAPI,
    policy: ApiPolicy,
    metrics: Metrics,
    *,
    max_payload_bytes: int,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Put the gateway in front of ``app``'s routes (before the app first serves)."""
    limits = policy.rate_limits
    limiter = RateLimiter(limits, clock=clock) if limits.enabled else None
    app.add_middleware(
        GatewayMiddleware,
        policy=policy,
        max_payload_bytes=max_payload_bytes,
        limiter=limiter,
        throttled=throttled_counter(metrics.registry),
    )
