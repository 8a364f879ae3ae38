"""The JSON-over-HTTP connector's delivery contract, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from distsync.connectors.http_json import (
    BatchHttpJsonConnector,
    HttpJsonConnector,
    parse_retry_after,
)
from distsync.errors import (
    AuthenticationFailed,
    NotConnected,
    PermanentError,
    RateLimited,
    Rejected,
    RetryableError,
)
from distsync.runtime.ports import OutboundRequest, Receipt

TIMEOUT = 0.3


class Endpoint(ThreadingHTTPServer):
    """A scripted endpoint: each path answers one way; ``/orders`` absorbs repeated keys."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.orders: dict[str, str] = {}
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out and left is expected here, not an error."""


class ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Endpoint

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.loads(raw) if raw else None
        with self.server.lock:
            self.server.requests.append((self.path, dict(self.headers), body))
        route = self.path.lstrip("/")
        if route == "hangup":
            self.close_connection = True
            return
        if route == "slow":
            time.sleep(TIMEOUT * 4)
        status, headers, answer = self._answer(route, body)
        self._reply(status, headers, answer)

    def _answer(self, route: str, body: Any) -> tuple[int, dict[str, str], Any]:
        in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
        fixed = {
            "down": (503, {"Retry-After": "2"}, {"error": "maintenance window"}),
            "timeout-at-proxy": (408, {}, {"error": "request timeout"}),
            "busy": (429, {"Retry-After": "7"}, {"error": "slow down"}),
            "busy-until": (429, {"Retry-After": in_a_minute}, {"error": "quota"}),
            "invalid": (422, {}, {"error": "unknown sku ZZZ-1 on line 3"}),
            "secret": (401, {}, {"error": "bad token"}),
            "forbidden": (403, {}, {"error": "not allowed"}),
            "slow": (200, {}, {"id": "late"}),
            "down:batch": (502, {}, {"error": "bad gateway"}),
        }
        if route in fixed:
            return fixed[route]
        if route == "orders":
            return self._create(self.headers["Idempotency-Key"])
        if route == "orders:batch":
            return 200, {}, {"results": [self._batch_item(item) for item in body["requests"]]}
        return 404, {}, {"error": f"no route {route}"}

    def _create(self, key: str) -> tuple[int, dict[str, str], Any]:
        with self.server.lock:
            known = self.server.orders.get(key)
            if known is None:
                self.server.orders[key] = f"ORD-{len(self.server.orders) + 1}"
        if known is not None:
            return 200, {"Idempotent-Replayed": "true"}, {"id": known}
        return 201, {}, {"id": self.server.orders[key]}

    def _batch_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if item["body"].get("bad"):
            return {"status": 422, "error": "quantity must be positive"}
        if item["body"].get("later"):
            return {"status": 503, "error": "locked", "retry_after": 3}
        _, headers, answer = self._create(item["idempotency_key"])
        return {**answer, "duplicate": "Idempotent-Replayed" in headers}

    def _reply(self, status: int, headers: dict[str, str], answer: Any) -> None:
        payload = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
async def connector(endpoint: Endpoint) -> AsyncIterator[HttpJsonConnector]:
    conn = HttpJsonConnector(
        "wms-east", endpoint.url, timeout_seconds=TIMEOUT, headers={"Authorization": "Bearer t"}
    )
    await conn.connect()
    yield conn
    await conn.close()


@pytest.fixture
async def batch_connector(endpoint: Endpoint) -> AsyncIterator[BatchHttpJsonConnector]:
    conn = BatchHttpJsonConnector("wms-east", endpoint.url, timeout_seconds=TIMEOUT)
    await conn.connect()
    yield conn
    await conn.close()


def request(operation: str = "orders", key: str = "asn:ASN-1", **body: Any) -> OutboundRequest:
    return OutboundRequest(
        destination="wms-east",
        operation=operation,
        idempotency_key=key,
        body=body or {"asn_number": "ASN-1"},
        correlation_id="corr-42",
    )


async def test_a_created_document_returns_its_remote_id_and_carries_the_headers(
    connector: HttpJsonConnector, endpoint: Endpoint
) -> None:
    receipt = await connector.send(request(asn_number="ASN-1", lines=[1, 2]))

    assert receipt == Receipt(remote_id="ORD-1", duplicate=False)
    ((path, headers, body),) = endpoint.requests
    assert path == "/orders"
    assert headers["Idempotency-Key"] == "asn:ASN-1"
    assert headers["X-Correlation-ID"] == "corr-42"
    assert headers["Authorization"] == "Bearer t"
    assert headers["Content-Type"] == "application/json"
    assert body == {"asn_number": "ASN-1", "lines": [1, 2]}


async def test_a_repeated_idempotency_key_is_absorbed_and_reported_as_duplicate(
    connector: HttpJsonConnector, endpoint: Endpoint
) -> None:
    first = await connector.send(request(key="asn:ASN-7"))
    again = await connector.send(request(key="asn:ASN-7"))

    assert first == Receipt(remote_id="ORD-1", duplicate=False)
    assert again == Receipt(remote_id="ORD-1", duplicate=True)
    assert endpoint.orders == {"asn:ASN-7": "ORD-1"}


async def test_5xx_is_retryable_and_names_the_call(connector: HttpJsonConnector) -> None:
    with pytest.raises(RetryableError) as raised:
        await connector.send(request("down", key="asn:ASN-9"))

    assert not isinstance(raised.value, RateLimited | NotConnected)
    assert raised.value.retry_after == 2.0
    assert str(raised.value) == (
        "sending down asn:ASN-9 to wms-east: HTTP 503 Service Unavailable: "
        '{"error": "maintenance window"}'
    )


async def test_408_is_retryable(connector: HttpJsonConnector) -> None:
    with pytest.raises(RetryableError, match="HTTP 408"):
        await connector.send(request("timeout-at-proxy"))


async def test_429_is_rate_limited_with_the_retry_after_seconds(
    connector: HttpJsonConnector,
) -> None:
    with pytest.raises(RateLimited, match="HTTP 429 Too Many Requests") as raised:
        await connector.send(request("busy"))

    assert raised.value.retry_after == 7.0


async def test_429_with_an_http_date_waits_until_that_moment(connector: HttpJsonConnector) -> None:
    with pytest.raises(RateLimited) as raised:
        await connector.send(request("busy-until"))

    assert raised.value.retry_after is not None
    assert 55 <= raised.value.retry_after <= 60


async def test_4xx_is_rejected_permanently_with_an_excerpt_of_the_answer(
    connector: HttpJsonConnector,
) -> None:
    with pytest.raises(Rejected, match=r"HTTP 422 Unprocessable .*unknown sku ZZZ-1 on line 3"):
        await connector.send(request("invalid"))


async def test_refused_credentials_fail_authentication(connector: HttpJsonConnector) -> None:
    with pytest.raises(AuthenticationFailed, match="sending secret "):
        await connector.send(request("secret"))


async def test_forbidden_is_rejected_without_logging_in_again(
    connector: HttpJsonConnector,
) -> None:
    with pytest.raises(Rejected, match=r"HTTP 403 .*not allowed"):
        await connector.send(request("forbidden"))


async def test_an_unknown_route_is_rejected(connector: HttpJsonConnector) -> None:
    with pytest.raises(Rejected, match="HTTP 404"):
        await connector.send(request("nowhere"))


async def test_a_timeout_is_retryable(connector: HttpJsonConnector) -> None:
    started = time.perf_counter()
    with pytest.raises(RetryableError, match=f"no answer within {TIMEOUT}s") as raised:
        await connector.send(request("slow"))

    assert not isinstance(raised.value, NotConnected)
    assert time.perf_counter() - started < TIMEOUT * 3


async def test_connection_refused_is_not_connected() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = HttpJsonConnector("wms-east", f"http://127.0.0.1:{port}", timeout_seconds=TIMEOUT)
    try:
        with pytest.raises(NotConnected, match="sending orders asn:ASN-1 to wms-east"):
            await conn.send(request())
    finally:
        await conn.close()


async def test_a_connection_closed_without_an_answer_is_not_connected(
    connector: HttpJsonConnector,
) -> None:
    with pytest.raises(NotConnected, match="sending hangup"):
        await connector.send(request("hangup"))


async def test_a_bad_url_is_a_permanent_error() -> None:
    conn = HttpJsonConnector("wms-east", "ftp://127.0.0.1:1", timeout_seconds=TIMEOUT)
    try:
        with pytest.raises(PermanentError, match="sending orders"):
            await conn.send(request())
    finally:
        await conn.close()


async def test_the_plain_connector_has_no_bulk_api() -> None:
    assert not hasattr(HttpJsonConnector("wms", "http://127.0.0.1:1"), "send_batch")
    assert hasattr(BatchHttpJsonConnector("wms", "http://127.0.0.1:1"), "send_batch")


async def test_a_batch_is_one_post_per_operation_with_one_result_per_request(
    batch_connector: BatchHttpJsonConnector, endpoint: Endpoint
) -> None:
    await batch_connector.send(request(key="k-1"))
    results = await batch_connector.send_batch(
        [
            request(key="k-1"),
            request(key="k-2"),
            request(key="k-3", bad=True),
            request(key="k-4", later=True),
        ]
    )

    assert results[0] == Receipt(remote_id="ORD-1", duplicate=True)
    assert results[1] == Receipt(remote_id="ORD-2", duplicate=False)
    assert isinstance(results[2], Rejected)
    assert "sending orders k-3 to wms-east: HTTP 422: quantity must be positive" in str(results[2])
    assert isinstance(results[3], RetryableError)
    assert results[3].retry_after == 3.0
    path, _, body = endpoint.requests[-1]
    assert path == "/orders:batch"
    assert [item["idempotency_key"] for item in body["requests"]] == ["k-1", "k-2", "k-3", "k-4"]
    assert body["requests"][0]["correlation_id"] == "corr-42"


async def test_a_failed_bulk_call_fails_only_the_requests_it_carried(
    batch_connector: BatchHttpJsonConnector, endpoint: Endpoint
) -> None:
    results = await batch_connector.send_batch(
        [request("down", key="a"), request(key="b"), request("down", key="c")]
    )

    assert results[1] == Receipt(remote_id="ORD-1", duplicate=False)
    assert results[0] is results[2]
    assert isinstance(results[0], RetryableError)
    assert str(results[0]).startswith("sending 2 down to wms-east: HTTP 502 Bad Gateway")
    assert sorted(path for path, _, _ in endpoint.requests) == ["/down:batch", "/orders:batch"]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Mon, 05 Jan 2026 09:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 05 Jan 2026 08:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None
