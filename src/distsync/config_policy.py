"""The delivery policy of one system (``systems.<name>.policy``), as landscape data.

Every call distsync makes to an endpoint goes through the same stack of
wrappers (``connectors/policy.py``); this model says how each behaves. The
system's own keys complete it: ``timeout_seconds`` is the per-attempt
timeout, ``rate_limit`` the endpoint's quota and ``concurrency`` the most
calls in flight. ``docs/connectors.md`` explains each key.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "BreakerSettings", "DeliveryPolicy", "InCallRetry"]

DEFAULT_TIMEOUT_SECONDS = 30.0
"""The per-attempt timeout of a system that gives no ``timeout_seconds``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InCallRetry(_Model):
    """A few quick retries inside one delivery; the runtime's retry handles the long tail.

    Retry *n* waits a random time up to ``min(cap_seconds, base_seconds * 2**(n-1))``
    (full jitter), and never less than the ``Retry-After`` the endpoint asked
    for. When that wait would exceed ``max_wait_seconds`` the call gives up at
    once and the error (with its ``retry_after``) goes back to the runtime.
    """

    attempts: int = Field(3, ge=1, le=10)
    base_seconds: float = Field(0.2, gt=0, le=60)
    cap_seconds: float = Field(2.0, gt=0, le=300)
    max_wait_seconds: float = Field(5.0, ge=0, le=300)

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> InCallRetry:
        if self.cap_seconds < self.base_seconds:
            raise ValueError("cap_seconds must not be below base_seconds")
        return self


class BreakerSettings(_Model):
    """The circuit breaker of the endpoint: stop calling a system that is down.

    It opens after ``failures`` consecutive failed calls, or when at least
    ``min_calls`` calls of the last ``window_seconds`` include a share of
    ``error_rate`` failures or more (``error_rate: 1`` needs every call to
    fail). A failure is a retryable error other than a rate limit: timeouts,
    refused connections, 5xx, 408. Open, it refuses calls for
    ``cooldown_seconds``; then it lets ``probes`` calls through (half-open):
    when they all succeed it closes, when one fails it opens again.
    """

    failures: int = Field(5, ge=1, le=10_000)
    error_rate: float = Field(0.5, gt=0, le=1)
    window_seconds: float = Field(60.0, gt=0, le=86_400)
    min_calls: int = Field(20, ge=1, le=1_000_000)
    cooldown_seconds: float = Field(30.0, gt=0, le=86_400)
    probes: int = Field(1, ge=1, le=100)


class DeliveryPolicy(_Model):
    """How calls to one system are retried, broken off and paced.

    ``burst`` calls may start at once after a quiet spell; ``rate_margin``
    keeps the sustained pace that far below the system's ``rate_limit`` (a
    fraction: 0.05 is 5%), so that the endpoint, which sees our calls with
    some network jitter, never counts more than its quota in any window.
    """

    retry: InCallRetry = InCallRetry()
    breaker: BreakerSettings = BreakerSettings()
    burst: int = Field(1, ge=1, le=10_000)
    rate_margin: float = Field(0.05, ge=0, le=0.5)
