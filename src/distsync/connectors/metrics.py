"""Prometheus metrics of the delivery policy, per system, in a registry the caller gives.

``bootstrap`` registers them in the registry of the runtime's ``Metrics`` so
they appear on ``/metrics`` next to the runtime's own::

    distsync_connector_breaker_state{system}             0 closed, 1 half-open, 2 open
    distsync_connector_breaker_opened_total{system}      times it opened
    distsync_connector_attempts_total{system,outcome}    requests that reached the connector:
                                                         ok, retryable, rate_limited,
                                                         permanent or error
    distsync_connector_retries_total{system}             in-call retries
    distsync_connector_throttled_seconds_total{system}   time spent waiting for the rate limit
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from distsync.errors import PermanentError, RateLimited, RetryableError

__all__ = ["BREAKER_STATES", "ConnectorMetrics", "outcome_of"]

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


class ConnectorMetrics:
    """The delivery policy's metrics, registered in ``registry`` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.breaker = Gauge(
            "distsync_connector_breaker_state",
            "Circuit breaker per system: 0 closed, 1 half-open, 2 open",
            ["system"],
            registry=r,
        )
        self.opened = Counter(
            "distsync_connector_breaker_opened", "Times the breaker opened", ["system"], registry=r
        )
        self.attempts = Counter(
            "distsync_connector_attempts",
            "Calls that reached a connector, by outcome",
            ["system", "outcome"],
            registry=r,
        )
        self.retries = Counter(
            "distsync_connector_retries", "Retries inside one delivery", ["system"], registry=r
        )
        self.throttled = Counter(
            "distsync_connector_throttled_seconds",
            "Time calls waited for the rate limit",
            ["system"],
            registry=r,
        )

    def breaker_state(self, system: str, state: str) -> None:
        """Record the breaker's new state (``closed``, ``half_open`` or ``open``)."""
        self.breaker.labels(system).set(BREAKER_STATES[state])
        if state == "open":
            self.opened.labels(system).inc()

    def attempt(self, system: str, error: BaseException | None) -> None:
        self.attempts.labels(system, outcome_of(error)).inc()

    def retried(self, system: str) -> None:
        self.retries.labels(system).inc()

    def waited(self, system: str, seconds: float) -> None:
        self.throttled.labels(system).inc(seconds)


def outcome_of(error: BaseException | None) -> str:
    """The ``outcome`` label of a call that ended with ``error`` (None: success)."""
    if error is None:
        return "ok"
    if isinstance(error, RateLimited):
        return "rate_limited"
    if isinstance(error, RetryableError):
        return "retryable"
    if isinstance(error, PermanentError):
        return "permanent"
    return "error"
