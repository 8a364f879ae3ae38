"""Tokens of an external identity provider, verified with the keys its JWKS URL publishes.

RS256, ES256 or EdDSA only: a key set entry for any other algorithm (a
shared secret, HS256) verifies nothing. The key set is cached; a token with
an unknown ``kid`` makes us fetch it again, at most once every
:data:`REFETCH_SECONDS` per issuer, so a key rollover at the issuer is
picked up without a restart. Claim names (scope, partner, client) are the
issuer's, as ``security.external_issuers`` maps them.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import jwt

from distsync.api.jwt_parts import TokenCache, check_times, principal_of, token_header
from distsync.api.principal import Principal, Unauthenticated
from distsync.config_security import ExternalIssuer
from distsync.redaction import register_token
from distsync.telemetry import get_logger

__all__ = ["EXTERNAL_ALGORITHMS", "ExternalTokens", "FetchJson", "fetch_json"]

REFETCH_SECONDS = 30.0
JWKS_TIMEOUT_SECONDS = 5.0
MAX_JWKS_BYTES = 1_048_576
EXTERNAL_ALGORITHMS = ("RS256", "ES256", "EdDSA")
EXTERNAL_REQUIRED_CLAIMS = ["exp", "iss", "aud"]  # providers differ on the rest
UNCHECKED_TIMES = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}

FetchJson = Callable[[str], Awaitable[Any]]

log = get_logger(component="api.auth")


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
        kid = token_header(token).get("kid")
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
        check_times(claims, now)
        principal = principal_of(
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
