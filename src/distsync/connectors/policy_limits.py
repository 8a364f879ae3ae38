"""Pace, bound and time the calls to one endpoint: rate limit, concurrency limit, timeout.

The rate limit has two exact parts, both needed:

- a **token bucket** in its GCRA form (the time the next token is due is all
  its state; nothing refills in the background): :meth:`TokenBucket.take`
  either takes a token or says how long until one is due. It paces calls
  evenly, with ``burst`` calls at once after a quiet spell, a margin below
  the quota;
- a **call window** that makes the quota hold as the *endpoint* counts:
  the endpoint sees a call somewhere between the moment we start it and the
  moment its answer is back, so a call may start only when the call
  ``quota`` places before it ended more than one second ago
  (:class:`CallWindow`). However late our first call reaches the endpoint
  (a busy event loop, a slow connection set-up) and however early a later
  one does, no window of one second there holds more than the quota.

The :class:`RateLimit` wrapper lets one waiter at a time look at both (an
``asyncio.Lock``, first come first served), so concurrent callers never get
more than they grant. A caller cancelled while it waits takes nothing.

It sits innermost, right before the timeout and the connector: a call starts
the moment it is let through, never later after waiting for a free
concurrency slot, which would let calls bunch up.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy_base import PolicyLayer, Results, action_of
from distsync.errors import RetryableError
from distsync.runtime.ports import Connector, OutboundRequest

__all__ = ["CallWindow", "ConcurrencyLimit", "RateLimit", "Timeout", "TokenBucket"]

Clock = Callable[[], float]
ROUNDING = 1e-9  # seconds: floating-point sums of intervals are not exact
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """At most ``burst`` tokens, ``rate`` more per second; exact, with time passed in.

    In any span of *T* seconds at most ``burst + rate * T`` tokens are taken.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        if not rate > 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1, not {rate}, {burst}")
        self.rate = rate
        self.burst = burst
        self.interval = 1.0 / rate
        self._next_due = -math.inf  # when the bucket would be empty again, at the steady rate

    @classmethod
    def for_quota(cls, quota: float, *, burst: int = 1, margin: float = 0.05) -> TokenBucket:
        """A bucket that starts at most ``quota`` calls in any one-second window.

        The sustained rate is ``(quota - burst + 1) / (1 + margin)``: any
        ``quota + 1`` calls then span at least ``1 + margin`` seconds, so the
        quota holds even where the endpoint sees our calls up to ``margin``
        seconds apart from when we made them. A quota below one call per
        second (``600/h``) allows ``burst: 1`` only.
        """
        if burst > max(1.0, quota):
            raise ValueError(f"a burst of {burst} calls does not fit a quota of {quota:g}/s")
        return cls((quota - burst + 1) / (1 + margin), burst)

    def take(self, now: float) -> float:
        """Take a token at ``now`` and return 0.0, or return the seconds until one is due."""
        due = max(self._next_due, now)
        earliest = due - (self.burst - 1) * self.interval
        if now + ROUNDING < earliest:
            return earliest - now
        self._next_due = due + self.interval
        return 0.0


class CallWindow:
    """At most ``calls`` calls in any ``seconds``, each counted from its start to its end.

    A call may start only when the call ``calls`` places before it has ended
    and more than ``seconds`` have passed since. Calls are numbered as they
    start; :meth:`end` records when one was over (answered, failed, given up).
    """

    def __init__(self, calls: int, seconds: float = 1.0) -> None:
        if calls < 1 or not seconds > 0:
            raise ValueError(
                f"a call window needs calls >= 1 and seconds > 0, not {calls}, {seconds}"
            )
        self.calls = calls
        self.seconds = seconds
        self._started = 0
        self._ends: deque[float | None] = deque()  # the last `calls` calls; None: in flight

    def wait(self, now: float) -> float:
        """0.0 when a call may start now, else seconds to wait (``inf``: until a call ends)."""
        if len(self._ends) < self.calls:
            return 0.0
        ended = self._ends[0]
        if ended is None:
            return math.inf
        left = ended + self.seconds - now
        return 0.0 if left < 0 else max(left, ROUNDING)

    def start(self) -> int:
        """Record a call starting now (after :meth:`wait` said 0); returns its number."""
        if len(self._ends) == self.calls:
            self._ends.popleft()
        self._ends.append(None)
        self._started += 1
        return self._started

    def end(self, call: int, now: float) -> None:
        """Record that call number ``call`` is over."""
        place = len(self._ends) - (self._started - call) - 1
        if place >= 0:
            self._ends[place] = now


class RateLimit(PolicyLayer):
    """Each call takes a token of the endpoint's bucket, and a place in its window, to start."""

    def __init__(
        self,
        inner: Connector,
        *,
        system: str,
        bucket: TokenBucket,
        window: CallWindow | None,
        clock: Clock,
        sleep: Sleep,
        metrics: ConnectorMetrics,
    ) -> None:
        super().__init__(inner, system=system)
        self.bucket = bucket
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._metrics = metrics
        self._turn = asyncio.Lock()
        self._a_call_ended = asyncio.Event()

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        call = await self.acquire()
        try:
            return await self.forward(requests, batch=batch)
        finally:
            if self.window is not None:
                self.window.end(call, self._clock())
                self._a_call_ended.set()

    async def acquire(self) -> int:
        """Wait until a call may start; returns its number in the window (0 without one)."""
        async with self._turn:
            began = self._clock()
            await self._until_the_window_allows()
            while (wait := self.bucket.take(self._clock())) > 0:
                await self._sleep(wait)
            if (waited := self._clock() - began) > 0:
                self._metrics.waited(self.system, waited)
            return 0 if self.window is None else self.window.start()

    async def _until_the_window_allows(self) -> None:
        while self.window is not None and (wait := self.window.wait(self._clock())) > 0:
            if math.isinf(wait):
                self._a_call_ended.clear()
                await self._a_call_ended.wait()
            else:
                await self._sleep(wait)


class ConcurrencyLimit(PolicyLayer):
    """At most ``limit`` calls to the endpoint in flight at once."""

    def __init__(self, inner: Connector, *, system: str, limit: int) -> None:
        super().__init__(inner, system=system)
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        async with self._slots:
            return await self.forward(requests, batch=batch)


class Timeout(PolicyLayer):
    """One attempt gets ``seconds``; then it is a ``RetryableError``. Counts every attempt."""

    def __init__(
        self, inner: Connector, *, system: str, seconds: float, metrics: ConnectorMetrics
    ) -> None:
        super().__init__(inner, system=system)
        self.seconds = seconds
        self._metrics = metrics

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        scope = asyncio.timeout(self.seconds)
        try:
            async with scope:
                results = await self.forward(requests, batch=batch)
        except TimeoutError:
            if not scope.expired():
                raise
            action = action_of(requests, self.system)
            error = RetryableError(f"{action}: no answer within {self.seconds:g}s")
            results = [error] * len(requests)
        for result in results:
            self._metrics.attempt(
                self.system, result if isinstance(result, BaseException) else None
            )
        return results
