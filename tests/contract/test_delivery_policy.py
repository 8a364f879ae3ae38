"""The delivery policy's contract, against a real HTTP endpoint on 127.0.0.1.

Every test goes the way production goes: a ``systems.<name>`` entry as
landscape data, the ``http-json`` connector built by the registry, wrapped by
``with_policy``, calling the fault-injecting simulator. What the endpoint saw
is read from the simulator's request log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from distsync.bootstrap import Overrides, build
from distsync.config import SystemConfig, build_landscape
from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy import PolicyConnector, with_policy
from distsync.connectors.registry import build_connector
from distsync.errors import (
    AuthenticationFailed,
    MalformedDocument,
    NotConnected,
    RateLimited,
    Rejected,
    RetryableError,
    SchemaViolation,
)
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import OutboundRequest, Receipt, SubscriptionSpec
from distsync.runtime.worker import Subscription
from distsync.testing import (
    HttpEndpointSimulator,
    InMemoryMessageLog,
    RecordedRequest,
    Reply,
    make_envelope,
)

TIMEOUT = 0.3
FAST_RETRY = {"attempts": 3, "base_seconds": 0.01, "cap_seconds": 0.05, "max_wait_seconds": 3}
LENIENT_BREAKER = {"failures": 1000, "min_calls": 1000}

Deliver = Callable[..., Awaitable[PolicyConnector]]


@pytest.fixture
def endpoint() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as simulator:
        yield simulator
    missing = [r.path for r in simulator.requests if not keyed(r)]
    assert not missing, f"requests reached the endpoint without an idempotency key: {missing}"


def keyed(seen: RecordedRequest) -> bool:
    """A header for one request; in a bulk call, one key per request in the body."""
    if seen.path.endswith(":batch"):
        return all(item["idempotency_key"] for item in seen.json()["requests"])
    return bool(seen.idempotency_key)


@pytest.fixture
def metrics() -> ConnectorMetrics:
    return ConnectorMetrics()


@pytest.fixture
async def deliver(
    endpoint: HttpEndpointSimulator, metrics: ConnectorMetrics
) -> AsyncIterator[Deliver]:
    """Builds ``systems.wms`` from landscape data (overridable), connected, closed at the end."""
    made: list[PolicyConnector] = []

    async def make(**keys: Any) -> PolicyConnector:
        policy = {"retry": FAST_RETRY, "breaker": LENIENT_BREAKER, **keys.pop("policy", {})}
        data = {"type": "http-json", "url": endpoint.url, "timeout_seconds": TIMEOUT, **keys}
        system = SystemConfig.model_validate({**data, "policy": policy})
        connector = with_policy("wms", build_connector("wms", system), system, metrics=metrics)
        await connector.connect()
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.close()


def request(key: str = "asn:ASN-1:1", operation: str = "orders") -> OutboundRequest:
    return OutboundRequest("wms", operation, key, {"asn_number": "ASN-1"}, "corr-42")


def sample(metrics: ConnectorMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, {"system": "wms", **labels}) or 0.0


def most_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    """The largest number of ``times`` inside one closed window of ``window`` seconds."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] < moment - window:
            start += 1
        most = max(most, end - start + 1)
    return most


# -- what goes through ------------------------------------------------------------------------


async def test_a_document_reaches_the_endpoint_once_with_its_idempotency_key(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    connector = await deliver()

    receipt = await connector.send(request())

    assert receipt == Receipt(remote_id="S-1", duplicate=False)
    (seen,) = endpoint.requests
    assert (seen.method, seen.path, seen.idempotency_key) == ("POST", "/orders", "asn:ASN-1:1")
    assert seen.header("x-correlation-id") == "corr-42"
    assert seen.json() == {"asn_number": "ASN-1"}


async def test_a_repeated_key_is_absorbed_by_the_endpoint_and_reported_duplicate(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    connector = await deliver()

    first = await connector.send(request())
    again = await connector.send(request())

    assert first == Receipt(remote_id="S-1", duplicate=False)
    assert again == Receipt(remote_id="S-1", duplicate=True)
    assert len(endpoint.requests) == 2


async def test_a_slow_answer_within_the_timeout_is_a_success(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.slow(TIMEOUT / 3))
    connector = await deliver()

    assert (await connector.send(request())).remote_id == "S-1"


# -- retryable failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply.error(503), RetryableError, "HTTP 503"),
        (Reply.error(500), RetryableError, "HTTP 500"),
        (Reply.error(502), RetryableError, "HTTP 502"),
        (Reply.error(408), RetryableError, "HTTP 408"),
        (Reply.hanging(), RetryableError, "no answer within 0.3s"),
        (Reply.truncated(), NotConnected, "sending orders"),
        (Reply.hangup(), NotConnected, "sending orders"),
    ],
    ids=["503", "500", "502", "408", "timeout", "truncated", "hangup"],
)
async def test_a_retryable_failure_is_retried_in_call_then_raised_retryable(
    deliver: Deliver,
    endpoint: HttpEndpointSimulator,
    metrics: ConnectorMetrics,
    reply: Reply,
    error: type[Exception],
    message: str,
) -> None:
    endpoint.script(reply, reply, reply)
    connector = await deliver()

    with pytest.raises(error, match=message) as raised:
        await connector.send(request())

    assert not isinstance(raised.value, RateLimited)
    assert len(endpoint.requests) == 3
    assert sample(metrics, "distsync_connector_retries_total") == 2


async def test_a_retryable_failure_that_clears_within_the_call_is_a_success(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.error(503), Reply.hanging())
    connector = await deliver()

    assert (await connector.send(request())).remote_id == "S-1"
    assert [r.idempotency_key for r in endpoint.requests] == ["asn:ASN-1:1"] * 3


async def test_a_refused_connection_is_not_connected_and_recovers_when_it_listens_again(
    deliver: Deliver, endpoint: HttpEndpointSimulator, metrics: ConnectorMetrics
) -> None:
    connector = await deliver()
    await connector.send(request("k-0"))
    endpoint.refuse()

    with pytest.raises(NotConnected, match="sending orders k-1 to wms"):
        await connector.send(request("k-1"))
    endpoint.accept()

    assert (await connector.send(request("k-1"))).remote_id == "S-2"
    assert sample(metrics, "distsync_connector_attempts_total", outcome="retryable") == 3


# -- Retry-After ---------------------------------------------------------------------------


async def test_429_with_a_long_retry_after_goes_back_to_the_runtime_at_once(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.too_many(retry_after=30))
    connector = await deliver()

    with pytest.raises(RateLimited, match="HTTP 429") as raised:
        await connector.send(request())

    assert raised.value.retry_after == 30.0
    assert len(endpoint.requests) == 1


async def test_retry_after_in_seconds_is_honoured(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.too_many(retry_after=1))
    connector = await deliver()

    assert (await connector.send(request())).remote_id == "S-1"

    first, second = endpoint.requests
    assert second.monotonic - first.monotonic >= 1.0


async def test_retry_after_as_an_http_date_is_honoured(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    not_before = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    endpoint.script(Reply.error(503, retry_after=not_before))
    connector = await deliver()

    assert (await connector.send(request())).remote_id == "S-1"

    first, second = endpoint.requests
    assert first.header("idempotency-key") == second.header("idempotency-key")
    assert second.at >= not_before.timestamp() - 0.005


# -- permanent failures --------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404, 409, 422])
async def test_another_4xx_is_rejected_at_once(
    deliver: Deliver, endpoint: HttpEndpointSimulator, status: int
) -> None:
    endpoint.script(Reply.error(status, {"error": "unknown location QC-1"}))
    connector = await deliver()

    with pytest.raises(Rejected, match=f"HTTP {status} .*unknown location QC-1"):
        await connector.send(request())

    assert len(endpoint.requests) == 1


async def test_a_2xx_whose_body_is_not_json_is_a_malformed_document(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.malformed())
    connector = await deliver()

    with pytest.raises(MalformedDocument, match="HTTP 200 answer is not a JSON object"):
        await connector.send(request())

    assert len(endpoint.requests) == 1


async def test_a_5xx_with_a_malformed_body_is_still_retryable(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply(status=503, raw=b"<html>down"), Reply.ok())
    connector = await deliver()

    assert (await connector.send(request())).remote_id == "S-1"


async def test_401_reads_the_token_again_once_and_repeats_the_call(
    deliver: Deliver, endpoint: HttpEndpointSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WMS_TOKEN", "wms-token-old-7f3a")
    connector = await deliver(token_env="WMS_TOKEN")
    monkeypatch.setenv("WMS_TOKEN", "wms-token-new-c91e")
    endpoint.script(Reply.error(401))

    assert (await connector.send(request())).remote_id == "S-1"

    tokens = [r.header("authorization") for r in endpoint.requests]
    assert tokens == ["Bearer wms-token-old-7f3a", "Bearer wms-token-new-c91e"]


async def test_401_after_a_fresh_login_is_authentication_failed(
    deliver: Deliver, endpoint: HttpEndpointSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WMS_TOKEN", "wrong")
    endpoint.script(Reply.error(401), Reply.error(401))
    connector = await deliver(token_env="WMS_TOKEN")

    with pytest.raises(AuthenticationFailed, match="HTTP 401"):
        await connector.send(request())

    assert len(endpoint.requests) == 2


# -- circuit breaker -------------------------------------------------------------------------


BREAKER = {"retry": {"attempts": 1}, "breaker": {"failures": 3, "cooldown_seconds": 0.5}}


async def test_the_breaker_opens_after_n_failures_and_recovers_through_half_open(
    deliver: Deliver, endpoint: HttpEndpointSimulator, metrics: ConnectorMetrics
) -> None:
    endpoint.script(*[Reply.error(503)] * 3)
    connector = await deliver(policy=BREAKER)
    for n in range(3):
        with pytest.raises(RetryableError, match="HTTP 503"):
            await connector.send(request(f"k-{n}"))

    with pytest.raises(NotConnected, match="circuit open") as raised:
        await connector.send(request("k-3"))

    assert len(endpoint.requests) == 3
    assert raised.value.retry_after is not None
    assert 0 < raised.value.retry_after <= 0.5
    assert sample(metrics, "distsync_connector_breaker_state") == 2
    await asyncio.sleep(0.55)

    assert (await connector.send(request("k-3"))).remote_id == "S-1"
    assert sample(metrics, "distsync_connector_breaker_state") == 0
    assert (await connector.send(request("k-4"))).remote_id == "S-2"
    assert sample(metrics, "distsync_connector_breaker_opened_total") == 1


async def test_a_failed_probe_opens_the_breaker_again(
    deliver: Deliver, endpoint: HttpEndpointSimulator, metrics: ConnectorMetrics
) -> None:
    endpoint.script(*[Reply.error(503)] * 4)
    connector = await deliver(policy=BREAKER)
    for n in range(3):
        with pytest.raises(RetryableError):
            await connector.send(request(f"k-{n}"))
    await asyncio.sleep(0.55)

    with pytest.raises(RetryableError, match="HTTP 503"):
        await connector.send(request("probe"))
    with pytest.raises(NotConnected, match="circuit open"):
        await connector.send(request("k-5"))

    assert len(endpoint.requests) == 4
    assert sample(metrics, "distsync_connector_breaker_opened_total") == 2


async def test_4xx_answers_do_not_open_the_breaker(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(*[Reply.error(422)] * 5)
    connector = await deliver(policy=BREAKER)
    for n in range(5):
        with pytest.raises(Rejected):
            await connector.send(request(f"k-{n}"))

    assert (await connector.send(request("k-5"))).remote_id == "S-1"


# -- rate and concurrency limits -------------------------------------------------------------


async def test_the_rate_limit_holds_under_a_backlog_of_1000_calls(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    quota = 200
    connector = await deliver(rate_limit=f"{quota}/s", concurrency=16)
    started = time.monotonic()

    receipts = await asyncio.gather(*(connector.send(request(f"k-{n}")) for n in range(1000)))

    arrivals = [r.monotonic for r in endpoint.requests]
    assert len(receipts) == 1000
    # every call arrived; one the policy sent again after a reset on a busy machine is the
    # same call (same key), and it still counts against the quota
    assert len({r.idempotency_key for r in endpoint.requests}) == 1000
    assert most_in_any_window(arrivals) <= quota
    assert time.monotonic() - started >= (1000 - quota) / quota


async def test_an_erp_quota_of_10_per_second_is_never_exceeded_whatever_the_backlog(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    connector = await deliver(rate_limit="10/s")
    backlog = [asyncio.create_task(connector.send(request(f"k-{n}"))) for n in range(1000)]
    await asyncio.sleep(3.0)
    for call in backlog:
        call.cancel()
    await asyncio.gather(*backlog, return_exceptions=True)

    arrivals = [r.monotonic for r in endpoint.requests]
    assert 25 <= len(arrivals) <= 30
    assert most_in_any_window(arrivals) <= 10
    started = time.monotonic()
    assert (await connector.send(request("after"))).remote_id is not None
    assert time.monotonic() - started < 0.5  # the cancelled backlog left no debt behind


async def test_the_concurrency_limit_holds(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.default = Reply.slow(0.1)
    connector = await deliver(concurrency=4)

    await asyncio.gather(*(connector.send(request(f"k-{n}")) for n in range(20)))

    assert len(endpoint.requests) == 20
    assert endpoint.max_in_flight == 4


# -- idempotency keys and bulk calls ---------------------------------------------------------


async def test_no_request_reaches_the_endpoint_without_an_idempotency_key(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    connector = await deliver(batch=True)

    with pytest.raises(SchemaViolation, match="no idempotency key"):
        await connector.send(request(key=""))
    results = await connector.send_batch([request(key=" "), request(key="")])

    assert all(isinstance(result, SchemaViolation) for result in results)
    assert endpoint.requests == []


async def test_a_bulk_call_is_one_request_per_operation_through_the_policy(
    deliver: Deliver, endpoint: HttpEndpointSimulator
) -> None:
    endpoint.script(Reply.ok({"results": [{"id": "A"}, {"status": 422, "error": "bad"}]}))
    connector = await deliver(batch=True, rate_limit="5/s")

    results = await connector.send_batch([request("k-1"), request("k-2")])

    assert results[0] == Receipt(remote_id="A", duplicate=False)
    assert isinstance(results[1], Rejected)
    (seen,) = endpoint.requests
    assert seen.path == "/orders:batch"
    assert [item["idempotency_key"] for item in seen.json()["requests"]] == ["k-1", "k-2"]


# -- the whole way: bootstrap, outbox, policy, endpoint ------------------------------------


async def test_the_outbox_delivers_through_the_policy_of_the_declared_system(
    endpoint: HttpEndpointSimulator, tmp_path: Path
) -> None:
    async def handler(ctx: HandlerContext) -> None:
        key = f"asn:{ctx.envelope.payload['n']}:1"
        ctx.send("wms", "expected_receipt", {"asn": ctx.envelope.payload["n"]}, idempotency_key=key)

    endpoint.script(Reply.error(503), Reply.error(503))
    data = {
        "systems": {
            "wms": {
                "type": "http-json",
                "url": endpoint.url,
                "rate_limit": "50/s",
                "policy": {"retry": FAST_RETRY},
            }
        }
    }
    flow = Subscription(SubscriptionSpec("asn", ("inventory.*",)), handler)
    services = build(
        build_landscape(data, base_dir=tmp_path),
        overrides=Overrides(backend=InMemoryMessageLog(), subscriptions=[flow]),
    )
    try:
        worker = services.worker("test")
        await worker.register()
        await services.intake.accept([make_envelope(payload={"n": n}) for n in range(5)])
        await worker.drain()
    finally:
        await services.close()

    keys = [r.idempotency_key for r in endpoint.requests]
    assert sorted(set(keys)) == [f"asn:{n}:1" for n in range(5)]
    assert len(keys) == 7  # two 503s retried within the call
    assert 'distsync_connector_retries_total{system="wms"} 2.0' in (
        services.metrics.exposition().decode()
    )
