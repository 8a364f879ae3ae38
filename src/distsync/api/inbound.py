"""``POST /v1/edi/{partner}``: a partner's X12 interchange into the log (scope ``inbound:write``).

``/v1/inbound/x12/{partner}`` and ``/v1/inbound/x12`` (any partner) are the
same, kept as deprecated aliases. The request body is the raw X12 file; the
partner is the interchange's sender (with ``{partner}`` in the path, it must
be that partner). A partner principal submits only as itself: another
partner in the path is 403 before the body is read, and on the route without
a partner the sender must be the principal's partner (else 403). The good
transaction sets are appended through intake (``partners.x12_in``), and the
answer is the 997/999 that acknowledges the file, as ``application/edi-x12``:

- **202** when events were appended;
- **200** when nothing new was: the same file again (the same acknowledgement,
  byte for byte) or every set refused (the acknowledgement says which, why);
- **400** (JSON, problems located) when the file is refused whole: not X12, a
  sender that is no partner or not the one in the path, addressed to someone
  else, errors a 997 cannot carry;
- **404** for a partner in the path that does not trade X12, **413** above
  ``runtime.max_payload_bytes``, **503** with ``Retry-After`` when the store
  cannot take the file now.

``X-Distsync-Appended`` and ``X-Distsync-Duplicates`` count the sets
appended now and those received before, ``X-Distsync-Rejected`` lists the
refused sets as ``ISA13/GS06/ST02``, and ``X-Distsync-Message-Ids`` the
stored event of each set taken (the first one, for a duplicate): the answer
is sent only once the log holds them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from distsync.api.principal import INBOUND_WRITE, Principal, require
from distsync.api.problems import PROBLEM_MEDIA_TYPE as PROBLEM_TYPE
from distsync.api.problems import problem_body
from distsync.config import Landscape
from distsync.errors import DistsyncError, PermanentError, RetryableError
from distsync.partners.x12_in import Appender, InboundLog, X12Inbound
from distsync.partners.x12_in_checks import InterchangeRefused, UnknownPartner
from distsync.partners.x12_in_record import Received
from distsync.runtime.intake import PayloadTooLarge
from distsync.telemetry import get_logger

__all__ = ["CONTENT_TYPE", "InboundServices", "inbound_router"]

CONTENT_TYPE = "application/edi-x12"
log = get_logger(component="api")

X12_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}
X12_ANSWER = {"content": {CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {**X12_ANSWER, "description": "Nothing new appended; the 997/999 for the file"},
    202: {**X12_ANSWER, "description": "Events appended; the 997/999 for the file"},
    400: {"description": "The file is refused whole; the problems, located (JSON)"},
    403: {"description": "A partner principal submitting as another partner"},
    404: {"description": "No partner of that name trades X12"},
    413: {"description": "Larger than runtime.max_payload_bytes"},
    503: {"description": "The store cannot take it now; retry after Retry-After"},
}


class InboundServices(Protocol):
    """What the inbound routes need of the services (``bootstrap.Services`` fits)."""

    @property
    def landscape(self) -> Landscape: ...

    @property
    def backend(self) -> InboundLog: ...

    @property
    def intake(self) -> Appender: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


Submitter = Annotated[Principal, Depends(require(INBOUND_WRITE))]


def inbound_router(services: InboundServices) -> APIRouter:
    """The inbound X12 routes; ``services`` is read per request, not when the app is made."""
    router = APIRouter(tags=["inbound"])

    @router.post(
        "/v1/edi/{partner}",
        operation_id="receive_edi",
        summary="Receive an X12 interchange from a partner; answers its 997/999",
        status_code=202,
        response_class=Response,
        responses=RESPONSES,
        openapi_extra=X12_BODY,
    )
    async def receive_edi(partner: str, request: Request, principal: Submitter) -> Response:
        return await _receive_as(services, request, partner, principal)

    @router.post(
        "/v1/inbound/x12/{partner}",
        operation_id="receive_x12_from_partner",
        summary="Receive an X12 interchange from one partner (deprecated: POST /v1/edi/{partner})",
        deprecated=True,
        status_code=202,
        response_class=Response,
        responses=RESPONSES,
        openapi_extra=X12_BODY,
    )
    async def receive_from(partner: str, request: Request, principal: Submitter) -> Response:
        return await _receive_as(services, request, partner, principal)

    @router.post(
        "/v1/inbound/x12",
        operation_id="receive_x12",
        summary="Receive an X12 interchange from any partner (deprecated: POST /v1/edi/{partner})",
        deprecated=True,
        status_code=202,
        response_class=Response,
        responses=RESPONSES,
        openapi_extra=X12_BODY,
    )
    async def receive_any(request: Request, principal: Submitter) -> Response:
        return await _receive(services, request, None, bound=principal.partner)

    return router


async def _receive_as(
    services: InboundServices, request: Request, partner: str, principal: Principal
) -> Response:
    if not principal.may_act_for(partner):
        return _forbidden(principal, partner)
    return await _receive(services, request, partner)


async def _receive(
    services: InboundServices, request: Request, partner: str | None, *, bound: str | None = None
) -> Response:
    """Receive the file; ``bound``: the partner principal's own, the sender it must be."""
    limit = services.landscape.runtime.max_payload_bytes
    declared = request.headers.get("content-length", "")
    inbound = X12Inbound(
        landscape=services.landscape,
        log=services.backend,
        intake=services.intake,
        clock=services.clock,
    )
    try:
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"receiving X12: {declared} bytes is over the limit of {limit:,}")
        received = await inbound.receive(await request.body(), partner=partner or bound)
    except DistsyncError as exc:
        if bound is not None and _sent_by_other(exc):
            return _forbidden_sender(exc, bound)
        return _refusal(exc, partner)
    _log(received, partner)
    return Response(
        received.acknowledgement,
        status_code=202 if received.taken else 200,
        media_type=CONTENT_TYPE,
        headers=_summary(received),
    )


def _summary(received: Received) -> dict[str, str]:
    rejected = [f"{s.interchange}/{s.group}/{s.control}" for s in received.rejected]
    stored = [s.event_id for s in received.sets if s.event_id is not None]
    return {
        "X-Distsync-Message-Ids": " ".join(stored),
        "X-Distsync-Appended": str(len(received.taken)),
        "X-Distsync-Duplicates": str(len(received.duplicates)),
        "X-Distsync-Rejected": " ".join(rejected),
    }


def _refusal(exc: DistsyncError, partner: str | None) -> Response:
    """The taxonomy as HTTP for this route (``api/errors.py`` should own this once it exists)."""
    status, headers = 400, {}
    if isinstance(exc, UnknownPartner):
        status = 404
    elif isinstance(exc, PayloadTooLarge):
        status = 413
    elif isinstance(exc, RetryableError):
        status = 503
        headers = {"Retry-After": str(max(1, round(exc.retry_after or 1)))}
    elif not isinstance(exc, PermanentError):
        raise exc
    problems = exc.problems if isinstance(exc, InterchangeRefused) else ()
    located = [
        {"code": p.code, "message": p.message, "location": asdict(p.location)} for p in problems
    ]
    body = problem_body(status, _snake(type(exc).__name__), str(exc), problems=located)
    log.warning(
        "x12 refused", action="api.x12_refused", partner=partner, status=status, error=str(exc)
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def _sent_by_other(exc: DistsyncError) -> bool:
    if isinstance(exc, UnknownPartner):
        return True  # the principal's partner trades no X12: it cannot be the sender
    problems = exc.problems if isinstance(exc, InterchangeRefused) else ()
    return any(p.code in ("wrong_sender", "unknown_sender") for p in problems)


def _forbidden(principal: Principal, partner: str) -> Response:
    detail = f"receiving X12 as {partner}: {principal.client_id} may submit only as itself"
    return _problem(403, "forbidden_partner", detail, partner)


def _forbidden_sender(exc: DistsyncError, bound: str) -> Response:
    return _problem(403, "forbidden_partner", f"{exc} (the caller submits as {bound})", bound)


def _problem(status: int, error: str, detail: str, partner: str | None) -> Response:
    log.warning("x12 refused", action="api.x12_refused", partner=partner, status=status,
                error=error)  # fmt: skip
    body = problem_body(status, error, detail)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE)


def _log(received: Received, partner: str | None) -> None:
    log.info(
        "x12 received",
        action="api.x12_received",
        partner=partner or ",".join(sorted({s.partner for s in received.sets})),
        appended=len(received.taken),
        duplicates=len(received.duplicates),
        rejected=len(received.rejected),
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
