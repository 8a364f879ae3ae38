"""What the webhook routes (web shops, carriers) share: reading, verifying and refusing.

- :func:`read_limited` reads the raw body, refused as soon as it is known to
  exceed ``runtime.max_payload_bytes``;
- :func:`secret_system` is the system named by the partner's ``portal`` when
  it holds ``webhook_secret_env`` or ``webhook_secret_file``;
- :func:`verify_signature` checks base64(HMAC-SHA256(secret, body)) in
  constant time, before anything of the body is parsed;
- :class:`Refused`, :func:`problem` and :func:`taxonomy_problem` answer
  ``application/problem+json``; the log line names partner, status and code,
  never the body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from distsync.api.inbound_json import PROBLEM_TYPE
from distsync.api.problems import problem_body
from distsync.config import Landscape, Partner, SystemConfig
from distsync.errors import ConfigError, DistsyncError, PermanentError, RetryableError
from distsync.runtime.intake import PayloadTooLarge
from distsync.telemetry import get_logger

__all__ = [
    "SECRET",
    "Refused",
    "problem",
    "read_limited",
    "secret_system",
    "taxonomy_problem",
    "verify_signature",
]

SECRET = "webhook_secret"

log = get_logger(component="api")


class Refused(Exception):
    """A webhook refused with an HTTP status and a stable error code."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


async def read_limited(request: Request, limit: int, what: str) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(f"{int(declared):,} bytes", limit, what)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit:,} bytes", limit, what)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: str, limit: int, what: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"receiving {what}: {size} is over the limit of {limit:,} bytes (runtime.max_payload_bytes)"
    )


def secret_system(landscape: Landscape, partner: Partner) -> SystemConfig | None:
    """The partner's ``portal`` system when it holds a webhook secret, else None."""
    system = landscape.systems.get(partner.portal) if partner.portal is not None else None
    if system is None or not (
        f"{SECRET}_env" in system.secret_env or f"{SECRET}_file" in system.secret_files
    ):
        return None
    return system


def verify_signature(body: bytes, signature: str | None, secret: bytes, header: str) -> None:
    """Refuse unless ``signature`` is base64(HMAC-SHA256(secret, body)); constant time."""
    if not signature:
        raise Refused(401, "missing_signature", f"no {header} header")
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode("ascii", "replace")):
        raise Refused(401, "bad_signature", f"{header} does not match the body")


def taxonomy_problem(
    exc: DistsyncError, partner: str, *, source: str, permanent_status: int
) -> Response:
    """The error taxonomy as HTTP for a webhook route."""
    if isinstance(exc, PayloadTooLarge):
        return problem(413, "payload_too_large", str(exc), partner, source=source)
    if isinstance(exc, RetryableError):
        wait = str(max(1, round(exc.retry_after or 1)))
        headers = {"Retry-After": wait}
        return problem(503, "unavailable", str(exc), partner, source=source, headers=headers)
    if isinstance(exc, ConfigError):
        detail = f"{partner}'s webhook secret: {exc}"
        return problem(500, "misconfigured", detail, partner, source=source)
    if isinstance(exc, PermanentError):
        return problem(permanent_status, "rejected", str(exc), partner, source=source)
    raise exc


def problem(
    status: int,
    error: str,
    detail: str,
    partner: str,
    *,
    source: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A refusal; the log line names partner, status and code, never the body."""
    log.warning(
        f"{source} webhook refused",
        action=f"api.{source}_refused",
        partner=partner,
        status=status,
        error=error,
        detail=detail,
    )
    body = problem_body(status, error, detail, partner=partner)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)
