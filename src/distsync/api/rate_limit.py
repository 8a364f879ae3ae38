"""Rate limits per client and route group: token buckets, decided before the route runs.

Each request falls in a route group (:func:`route_group`): ``inbound``
(documents partners push), ``sync`` (the synchronous APIs), ``ops``,
``token`` (``/oauth/token``) or ``open`` (probes, metrics, the API document:
never limited). Each (client, group) has its own bucket, so a flood of
inbound documents from one client empties only that client's inbound
bucket, and its sync calls and every other client keep being answered.

Who the client is: the limiter runs before authentication, so it cannot
trust what a credential claims. Reading a token's ``sub`` unverified would
let anybody spend a victim's bucket with a forged token. Instead
:class:`ClientKeys` remembers a digest of each credential (the
``Authorization`` or ``X-API-Key`` header) once a route has verified it and
set ``request.state.principal``; from then on that exact credential spends
its client's bucket. A credential not yet verified (the first request of a
new token, a forged or garbage one) and a request without one spend the
bucket of the peer address instead: a forger only ever spends their own.

A refused request is answered 429 by the middleware (``api/middleware.py``)
with ``Retry-After``. Buckets live in the process: several processes each
allow the configured rate.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter

from distsync.config_api import LIMITED_GROUPS, Bucket, Group, RateLimits

__all__ = ["ClientKeys", "RateLimiter", "Throttled", "route_group", "throttled_counter"]

Clock = Callable[[], float]
OPEN_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"})
OPEN_PREFIXES: Final = ("/.well-known/", "/docs/", "/redoc")
INBOUND_PREFIXES: Final = ("/v1/inbound/", "/v1/edi/", "/v1/as2", "/v1/webhooks/")
SYNC_PREFIXES: Final = ("/v1/availability", "/v1/orders/validate", "/v1/shipping/rates")
READS: Final = frozenset({"GET", "HEAD"})


def route_group(method: str, path: str) -> Group | None:
    """The group a request belongs to; None for the open routes, which are never limited."""
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if path.startswith("/v1/"):
        if path.startswith(INBOUND_PREFIXES):
            return "inbound"
        if path.startswith(SYNC_PREFIXES) or method in READS:
            return "sync"
        return "ops"  # writes such as cross-reference changes
    if path == "/oauth/token":
        return "token"
    return "ops"  # /ops/..., the console, and paths that do not exist


@dataclass(frozen=True, slots=True)
class Throttled:
    """A refusal: wait ``retry_after`` seconds; ``limit`` is the bucket's burst."""

    group: Group
    retry_after: float
    limit: int


class _TokenBucket:
    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, bucket: Bucket, now: float) -> None:
        self.rate, self.burst = bucket.rate, bucket.burst
        self.tokens, self.updated = float(bucket.burst), now

    def take(self, now: float) -> float:
        """Spend one token: 0.0 when there was one, else the seconds until there is."""
        tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if tokens >= 1.0:
            self.tokens = tokens - 1.0
            return 0.0
        self.tokens = tokens
        return (1.0 - tokens) / self.rate

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.updated) * self.rate >= self.burst


class RateLimiter:
    """Token buckets keyed by (client key, group); ``clock`` is monotonic seconds."""

    def __init__(
        self, limits: RateLimits, *, clock: Clock = time.monotonic, max_buckets: int = 100_000
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._max_buckets = max_buckets
        self._buckets: dict[tuple[str, Group], _TokenBucket] = {}

    def check(self, group: Group, key: str, client_id: str | None) -> Throttled | None:
        """Spend a token of ``key``'s bucket in ``group``; a :class:`Throttled` when empty."""
        now = self._clock()
        bucket = self._buckets.get((key, group))
        if bucket is None:
            bucket = self._add((key, group), self._limits.bucket(group, client_id), now)
        wait = bucket.take(now)
        return None if wait == 0.0 else Throttled(group, wait, bucket.burst)

    def _add(self, at: tuple[str, Group], limit: Bucket, now: float) -> _TokenBucket:
        if len(self._buckets) >= self._max_buckets:
            self._forget_idle(now)
        bucket = self._buckets[at] = _TokenBucket(limit, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """Drop full buckets (a new one is the same); if none is full, the oldest half."""
        idle = [at for at, bucket in self._buckets.items() if bucket.full(now)]
        if not idle:
            idle = list(self._buckets)[: len(self._buckets) // 2 + 1]
        for at in idle:
            del self._buckets[at]


class ClientKeys:
    """Which bucket a request spends: its verified client's, else its peer address's."""

    def __init__(self, *, max_remembered: int = 10_000) -> None:
        self._max = max_remembered
        self._verified: dict[bytes, str] = {}

    def client_for(self, credential: bytes | None) -> str | None:
        """The client id this exact credential was verified as before, if it was."""
        if credential is None or not self._verified:
            return None
        return self._verified.get(_digest(credential))

    def learn(self, credential: bytes, client_id: str) -> None:
        """Remember that ``credential`` verified as ``client_id`` (oldest forgotten first)."""
        digest = _digest(credential)
        if self._verified.get(digest) == client_id:
            return
        if len(self._verified) >= self._max:
            del self._verified[next(iter(self._verified))]
        self._verified[digest] = client_id


def _digest(credential: bytes) -> bytes:
    return hashlib.blake2b(credential, digest_size=16).digest()


_COUNTERS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def throttled_counter(registry: CollectorRegistry) -> Counter:
    """``distsync_api_throttled_total{group}``: requests answered 429, per route group.

    One per registry: a second app on the same services shares it.
    """
    if (known := _COUNTERS.get(registry)) is not None:
        return known
    counter = Counter(
        "distsync_api_throttled",
        "API requests refused with 429 by the rate limiter",
        ["group"],
        registry=registry,
    )
    for group in LIMITED_GROUPS:
        counter.labels(group)
    _COUNTERS[registry] = counter
    return counter
