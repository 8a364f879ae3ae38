"""Outbound OAuth 2.0 client credentials (RFC 6749 §4.4): bearer tokens for one system.

:class:`ClientCredentials` POSTs ``grant_type=client_credentials`` (with
``scope`` and ``audience`` when configured) to the token URL, authenticating
the client with HTTP Basic (id and secret form-urlencoded, §2.3.1) or, with
``client_auth="body"``, with ``client_id`` and ``client_secret`` form fields.
The client secret is read anew for each token request (a rotated secret is
picked up) and, like every token received, registered with
``distsync.redaction``; neither is ever logged.

``token()`` returns the cached token until it is due for renewal: a token
living ``expires_in`` seconds (:data:`DEFAULT_LIFETIME_SECONDS` when the
answer has none) is renewed ``min(10 %, 60 s)`` before it expires. Concurrent
callers share one token request. When renewal fails with a retryable error
while the old token has not expired yet, the old one is used meanwhile.
``discard(token)`` forgets a token the API refused (HTTP 401), unless a newer
one replaced it already; the caller then asks for a fresh one and repeats its
call once (``HttpTransport`` does, and the delivery policy does for the
``http-json`` connector through its ``reauthenticate()``).

The token endpoint's answers map to the taxonomy::

    connection refused, reset, timeout        NotConnected / RetryableError
    HTTP 5xx, 408                             RetryableError (Retry-After kept)
    HTTP 429                                  RateLimited (Retry-After kept)
    any other 4xx (invalid_client, ...)       AuthenticationFailed, naming the system
    2xx without a bearer access_token         MalformedDocument
"""

from __future__ import annotations

import asyncio
import base64
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus

import orjson

from distsync.errors import (
    AuthenticationFailed,
    DistsyncError,
    MalformedDocument,
    RateLimited,
    RetryableError,
)
from distsync.redaction import forget_secret, redact, register_secret
from distsync.telemetry import get_logger
from distsync.transports.http import HttpAnswer, HttpTransport, parse_retry_after

__all__ = ["DEFAULT_LIFETIME_SECONDS", "ClientCredentials", "ClientCredentialsSettings"]

DEFAULT_LIFETIME_SECONDS = 300.0
MARGIN_FRACTION = 0.1
MAX_MARGIN_SECONDS = 60.0
EXCERPT_CHARS = 200
ClientAuth = Literal["basic", "body"]
log = get_logger(component="oauth2")


@dataclass(frozen=True)
class ClientCredentialsSettings:
    """Where and as whom system ``system`` gets its tokens; ``client_secret`` reads the secret."""

    system: str
    token_url: str
    client_id: str
    client_secret: Callable[[], str]
    scope: str | None = None
    audience: str | None = None
    client_auth: ClientAuth = "basic"
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float
    expires_at: float


class ClientCredentials:
    """Bearer tokens for one system, cached and renewed (see the module docstring).

    ``clock`` is monotonic seconds, there for tests.
    """

    def __init__(
        self, settings: ClientCredentialsSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._endpoint = HttpTransport(settings.token_url, timeout_seconds=settings.timeout_seconds)
        self._current: _Token | None = None
        self._retired: str | None = None
        self._pending: asyncio.Task[_Token] | None = None

    async def token(self) -> str:
        current = self._current
        if current is not None and self._clock() < current.renew_at:
            return current.value
        if self._pending is None:
            self._pending = asyncio.get_running_loop().create_task(self._fetch())
            self._pending.add_done_callback(self._settled)
        try:
            return (await asyncio.shield(self._pending)).value
        except RetryableError:
            if current is None or self._clock() >= current.expires_at:
                raise
            return current.value  # still valid: use it while the endpoint recovers

    def discard(self, token: str) -> None:
        if self._current is not None and self._current.value == token:
            self._retire()
            log.info("token refused by the API", action="oauth2.token_discarded", system=self.name)

    async def renew(self) -> None:
        """Drop the cached token and fetch one now (``reauthenticate()`` of a connector)."""
        self._retire()
        await self.token()

    async def close(self) -> None:
        await self._endpoint.close()

    @property
    def name(self) -> str:
        return self.settings.system

    def _settled(self, task: asyncio.Task[_Token]) -> None:
        self._pending = None
        if not task.cancelled() and task.exception() is None:
            self._retire()
            self._current = task.result()

    def _retire(self) -> None:
        """The current token steps aside; the one before it has expired: no longer redacted."""
        if self._current is None:
            return
        if self._retired is not None:
            forget_secret(self._retired)
        self._retired, self._current = self._current.value, None

    async def _fetch(self) -> _Token:
        action = f"getting an OAuth 2.0 token for {self.name} from {self.settings.token_url}"
        fields, headers = self._request()
        try:
            answer = await self._endpoint.post_form(fields, headers=headers, action=action)
            token = self._token_of(action, answer)
        except DistsyncError as exc:
            error = redact(str(exc))
            log.warning("no token", action="oauth2.token_failed", system=self.name, error=error)
            raise
        renew_in = round(token.renew_at - self._clock(), 1)
        log.info(
            "token received", action="oauth2.token_fetched", system=self.name, renew_in=renew_in
        )
        return token

    def _request(self) -> tuple[dict[str, str], dict[str, str]]:
        settings = self.settings
        secret = settings.client_secret()
        register_secret(secret)
        fields = {"grant_type": "client_credentials"}
        fields |= {"scope": settings.scope} if settings.scope else {}
        fields |= {"audience": settings.audience} if settings.audience else {}
        headers = {"Accept": "application/json"}
        if settings.client_auth == "body":
            fields |= {"client_id": settings.client_id, "client_secret": secret}
        else:
            pair = f"{quote_plus(settings.client_id)}:{quote_plus(secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return fields, headers

    def _token_of(self, action: str, answer: HttpAnswer) -> _Token:
        body = _json_object(answer.body)
        if not 200 <= answer.status < 300:
            raise self._refusal(action, answer, body)
        value = body.get("access_token")
        kind = str(body.get("token_type", "bearer")).lower()
        if not isinstance(value, str) or not value or kind != "bearer":
            raise MalformedDocument(
                f"{action}: HTTP {answer.status} without a bearer access_token "
                f"(token_type {kind!r}): {_excerpt(answer.body)}"
            )
        register_secret(value)
        lifetime = _lifetime(body.get("expires_in"))
        now = self._clock()
        margin = min(lifetime * MARGIN_FRACTION, MAX_MARGIN_SECONDS)
        return _Token(value, renew_at=now + lifetime - margin, expires_at=now + lifetime)

    def _refusal(self, action: str, answer: HttpAnswer, body: dict[str, Any]) -> DistsyncError:
        status = answer.status
        said = " ".join(str(body[k]) for k in ("error", "error_description") if k in body)
        message = f"{action}: HTTP {status}: {said or _excerpt(answer.body) or 'no reason given'}"
        retry_after = parse_retry_after(answer.header("Retry-After"))
        if status == 429:
            return RateLimited(message, retry_after=retry_after)
        if status >= 500 or status == 408:
            return RetryableError(message, retry_after=retry_after)
        hint = HINTS.get(str(body.get("error", "")), "")
        return AuthenticationFailed(message + (f" ({hint})" if hint else ""))


HINTS = {
    "invalid_client": "check oauth2_client_id, the client secret and oauth2_client_auth",
    "unauthorized_client": "the client may not use the client credentials grant",
    "invalid_scope": "check oauth2_scope",
    "invalid_target": "check oauth2_audience",
}


def _lifetime(expires_in: object) -> float:
    """Seconds the token lives: ``expires_in`` (number or numeric text), else the default."""
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_SECONDS
    return seconds if math.isfinite(seconds) and seconds > 0 else DEFAULT_LIFETIME_SECONDS


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(content) if content else {}
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _excerpt(content: bytes) -> str:
    flat = " ".join(content.decode("utf-8", "replace").split())
    return redact(flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "...")
