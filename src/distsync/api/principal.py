"""Who is calling: the principal every protected route is given, and the scopes it may hold.

A request is authenticated once, by whatever ``app.state.authenticator``
is (``api/auth.py`` builds it from the landscape's ``security`` section):
a signed access token, an API key, or, with no ``security`` section on a
loopback-only listener, the open principal that may do everything.

Routes never look at headers themselves. They declare what they need::

    @router.get("/ops/messages")
    async def messages(principal: Principal = Depends(require(OPS_READ))) -> ...

and check the partner in the path or in the document with
:meth:`Principal.may_act_for`. A partner principal asking for another
partner's document gets the same answer as for a document that does not
exist (404), so nobody learns what exists outside their own documents.

Refusals are raised as :class:`Unauthenticated` (401, with
``WWW-Authenticate``) and :class:`Forbidden` (403); the problem handlers
(``api/problems.py``) turn them into ``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from fastapi import Request

__all__ = [
    "ADMIN",
    "INBOUND_WRITE",
    "OPEN",
    "OPS_READ",
    "OPS_REPLAY",
    "SCOPES",
    "SYNC_READ",
    "Authenticator",
    "Forbidden",
    "Principal",
    "Unauthenticated",
    "require",
]

INBOUND_WRITE = "inbound:write"
SYNC_READ = "sync:read"
OPS_READ = "ops:read"
OPS_REPLAY = "ops:replay"
ADMIN = "admin"
SCOPES: dict[str, str] = {
    INBOUND_WRITE: "submit documents (JSON, X12) as the token's partner",
    SYNC_READ: "ask the synchronous APIs: availability, order validation, shipping rates",
    OPS_READ: "read messages, dead letters, exceptions, cross-references, partners, KPIs",
    OPS_REPLAY: "replay messages and dead letters, resolve exceptions",
    ADMIN: "everything, including cross-reference changes and key administration",
}

Method = Literal["jwt", "api_key", "open"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: its client id, its scopes, and the partner it is (if any).

    ``partner`` None means an internal client that may act for every partner.
    """

    client_id: str
    scopes: frozenset[str]
    partner: str | None = None
    method: Method = "jwt"

    def allows(self, scope: str) -> bool:
        """True when the principal holds ``scope`` or ``admin``."""
        return scope in self.scopes or ADMIN in self.scopes

    def may_act_for(self, partner: str | None) -> bool:
        """True when the principal is internal or is ``partner`` itself."""
        return self.partner is None or self.partner == partner


OPEN = Principal(client_id="open", scopes=frozenset(SCOPES), partner=None, method="open")


class Unauthenticated(Exception):
    """No credentials, or credentials that do not verify (401). ``reason`` is for logs only."""

    def __init__(self, reason: str, *, code: str = "unauthenticated") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Forbidden(Exception):
    """Authenticated, but not allowed to do this (403)."""

    def __init__(self, reason: str, *, code: str = "forbidden") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Authenticator(Protocol):
    """Turns a request's credentials into a principal, or raises :class:`Unauthenticated`."""

    async def authenticate(self, request: Request) -> Principal: ...


# Written into the OpenAPI document rather than declared as FastAPI security
# sub-dependencies: solving those cost about 120 µs on every request
# (bench/api.py), and the authenticator reads the headers itself anyway.
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "an access token from /oauth/token, or an API key (dsk_...)",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "an API key (dsk_...)",
    },
}
"""How a caller authenticates, as the OpenAPI document declares it (``api/openapi_security.py``)."""

REQUIRED_SCOPES: dict[Callable[..., Awaitable[Principal]], str] = {}
"""Each dependency :func:`require` made, and the scope it demands (for the OpenAPI document)."""


def require(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: the caller's principal, which must hold ``scope``."""

    async def dependency(
        request: Request,
    ) -> Principal:
        authenticator: Authenticator = request.app.state.authenticator
        principal = await authenticator.authenticate(request)
        if not principal.allows(scope):
            raise Forbidden(f"{principal.client_id} lacks scope {scope}", code="insufficient_scope")
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    REQUIRED_SCOPES[dependency] = scope
    return dependency
