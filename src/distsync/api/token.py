"""The OAuth 2.0 token endpoint (client credentials) and the public keys that verify its tokens.

``POST /oauth/token`` follows RFC 6749 §4.4: a form-encoded body with
``grant_type=client_credentials``; the client authenticates with HTTP Basic
or with ``client_id`` and ``client_secret`` form fields (not both); an
optional ``scope`` asks for fewer scopes than the client has. The answer is
``{"access_token", "token_type": "Bearer", "expires_in", "scope"}`` with
``Cache-Control: no-store``. Errors follow §5.2: JSON ``{"error": ...,
"error_description": ...}``, 401 ``invalid_client`` (with
``WWW-Authenticate: Basic``), 400 for ``invalid_request``,
``unsupported_grant_type`` and ``invalid_scope``.

``GET /.well-known/jwks.json`` publishes the key ring's public keys, the
next key included, cached by clients for a quarter of ``key_lead_seconds``
at most, so that they know a key before it signs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from distsync.api.auth_tokens import LocalTokens
from distsync.config_security import OAuthClient, SecurityConfig
from distsync.telemetry import get_logger

__all__ = ["token_router"]

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_JWKS_AGE_SECONDS = 300
_UNKNOWN_CLIENT_SECRET = b"\x00" * 32  # compared against when the client id is unknown

log = get_logger(component="api.auth")

TOKEN_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "description": "space-separated scopes"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "format": "password"},
                    },
                }
            }
        },
    }
}


class TokenError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="distsync"'
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


def token_router(security: SecurityConfig, tokens: LocalTokens) -> APIRouter:
    """``POST /oauth/token`` for ``security.clients`` and ``GET /.well-known/jwks.json``."""
    router = APIRouter(tags=["auth"])
    jwks_age = min(MAX_JWKS_AGE_SECONDS, security.key_lead_seconds // 4)

    @router.post(
        "/oauth/token",
        operation_id="issue_token",
        summary="Issue an access token (OAuth 2.0 client credentials)",
        openapi_extra=TOKEN_FORM_SCHEMA,
        response_model=None,
    )
    async def issue_token(request: Request) -> JSONResponse:
        try:
            form = _form(request.headers.get("content-type", ""), await request.body())
            client_id, client = _client(security.clients, request, form)
            scopes = _scopes(client_id, client, form.get("scope"))
        except TokenError as refused:
            log.info("token refused", action="api.auth_token_refused", error=refused.error)
            return refused.response()
        issued = tokens.issue(client_id, scopes, client.partner)
        log.info("token issued", action="api.auth_token_issued", client_id=client_id)
        body = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
        return JSONResponse(body, headers=NO_STORE)

    @router.get(
        "/.well-known/jwks.json",
        operation_id="jwks",
        summary="The public keys that verify our access tokens (JWK Set)",
    )
    async def jwks() -> JSONResponse:
        headers = {"Cache-Control": f"public, max-age={jwks_age}"}
        return JSONResponse(tokens.ring.jwks(), headers=headers)

    return router


def _form(content_type: str, body: bytes) -> dict[str, str]:
    if content_type.split(";", maxsplit=1)[0].strip().lower() != FORM:
        raise TokenError("invalid_request", f"the token request must be {FORM}")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise TokenError("invalid_request", "the token request body is not a form") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise TokenError("invalid_request", f"parameters given more than once: {repeated}")
    form = {name: values[0] for name, values in fields.items()}
    grant = form.get("grant_type")
    if grant is None:
        raise TokenError("invalid_request", "grant_type is missing")
    if grant != "client_credentials":
        raise TokenError("unsupported_grant_type", f"grant_type {grant!r}: only client_credentials")
    return form


def _client(
    clients: Mapping[str, OAuthClient], request: Request, form: Mapping[str, str]
) -> tuple[str, OAuthClient]:
    client_id, secret = _credentials(request.headers.get("authorization"), form)
    client = clients.get(client_id)
    expected = client.secret().encode() if client is not None else _UNKNOWN_CLIENT_SECRET
    if not hmac.compare_digest(expected, secret.encode()) or client is None:
        raise TokenError(
            "invalid_client", f"client {client_id!r}: unknown or wrong secret", status=401
        )
    return client_id, client


def _credentials(authorization: str | None, form: Mapping[str, str]) -> tuple[str, str]:
    in_form = "client_id" in form or "client_secret" in form
    if authorization is None:
        if not in_form:
            raise TokenError("invalid_client", "no client credentials", status=401)
        return form.get("client_id", ""), form.get("client_secret", "")
    if in_form:
        raise TokenError("invalid_request", "give client credentials once: Basic or form fields")
    scheme, _, encoded = authorization.partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if scheme.lower() != "basic" or ":" not in decoded:
        raise TokenError("invalid_client", "malformed Basic credentials", status=401)
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def _scopes(client_id: str, client: OAuthClient, asked: str | None) -> frozenset[str]:
    allowed = frozenset(client.scopes)
    if asked is None or not asked.strip():
        return allowed
    wanted = frozenset(asked.split())
    if extra := sorted(wanted - allowed):
        raise TokenError(
            "invalid_scope", f"client {client_id!r} may not have {extra}; it has {sorted(allowed)}"
        )
    return wanted
