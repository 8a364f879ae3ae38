"""Access tokens: the JWTs we issue and verify, and those of external issuers.

Our tokens are signed with the key ring's signing key (EdDSA, header
``kid``) and carry ``iss``, ``aud``, ``sub`` (the client id), ``scope``
(space-separated), ``partner`` (when the client is one), ``iat``, ``nbf``,
``exp`` and ``jti``. Verification looks the ``kid`` up in the ring, checks
the signature, ``iss`` and ``aud``, then ``nbf`` and ``exp`` against the
injected clock with :data:`LEEWAY_SECONDS` (30 s) of tolerance for clocks
that disagree between machines.

Tokens of an external issuer are verified in ``auth_external.py``.

Every failure is :class:`Unauthenticated` with ``code`` ``token_expired`` or
``token_invalid`` and a ``reason`` for the log; what the caller is told is
only "invalid or expired token". Verified tokens are kept in a small cache
(keyed by the token itself, dropped at their ``exp``): about 1 µs a request
instead of about 130 µs, most of it the Ed25519 signature check, for a token
seen the first time (``tests/unit/test_auth_tokens.py`` prints both).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature

from distsync.api.auth_keys import KeyRing
from distsync.api.jwt_parts import (
    TokenCache,
    b64decode,
    check_times,
    json_segment,
    principal_of,
    token_segments,
)
from distsync.api.principal import Principal, Unauthenticated
from distsync.redaction import register_token
from distsync.telemetry import get_logger

__all__ = ["IssuedToken", "LocalTokens"]

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]

log = get_logger(component="api.auth")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint answers."""

    access_token: str
    expires_in: int
    scope: str


class LocalTokens:
    """Issue and verify our own tokens with a :class:`KeyRing`."""

    def __init__(
        self,
        ring: KeyRing,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.ring = ring
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache = TokenCache()

    def issue(self, client_id: str, scopes: Collection[str], partner: str | None) -> IssuedToken:
        kid, key = self.ring.signing_key()
        now = int(self._clock().timestamp())
        scope = " ".join(sorted(scopes))
        claims: dict[str, Any] = {
            "iss": self._issuer, "aud": self._audience, "sub": client_id, "scope": scope,
            "iat": now, "nbf": now, "exp": now + self._ttl, "jti": secrets.token_urlsafe(12),
        }  # fmt: skip
        if partner is not None:
            claims["partner"] = partner
        token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
        register_token(token)
        return IssuedToken(token, self._ttl, scope)

    def verify(self, token: str) -> Principal:
        now = self._clock().timestamp()
        if (cached := self._cache.get(token, now)) is not None:
            return cached
        claims = self._verified_claims(token)
        check_times(claims, now)
        principal = principal_of(claims, scope_claim="scope", partner_claim="partner")
        register_token(token)
        self._cache.put(token, principal, float(claims["exp"]))
        return principal

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of one of our tokens, signature, ``iss`` and ``aud`` checked.

        Done here rather than by ``jwt.decode``, whose base64 checks cost
        three times the signature; our tokens have one shape and one algorithm.
        """
        header_part, claims_part, signature_part = token_segments(token)
        header = json_segment(header_part)
        kid = header.get("kid")
        if header.get("alg") != "EdDSA" or "crit" in header:
            raise Unauthenticated(f"token header {header} is not ours", code="token_invalid")
        key = self.ring.public_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthenticated(f"token signed by unknown key {kid!r}", code="token_invalid")
        try:
            key.verify(b64decode(signature_part), f"{header_part}.{claims_part}".encode())
        except InvalidSignature:
            raise Unauthenticated("Signature verification failed", code="token_invalid") from None
        claims = json_segment(claims_part)
        _check_identity(claims, issuer=self._issuer, audience=self._audience)
        return claims


def _check_identity(claims: dict[str, Any], *, issuer: str, audience: str) -> None:
    if missing := [name for name in REQUIRED_CLAIMS if name not in claims]:
        raise Unauthenticated(f"token lacks claims {missing}", code="token_invalid")
    if claims["iss"] != issuer:
        raise Unauthenticated(f"token issuer {claims['iss']!r} is not ours", code="token_invalid")
    aud = claims["aud"]
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise Unauthenticated(f"token audience {aud!r} is not {audience!r}", code="token_invalid")
