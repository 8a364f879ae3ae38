"""The ``security`` section of the landscape file: who may call the HTTP API, and how.

Three kinds of credentials (``docs/security.md`` tells the whole story):

- OAuth 2.0 client-credentials ``clients`` get short-lived tokens we sign
  with the Ed25519 keys in ``signing_keys_dir``;
- ``external_issuers`` sign tokens we verify through their JWKS URL;
- API keys (``api_keys: true``) are created with ``distsync auth api-key``.

Client secrets never sit in the file: ``client_secret_env`` names an
environment variable, ``client_secret_file`` a file (relative to the
landscape file's folder); :meth:`OAuthClient.secret` reads them when a client
asks for a token, and registers the value with ``distsync.redaction``.

This module imports neither ``distsync.config`` (which imports it) nor
``distsync.api``: the scope names live here, and ``api/principal.py``'s
constants are tested to match them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from distsync.secret_source import read_secret

__all__ = [
    "SCOPE_NAMES",
    "ExternalIssuer",
    "OAuthClient",
    "ScopeName",
    "SecurityConfig",
    "check_partners",
]

ScopeName = Literal["inbound:write", "sync:read", "ops:read", "ops:replay", "admin"]
SCOPE_NAMES: frozenset[str] = frozenset(get_args(ScopeName))
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
URL_PATTERN = r"^https?://\S+$"

ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
PartnerName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
ClaimName = Annotated[str, Field(min_length=1, max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _resolve(value: str, info: ValidationInfo) -> str:
    path = Path(value).expanduser()
    base = info.context.get("base_dir") if isinstance(info.context, Mapping) else None
    return str(Path(base) / path) if base is not None and not path.is_absolute() else str(path)


class OAuthClient(_Model):
    """One client-credentials client (``security.clients.<client id>``).

    ``scopes`` are what its tokens may carry (a token request may ask for
    fewer); ``partner`` makes every token of it act as that partner only.
    """

    client_secret_env: Annotated[str, Field(pattern=ENV_VAR_PATTERN)] | None = None
    client_secret_file: str | None = None
    scopes: Annotated[tuple[ScopeName, ...], Field(min_length=1)]
    partner: PartnerName | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "client_secret" in data:
            raise ValueError(
                "secrets never sit in the landscape file: "
                "use client_secret_env or client_secret_file"
            )
        return data

    @field_validator("client_secret_file")
    @classmethod
    def _resolve_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _resolve(value, info)

    @model_validator(mode="after")
    def _one_secret_source(self) -> OAuthClient:
        if (self.client_secret_env is None) == (self.client_secret_file is None):
            raise ValueError("give exactly one of client_secret_env or client_secret_file")
        return self

    def secret(self, name: Literal["client_secret"] = "client_secret") -> str:
        """Read the client secret now, from its variable or file, and register it as secret."""
        return read_secret(name, variable=self.client_secret_env, file=self.client_secret_file)


class ExternalIssuer(_Model):
    """An identity provider whose tokens we accept (``security.external_issuers[]``).

    Its keys come from ``jwks_url``; the claim names say where a token keeps
    the scopes (a space-separated string or a list), the partner and the
    client id. A token without the partner claim acts for every partner.
    """

    issuer: Annotated[str, Field(min_length=1)]
    jwks_url: Annotated[str, Field(pattern=URL_PATTERN)]
    audience: Annotated[str, Field(min_length=1)] = "distsync"
    scope_claim: ClaimName = "scope"
    partner_claim: ClaimName = "partner"
    client_claim: ClaimName = "sub"


class SecurityConfig(_Model):
    """The ``security`` section: token issuing, key rotation, external issuers, API keys."""

    issuer: Annotated[str, Field(min_length=1)] = "distsync"
    audience: Annotated[str, Field(min_length=1)] = "distsync"
    token_ttl_seconds: int = Field(900, ge=60, le=86_400)
    signing_keys_dir: str = Field("var/keys", validate_default=True)
    key_lead_seconds: int = Field(300, ge=0, le=86_400)
    clients: dict[ClientId, OAuthClient] = {}
    external_issuers: tuple[ExternalIssuer, ...] = ()
    api_keys: bool = True
    api_key_cache_seconds: float = Field(5.0, ge=0, le=300)

    @field_validator("signing_keys_dir")
    @classmethod
    def _resolve_dir(cls, value: str, info: ValidationInfo) -> str:
        return _resolve(value, info)

    @model_validator(mode="after")
    def _issuers_distinct(self) -> SecurityConfig:
        names = [external.issuer for external in self.external_issuers]
        if self.issuer in names:
            raise ValueError(f"external issuer {self.issuer!r} is our own issuer name")
        if len(set(names)) != len(names):
            raise ValueError(f"external issuers are listed twice: {sorted(names)}")
        return self

    @property
    def keys_dir(self) -> Path:
        return Path(self.signing_keys_dir)


def check_partners(security: SecurityConfig, partner_names: Iterable[str]) -> list[str]:
    """Problems with the partners ``security.clients`` name: each must be a declared partner."""
    known = set(partner_names)
    return [
        f"security.clients.{client_id}.partner names {client.partner}, "
        f"which is not a partner (declared: {', '.join(sorted(known)) or 'none'})"
        for client_id, client in security.clients.items()
        if client.partner is not None and client.partner not in known
    ]
