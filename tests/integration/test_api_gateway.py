"""The gateway over HTTP: correlation and trace headers, body limits, rate limits, 500s.

A small app is assembled here with the real gateway and problem handlers
and served by uvicorn on 127.0.0.1. Its authenticator maps fixed bearer
strings to principals; the real token and API key verification is tested in
``test_api_auth.py``. The rate limiter's clock is a fake one the tests move,
so refills happen exactly when a test says.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import structlog
import structlog.testing
import uvicorn
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from distsync.api.middleware import install_gateway
from distsync.api.principal import (
    INBOUND_WRITE,
    SYNC_READ,
    Principal,
    Unauthenticated,
    require,
)
from distsync.api.problems import install_problem_handlers
from distsync.config_api import ApiPolicy
from distsync.telemetry import Metrics
from distsync.testing_http import loopback_listener

PRINCIPALS = {
    "Bearer acme-token": Principal("acme-portal", frozenset({INBOUND_WRITE, SYNC_READ})),
    "Bearer globex-token": Principal("globex", frozenset({INBOUND_WRITE, SYNC_READ})),
}
ACME = {"Authorization": "Bearer acme-token"}
GLOBEX = {"Authorization": "Bearer globex-token"}
POLICY = ApiPolicy.model_validate(
    {
        "max_body_bytes": {"inbound": 8192},
        "rate_limits": {
            "groups": {
                "inbound": {"rate": "2/s", "burst": 5},
                "sync": {"rate": "1/s", "burst": 60},
            },
            "clients": {"globex": {"inbound": {"rate": "1/s", "burst": 2}}},
        },
    }
)
RUNTIME_LIMIT = 4096
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
HEX32 = re.compile(r"[0-9a-f]{32}")


class FixedTokens:
    """An ``Authenticator`` that knows two bearer strings."""

    async def authenticate(self, request: Request) -> Principal:
        principal = PRINCIPALS.get(request.headers.get("authorization", ""))
        if principal is None:
            raise Unauthenticated("unknown bearer string")
        return principal


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Order(BaseModel):
    order_number: str
    quantity: int


@dataclass
class Gateway:
    client: httpx.AsyncClient
    clock: FakeClock
    metrics: Metrics
    bodies_read: list[int] = field(default_factory=list)

    def throttled(self, group: str) -> float | None:
        sample = {"group": group}
        return self.metrics.registry.get_sample_value("distsync_api_throttled_total", sample)


def make_app(seen: list[int]) -> FastAPI:
    app = FastAPI()
    app.state.authenticator = FixedTokens()

    @app.post(
        "/v1/inbound/{partner}/{document_type}", dependencies=[Depends(require(INBOUND_WRITE))]
    )
    async def inbound(partner: str, document_type: str, request: Request) -> dict[str, Any]:
        body = await request.body()
        seen.append(len(body))
        return {"bytes": len(body), **_seen_by_route(request)}

    @app.get("/v1/availability", dependencies=[Depends(require(SYNC_READ))])
    async def availability(request: Request) -> dict[str, Any]:
        return _seen_by_route(request)

    @app.post("/v1/orders/validate", dependencies=[Depends(require(SYNC_READ))])
    async def validate(order: Order) -> dict[str, str]:
        return {"order_number": order.order_number}

    @app.get("/v1/fault", dependencies=[Depends(require(SYNC_READ))])
    async def fault() -> None:
        raise RuntimeError("database password is hunter2")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _seen_by_route(request: Request) -> dict[str, Any]:
    state = request.state
    logged = structlog.contextvars.get_contextvars()
    return {
        "correlation_id": state.correlation_id,
        "trace_id": state.trace_id,
        "parent_span_id": state.parent_span_id,
        "logged_correlation_id": logged.get("correlation_id"),
    }


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    clock, metrics, seen = FakeClock(), Metrics(), list[int]()
    app = make_app(seen)
    install_problem_handlers(app)
    install_gateway(app, POLICY, metrics, max_payload_bytes=RUNTIME_LIMIT, clock=clock)
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield Gateway(client, clock, metrics, seen)
    finally:
        server.should_exit = True
        await serving
        listener.close()


def assert_problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == (status, error)
    return body


def span_of(response: httpx.Response) -> tuple[str, str, str]:
    version, trace_id, span_id, flags = response.headers["traceparent"].split("-")
    assert version == "00"
    assert HEX32.fullmatch(trace_id)
    assert re.fullmatch("[0-9a-f]{16}", span_id)
    return trace_id, span_id, flags


async def test_the_callers_correlation_id_and_trace_are_carried_through(gateway: Gateway) -> None:
    headers = {
        **GLOBEX,
        "X-Correlation-ID": "order:PO-8812.v2",
        "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01",
    }
    response = await gateway.client.get("/v1/availability", headers=headers)

    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == "order:PO-8812.v2"
    trace_id, span_id, flags = span_of(response)
    assert (trace_id, flags) == (TRACE_ID, "01")
    assert span_id != CALLER_SPAN
    assert response.json() == {
        "correlation_id": "order:PO-8812.v2",
        "trace_id": TRACE_ID,
        "parent_span_id": CALLER_SPAN,
        "logged_correlation_id": "order:PO-8812.v2",
    }


async def test_without_headers_a_new_trace_starts_and_names_the_correlation(
    gateway: Gateway,
) -> None:
    first = await gateway.client.get("/v1/availability", headers=GLOBEX)
    second = await gateway.client.get("/v1/availability", headers=GLOBEX)

    trace_id, _, _ = span_of(first)
    assert first.headers["x-correlation-id"] == trace_id == first.json()["trace_id"]
    assert first.json()["parent_span_id"] is None
    assert span_of(second)[0] != trace_id


@pytest.mark.parametrize(
    "bad_correlation",
    ["has spaces", "x" * 129, "semi;colon", ""],
    ids=["spaces", "long", "semi", "empty"],
)
async def test_a_bad_correlation_id_is_replaced_not_refused(
    gateway: Gateway, bad_correlation: str
) -> None:
    headers = {**GLOBEX, "X-Correlation-ID": bad_correlation}
    response = await gateway.client.get("/v1/availability", headers=headers)

    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == span_of(response)[0]


@pytest.mark.parametrize(
    "bad_traceparent",
    [
        f"00-{'0' * 32}-{CALLER_SPAN}-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero parent
        f"ff-{TRACE_ID}-{CALLER_SPAN}-01",  # forbidden version
        f"00-{TRACE_ID.upper()}-{CALLER_SPAN}-01",
        f"00-{TRACE_ID}-{CALLER_SPAN}-01-extra",
        "garbage",
    ],
)
async def test_a_bad_traceparent_starts_a_new_trace(gateway: Gateway, bad_traceparent: str) -> None:
    headers = {**GLOBEX, "traceparent": bad_traceparent}
    response = await gateway.client.get("/v1/availability", headers=headers)

    assert response.status_code == 200
    assert span_of(response)[0] != TRACE_ID
    assert response.json()["parent_span_id"] is None


async def test_a_future_traceparent_version_keeps_its_trace(gateway: Gateway) -> None:
    headers = {**GLOBEX, "traceparent": f"01-{TRACE_ID}-{CALLER_SPAN}-01-more-fields"}
    response = await gateway.client.get("/v1/availability", headers=headers)

    assert span_of(response)[0] == TRACE_ID


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "error"),
    [
        ("GET", "/v1/availability", {}, None, 401, "unauthenticated"),
        ("GET", "/v1/nowhere", GLOBEX, None, 404, "not_found"),
        ("POST", "/v1/orders/validate", GLOBEX, b'{"order_number": 7}', 422, "invalid_request"),
        ("GET", "/v1/fault", GLOBEX, None, 500, "internal_error"),
        ("POST", "/v1/orders/validate", GLOBEX, b"x" * 5000, 413, "payload_too_large"),
    ],
)
async def test_errors_carry_the_correlation_and_trace_headers_too(
    gateway: Gateway,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    error: str,
) -> None:
    sent = {
        **headers,
        "X-Correlation-ID": "corr-1",
        "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-00",
    }
    sent.setdefault("Content-Type", "application/json")
    with structlog.testing.capture_logs():  # quiet and quick: no pretty tracebacks
        response = await gateway.client.request(method, path, headers=sent, content=body)

    assert_problem(response, status, error)
    assert response.headers["x-correlation-id"] == "corr-1"
    assert span_of(response)[0] == TRACE_ID


async def test_an_unhandled_exception_answers_500_without_its_text(gateway: Gateway) -> None:
    with structlog.testing.capture_logs() as logged:
        response = await gateway.client.get("/v1/fault", headers=GLOBEX)

    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert body["reference"] in body["detail"]
    (line,) = [e for e in logged if e["action"] == "api.unhandled"]
    assert line["reference"] == body["reference"]
    assert "hunter2" in str(line["exc_info"])  # the operator gets what the client does not
    assert (await gateway.client.get("/healthz")).status_code == 200  # the server lives on


async def test_a_body_over_the_limit_is_refused_by_its_length_before_it_is_read(
    gateway: Gateway,
) -> None:
    inbound = await gateway.client.post("/v1/inbound/acme/asn", headers=ACME, content=b"x" * 9000)
    sync = await gateway.client.post("/v1/orders/validate", headers=GLOBEX, content=b"x" * 5000)

    assert (
        "api.max_body_bytes.inbound" in assert_problem(inbound, 413, "payload_too_large")["detail"]
    )
    detail = assert_problem(sync, 413, "payload_too_large")["detail"]
    assert "5,000 bytes" in detail
    assert "runtime.max_payload_bytes" in detail
    assert gateway.bodies_read == []
    ok = await gateway.client.post("/v1/inbound/acme/asn", headers=ACME, content=b"x" * 8000)
    assert ok.json()["bytes"] == 8000  # the inbound group's own limit is above the runtime's


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"y" * size


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(gateway: Gateway) -> None:
    over = await gateway.client.post("/v1/inbound/acme/asn", headers=ACME, content=chunks(20, 1000))
    under = await gateway.client.post("/v1/inbound/acme/asn", headers=ACME, content=chunks(8, 1000))

    body = assert_problem(over, 413, "payload_too_large")
    assert "8,192 bytes" in body["detail"]
    assert under.status_code == 200
    assert under.json()["bytes"] == 8000
    assert gateway.bodies_read == [8000]


async def test_after_the_burst_a_client_gets_429_with_retry_after_until_the_refill(
    gateway: Gateway,
) -> None:
    await gateway.client.get("/v1/availability", headers=ACME)  # the token is verified now
    answers = [await gateway.client.post("/v1/inbound/acme/asn", headers=ACME) for _ in range(7)]
    statuses = [a.status_code for a in answers]

    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    refused = answers[5]
    body = assert_problem(refused, 429, "rate_limited")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-limit"] == "5"
    assert "acme-portal" in body["detail"]
    assert body["group"] == "inbound"
    assert refused.headers["x-correlation-id"]
    assert gateway.throttled("inbound") == 2

    gateway.clock.now += 0.5  # one token at 2/s
    again = [await gateway.client.post("/v1/inbound/acme/asn", headers=ACME) for _ in range(2)]
    assert [a.status_code for a in again] == [200, 429]


async def test_a_credential_not_yet_verified_spends_its_peers_bucket(gateway: Gateway) -> None:
    first = await gateway.client.post("/v1/inbound/acme/asn", headers=ACME)
    answers = [await gateway.client.post("/v1/inbound/acme/asn", headers=ACME) for _ in range(6)]

    assert first.status_code == 200
    assert [a.status_code for a in answers] == [200] * 5 + [429]  # acme's own burst of 5
    assert "acme-portal" in answers[5].json()["detail"]


async def test_a_client_override_gives_that_client_its_own_figure(gateway: Gateway) -> None:
    await gateway.client.get("/v1/availability", headers=GLOBEX)  # verified from now on
    answers = [await gateway.client.post("/v1/inbound/g/asn", headers=GLOBEX) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["ratelimit-limit"] == "2"


async def test_forged_credentials_spend_only_their_senders_bucket(gateway: Gateway) -> None:
    await gateway.client.post("/v1/inbound/acme/asn", headers=ACME)  # acme is known now
    forged = {"Authorization": "Bearer acme-token-forged"}
    refusals = [await gateway.client.post("/v1/inbound/acme/asn", headers=forged) for _ in range(8)]

    assert {r.status_code for r in refusals} == {401, 429}
    acme = [await gateway.client.post("/v1/inbound/acme/asn", headers=ACME) for _ in range(4)]
    assert [a.status_code for a in acme] == [200] * 4


async def test_open_routes_are_never_limited(gateway: Gateway) -> None:
    answers = await asyncio.gather(*(gateway.client.get("/healthz") for _ in range(80)))

    assert {a.status_code for a in answers} == {200}


async def test_a_flood_of_inbound_is_throttled_while_sync_calls_keep_answering(
    gateway: Gateway,
) -> None:
    await gateway.client.post("/v1/inbound/acme/asn", headers=ACME)  # acme is known now
    baseline = await sync_latencies(gateway, 10)
    flood_statuses: list[int] = []

    async def flood() -> None:
        for _ in range(60):
            answer = await gateway.client.post(
                "/v1/inbound/acme/asn", headers=ACME, content=b"z" * 2000
            )
            flood_statuses.append(answer.status_code)

    flooding = [asyncio.create_task(flood()) for _ in range(6)]
    during = await sync_latencies(gateway, 40)
    await asyncio.gather(*flooding)

    assert len(flood_statuses) == 360
    assert flood_statuses.count(429) >= 350
    assert gateway.throttled("inbound") == flood_statuses.count(429)
    assert gateway.throttled("sync") == 0
    assert max(during) < 1.0, during
    assert statistics.median(during) < max(0.1, 10 * statistics.median(baseline))


async def sync_latencies(gateway: Gateway, count: int) -> list[float]:
    """Seconds each of ``count`` sync calls took; every one must have answered 200."""
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        response = await gateway.client.get("/v1/availability", headers=GLOBEX)
        latencies.append(time.perf_counter() - began)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0)
    return latencies


@pytest.fixture(autouse=True)
def _no_leaked_context() -> Iterator[None]:
    yield
    structlog.contextvars.clear_contextvars()
