"""Where a simulated partner's answers go: an HTTP endpoint, or files in an outbox folder.

``HttpDelivery`` POSTs each interchange as its raw body (``Content-Type:
application/edi-x12`` plus the configured headers) and retries what a real
partner's EDI system retries: connection errors, timeouts, 408, 429 and 5xx,
with doubling pauses (a ``Retry-After`` in seconds is honoured, up to 5 s);
any other answer is final. ``DirectoryDelivery`` writes each interchange to
``<outbox>/<sequence>-<set>-<reference>.x12`` through a hidden temporary
file and a rename, so a reader polling the folder never sees half a file.
The standard library does the HTTP: the demo imports no driver library.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from distsync.errors import ConfigError

__all__ = ["Delivered", "Delivery", "DirectoryDelivery", "HttpDelivery", "delivery_from"]

RETRIED = frozenset({408, 429})
MAX_RETRY_AFTER = 5.0
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Delivered:
    """How one delivery went: whether it arrived, after how many attempts, and what was said."""

    ok: bool
    attempts: int
    detail: str  # the last HTTP status or error, or the file written


class Delivery(Protocol):
    """A destination for interchanges."""

    def deliver(self, body: bytes, *, sequence: int, set_id: str, reference: str) -> Delivered:
        """Hand over one interchange; never raises for the destination's failures."""
        ...

    def describe(self) -> str:
        """Where interchanges go, for records and logs."""
        ...


@dataclass(frozen=True)
class HttpDelivery:
    """POST each interchange to ``url`` with ``headers``; retry transient failures."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 5.0
    attempts: int = 5
    backoff: float = 0.2

    def deliver(self, body: bytes, *, sequence: int, set_id: str, reference: str) -> Delivered:
        pause, detail = self.backoff, ""
        for attempt in range(1, self.attempts + 1):
            status, detail, wait = self._post(body)
            if status is not None and 200 <= status < 300:
                return Delivered(True, attempt, detail)
            if status is not None and status < 500 and status not in RETRIED:
                return Delivered(False, attempt, detail)
            if attempt < self.attempts:
                time.sleep(min(wait, MAX_RETRY_AFTER) if wait is not None else pause)
                pause *= 2
        return Delivered(False, self.attempts, detail)

    def describe(self) -> str:
        return self.url

    def _post(self, body: bytes) -> tuple[int | None, str, float | None]:
        headers = {"Content-Type": "application/edi-x12", **self.headers}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
                return answer.status, f"HTTP {answer.status}", None
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code, f"HTTP {exc.code}", _retry_after(exc.headers.get("Retry-After"))
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return None, f"posting to {self.url}: {reason}", None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DirectoryDelivery:
    """Write each interchange as a file in ``outbox`` (created when missing)."""

    outbox: Path

    def deliver(self, body: bytes, *, sequence: int, set_id: str, reference: str) -> Delivered:
        name = f"{sequence:06d}-{set_id}-{UNSAFE.sub('_', reference) or 'x'}.x12"
        target = self.outbox / name
        hidden = self.outbox / f".{name}.part"
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            hidden.write_bytes(body)
            os.replace(hidden, target)
        except OSError as exc:
            return Delivered(False, 1, f"writing {target}: {exc.strerror or exc}")
        return Delivered(True, 1, str(target))

    def describe(self) -> str:
        return str(self.outbox)


def delivery_from(value: Delivery | str | Path | Mapping[str, Any]) -> Delivery:
    """A delivery from a URL, an outbox folder, or ``{"url", "headers"}`` / ``{"outbox"}``."""
    if isinstance(value, Path):
        return DirectoryDelivery(value)
    if isinstance(value, str):
        if not value.startswith(("http://", "https://")):
            raise ConfigError(f"reply_to {value!r}: give an http(s) URL, or a Path for a folder")
        return HttpDelivery(value)
    if isinstance(value, Mapping):
        return _from_mapping(value)
    return value


def _from_mapping(value: Mapping[str, Any]) -> Delivery:
    if set(value) <= {"outbox"} and "outbox" in value:
        return DirectoryDelivery(Path(value["outbox"]))
    known = {"url", "headers", "timeout", "attempts", "backoff"}
    if "url" not in value or set(value) - known:
        raise ConfigError(
            f"reply_to {dict(value)!r}: expected {{'url': ..., 'headers': {{...}}}} "
            "or {'outbox': folder}"
        )
    headers = value.get("headers") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise ConfigError("reply_to.headers: names and values must be text")
    extra = {k: value[k] for k in ("timeout", "attempts", "backoff") if k in value}
    return HttpDelivery(str(value["url"]), dict(headers), **extra)
