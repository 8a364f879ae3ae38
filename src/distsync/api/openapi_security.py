"""The OpenAPI document says, route by route, how to authenticate and which scope is needed.

Routes demand a scope through ``principal.require``, a plain dependency (no
FastAPI security sub-dependencies, which cost time on every request). So
that clients and generators still see how to call each route,
:func:`document_security` wraps the app's ``openapi()``: every operation
whose dependencies include a ``require`` dependency gets ``security``
(a bearer token or an API key) and a line naming its scope; the schemes are
declared once under ``components.securitySchemes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from distsync.api.principal import REQUIRED_SCOPES, SECURITY_SCHEMES

__all__ = ["document_security", "required_scope"]

SECURITY: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]


def document_security(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare each protected operation's security and scope."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _declare(document, app)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def required_scope(route: APIRoute) -> str | None:
    """The scope ``route`` demands, or None for a route anyone may call."""
    for dependant in _walk(route.dependant):
        if dependant.call is not None and (scope := REQUIRED_SCOPES.get(dependant.call)):
            return scope
    return None


def _declare(document: dict[str, Any], app: FastAPI) -> None:
    paths = document.get("paths", {})
    protected = False
    for route in app.routes:
        if not isinstance(route, APIRoute) or (scope := required_scope(route)) is None:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            operation["security"] = SECURITY
            note = f"Requires scope `{scope}` (or `admin`)."
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            protected = True
    if protected:
        document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)
