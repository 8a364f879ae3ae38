"""The circuit breaker of one endpoint: stop calling a system that is down, probe it later.

::

    closed ──(failures in a row, or error rate over the window)──> open
    open ──(cooldown_seconds passed, at the next call)──> half-open
    half-open ──(every probe succeeded)──> closed
    half-open ──(a probe failed)──> open

:class:`Breaker` is the pure state machine, with time passed in; the
:class:`CircuitBreaker` wrapper asks it before each call and tells it the
outcome (see ``policy_base.call_failed`` for what counts as a failure). A
refused call is a ``NotConnected`` whose ``retry_after`` is the time left
until the next probe. Each admission carries the breaker's generation: the
outcome of a call admitted before the last change of state is ignored, so a
slow call started while closed cannot close a breaker that opened since.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from distsync.config_policy import BreakerSettings
from distsync.connectors.policy_base import PolicyLayer, Results, action_of, call_failed
from distsync.errors import NotConnected, RetryableError
from distsync.runtime.ports import Connector, OutboundRequest

__all__ = ["Breaker", "CircuitBreaker", "Ticket"]

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class Ticket:
    """Leave to make one call: the breaker's generation then, and whether it is a probe."""

    generation: int
    probe: bool = False


class Breaker:
    """The breaker's state machine (see the module docstring)."""

    def __init__(
        self, settings: BreakerSettings, *, on_change: Callable[[State], None] | None = None
    ) -> None:
        self.settings = settings
        self.state: State = "closed"
        self._on_change = on_change or (lambda state: None)
        self._generation = 0
        self._in_a_row = 0
        self._window: deque[tuple[float, bool]] = deque()
        self._failed_in_window = 0
        self._opened_at = 0.0
        self._probes_out = 0
        self._probes_passed = 0

    def admit(self, now: float) -> Ticket | float:
        """A ticket for one call, or the seconds to wait before the breaker lets one through."""
        if self.state == "open":
            left = self._opened_at + self.settings.cooldown_seconds - now
            if left > 0:
                return left
            self._switch("half_open")
        if self.state == "half_open":
            if self._probes_out + self._probes_passed >= self.settings.probes:
                return self.settings.cooldown_seconds
            self._probes_out += 1
            return Ticket(self._generation, probe=True)
        return Ticket(self._generation)

    def record(self, ticket: Ticket, failed: bool | None, now: float) -> None:
        """The outcome of an admitted call: failed, succeeded, or None when it says nothing."""
        if ticket.generation != self._generation:
            return
        if ticket.probe:
            self._probes_out -= 1
        if failed is None:
            return
        if self.state == "half_open":
            self._probe_result(failed, now)
        else:
            self._closed_result(failed, now)

    def _probe_result(self, failed: bool, now: float) -> None:
        if failed:
            self._open(now)
            return
        self._probes_passed += 1
        if self._probes_passed >= self.settings.probes:
            self._switch("closed")

    def _closed_result(self, failed: bool, now: float) -> None:
        self._in_a_row = self._in_a_row + 1 if failed else 0
        self._window.append((now, failed))
        self._failed_in_window += failed
        self._forget_before(now - self.settings.window_seconds)
        if self._in_a_row >= self.settings.failures or self._error_rate_reached():
            self._open(now)

    def _forget_before(self, start: float) -> None:
        while self._window and self._window[0][0] <= start:
            _, failed = self._window.popleft()
            self._failed_in_window -= failed

    def _error_rate_reached(self) -> bool:
        calls = len(self._window)
        if calls < self.settings.min_calls:
            return False
        return self._failed_in_window / calls >= self.settings.error_rate

    def _open(self, now: float) -> None:
        self._opened_at = now
        self._switch("open")

    def _switch(self, state: State) -> None:
        self.state = state
        self._generation += 1
        self._in_a_row = 0
        self._window.clear()
        self._failed_in_window = 0
        self._probes_out = 0
        self._probes_passed = 0
        self._on_change(state)


class CircuitBreaker(PolicyLayer):
    """Refuses calls while the endpoint's breaker is open; tells it every outcome."""

    def __init__(
        self, inner: Connector, *, system: str, breaker: Breaker, clock: Callable[[], float]
    ) -> None:
        super().__init__(inner, system=system)
        self.breaker = breaker
        self._clock = clock

    async def deliver(self, requests: Sequence[OutboundRequest], *, batch: bool) -> Results:
        admitted = self.breaker.admit(self._clock())
        if not isinstance(admitted, Ticket):
            return [self._refusal(requests, admitted)] * len(requests)
        failed: bool | None = None
        try:
            results = await self.forward(requests, batch=batch)
            failed = call_failed(results)
        finally:
            self.breaker.record(admitted, failed, self._clock())
        return results

    async def guard_connect(self, connect: Callable[[], Awaitable[None]]) -> None:
        """Log in through the breaker, as a call is made: an endpoint that refuses
        connections opens it, and while it is open no login is tried."""
        admitted = self.breaker.admit(self._clock())
        if not isinstance(admitted, Ticket):
            raise NotConnected(
                f"connecting to {self.system}: circuit open after repeated failures; "
                f"next try in {admitted:.1f}s",
                retry_after=admitted,
            )
        failed: bool | None = None
        try:
            await connect()
            failed = False
        except RetryableError:
            failed = True
            raise
        finally:
            self.breaker.record(admitted, failed, self._clock())

    def _refusal(self, requests: Sequence[OutboundRequest], wait: float) -> NotConnected:
        state = "circuit open" if self.breaker.state == "open" else "circuit half-open, probing"
        return NotConnected(
            f"{action_of(requests, self.system)}: {state} after repeated failures; "
            f"next call in {wait:.1f}s",
            retry_after=wait,
        )
