"""The delivery policy: one stack of wrappers around every connector, declared in the landscape.

``with_policy(name, connector, system)`` wraps a connector in the policy its
``systems.<name>`` entry declares (``policy:``, ``rate_limit``,
``concurrency``, ``timeout_seconds``; see ``config_policy.py``). From the
outside in, each wrapper a ``Connector`` around the next::

    RequireIdempotencyKey   no key, no call (SchemaViolation)
    Retry                   a few in-call retries: backoff, full jitter, Retry-After
    Reauthenticate          after AuthenticationFailed: reauthenticate() once, call again
                            (only when the connector has reauthenticate())
    CircuitBreaker          open after repeated failures: NotConnected(retry_after)
    ConcurrencyLimit        at most `concurrency` calls in flight (when given)
    RateLimit               a token per call, `rate_limit` never exceeded (when given)
    Timeout                 `timeout_seconds` per attempt
    the connector           its own map_errors() translates its library's errors

The order matters: retries back off outside the limits (a call waiting to
retry holds no slot); every attempt, a repeat after a fresh login included,
passes the breaker and takes a token; the timeout covers the endpoint's
answer, not the wait for a token. Bulk calls (``send_batch``) go through the
same stack, one operation per call.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

from distsync.config import SystemConfig
from distsync.config_policy import DEFAULT_TIMEOUT_SECONDS
from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy_base import PolicyLayer, Results
from distsync.connectors.policy_breaker import Breaker, CircuitBreaker
from distsync.connectors.policy_limits import (
    CallWindow,
    ConcurrencyLimit,
    RateLimit,
    Timeout,
    TokenBucket,
)
from distsync.connectors.policy_retry import Reauthenticate, RequireIdempotencyKey, Retry
from distsync.errors import ConfigError
from distsync.runtime.ports import Connector, OutboundRequest, Receipt

__all__ = ["PolicyConnector", "with_policy"]

L = TypeVar("L", bound=PolicyLayer)


class PolicyConnector:
    """A connector inside its delivery policy: what the outbox delivers to.

    ``connector`` is the endpoint's own connector; ``layers`` the wrappers,
    outermost first. It offers ``send_batch`` always: to a connector with a
    bulk API it passes one call per operation, otherwise one ``send`` per
    request, concurrently, each through the whole stack.
    """

    def __init__(self, connector: Connector, layers: Sequence[PolicyLayer]) -> None:
        self.connector = connector
        self.layers = tuple(layers)
        self._bulk = callable(getattr(connector, "send_batch", None))

    def layer(self, kind: type[L]) -> L:
        """The wrapper of that class (to look at a breaker's state, a bucket, a limit)."""
        for layer in self.layers:
            if isinstance(layer, kind):
                return layer
        raise LookupError(f"the policy has no {kind.__name__}")

    async def connect(self) -> None:
        """Connect through the breaker: refused while it is open, a failure counts in it."""
        breaker = next((layer for layer in self.layers if isinstance(layer, CircuitBreaker)), None)
        if breaker is None:
            await self.connector.connect()
            return
        await breaker.guard_connect(self.connector.connect)

    async def close(self) -> None:
        await self.connector.close()

    async def send(self, request: OutboundRequest) -> Receipt:
        return await self.layers[0].send(request)

    async def send_batch(self, requests: Sequence[OutboundRequest]) -> Results:
        if not self._bulk:
            return list(await asyncio.gather(*(self._one(r) for r in requests)))
        by_operation: dict[str, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            by_operation[request.operation].append(index)
        groups = list(by_operation.values())
        answers = await asyncio.gather(
            *(self.layers[0].deliver([requests[i] for i in group], batch=True) for group in groups)
        )
        results: dict[int, Receipt | BaseException] = {}
        for group, answer in zip(groups, answers, strict=True):
            results.update(zip(group, answer, strict=True))
        return [results[index] for index in range(len(requests))]

    async def _one(self, request: OutboundRequest) -> Receipt | BaseException:
        (result,) = await self.layers[0].deliver([request], batch=False)
        return result


def with_policy(
    name: str,
    connector: Connector,
    system: SystemConfig,
    *,
    metrics: ConnectorMetrics | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    draw: Callable[[], float] = random.random,
) -> PolicyConnector:
    """``connector`` wrapped in the delivery policy of ``systems.<name>`` (see the module doc).

    ``clock`` (monotonic seconds), ``sleep`` and ``draw`` (a uniform random
    number in [0, 1) for the jitter) are there for tests.
    """
    observed = metrics or ConnectorMetrics()
    stack = _limits(name, connector, system, observed, clock=clock, sleep=sleep)
    breaker = Breaker(system.policy.breaker, on_change=partial(observed.breaker_state, name))
    observed.breaker_state(name, breaker.state)
    stack.append(CircuitBreaker(stack[-1], system=name, breaker=breaker, clock=clock))
    login = getattr(connector, "reauthenticate", None)
    if callable(login):
        stack.append(Reauthenticate(stack[-1], system=name, login=login))
    stack.append(
        Retry(
            stack[-1],
            system=name,
            settings=system.policy.retry,
            sleep=sleep,
            draw=draw,
            metrics=observed,
        )
    )
    stack.append(RequireIdempotencyKey(stack[-1], system=name))
    return PolicyConnector(connector, list(reversed(stack)))


def _limits(
    name: str,
    connector: Connector,
    system: SystemConfig,
    metrics: ConnectorMetrics,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
) -> list[PolicyLayer]:
    """The inner wrappers, innermost first: timeout, then rate and concurrency limits."""
    seconds = system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS
    stack: list[PolicyLayer] = [Timeout(connector, system=name, seconds=seconds, metrics=metrics)]
    if system.rate_limit is not None:
        policy = system.policy
        quota = system.rate_limit
        stack.append(
            RateLimit(
                stack[-1],
                system=name,
                bucket=_bucket(name, quota, policy.burst, policy.rate_margin),
                window=CallWindow(int(quota)) if quota >= 1 else None,
                clock=clock,
                sleep=sleep,
                metrics=metrics,
            )
        )
    if system.concurrency is not None:
        stack.append(ConcurrencyLimit(stack[-1], system=name, limit=system.concurrency))
    return stack


def _bucket(name: str, quota: float, burst: int, margin: float) -> TokenBucket:
    try:
        return TokenBucket.for_quota(quota, burst=burst, margin=margin)
    except ValueError as exc:
        raise ConfigError(f"system {name}: policy.burst: {exc}") from exc


def innermost(connector: Connector) -> Connector:
    """The endpoint's own connector inside its policy wrappers (for reads, which the
    policy does not govern: the ERP's polls and master-data reads)."""
    while isinstance(connector, PolicyConnector | PolicyLayer):
        connector = (
            connector.connector if isinstance(connector, PolicyConnector) else connector.inner
        )
    return connector
