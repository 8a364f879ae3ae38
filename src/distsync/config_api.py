"""The ``api`` section of the landscape file: request size limits and rate limits.

::

    api:
      max_body_bytes: {inbound: 5242880}      # per route group; default runtime.max_payload_bytes
      rate_limits:
        enabled: true
        default: {rate: 100/s, burst: 200}    # per client and route group
        groups: {inbound: {rate: 500/s, burst: 1000}, token: {rate: 5/s, burst: 10}}
        clients: {acme-portal: {inbound: {rate: 10/s, burst: 20}}}

A rate is written ``20/s``, ``600/min`` or ``1000/h`` (or a number per
second). ``burst`` is the bucket's size: how many requests a client may make
at once after a quiet spell. ``docs/api.md`` explains the route groups and
how the client is recognised. This module is imported by ``config.py``, so
it imports nothing of it.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["LIMITED_GROUPS", "ApiPolicy", "Bucket", "Group", "RateLimits"]

Group = Literal["inbound", "sync", "ops", "token"]
LIMITED_GROUPS: tuple[Group, ...] = ("inbound", "sync", "ops", "token")
"""The route groups that are rate limited (``open`` never is)."""

_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*$")


def _per_second(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _RATE.match(value) if isinstance(value, str) else None
    if match is None or match.group(2) not in _UNITS:
        raise ValueError("should look like 20/s, 600/min or 1000/h")
    return float(match.group(1)) / _UNITS[match.group(2)]


PerSecond = Annotated[float, Field(gt=0), BeforeValidator(_per_second)]
ClientId = Annotated[str, Field(min_length=1, max_length=128)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bucket(_Model):
    """One token bucket: refills at ``rate`` requests per second and holds at most ``burst``."""

    rate: PerSecond
    burst: int = Field(ge=1, le=1_000_000)


DEFAULT_GROUPS: dict[Group, Bucket] = {
    "inbound": Bucket(rate=500, burst=1000),
    "sync": Bucket(rate=200, burst=400),
    "ops": Bucket(rate=20, burst=40),
    "token": Bucket(rate=5, burst=10),
}


class RateLimits(_Model):
    """Token buckets per client and route group: ``clients``, then ``groups``, then ``default``.

    A group left out of ``groups`` uses the built-in figure for it (inbound
    500/s, sync 200/s, ops 20/s, token 5/s, bursts twice that) when
    ``default`` is not given either.
    """

    enabled: bool = True
    default: Bucket | None = None
    groups: dict[Group, Bucket] = {}
    clients: dict[ClientId, dict[Group, Bucket]] = {}

    def bucket(self, group: Group, client_id: str | None) -> Bucket:
        """The bucket a client (None: a caller not yet recognised) gets in ``group``."""
        if client_id is not None:
            chosen = self.clients.get(client_id, {}).get(group)
            if chosen is not None:
                return chosen
        return self.groups.get(group) or self.default or DEFAULT_GROUPS[group]


class ApiPolicy(_Model):
    """How the HTTP API guards itself: body size limits and rate limits per route group."""

    max_body_bytes: dict[Group, Annotated[int, Field(ge=1024)]] = {}
    rate_limits: RateLimits = RateLimits()

    def body_limit(self, group: Group | None, default: int) -> int:
        """The most bytes a request body of ``group`` may have (``default``: the runtime's)."""
        if group is None:
            return default
        return self.max_body_bytes.get(group, default)
