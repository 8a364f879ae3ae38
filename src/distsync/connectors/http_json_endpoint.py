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
``reauthenticate()`` after the endpoint refused it (a rotated token).

Instead of a fixed token, a system can get its tokens from an OAuth 2.0 token
endpoint (client credentials, ``transports.oauth2_client``)::

        oauth2_token_url: http://127.0.0.1:9002/oauth/token
        oauth2_client_id: distsync
        oauth2_scope: "shipments:write"    # optional
        oauth2_audience: wms               # optional
        oauth2_client_auth: basic          # or body
        client_secret_env: WMS_EAST_CLIENT_SECRET   # or client_secret_file

Each request then carries the current token; after a 401 the delivery policy
calls ``reauthenticate()``, which fetches a new token, and repeats the call
once. Beyond
``HttpJsonConnector`` this type is strict about answers: a 2xx whose body is
not a JSON object is a ``MalformedDocument``, and ``Idempotent-Replayed: true``
on any 2xx marks the receipt ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from distsync.config import SystemConfig
from distsync.config_policy import DEFAULT_TIMEOUT_SECONDS
from distsync.connectors.base import register_connector
from distsync.connectors.http_json import BatchHttpJsonConnector, HttpJsonConnector
from distsync.errors import ConfigError, MalformedDocument
from distsync.runtime.ports import OutboundRequest, Receipt
from distsync.transports.oauth2_client import ClientCredentials, ClientCredentialsSettings

__all__ = ["HttpJsonEndpoint", "HttpJsonOptions"]

EXCERPT_BYTES = 200


class HttpJsonOptions(BaseModel):
    """The type-specific keys of an ``http-json`` system."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch: bool = False
    auth_header: str = Field("Authorization", min_length=1, pattern=r"^[A-Za-z0-9-]+$")
    auth_scheme: str = "Bearer"
    oauth2_token_url: str | None = Field(None, pattern=r"^https?://\S+$")
    oauth2_client_id: str | None = Field(None, min_length=1)
    oauth2_scope: str | None = None
    oauth2_audience: str | None = None
    oauth2_client_auth: Literal["basic", "body"] = "basic"

    @model_validator(mode="after")
    def _oauth2_is_whole(self) -> HttpJsonOptions:
        given = {"oauth2_scope", "oauth2_audience", "oauth2_client_id"} & self.model_fields_set
        if self.oauth2_token_url is None and given:
            raise ValueError(f"{', '.join(sorted(given))} needs oauth2_token_url")
        if self.oauth2_token_url is not None and self.oauth2_client_id is None:
            raise ValueError("oauth2_token_url needs oauth2_client_id")
        return self


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
        oauth2: ClientCredentials | None = None,
    ) -> None:
        super().__init__(name, base_url, timeout_seconds=timeout_seconds)
        self._token = token
        self._auth_header = auth_header
        self._auth_scheme = auth_scheme
        self._authorised = token is None
        self._oauth2 = oauth2

    @classmethod
    def from_config(
        cls, name: str, system: SystemConfig, options: HttpJsonOptions
    ) -> HttpJsonEndpoint:
        """An endpoint for ``systems.<name>``; ``batch: true`` gives it ``send_batch``."""
        if system.url is None:
            raise ConfigError(f"system {name} (http-json) needs a url")
        has_token = "token_env" in system.secret_env or "token_file" in system.secret_files
        oauth2 = _client_credentials(name, system, options)
        if has_token and oauth2 is not None:
            raise ConfigError(
                f"system {name} (http-json): give token_env/_file or oauth2_*, not both"
            )
        kind = _BatchHttpJsonEndpoint if options.batch else HttpJsonEndpoint
        return kind(
            name,
            system.url,
            timeout_seconds=system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
            token=partial(system.secret, "token") if has_token else None,
            auth_header=options.auth_header,
            auth_scheme=options.auth_scheme,
            oauth2=oauth2,
        )

    async def connect(self) -> None:
        self._authorise()
        if self._oauth2 is not None:
            self._oauth2.settings.client_secret()  # a missing secret fails now, not at a send
        await super().connect()

    async def close(self) -> None:
        await super().close()
        if self._oauth2 is not None:
            await self._oauth2.close()

    async def reauthenticate(self) -> None:
        """Read the token again (it may have been rotated), or fetch a new OAuth 2.0 token."""
        if self._oauth2 is not None:
            await self._oauth2.renew()
            return
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

    async def _auth_headers(self) -> Mapping[str, str]:
        if self._oauth2 is None:
            return {}
        token = await self._oauth2.token()
        return {self._auth_header: f"{self._auth_scheme} {token}" if self._auth_scheme else token}

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


def _client_credentials(
    name: str, system: SystemConfig, options: HttpJsonOptions
) -> ClientCredentials | None:
    """The token source of ``oauth2_*`` options, or None; its secret is read per token request."""
    if options.oauth2_token_url is None or options.oauth2_client_id is None:
        return None
    keys = ("client_secret_env", "client_secret_file")
    if not any(key in system.secret_env or key in system.secret_files for key in keys):
        raise ConfigError(
            f"system {name} (http-json): oauth2_token_url needs client_secret_env or "
            "client_secret_file"
        )
    settings = ClientCredentialsSettings(
        system=name,
        token_url=options.oauth2_token_url,
        client_id=options.oauth2_client_id,
        client_secret=partial(system.secret, "client_secret"),
        scope=options.oauth2_scope,
        audience=options.oauth2_audience,
        client_auth=options.oauth2_client_auth,
        timeout_seconds=system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
    )
    return ClientCredentials(settings)


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
