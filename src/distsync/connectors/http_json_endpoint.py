"""The ``http-json`` system type: the JSON-over-HTTP connector, built from the landscape.

::

    systems:
      wms-east:
        type: http-json
        url: http://127.0.0.1:9001/api   # each request is POSTed to {url}/{operation}
        timeout_seconds: 10
        token_env: WMS_EAST_TOKEN        # or token_file; sent as "Authorization: Bearer <token>"
        batch: true                      # the endpoint has {operation}:batch bulk calls
        auth_header: Authorization
        auth_scheme: Bearer

The token is read when the connector connects, and read again by
``reauthenticate()`` after the endpoint refused it (a rotated token). Beyond
``HttpJsonConnector`` this type is strict about answers: a 2xx whose body is
not a JSON object is a ``MalformedDocument``, and ``Idempotent-Replayed: true``
on any 2xx marks the receipt ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from distsync.config import SystemConfig
from distsync.config_policy import DEFAULT_TIMEOUT_SECONDS
from distsync.connectors.base import register_connector
from distsync.connectors.http_json import BatchHttpJsonConnector, HttpJsonConnector
from distsync.errors import ConfigError, MalformedDocument
from distsync.runtime.ports import OutboundRequest, Receipt

__all__ = ["HttpJsonEndpoint", "HttpJsonOptions"]

EXCERPT_BYTES = 200


class HttpJsonOptions(BaseModel):
    """The type-specific keys of an ``http-json`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch: bool = False
    auth_header: str = Field("Authorization", min_length=1, pattern=r"^[A-Za-z0-9-]+$")
    auth_scheme: str = "Bearer"


@register_connector("http-json", config=HttpJsonOptions)
class HttpJsonEndpoint(HttpJsonConnector):
    """An :class:`HttpJsonConnector` with a token read at connect time and strict answers."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        token: Callable[[], str] | None = None,
        auth_header: str = "Authorization",
        auth_scheme: str = "Bearer",
    ) -> None:
        super().__init__(name, base_url, timeout_seconds=timeout_seconds)
        self._token = token
        self._auth_header = auth_header
        self._auth_scheme = auth_scheme
        self._authorised = token is None

    @classmethod
    def from_config(
        cls, name: str, system: SystemConfig, options: HttpJsonOptions
    ) -> HttpJsonEndpoint:
        """An endpoint for ``systems.<name>``; ``batch: true`` gives it ``send_batch``."""
        if system.url is None:
            raise ConfigError(f"system {name} (http-json) needs a url")
        has_token = "token_env" in system.secret_env or "token_file" in system.secret_files
        kind = _BatchHttpJsonEndpoint if options.batch else HttpJsonEndpoint
        return kind(
            name,
            system.url,
            timeout_seconds=system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
            token=partial(system.secret, "token") if has_token else None,
            auth_header=options.auth_header,
            auth_scheme=options.auth_scheme,
        )

    async def connect(self) -> None:
        self._authorise()
        await super().connect()

    async def reauthenticate(self) -> None:
        """Read the token again (it may have been rotated) and use it from now on."""
        self._authorised = self._token is None
        self._authorise()

    async def send(self, request: OutboundRequest) -> Receipt:
        self._authorise()
        action = f"sending {request.operation} {request.idempotency_key} to {self.name}"
        headers = {
            "Idempotency-Key": request.idempotency_key,
            "X-Correlation-ID": request.correlation_id,
        }
        response = await self._post(action, request.operation, dict(request.body), headers)
        answer = _json_answer(action, response.status_code, response.content)
        replayed = response.headers.get("Idempotent-Replayed", "").strip().lower() == "true"
        remote_id = answer.get("id")
        return Receipt(
            remote_id=None if remote_id is None else str(remote_id),
            duplicate=replayed or answer.get("duplicate") is True,
        )

    def _authorise(self) -> None:
        if self._authorised or self._token is None:
            return
        token = self._token()
        value = f"{self._auth_scheme} {token}" if self._auth_scheme else token
        self._headers[self._auth_header] = value
        if self._client is not None:
            self._client.headers[self._auth_header] = value
        self._authorised = True


class _BatchHttpJsonEndpoint(HttpJsonEndpoint, BatchHttpJsonConnector):
    """``batch: true``: also one bulk POST to ``{operation}:batch`` per ``send_batch``."""

    async def send_batch(
        self, requests: Sequence[OutboundRequest]
    ) -> list[Receipt | BaseException]:
        self._authorise()
        return await super().send_batch(requests)


def _json_answer(action: str, status: int, content: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx answer; an empty body is an empty object."""
    if not content.strip():
        return {}
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        excerpt = content[:EXCERPT_BYTES].decode("utf-8", "replace")
        raise MalformedDocument(f"{action}: HTTP {status} answer is not a JSON object: {excerpt}")
    return parsed
