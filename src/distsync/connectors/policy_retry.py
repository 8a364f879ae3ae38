"""The outer wrappers: refuse requests without a key, retry a little, log in again once.

- :class:`RequireIdempotencyKey` refuses a request without an idempotency
  key (``SchemaViolation``) before anything reaches the endpoint.
- :class:`Retry` repeats the requests whose call failed with a
  ``RetryableError``, a few times within the delivery: retry *n* waits a
  random time up to ``min(cap, base * 2**(n-1))`` (full jitter) and never less
  than the largest ``retry_after`` the endpoint asked for. When that wait is
  longer than ``max_wait_seconds``, or the attempts are used up, the last
  error goes back to the runtime, whose own retry (with its ``retry_after``)
  and dead-letter store take the long tail.
- :class:`Reauthenticate` calls the connector's ``reauthenticate()`` after
  an ``AuthenticationFailed`` and repeats the refused requests once; a
  second refusal stands. Concurrent refusals share one fresh login.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence

from distsync.config_policy import InCallRetry
from distsync.connectors.base import require_idempotency_key
from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy_base import PolicyLayer, Results
from distsync.errors import AuthenticationFailed, RetryableError, SchemaViolation
from distsync.runtime.ports import Connector, OutboundRequest, Receipt

__all__ = ["Reauthenticate", "RequireIdempotencyKey", "Retry"]


class RequireIdempotencyKey(PolicyLayer):
    """No request reaches the endpoint without an idempotency key."""

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        results: dict[int, Receipt | BaseException] = {}
        for index, request in enumerate(requests):
            try:
                require_idempotency_key(request)
            except SchemaViolation as refused:
                results[index] = refused
        keyed = [index for index in range(len(requests)) if index not in results]
        if keyed:
            answers = await self.forward([requests[i] for i in keyed], batch=batch)
            results.update(zip(keyed, answers, strict=True))
        return [results[index] for index in range(len(requests))]


class Retry(PolicyLayer):
    """A few in-call retries with jittered backoff, honouring ``Retry-After``."""

    def __init__(
        self,
        inner: Connector,
        *,
        system: str,
        settings: InCallRetry,
        sleep: Callable[[float], Awaitable[None]],
        draw: Callable[[], float],
        metrics: ConnectorMetrics,
    ) -> None:
        super().__init__(inner, system=system)
        self.settings = settings
        self._sleep = sleep
        self._draw = draw
        self._metrics = metrics

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        results = await self.forward(requests, batch=batch)
        for attempt in range(1, self.settings.attempts):
            again = [i for i, result in enumerate(results) if isinstance(result, RetryableError)]
            wait = self.wait(attempt, [results[i] for i in again])
            if wait is None:
                break
            self._metrics.retried(self.system)
            await self._sleep(wait)
            answers = await self.forward([requests[i] for i in again], batch=batch)
            for index, answer in zip(again, answers, strict=True):
                results[index] = answer
        return results

    def wait(self, attempt: int, errors: Sequence[Receipt | BaseException]) -> float | None:
        """Seconds to wait before retrying after ``attempt``, or None to stop here."""
        if not errors or attempt >= self.settings.attempts:
            return None
        ceiling = min(
            self.settings.cap_seconds, math.ldexp(self.settings.base_seconds, attempt - 1)
        )
        asked = max((_retry_after(error) for error in errors), default=0.0)
        wait = max(ceiling * self._draw(), asked)
        return wait if wait <= self.settings.max_wait_seconds else None


class Reauthenticate(PolicyLayer):
    """After an ``AuthenticationFailed``: log in again once, then repeat the refused requests."""

    def __init__(
        self, inner: Connector, *, system: str, login: Callable[[], Awaitable[None]]
    ) -> None:
        super().__init__(inner, system=system)
        self._login = login
        self._logins = 0
        self._one_at_a_time = asyncio.Lock()

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        logins_before = self._logins
        results = await self.forward(requests, batch=batch)
        refused = [
            i for i, result in enumerate(results) if isinstance(result, AuthenticationFailed)
        ]
        if not refused:
            return results
        try:
            await self._log_in_again(logins_before)
        except Exception as exc:  # the login itself failed: that is the answer
            return [exc if i in refused else result for i, result in enumerate(results)]
        answers = await self.forward([requests[i] for i in refused], batch=batch)
        for index, answer in zip(refused, answers, strict=True):
            results[index] = answer
        return results

    async def _log_in_again(self, logins_before: int) -> None:
        async with self._one_at_a_time:
            if self._logins == logins_before:  # nobody logged in since this call started
                await self._login()
                self._logins += 1


def _retry_after(error: Receipt | BaseException) -> float:
    after = getattr(error, "retry_after", None)
    return float(after) if isinstance(after, int | float) else 0.0
