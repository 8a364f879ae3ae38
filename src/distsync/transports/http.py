"""POST raw bytes to a partner's URL: one request per interchange, every failure mapped once.

``HttpTransport.post(data, headers=..., action=...)`` sends ``data`` as the
request body to the partner's URL and returns the answer of a 2xx as an
:class:`HttpAnswer` (status, headers, body). The caller sets the headers
(content type, idempotency key, correlation id); the transport adds the
bearer token when one is configured: a fixed ``token``, or ``tokens``, a
:class:`BearerTokens` source such as ``oauth2_client.ClientCredentials``. A
401 answered to a token from ``tokens`` discards that token and the request
is sent once more with a fresh one; a second 401 stands. The client is made
on first use, so building a transport touches no network.

``post_form(fields, headers=..., action=...)`` POSTs an
``application/x-www-form-urlencoded`` body and returns whatever status is
answered (an OAuth token endpoint's 400 carries the reason in its body);
only the failures of the connection itself are raised.

Failures are translated in :func:`map_errors` and nowhere else::

    connection refused, reset, closed; an answer cut short    NotConnected
    timeout                                                    RetryableError
    HTTP 5xx, 408                                              RetryableError (Retry-After kept)
    HTTP 429                                                   RateLimited (Retry-After kept)
    HTTP 401                                                   AuthenticationFailed
    any other non-2xx                                          Rejected, with an excerpt
    a URL or protocol httpx cannot use                         PermanentError

Besides ``connectors/http_json.py`` this is the only module that imports httpx.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

from distsync.errors import (
    AuthenticationFailed,
    DistsyncError,
    NotConnected,
    PermanentError,
    RateLimited,
    Rejected,
    RetryableError,
)

__all__ = ["BearerTokens", "HttpAnswer", "HttpTransport", "map_errors", "parse_retry_after"]

EXCERPT_CHARS = 200


class BearerTokens(Protocol):
    """Where bearer tokens come from when they expire (``oauth2_client.ClientCredentials``)."""

    async def token(self) -> str:
        """A token valid now (fetched when there is none or it is about to expire)."""
        ...

    def discard(self, token: str) -> None:
        """Forget ``token`` (the server refused it), unless a newer one replaced it already."""
        ...


@dataclass(frozen=True)
class HttpAnswer:
    """An answer: its status (2xx unless from ``post_form``), headers (lower case) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class HttpTransport:
    """POSTs bytes to one URL (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 30.0,
        token: str | None = None,
        tokens: BearerTokens | None = None,
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self._token = token
        self._tokens = tokens
        self._client: httpx.AsyncClient | None = None

    async def post(self, data: bytes, *, headers: Mapping[str, str], action: str) -> HttpAnswer:
        if self._tokens is None:
            return await self._post(data, headers, action, self._token)
        token = await self._tokens.token()
        try:
            return await self._post(data, headers, action, token)
        except AuthenticationFailed:
            self._tokens.discard(token)
        return await self._post(data, headers, action, await self._tokens.token())

    async def post_form(
        self, fields: Mapping[str, str], *, headers: Mapping[str, str], action: str
    ) -> HttpAnswer:
        client = self._connected()
        with map_errors(action, timeout_seconds=self.timeout_seconds):
            response = await client.post(self.url, data=dict(fields), headers=dict(headers))
        return _answer(response)

    async def _post(
        self, data: bytes, headers: Mapping[str, str], action: str, token: str | None
    ) -> HttpAnswer:
        client = self._connected()
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        with map_errors(action, timeout_seconds=self.timeout_seconds):
            response = await client.post(self.url, content=data, headers=sent)
            response.raise_for_status()
        return _answer(response)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _connected(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_seconds)
        return self._client


@contextmanager
def map_errors(action: str, *, timeout_seconds: float | None = None) -> Iterator[None]:
    """Translate whatever httpx raises inside the block into the taxonomy, naming ``action``."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        raise _for_status(action, exc.response) from exc
    except httpx.ConnectTimeout as exc:
        raise NotConnected(f"{action}: could not connect within {timeout_seconds}s") from exc
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{action}: no answer within {timeout_seconds}s") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        raise NotConnected(f"{action}: {_describe(exc)}") from exc
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
        raise PermanentError(f"{action}: {_describe(exc)}") from exc
    except httpx.HTTPError as exc:
        raise RetryableError(f"{action}: {_describe(exc)}") from exc


def _answer(response: httpx.Response) -> HttpAnswer:
    lowered = {name.lower(): value for name, value in response.headers.items()}
    return HttpAnswer(response.status_code, lowered, response.content)


def _for_status(action: str, response: httpx.Response) -> DistsyncError:
    status = response.status_code
    excerpt = _excerpt(response.text)
    message = f"{action}: HTTP {status} {response.reason_phrase}".rstrip()
    message += f": {excerpt}" if excerpt else ""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        return RateLimited(message, retry_after=retry_after)
    if status >= 500 or status == 408:
        return RetryableError(message, retry_after=retry_after)
    if status == 401:
        return AuthenticationFailed(message)
    return Rejected(message)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date."""
    text = (value or "").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
