"""An OAuth 2.0 authorisation server and an API it protects, on 127.0.0.1 (tests and demos).

``POST /oauth/token`` is a client credentials token endpoint (RFC 6749
§4.4): the client authenticates with HTTP Basic (id and secret
form-urlencoded, §2.3.1) or with ``client_id``/``client_secret`` form fields,
and gets an opaque bearer token living ``lifetime_seconds`` (``expires_in``
is left out of the answer when that is ``None``). A wrong client is answered
401 ``invalid_client``, another grant type 400 ``unsupported_grant_type``;
``down`` answers 503 with ``Retry-After: 1``; ``delay_seconds`` slows each
token answer. Every token request is recorded (:class:`TokenRequest`).

``POST /api/{operation}`` is the protected JSON API: a valid bearer token gets
201 ``{"id": "R-<n>"}``, anything else 401 ``invalid_token``. Every call is
recorded (:class:`ApiCall`). :meth:`OAuthServer.revoke_all` invalidates every
token issued so far, as a server restart or a key rotation would.

::

    async with OAuthServer(clients={"distsync": "s3cret-value"}) as server:
        server.token_url, server.api_url
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from distsync.testing_http import loopback_listener

__all__ = ["ApiCall", "OAuthServer", "TokenRequest"]


@dataclass(frozen=True)
class TokenRequest:
    """One call of the token endpoint: how the client authenticated, and what it asked."""

    client_id: str | None
    auth: str
    form: dict[str, str]


@dataclass(frozen=True)
class ApiCall:
    """One call of the protected API: the operation, the bearer token, and the answer's status."""

    operation: str
    token: str | None
    status: int


@dataclass
class OAuthServer:
    """The token endpoint and the API (see the module docstring)."""

    clients: dict[str, str]
    lifetime_seconds: int | None = 60
    delay_seconds: float = 0.0
    down: bool = False
    token_requests: list[TokenRequest] = field(default_factory=list)
    api_calls: list[ApiCall] = field(default_factory=list)
    _tokens: dict[str, float] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _serving: asyncio.Task[None] | None = None
    _port: int = 0

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/oauth/token"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api"

    def revoke_all(self) -> None:
        self._tokens.clear()

    async def start(self) -> None:
        listener = loopback_listener()
        self._port = listener.getsockname()[1]
        config = uvicorn.Config(self._app(), log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        # the socket listens already: connections wait in its backlog until uvicorn accepts
        self._serving = asyncio.create_task(self._server.serve(sockets=[listener]))

    async def stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        self._server = self._serving = None

    async def __aenter__(self) -> OAuthServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    def _app(self) -> FastAPI:
        app = FastAPI()
        app.post("/oauth/token")(self._token)
        app.post("/api/{operation}")(self._api)
        return app

    async def _token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, secret, auth = _client_of(request.headers.get("authorization"), form)
        self.token_requests.append(TokenRequest(client_id, auth, form))
        await asyncio.sleep(self.delay_seconds)
        if self.down:
            return _oauth_error(503, "temporarily_unavailable", {"Retry-After": "1"})
        if client_id is None or self.clients.get(client_id) != secret:
            return _oauth_error(401, "invalid_client", {"WWW-Authenticate": "Basic"})
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", {})
        return JSONResponse(self._issue(form), headers={"Cache-Control": "no-store"})

    def _issue(self, form: dict[str, str]) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        lifetime = self.lifetime_seconds
        self._tokens[token] = time.monotonic() + (lifetime if lifetime is not None else 3600)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if lifetime is not None:
            answer["expires_in"] = lifetime
        if "scope" in form:
            answer["scope"] = form["scope"]
        return answer

    async def _api(self, operation: str, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        valid = token is not None and self._tokens.get(token, 0.0) > time.monotonic()
        status = 201 if valid else 401
        self.api_calls.append(ApiCall(operation, token, status))
        if not valid:
            challenge = 'Bearer error="invalid_token"'
            return _oauth_error(401, "invalid_token", {"WWW-Authenticate": challenge})
        return JSONResponse({"id": f"R-{len(self.api_calls)}"}, status_code=201)


def _client_of(
    authorization: str | None, form: dict[str, str]
) -> tuple[str | None, str | None, str]:
    """The client id and secret, from HTTP Basic (form-urlencoded parts) or the form."""
    if authorization and authorization.lower().startswith("basic "):
        decoded = base64.b64decode(authorization[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret), "basic"
    return form.get("client_id"), form.get("client_secret"), "body"


def _oauth_error(status: int, error: str, headers: dict[str, str]) -> Response:
    return JSONResponse({"error": error}, status_code=status, headers=headers)
