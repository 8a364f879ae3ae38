"""The authenticator the API runs with, built from the landscape's ``security`` section.

With a ``security`` section, a request is authenticated by the first
credential it presents:

- ``X-API-Key: dsk_...`` or ``Authorization: Bearer dsk_...``: an API key
  (``api/auth_api_keys.py``), when ``security.api_keys`` is on;
- ``Authorization: Bearer <jwt>``: a token of an external issuer when its
  unverified ``iss`` names one (``api/auth_external.py``), else one of ours
  (``api/auth_tokens.py``).

No credentials, or credentials that do not verify, raise
:class:`Unauthenticated` (401); ``require(scope)`` turns a missing scope
into :class:`Forbidden` (403).

Without a ``security`` section the API is open, and only that: the
listener must be a loopback address (127.0.0.1, ::1, localhost), so only
this machine can reach it; a warning is logged once. Any other listener
without a ``security`` section is a :class:`ConfigError` at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address

from fastapi import Request

from distsync.api.auth_api_keys import ApiKeys, is_api_key
from distsync.api.auth_external import ExternalTokens
from distsync.api.auth_keys import KeyRing
from distsync.api.auth_tokens import LocalTokens
from distsync.api.jwt_parts import unverified_issuer
from distsync.api.principal import OPEN, Principal, Unauthenticated
from distsync.config_security import SecurityConfig
from distsync.errors import ConfigError
from distsync.runtime.ports import DocumentStore, DocumentWriter
from distsync.telemetry import get_logger

__all__ = ["CredentialAuthenticator", "OpenAuthenticator", "build_authenticator", "local_tokens"]

log = get_logger(component="api.auth")


class OpenAuthenticator:
    """Everyone is :data:`OPEN`: for a loopback listener without a ``security`` section."""

    async def authenticate(self, request: Request) -> Principal:
        return OPEN

    async def close(self) -> None:
        return None


@dataclass
class CredentialAuthenticator:
    """Tokens (ours and external issuers') and API keys; see the module docstring."""

    tokens: LocalTokens
    external: dict[str, ExternalTokens] = field(default_factory=dict)
    api_keys: ApiKeys | None = None

    async def authenticate(self, request: Request) -> Principal:
        credential = _credential(request)
        if is_api_key(credential):
            if self.api_keys is None:
                raise Unauthenticated("API keys are turned off", code="api_key_invalid")
            return await self.api_keys.authenticate(credential)
        if self.external and (issuer := unverified_issuer(credential)) in self.external:
            return await self.external[issuer].verify(credential)
        return self.tokens.verify(credential)

    async def close(self) -> None:
        return None  # nothing held open today; kept so servers close what they start


def build_authenticator(
    security: SecurityConfig | None,
    *,
    documents: DocumentStore,
    writer: DocumentWriter | None = None,
    clock: Callable[[], datetime],
    listen_host: str,
) -> OpenAuthenticator | CredentialAuthenticator:
    """The authenticator for ``app.state.authenticator`` (see the module docstring)."""
    if security is None:
        return _open(listen_host)
    for client_id, client in security.clients.items():
        _read_client_secret(client_id, client.secret)  # fail at start-up, not at first request
    tokens = local_tokens(security, clock)
    tokens.ring.signing_key()  # a missing key ring says so now
    external = {
        issuer.issuer: ExternalTokens(issuer, clock=clock) for issuer in security.external_issuers
    }
    api_keys = (
        ApiKeys(documents, writer=writer, clock=clock, cache_seconds=security.api_key_cache_seconds)
        if security.api_keys
        else None
    )
    return CredentialAuthenticator(tokens, external, api_keys)


def local_tokens(security: SecurityConfig, clock: Callable[[], datetime]) -> LocalTokens:
    """Our own token issuer and verifier, over the key ring in ``signing_keys_dir``."""
    ring = KeyRing(
        security.keys_dir,
        clock=clock,
        token_ttl_seconds=security.token_ttl_seconds,
        key_lead_seconds=security.key_lead_seconds,
    )
    return LocalTokens(
        ring,
        issuer=security.issuer,
        audience=security.audience,
        ttl_seconds=security.token_ttl_seconds,
        clock=clock,
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _open(listen_host: str) -> OpenAuthenticator:
    if not is_loopback(listen_host):
        raise ConfigError(
            f"binding to {listen_host} without a security section would leave the API open; "
            "add a security section (clients, external_issuers or api_keys) "
            "or listen on 127.0.0.1"
        )
    log.warning(
        "no security section: the API is open to every caller on this machine",
        action="api.auth_open",
        host=listen_host,
    )
    return OpenAuthenticator()


def _read_client_secret(client_id: str, read: Callable[[], str]) -> None:
    try:
        read()
    except ConfigError as exc:
        raise ConfigError(f"security.clients.{client_id}: {exc}") from exc


def _credential(request: Request) -> str:
    if key := request.headers.get("x-api-key"):
        return key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("no bearer token or API key", code="missing_credentials")
    return value.strip()
