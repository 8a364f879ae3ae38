"""What happens after a handler fails: one pure decision.

``decide(exc, attempt, policy, now)`` maps a failure to exactly one path:

- ``RetryableError`` → retry at ``now + backoff`` (exponential, full jitter,
  never sooner than the error's ``retry_after``), until ``max_attempts``;
  then dead letter.
- ``PermanentError`` → dead letter at once.
- ``BusinessException`` → park for a person.
- anything else is a bug in a handler or adapter: retried like a retryable
  error (it may be transient) and finally dead-lettered with its traceback.
  Never swallowed.

The function takes the random draw as a parameter so that it stays pure and
testable; callers pass ``random.random()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from distsync.errors import BusinessException, PermanentError, RetryableError

__all__ = [
    "DeadLetterDecision",
    "Decision",
    "ParkDecision",
    "RetryDecision",
    "RetryPolicy",
    "decide",
]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: delay = uniform(0, min(cap, base * 2**(attempt-1)))."""

    max_attempts: int = 8
    base_seconds: float = 1.0
    cap_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_seconds < 0 or self.cap_seconds < self.base_seconds:
            raise ValueError("need 0 <= base_seconds <= cap_seconds")

    def backoff(self, attempt: int, draw: float) -> float:
        ceiling = min(self.cap_seconds, math.ldexp(self.base_seconds, min(attempt - 1, 62)))
        return ceiling * draw


@dataclass(frozen=True)
class RetryDecision:
    at: datetime


@dataclass(frozen=True)
class DeadLetterDecision:
    reason: str


@dataclass(frozen=True)
class ParkDecision:
    exception: BusinessException


Decision = RetryDecision | DeadLetterDecision | ParkDecision


def decide(
    exc: BaseException, attempt: int, policy: RetryPolicy, now: datetime, draw: float
) -> Decision:
    """Choose retry, dead letter or park for a failure on the given attempt (1-based)."""
    if isinstance(exc, BusinessException):
        return ParkDecision(exc)
    if isinstance(exc, PermanentError):
        return DeadLetterDecision("permanent error")
    if attempt >= policy.max_attempts:
        return DeadLetterDecision(f"gave up after {attempt} attempts")
    delay = policy.backoff(attempt, draw)
    if isinstance(exc, RetryableError) and exc.retry_after is not None:
        delay = max(delay, exc.retry_after)
    return RetryDecision(now + timedelta(seconds=delay))
