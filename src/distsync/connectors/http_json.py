"""A generic JSON-over-HTTP endpoint: each request POSTed as JSON, every failure mapped once.

``HttpJsonConnector`` POSTs ``request.body`` to ``{base_url}/{operation}`` with
the headers ``Idempotency-Key`` and ``X-Correlation-ID``. A 2xx answer becomes
a :class:`Receipt`: ``remote_id`` from the JSON ``"id"``, ``duplicate`` when the
JSON says ``"duplicate": true`` or the endpoint answered 200 with
``Idempotent-Replayed: true`` (it had the key already and did nothing new).

``BatchHttpJsonConnector`` adds ``send_batch`` for endpoints with a bulk API:
one POST per operation to ``{base_url}/{operation}:batch`` with
``{"requests": [{"idempotency_key", "correlation_id", "body"}, ...]}``, answered
by ``{"results": [...]}``, one per request in order: ``{"id", "duplicate"}`` or
``{"status": <HTTP status>, "error": "<why>"}``.

Failures are translated in :func:`map_errors` and nowhere else::

    connection refused, reset, closed     NotConnected
    timeout                               RetryableError
    HTTP 5xx, 408                         RetryableError (honouring Retry-After)
    HTTP 429                              RateLimited(retry_after from Retry-After)
    HTTP 401                              AuthenticationFailed (the policy logs in again once)
    HTTP 403                              Rejected: logging in again will not grant it
    any other non-2xx                     Rejected, with an excerpt of the answer
    anything else httpx raises            RetryableError, or PermanentError for a bad URL

Besides ``transports/http.py`` this is the only module of ``src`` that imports httpx.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson

from distsync.errors import (
    AuthenticationFailed,
    DistsyncError,
    NotConnected,
    PermanentError,
    RateLimited,
    Rejected,
    RetryableError,
)
from distsync.runtime.ports import OutboundRequest, Receipt

__all__ = [
    "BatchHttpJsonConnector",
    "HttpJsonConnector",
    "error_for_status",
    "map_errors",
    "parse_retry_after",
]

EXCERPT_CHARS = 200
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class HttpJsonConnector:
    """Sends each outbound request as one JSON POST (see the module docstring)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout_seconds: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._timeout_seconds = timeout_seconds
        self._headers = {**JSON_HEADERS, **(headers or {})}
        self._client: httpx.AsyncClient | None = None

    async def connect(self) -> None:
        self._connected()

    def _connected(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_seconds, headers=self._headers)
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def send(self, request: OutboundRequest) -> Receipt:
        action = f"sending {request.operation} {request.idempotency_key} to {self.name}"
        headers = {
            "Idempotency-Key": request.idempotency_key,
            "X-Correlation-ID": request.correlation_id,
        }
        response = await self._post(action, request.operation, dict(request.body), headers)
        return _receipt(_json_object(response), replayed=_replayed(response))

    async def _post(
        self, action: str, path: str, body: Mapping[str, Any], headers: Mapping[str, str]
    ) -> httpx.Response:
        client = self._connected()  # the outbox may send before anyone called connect()
        headers = {**headers, **await self._auth_headers()}
        with map_errors(action, timeout_seconds=self._timeout_seconds):
            response = await client.post(
                f"{self.base_url}/{path}", content=orjson.dumps(body), headers=headers
            )
            response.raise_for_status()
        return response

    async def _auth_headers(self) -> Mapping[str, str]:
        """Headers that authorise each request now (a subclass's OAuth 2.0 token); none here."""
        return {}


class BatchHttpJsonConnector(HttpJsonConnector):
    """An :class:`HttpJsonConnector` that also sends many requests in one bulk POST."""

    async def send_batch(
        self, requests: Sequence[OutboundRequest]
    ) -> list[Receipt | BaseException]:
        by_operation: dict[str, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            by_operation[request.operation].append(index)
        groups = list(by_operation.items())
        answers = await asyncio.gather(
            *(self._send_group(op, [requests[i] for i in indexes]) for op, indexes in groups)
        )
        by_index: dict[int, Receipt | BaseException] = {}
        for (_, indexes), answer in zip(groups, answers, strict=True):
            by_index.update(zip(indexes, answer, strict=True))
        return [by_index[index] for index in range(len(requests))]

    async def _send_group(
        self, operation: str, group: Sequence[OutboundRequest]
    ) -> list[Receipt | BaseException]:
        action = f"sending {len(group)} {operation} to {self.name}"
        body = {"requests": [_batch_item(r) for r in group]}
        try:
            response = await self._post(action, f"{operation}:batch", body, {})
            return self._batch_results(action, operation, group, response)
        except DistsyncError as exc:
            return [exc] * len(group)

    def _batch_results(
        self,
        action: str,
        operation: str,
        group: Sequence[OutboundRequest],
        response: httpx.Response,
    ) -> list[Receipt | BaseException]:
        results = _json_object(response).get("results")
        if not isinstance(results, list) or len(results) != len(group):
            raise RetryableError(
                f"{action}: HTTP {response.status_code} without one result per request "
                f"(sent {len(group)}): {_excerpt(response.text)}"
            )
        return [
            _item_result(f"sending {operation} {request.idempotency_key} to {self.name}", item)
            for request, item in zip(group, results, strict=True)
        ]


@contextmanager
def map_errors(action: str, *, timeout_seconds: float | None = None) -> Iterator[None]:
    """Translate whatever httpx raises inside the block into the taxonomy, naming ``action``."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        answer = exc.response
        raise error_for_status(
            action,
            answer.status_code,
            reason=answer.reason_phrase,
            body=answer.text,
            retry_after=answer.headers.get("Retry-After"),
        ) from exc
    except httpx.ConnectTimeout as exc:
        raise NotConnected(f"{action}: could not connect within {timeout_seconds}s") from exc
    except httpx.TimeoutException as exc:
        raise RetryableError(
            f"{action}: no answer within {timeout_seconds}s ({type(exc).__name__})"
        ) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
        raise NotConnected(f"{action}: {_describe(exc)}") from exc
    except (
        httpx.UnsupportedProtocol,
        httpx.LocalProtocolError,
        httpx.TooManyRedirects,
        httpx.InvalidURL,
    ) as exc:
        raise PermanentError(f"{action}: {_describe(exc)}") from exc
    except (httpx.HTTPError, httpx.StreamError, httpx.CookieConflict) as exc:
        raise RetryableError(f"{action}: {_describe(exc)}") from exc


def error_for_status(
    action: str,
    status: int,
    *,
    reason: str = "",
    body: str = "",
    retry_after: str | None = None,
) -> DistsyncError:
    """The taxonomy's error for a non-2xx HTTP status (see the module docstring)."""
    excerpt = _excerpt(body)
    message = f"{action}: HTTP {status} {reason}".rstrip() + (f": {excerpt}" if excerpt else "")
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(retry_after))
    if status >= 500 or status == 408:
        return RetryableError(message, retry_after=parse_retry_after(retry_after))
    if status == 401:
        return AuthenticationFailed(message)
    return Rejected(message)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def _batch_item(request: OutboundRequest) -> dict[str, Any]:
    return {
        "idempotency_key": request.idempotency_key,
        "correlation_id": request.correlation_id,
        "body": dict(request.body),
    }


def _item_result(action: str, item: object) -> Receipt | BaseException:
    if not isinstance(item, dict):
        return RetryableError(f"{action}: the batch answer holds {item!r} instead of a result")
    status = item.get("status", 200)
    if isinstance(status, int) and not 200 <= status < 300:
        retry_after = item.get("retry_after")
        return error_for_status(
            action,
            status,
            body=str(item.get("error", "")),
            retry_after=None if retry_after is None else str(retry_after),
        )
    return _receipt(item, replayed=False)


def _receipt(answer: Mapping[str, Any], *, replayed: bool) -> Receipt:
    remote_id = answer.get("id")
    return Receipt(
        remote_id=None if remote_id is None else str(remote_id),
        duplicate=replayed or answer.get("duplicate") is True,
    )


def _replayed(response: httpx.Response) -> bool:
    header = response.headers.get("Idempotent-Replayed", "")
    return response.status_code == 200 and header.strip().lower() == "true"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty one when the endpoint said nothing useful."""
    try:
        parsed = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "..."


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
