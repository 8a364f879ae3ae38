"""The pieces of a JWT both kinds of verifier need: its segments, its times, its principal.

Our own tokens (``auth_tokens.py``) and external issuers' (``auth_external.py``)
are read the same way once their signature holds: ``nbf`` and ``exp`` are
checked against the injected clock with :data:`LEEWAY_SECONDS` of tolerance,
and the claims become a :class:`Principal`. Verified tokens are kept in a
:class:`TokenCache`, keyed by the token, each dropped at its ``exp``.
Every failure is :class:`Unauthenticated` with code ``token_invalid`` or
``token_expired``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import OrderedDict
from typing import Any

import jwt

from distsync.api.auth_keys import LEEWAY_SECONDS
from distsync.api.principal import SCOPES, Principal, Unauthenticated

__all__ = [
    "TokenCache",
    "b64decode",
    "check_times",
    "json_segment",
    "principal_of",
    "token_header",
    "token_segments",
    "unverified_issuer",
]

CACHE_SIZE = 4096
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+={0,2}")  # some issuers pad


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


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, before anything is verified (to choose the verifier)."""
    try:
        issuer = json_segment(token_segments(token)[1]).get("iss")
    except Unauthenticated:
        return None
    return issuer if isinstance(issuer, str) else None


def token_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"malformed token: {exc}", code="token_invalid") from None


def token_segments(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise Unauthenticated("malformed token: not three base64url segments", code="token_invalid")
    return parts[0], parts[1], parts[2]


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def json_segment(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(b64decode(segment))
    except (ValueError, binascii.Error):
        value = None
    if not isinstance(value, dict):
        raise Unauthenticated(
            "malformed token: a segment is not a JSON object", code="token_invalid"
        )
    return value


def check_times(claims: dict[str, Any], now: float) -> None:
    try:
        expires, not_before = float(claims["exp"]), float(claims.get("nbf", 0))
    except (TypeError, ValueError):
        raise Unauthenticated("token times are not numbers", code="token_invalid") from None
    if now >= expires + LEEWAY_SECONDS:
        raise Unauthenticated(f"token expired at {expires:.0f}", code="token_expired")
    if now < not_before - LEEWAY_SECONDS:
        raise Unauthenticated(f"token not valid before {not_before:.0f}", code="token_invalid")


def principal_of(
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
