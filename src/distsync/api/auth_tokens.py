"""Access tokens: the JWTs we issue and verify, and those of external issuers.

Our tokens are signed with the key ring's signing key (EdDSA, header
``kid``) and carry ``iss``, ``aud``, ``sub`` (the client id), ``scope``
(space-separated), ``partner`` (when the client is one), ``iat``, ``nbf``,
``exp`` and ``jti``. Verification looks the ``kid`` up in the ring, checks
the signature, ``iss`` and ``aud``, then ``nbf`` and ``exp`` against the
injected clock with :data:`LEEWAY_SECONDS` (30 s) of tolerance for clocks
that disagree between machines.

Tokens of an external issuer are verified with the keys its JWKS URL
publishes (RS256, ES256 or EdDSA). The key set is cached; a token with an
unknown ``kid`` makes us fetch it again, at most once every 30 s per issuer,
so a key rollover at the issuer is picked up without a restart.

Every failure is :class:`Unauthenticated` with ``code`` ``token_expired`` or
``token_invalid`` and a ``reason`` for the log; what the caller is told is
only "invalid or expired token". Verified tokens are kept in a small cache
(keyed by the token itself, dropped at their ``exp``): about 1 µs a request
instead of about 130 µs, most of it the Ed25519 signature check, for a token
seen the first time (``tests/unit/test_auth_tokens.py`` prints both).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
import urllib.request
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature

from distsync.api.auth_keys import LEEWAY_SECONDS, KeyRing
from distsync.api.principal import SCOPES, Principal, Unauthenticated
from distsync.config_security import ExternalIssuer
from distsync.redaction import register_token
from distsync.telemetry import get_logger

__all__ = [
    "ExternalTokens",
    "FetchJson",
    "IssuedToken",
    "LocalTokens",
    "TokenCache",
    "fetch_json",
    "unverified_issuer",
]

REFETCH_SECONDS = 30.0
JWKS_TIMEOUT_SECONDS = 5.0
MAX_JWKS_BYTES = 1_048_576
CACHE_SIZE = 4096
EXTERNAL_ALGORITHMS = ("RS256", "ES256", "EdDSA")
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
EXTERNAL_REQUIRED_CLAIMS = ["exp", "iss", "aud"]  # providers differ on the rest
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+={0,2}")  # some issuers pad
UNCHECKED_TIMES = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}

FetchJson = Callable[[str], Awaitable[Any]]

log = get_logger(component="api.auth")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint answers."""

    access_token: str
    expires_in: int
    scope: str


class TokenCache:
    """Principals of verified tokens, keyed by the token, each dropped at its ``exp``."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, token: str, now: float) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if now >= entry[1] + LEEWAY_SECONDS:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return entry[0]

    def put(self, token: str, principal: Principal, exp: float) -> None:
        self._entries[token] = (principal, exp)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


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
        _check_times(claims, now)
        principal = _principal(claims, scope_claim="scope", partner_claim="partner")
        register_token(token)
        self._cache.put(token, principal, float(claims["exp"]))
        return principal

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of one of our tokens, signature, ``iss`` and ``aud`` checked.

        Done here rather than by ``jwt.decode``, whose base64 checks cost
        three times the signature; our tokens have one shape and one algorithm.
        """
        header_part, claims_part, signature_part = _segments(token)
        header = _json_segment(header_part)
        kid = header.get("kid")
        if header.get("alg") != "EdDSA" or "crit" in header:
            raise Unauthenticated(f"token header {header} is not ours", code="token_invalid")
        key = self.ring.public_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise Unauthenticated(f"token signed by unknown key {kid!r}", code="token_invalid")
        try:
            key.verify(_b64decode(signature_part), f"{header_part}.{claims_part}".encode())
        except InvalidSignature:
            raise Unauthenticated("Signature verification failed", code="token_invalid") from None
        claims = _json_segment(claims_part)
        _check_identity(claims, issuer=self._issuer, audience=self._audience)
        return claims


class ExternalTokens:
    """Verify tokens of one external issuer through its JWKS URL."""

    def __init__(
        self,
        config: ExternalIssuer,
        *,
        clock: Callable[[], datetime],
        fetch: FetchJson | None = None,
    ) -> None:
        self.config = config
        self._fetch_json = fetch or fetch_json
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: datetime | None = None
        self._lock = asyncio.Lock()
        self._cache = TokenCache()

    async def verify(self, token: str) -> Principal:
        now = self._clock().timestamp()
        if (cached := self._cache.get(token, now)) is not None:
            return cached
        kid = _header(token).get("kid")
        jwk = await self._key(kid if isinstance(kid, str) else "")
        config = self.config
        algorithms = [jwk.algorithm_name] if jwk.algorithm_name else list(EXTERNAL_ALGORITHMS)
        if not set(algorithms) <= set(EXTERNAL_ALGORITHMS):  # never a shared-secret (HS*) key
            raise Unauthenticated(
                f"{config.issuer} key {kid!r} is for {algorithms}, not an asymmetric signature",
                code="token_invalid",
            )
        claims = _decode_external(
            token, jwk.key, algorithms, audience=config.audience, issuer=config.issuer
        )
        _check_times(claims, now)
        principal = _principal(
            claims,
            scope_claim=config.scope_claim,
            partner_claim=config.partner_claim,
            client_claim=config.client_claim,
        )
        register_token(token)
        self._cache.put(token, principal, float(claims["exp"]))
        return principal

    async def _key(self, kid: str) -> jwt.PyJWK:
        if (jwk := self._keys.get(kid)) is not None:
            return jwk
        async with self._lock:
            if kid not in self._keys and self._may_fetch():
                await self._fetch()
        if (jwk := self._keys.get(kid)) is None:
            reason = f"token of {self.config.issuer} signed by unknown key {kid!r}"
            raise Unauthenticated(reason, code="token_invalid")
        return jwk

    def _may_fetch(self) -> bool:
        last = self._fetched_at
        return last is None or self._clock() - last >= timedelta(seconds=REFETCH_SECONDS)

    async def _fetch(self) -> None:
        self._fetched_at = self._clock()
        url = self.config.jwks_url
        try:
            keys = jwt.PyJWKSet.from_dict(await self._fetch_json(url)).keys
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            log.warning("JWKS not fetched", action="api.auth_jwks_failed", url=url, error=repr(exc))
            return
        usable = [k for k in keys if k.key_id and k.algorithm_name in (*EXTERNAL_ALGORITHMS, None)]
        self._keys = {str(k.key_id): k for k in usable}
        log.info("JWKS fetched", action="api.auth_jwks_fetched", url=url, kids=sorted(self._keys))


async def fetch_json(url: str) -> Any:
    """GET ``url`` and decode its JSON body; failures are ``OSError`` or ``ValueError``.

    The standard library in a worker thread, not httpx: httpx has its homes in
    the HTTP connector and transport, and a key set is fetched at most every
    30 s per issuer.
    """

    def get() -> Any:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=JWKS_TIMEOUT_SECONDS) as response:
            return json.loads(response.read(MAX_JWKS_BYTES))

    return await asyncio.to_thread(get)


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, before anything is verified (to choose the verifier)."""
    try:
        issuer = _json_segment(_segments(token)[1]).get("iss")
    except Unauthenticated:
        return None
    return issuer if isinstance(issuer, str) else None


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"malformed token: {exc}", code="token_invalid") from None


def _segments(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise Unauthenticated("malformed token: not three base64url segments", code="token_invalid")
    return parts[0], parts[1], parts[2]


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_segment(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (ValueError, binascii.Error):
        value = None
    if not isinstance(value, dict):
        raise Unauthenticated(
            "malformed token: a segment is not a JSON object", code="token_invalid"
        )
    return value


def _check_identity(claims: dict[str, Any], *, issuer: str, audience: str) -> None:
    if missing := [name for name in REQUIRED_CLAIMS if name not in claims]:
        raise Unauthenticated(f"token lacks claims {missing}", code="token_invalid")
    if claims["iss"] != issuer:
        raise Unauthenticated(f"token issuer {claims['iss']!r} is not ours", code="token_invalid")
    aud = claims["aud"]
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise Unauthenticated(f"token audience {aud!r} is not {audience!r}", code="token_invalid")


def _decode_external(
    token: str, key: Any, algorithms: list[str], *, audience: str, issuer: str
) -> dict[str, Any]:
    options: Any = {"require": EXTERNAL_REQUIRED_CLAIMS, **UNCHECKED_TIMES}
    try:
        return jwt.decode(
            token, key, algorithms=algorithms, audience=audience, issuer=issuer, options=options
        )
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"token refused: {exc}", code="token_invalid") from None


def _check_times(claims: dict[str, Any], now: float) -> None:
    try:
        expires, not_before = float(claims["exp"]), float(claims.get("nbf", 0))
    except (TypeError, ValueError):
        raise Unauthenticated("token times are not numbers", code="token_invalid") from None
    if now >= expires + LEEWAY_SECONDS:
        raise Unauthenticated(f"token expired at {expires:.0f}", code="token_expired")
    if now < not_before - LEEWAY_SECONDS:
        raise Unauthenticated(f"token not valid before {not_before:.0f}", code="token_invalid")


def _principal(
    claims: dict[str, Any], *, scope_claim: str, partner_claim: str, client_claim: str = "sub"
) -> Principal:
    raw = claims.get(scope_claim, "")
    granted = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
    partner = claims.get(partner_claim)
    return Principal(
        client_id=str(claims.get(client_claim, "unknown")),
        scopes=frozenset(s for s in granted if s in SCOPES),
        partner=partner if isinstance(partner, str) else None,
        method="jwt",
    )
