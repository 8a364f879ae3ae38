"""The delivery policy's parts on their own: fake clock, fake sleep, scripted connectors."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from distsync.config import SystemConfig
from distsync.config_policy import BreakerSettings, InCallRetry
from distsync.connectors.base import idempotency_key
from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy import PolicyConnector, with_policy
from distsync.connectors.policy_base import call_failed
from distsync.connectors.policy_breaker import Breaker, CircuitBreaker, Ticket
from distsync.connectors.policy_limits import CallWindow, RateLimit, TokenBucket
from distsync.connectors.policy_retry import Reauthenticate, Retry
from distsync.errors import (
    AuthenticationFailed,
    ConfigError,
    NotConnected,
    RateLimited,
    Rejected,
    RetryableError,
    SchemaViolation,
)
from distsync.runtime.ports import OutboundRequest, Receipt

Outcome = Receipt | Exception


class FakeTime:
    """A clock that moves only when someone sleeps (one sleeper at a time, as in RateLimit)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Scripted:
    """A connector answering each call with the next scripted outcome (then receipts)."""

    def __init__(self, *outcomes: Outcome, bulk: bool = False, delay: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[list[str]] = []
        self.logins = 0
        self.delay = delay
        if bulk:
            self.send_batch = self._send_batch

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, request: OutboundRequest) -> Receipt:
        self.calls.append([request.idempotency_key])
        await asyncio.sleep(self.delay)
        outcome = self.outcomes.pop(0) if self.outcomes else Receipt(request.idempotency_key)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _send_batch(
        self, requests: Sequence[OutboundRequest]
    ) -> list[Receipt | BaseException]:
        self.calls.append([r.idempotency_key for r in requests])
        return [Receipt(r.idempotency_key) for r in requests]


class Relogging(Scripted):
    async def reauthenticate(self) -> None:
        await asyncio.sleep(0.01)
        self.logins += 1


def request(key: str = "asn:ASN-1:1", operation: str = "orders") -> OutboundRequest:
    return OutboundRequest("wms", operation, key, {"n": 1}, "corr-1")


def system(**keys: object) -> SystemConfig:
    return SystemConfig.model_validate({"type": "http-json", **keys})


def most_in_any_window(times: Sequence[float], window: float = 1.0) -> int:
    """The largest number of ``times`` inside one closed window of ``window`` seconds."""
    ordered = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] < moment - window:
            start += 1
        most = max(most, end - start + 1)
    return most


# -- token bucket and rate limit ----------------------------------------------------------


def test_a_bucket_gives_its_burst_then_one_token_per_interval() -> None:
    bucket = TokenBucket(rate=10, burst=3)

    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)
    assert bucket.take(0.1) == 0.0
    assert bucket.take(0.15) == pytest.approx(0.05)


def test_a_quiet_bucket_refills_up_to_its_burst_and_no_further() -> None:
    bucket = TokenBucket(rate=10, burst=2)
    bucket.take(0.0)

    taken = [bucket.take(100.0) for _ in range(3)]

    assert taken[:2] == [0.0, 0.0]
    assert taken[2] == pytest.approx(0.1)


def test_the_quota_bucket_keeps_its_margin_below_the_quota() -> None:
    assert TokenBucket.for_quota(10).rate == pytest.approx(10 / 1.05)
    assert TokenBucket.for_quota(10, burst=4, margin=0.0).rate == pytest.approx(7)
    assert TokenBucket.for_quota(0.5).rate == pytest.approx(0.5 / 1.05)
    with pytest.raises(ValueError, match="does not fit a quota of 3/s"):
        TokenBucket.for_quota(3, burst=4)
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(rate=0)


class Stamped(Scripted):
    """Answers at once and notes the (fake) time each call reached it."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time
        self.started: list[float] = []

    async def send(self, request: OutboundRequest) -> Receipt:
        self.started.append(self.time.now)
        return Receipt()


def rate_limit(inner: Scripted, time: FakeTime, quota: float, burst: int = 1) -> RateLimit:
    return RateLimit(
        inner,
        system="erp",
        bucket=TokenBucket.for_quota(quota, burst=burst),
        window=CallWindow(int(quota)) if quota >= 1 else None,
        clock=time.clock,
        sleep=time.sleep,
        metrics=ConnectorMetrics(),
    )


async def start_times(quota: float, calls: int, burst: int = 1) -> list[float]:
    """When each of ``calls`` concurrent calls reached the endpoint (fake time)."""
    time = FakeTime()
    endpoint = Stamped(time)
    limit = rate_limit(endpoint, time, quota, burst)

    await asyncio.gather(*(limit.send(request(f"k-{n}")) for n in range(calls)))
    return endpoint.started


@pytest.mark.parametrize(("quota", "burst"), [(10, 1), (10, 5), (10, 10), (3, 2), (200, 1)])
async def test_concurrent_callers_never_start_more_than_the_quota_in_any_second(
    quota: float, burst: int
) -> None:
    started = await start_times(quota, 1000, burst)

    assert len(started) == 1000
    assert most_in_any_window(started) <= quota
    assert most_in_any_window(started) >= int(quota / 1.05)  # and it does not crawl either


async def test_a_quota_per_minute_holds_in_every_minute() -> None:
    started = await start_times(90 / 60, 400)  # rate_limit: 90/min

    assert most_in_any_window(started, window=60.0) <= 90


async def test_a_caller_cancelled_while_waiting_takes_no_token() -> None:
    bucket = TokenBucket(rate=1)
    limit = RateLimit(
        Scripted(),
        system="erp",
        bucket=bucket,
        window=None,
        clock=lambda: 0.0,
        sleep=asyncio.sleep,
        metrics=ConnectorMetrics(),
    )
    await limit.acquire()
    waiting = asyncio.create_task(limit.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert bucket.take(1.0) == 0.0  # the token due at 1.0 is still there


def test_a_call_may_start_when_the_one_quota_places_before_ended_over_a_second_ago() -> None:
    window = CallWindow(2)
    first = window.start()
    window.start()

    assert window.wait(0.0) == math.inf  # the first call is still in flight
    window.end(first, 0.4)
    assert window.wait(1.0) == pytest.approx(0.4)
    assert window.wait(1.5) == 0.0


async def test_a_call_that_ends_late_holds_back_the_call_quota_places_after_it() -> None:
    time = FakeTime()
    release = asyncio.Event()

    class Held(Scripted):
        async def send(self, request: OutboundRequest) -> Receipt:
            if request.idempotency_key == "slow":
                await release.wait()
            return Receipt(request.idempotency_key)

    limit = RateLimit(
        Held(),
        system="erp",
        bucket=TokenBucket(rate=1, burst=2),
        window=CallWindow(2),
        clock=time.clock,
        sleep=time.sleep,
        metrics=ConnectorMetrics(),
    )
    slow = asyncio.create_task(limit.send(request("slow")))
    await asyncio.sleep(0)
    await limit.send(request("fast"))
    third = asyncio.create_task(limit.send(request("third")))
    await asyncio.sleep(0.01)
    assert not third.done()  # the slow call may still reach the endpoint any moment

    time.now = 0.6
    release.set()
    await asyncio.gather(slow, third)

    assert time.now == pytest.approx(1.6)  # a second after the slow call ended, not at 1.0


def test_a_burst_larger_than_the_quota_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"system erp: policy\.burst"):
        with_policy("erp", Scripted(), system(rate_limit="10/s", policy={"burst": 11}))


# -- circuit breaker ----------------------------------------------------------------------


def breaker(**settings: float) -> tuple[Breaker, list[str]]:
    changes: list[str] = []
    made = Breaker(BreakerSettings.model_validate(settings), on_change=changes.append)
    return made, changes


def fail(b: Breaker, now: float, times: int = 1) -> None:
    for _ in range(times):
        ticket = b.admit(now)
        assert isinstance(ticket, Ticket)
        b.record(ticket, True, now)


def test_the_breaker_opens_after_n_failures_in_a_row() -> None:
    b, changes = breaker(failures=3, cooldown_seconds=10)
    fail(b, 0.0, times=2)
    ticket = b.admit(0.0)
    assert isinstance(ticket, Ticket)
    b.record(ticket, False, 0.0)  # a success starts the count again
    fail(b, 1.0, times=2)
    assert b.state == "closed"

    fail(b, 2.0)

    assert b.state == "open"
    assert changes == ["open"]
    assert b.admit(5.0) == pytest.approx(7.0)


def test_the_breaker_opens_on_the_error_rate_over_its_window() -> None:
    b, _ = breaker(failures=100, error_rate=0.5, window_seconds=10, min_calls=4)
    for now, failed in [(0.0, True), (1.0, False), (2.0, True)]:
        ticket = b.admit(now)
        assert isinstance(ticket, Ticket)
        b.record(ticket, failed, now)
    assert b.state == "closed"  # three calls are below min_calls

    fail(b, 3.0)

    assert b.state == "open"


def test_old_outcomes_leave_the_window() -> None:
    b, _ = breaker(failures=100, error_rate=0.5, window_seconds=10, min_calls=4)
    fail(b, 0.0, times=3)
    for now in (20.0, 21.0, 22.0):
        ticket = b.admit(now)
        assert isinstance(ticket, Ticket)
        b.record(ticket, False, now)

    fail(b, 23.0)

    assert b.state == "closed"  # 1 failure in 4 calls: the three old ones are forgotten


def test_after_the_cooldown_one_probe_decides() -> None:
    b, changes = breaker(failures=1, cooldown_seconds=10)
    fail(b, 0.0)

    probe = b.admit(10.0)
    assert isinstance(probe, Ticket)
    assert probe.probe
    assert b.admit(10.0) == 10.0  # one probe at a time
    b.record(probe, False, 10.5)

    assert b.state == "closed"
    assert changes == ["open", "half_open", "closed"]


def test_a_failed_probe_opens_the_breaker_again() -> None:
    b, changes = breaker(failures=1, cooldown_seconds=10)
    fail(b, 0.0)

    fail(b, 12.0)

    assert changes == ["open", "half_open", "open"]
    assert b.admit(13.0) == pytest.approx(9.0)


def test_an_outcome_from_before_the_last_change_is_ignored() -> None:
    b, _ = breaker(failures=1, cooldown_seconds=10)
    slow = b.admit(0.0)
    assert isinstance(slow, Ticket)
    fail(b, 0.1)

    b.record(slow, False, 5.0)

    assert b.state == "open"


def test_a_probe_that_says_nothing_frees_its_place() -> None:
    b, _ = breaker(failures=1, cooldown_seconds=1)
    fail(b, 0.0)
    probe = b.admit(1.0)
    assert isinstance(probe, Ticket)

    b.record(probe, None, 1.1)

    assert b.state == "half_open"
    assert isinstance(b.admit(1.2), Ticket)


def test_what_counts_as_a_failure_of_the_endpoint() -> None:
    assert call_failed([RetryableError("503")]) is True
    assert call_failed([NotConnected("refused")]) is True
    assert call_failed([Receipt("1")]) is False
    assert call_failed([Rejected("422")]) is False
    assert call_failed([RateLimited("429")]) is None
    assert call_failed([KeyError("bug")]) is None
    assert call_failed([RetryableError("503"), Receipt("1")]) is False


async def test_an_open_breaker_refuses_without_calling_with_the_time_to_wait() -> None:
    time = FakeTime()
    inner = Scripted(RetryableError("HTTP 503"))
    b, _ = breaker(failures=1, cooldown_seconds=30)
    layer = CircuitBreaker(inner, system="wms", breaker=b, clock=time.clock)
    with pytest.raises(RetryableError, match="HTTP 503"):
        await layer.send(request())
    time.now = 10.0

    with pytest.raises(NotConnected, match="sending orders asn:ASN-1:1 to wms: circuit open"):
        await layer.send(request())

    assert len(inner.calls) == 1
    with pytest.raises(NotConnected) as raised:
        await layer.send(request())
    assert raised.value.retry_after == pytest.approx(20.0)


async def test_a_login_refused_by_the_endpoint_counts_and_an_open_breaker_stops_logins() -> None:
    time = FakeTime()
    attempts: list[float] = []

    async def refused() -> None:
        attempts.append(time.now)
        raise NotConnected("connecting to erp: connection refused")

    b, _ = breaker(failures=2, cooldown_seconds=30)
    layer = CircuitBreaker(Scripted(), system="erp", breaker=b, clock=time.clock)
    for _ in range(2):
        with pytest.raises(NotConnected, match="connection refused"):
            await layer.guard_connect(refused)

    with pytest.raises(NotConnected, match="connecting to erp: circuit open") as raised:
        await layer.guard_connect(refused)

    assert len(attempts) == 2
    assert raised.value.retry_after == pytest.approx(30.0)


# -- retry --------------------------------------------------------------------------------


def retry(inner: Scripted, time: FakeTime, draw: float = 1.0, **settings: float) -> Retry:
    merged = {"attempts": 3, "base_seconds": 0.5, "cap_seconds": 2.0, **settings}
    return Retry(
        inner,
        system="wms",
        settings=InCallRetry.model_validate(merged),
        sleep=time.sleep,
        draw=lambda: draw,
        metrics=ConnectorMetrics(),
    )


async def test_retryable_errors_are_retried_with_exponential_backoff_then_raised() -> None:
    time = FakeTime()
    inner = Scripted(RetryableError("a"), RetryableError("b"), RetryableError("c"))

    with pytest.raises(RetryableError, match="c"):
        await retry(inner, time, attempts=3).send(request())

    assert len(inner.calls) == 3
    assert time.slept == [0.5, 1.0]


async def test_the_backoff_is_jittered_and_capped() -> None:
    time = FakeTime()
    inner = Scripted(*[RetryableError("x")] * 5)

    with pytest.raises(RetryableError):
        await retry(inner, time, draw=0.5, attempts=5, base_seconds=1, cap_seconds=3).send(
            request()
        )

    assert time.slept == [0.5, 1.0, 1.5, 1.5]


async def test_retry_after_sets_the_least_wait_and_a_long_one_ends_the_call() -> None:
    time = FakeTime()
    inner = Scripted(RateLimited("429", retry_after=1.5), Receipt("R-1"))
    assert await retry(inner, time, draw=0.0, max_wait_seconds=2).send(request()) == Receipt("R-1")
    assert time.slept == [1.5]

    inner = Scripted(RateLimited("429", retry_after=60))
    with pytest.raises(RateLimited) as raised:
        await retry(inner, time, max_wait_seconds=2).send(request())
    assert raised.value.retry_after == 60
    assert len(inner.calls) == 1


async def test_permanent_errors_are_not_retried() -> None:
    inner = Scripted(Rejected("422"))

    with pytest.raises(Rejected):
        await retry(inner, FakeTime()).send(request())

    assert len(inner.calls) == 1


# -- re-authentication, idempotency keys, bulk calls ------------------------------------------


async def test_a_refused_login_is_renewed_once_and_the_call_repeated() -> None:
    inner = Relogging(AuthenticationFailed("401"), Receipt("R-1"))
    layer = Reauthenticate(inner, system="erp", login=inner.reauthenticate)

    assert await layer.send(request()) == Receipt("R-1")
    assert inner.logins == 1

    inner.outcomes = [AuthenticationFailed("401"), AuthenticationFailed("401 again")]
    with pytest.raises(AuthenticationFailed, match="401 again"):
        await layer.send(request())
    assert inner.logins == 2


async def test_concurrent_refusals_share_one_fresh_login() -> None:
    inner = Relogging(*[AuthenticationFailed("401")] * 5)
    layer = Reauthenticate(inner, system="erp", login=inner.reauthenticate)

    receipts = await asyncio.gather(*(layer.send(request(f"k-{i}")) for i in range(5)))

    assert len(receipts) == 5
    assert inner.logins == 1


async def test_the_policy_connector_logs_in_through_its_breaker() -> None:
    class Unreachable(Scripted):
        async def connect(self) -> None:
            self.logins += 1
            raise NotConnected("connecting to erp: connection refused")

    inner = Unreachable()
    connector = with_policy("erp", inner, system(policy={"breaker": {"failures": 2}}))
    for _ in range(3):
        with pytest.raises(NotConnected):
            await connector.connect()

    assert inner.logins == 2  # the third login was refused by the open breaker


async def test_the_policy_refuses_a_request_without_an_idempotency_key() -> None:
    inner = Scripted(bulk=True)
    connector = with_policy("wms", inner, system())

    with pytest.raises(SchemaViolation, match="sending orders to wms: the request has no"):
        await connector.send(request(key="  "))
    results = await connector.send_batch([request("k-1"), request(""), request("k-3")])

    assert inner.calls == [["k-1", "k-3"]]
    assert results[0] == Receipt("k-1")
    assert isinstance(results[1], SchemaViolation)
    assert results[2] == Receipt("k-3")


async def test_a_bulk_connector_gets_one_call_per_operation() -> None:
    inner = Scripted(bulk=True)
    connector = with_policy("wms", inner, system())
    requests = [request("a", "orders"), request("b", "asns"), request("c", "orders")]

    results = await connector.send_batch(requests)

    assert sorted(inner.calls) == [["a", "c"], ["b"]]
    assert results == [Receipt("a"), Receipt("b"), Receipt("c")]


async def test_without_a_bulk_api_each_request_is_its_own_call() -> None:
    inner = Scripted(Rejected("no"))
    connector = with_policy("wms", inner, system())

    results = await connector.send_batch([request("a"), request("b")])

    assert sorted(inner.calls) == [["a"], ["b"]]
    assert sum(isinstance(r, Rejected) for r in results) == 1


async def test_an_attempt_past_the_timeout_is_retryable() -> None:
    inner = Scripted(delay=1.0)
    connector = with_policy(
        "wms", inner, system(timeout_seconds=0.05, policy={"retry": {"attempts": 1}})
    )

    with pytest.raises(
        RetryableError, match=r"sending orders asn:ASN-1:1 to wms: no answer within 0.05s"
    ):
        await connector.send(request())


def test_the_stack_is_built_from_the_systems_declaration() -> None:
    plain = with_policy("wms", Scripted(), system())
    full = with_policy("erp", Relogging(), system(rate_limit="10/s", concurrency=2))

    assert [type(layer).__name__ for layer in plain.layers] == [
        "RequireIdempotencyKey",
        "Retry",
        "CircuitBreaker",
        "Timeout",
    ]
    assert [type(layer).__name__ for layer in full.layers] == [
        "RequireIdempotencyKey",
        "Retry",
        "Reauthenticate",
        "CircuitBreaker",
        "ConcurrencyLimit",
        "RateLimit",
        "Timeout",
    ]
    assert isinstance(full, PolicyConnector)
    assert full.layer(RateLimit).bucket.rate == pytest.approx(10 / 1.05)


def test_an_idempotency_key_is_step_document_revision() -> None:
    assert idempotency_key("procure.send_po", "PO-1", 3) == "procure.send_po:PO-1:3"
    with pytest.raises(ValueError, match="needs a step, a document and a revision"):
        idempotency_key("procure.send_po", " ", 3)
