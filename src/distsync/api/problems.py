"""Errors as ``application/problem+json`` (RFC 9457), mapped from the taxonomy once.

Every refusal the API gives has the same shape::

    {"type": "urn:distsync:problem:rate_limited", "title": "Too Many Requests",
     "status": 429, "detail": "...", "error": "rate_limited", ...extension members}

``error`` is the stable code clients branch on (``docs/api.md`` lists them);
``detail`` is for people and names what was wrong. :func:`install_problem_handlers`
maps, once for the whole app:

==================================  ======  =====================================
exception                           status  ``error``
==================================  ======  =====================================
``Unauthenticated``                 401     ``unauthenticated`` (+ WWW-Authenticate)
``Forbidden``                       403     its code (``insufficient_scope``, ...)
``RequestValidationError``          422     ``invalid_request`` (+ ``errors``)
starlette ``HTTPException``         same    ``not_found``, ``method_not_allowed``, ...
``RateLimited``                     429     ``rate_limited`` (+ Retry-After)
other ``RetryableError``            503     ``unavailable`` (+ Retry-After)
``PayloadTooLarge``                 413     ``payload_too_large``
``MalformedDocument``               422     ``malformed_document``
``SchemaViolation``                 422     ``schema_violation``
other ``PermanentError``            400     ``rejected``
``NotSystemOfRecord``               409     ``not_system_of_record``
other ``BusinessException``         422     its ``reason_code``
``ConfigError``, anything else      500     ``configuration_error``/``internal_error``
==================================  ======  =====================================

A 500 never carries the exception's text: its detail is a reference id,
and the traceback is logged with that id (``action="api.unhandled"``).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from functools import cache
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

from distsync.api.principal import Forbidden, Unauthenticated
from distsync.errors import (
    BusinessException,
    ConfigError,
    MalformedDocument,
    NotSystemOfRecord,
    PermanentError,
    RateLimited,
    RetryableError,
    SchemaViolation,
)
from distsync.redaction import redact
from distsync.runtime.intake import PayloadTooLarge
from distsync.telemetry import get_logger

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "install_problem_handlers",
    "internal_error",
    "problem_response",
    "problem_responses",
    "problem_type",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:distsync:problem:"
UNAUTHENTICATED_DETAIL = "invalid or expired credentials"
MAX_LISTED_ERRORS = 20
STATUS_CODES: Mapping[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}
log = get_logger(component="api")


class Problem(BaseModel):
    """An RFC 9457 problem; extension members (``errors``, ``partner``, ...) may follow."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:distsync:problem:invalid_request",
                    "title": "Unprocessable Entity",
                    "status": 422,
                    "detail": "the request has 1 invalid field",
                    "error": "invalid_request",
                    "errors": [{"field": "body.lines.0.qty", "message": "Field required"}],
                }
            ]
        },
    )

    type: str = Field(description="urn:distsync:problem:<error>, or about:blank")
    title: str = Field(description="The HTTP status phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, naming the thing it concerns")
    error: str = Field(description="A stable code to branch on (docs/api.md lists them)")


def problem_type(code: str) -> str:
    """The ``type`` URI of a problem code."""
    return TYPE_PREFIX + code


def problem_body(
    status: int, code: str, detail: str, *, title: str | None = None, **extensions: Any
) -> dict[str, Any]:
    """The members of a problem document; ``detail`` with every known secret redacted.

    Every refusal of the API is built here, whichever route or handler answers.
    """
    return {
        "type": TYPE_PREFIX + code,
        "title": title or _phrase(status),
        "status": status,
        "detail": redact(detail),
        "error": code,
        **extensions,
    }


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A ``application/problem+json`` response; ``extensions`` become extra members."""
    body = problem_body(status, code, detail, title=title, **extensions)
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator: each status documented as a :class:`Problem`."""
    content = {PROBLEM_MEDIA_TYPE: {"schema": _problem_schema()}}
    return {s: {"description": _phrase(s), "content": content} for s in statuses}


@cache
def _problem_schema() -> dict[str, Any]:
    return Problem.model_json_schema()


def internal_error(exc: BaseException, *, where: str) -> Response:
    """The 500 for an exception nobody expected: a reference id out, the traceback logged."""
    reference = secrets.token_hex(8)
    log.error(
        "unhandled exception",
        action="api.unhandled",
        reference=reference,
        where=where,
        exc_info=exc,
    )
    detail = f"the server failed to answer this request; quote reference {reference}"
    return problem_response(500, "internal_error", detail, reference=reference)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json (install before the app serves)."""
    app.add_exception_handler(Unauthenticated, _unauthenticated)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_exception)
    app.add_exception_handler(RetryableError, _taxonomy)
    app.add_exception_handler(PermanentError, _taxonomy)
    app.add_exception_handler(BusinessException, _taxonomy)
    app.add_exception_handler(ConfigError, _config_error)
    app.add_exception_handler(Exception, _unhandled)


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Unauthenticated)
    log.info("request not authenticated", action="api.unauthenticated", reason=exc.reason)
    challenge = {"WWW-Authenticate": "Bearer"}
    return problem_response(401, "unauthenticated", UNAUTHENTICATED_DETAIL, headers=challenge)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    log.info("request forbidden", action="api.forbidden", reason=exc.reason, code=exc.code)
    return problem_response(403, exc.code, exc.reason)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _field_problem(422, list(exc.errors()), None)


def _field_problem(status: int, found: list[Any], headers: Mapping[str, str] | None) -> Response:
    """``invalid_request``: each ``{"loc", "msg"}`` as ``{"field", "message"}``."""
    errors = [
        {"field": ".".join(str(part) for part in e.get("loc", ())), "message": str(e.get("msg"))}
        for e in found[:MAX_LISTED_ERRORS]
        if isinstance(e, Mapping)
    ]
    plural = "field" if len(found) == 1 else "fields"
    listed = ", ".join(e["field"] for e in errors)
    detail = f"the request has {len(found)} invalid {plural}: {listed}"
    return problem_response(status, "invalid_request", detail, headers=headers, errors=errors)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if isinstance(exc.detail, list):  # FastAPI-style [{"loc", "msg"}, ...] raised by a route
        return _field_problem(status, exc.detail, exc.headers)
    code = getattr(exc, "code", None) or STATUS_CODES.get(status) or _snake(_phrase(status))
    detail = exc.detail if isinstance(exc.detail, str) else _phrase(status)
    if detail == _phrase(status) and status == 404:
        detail = f"no resource at {request.url.path}"
    elif detail == _phrase(status) and status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(status, code, detail, headers=exc.headers)


async def _taxonomy(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RetryableError):
        wait = {"Retry-After": str(max(1, math.ceil(exc.retry_after or 1)))}
        if isinstance(exc, RateLimited):
            return problem_response(429, "rate_limited", str(exc), headers=wait)
        return problem_response(503, "unavailable", str(exc), headers=wait)
    if isinstance(exc, BusinessException):
        return _business(exc)
    return _permanent(exc)


def _permanent(exc: Exception) -> Response:
    if isinstance(exc, PayloadTooLarge):
        return problem_response(413, "payload_too_large", str(exc))
    if isinstance(exc, MalformedDocument):
        return problem_response(422, "malformed_document", str(exc))
    if isinstance(exc, SchemaViolation):
        return problem_response(422, "schema_violation", str(exc))
    return problem_response(400, "rejected", str(exc))


def _business(exc: BusinessException) -> Response:
    status = 409 if isinstance(exc, NotSystemOfRecord) else 422
    return problem_response(
        status,
        exc.reason_code,
        str(exc),
        reason_code=exc.reason_code,
        document_ref=exc.document_ref,
        resolutions=[r.action for r in exc.resolutions],
    )


async def _config_error(request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(8)
    log.error("configuration error", action="api.config_error", reference=reference, exc_info=exc)
    detail = f"the server is not configured to answer this; quote reference {reference}"
    return problem_response(500, "configuration_error", detail, reference=reference)


async def _unhandled(request: Request, exc: Exception) -> Response:
    return internal_error(exc, where=f"{request.method} {request.url.path}")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _snake(phrase: str) -> str:
    return "_".join(phrase.lower().replace("-", " ").split())
