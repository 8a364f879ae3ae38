"""``POST /v1/inbound/{partner}/{document_type}``: one canonical document as JSON from a partner.

A supplier on a JSON portal (or a warehouse with a JSON API) answers in
canonical documents: ``po_ack``, ``asn``, ``invoice`` and ``receipt``
(:data:`DOCUMENT_EVENTS`) become the events an X12 855, 856, 810 and 944
would (``partners.x12_in``), keyed the same way (``partners.keys``). A
channel or customer sends ``sales_order`` (the generic order API), a WMS
``shipment_confirmation``, ``inventory_snapshot`` and ``inventory_adjustment``
(what a 945, 846 and 947 bring). The
partner must be declared and list ``json-<document_type>`` in its ``sends``.

The body is validated strictly as its document (``partners/json_in.py``, shared with
the file drop) and
appended through intake under the key
``json:<partner>:<document_type>:<document number>:<16 hex of sha256>`` of
the canonical JSON (keys sorted): the same document again, however it is
formatted, is a duplicate; a changed one is a new event. Only once the log
holds it is it answered:

- **202** ``{"event_id", "duplicate"}`` (a duplicate names the stored event);
- **404** the landscape declares no such partner, or no such document type
  is taken as JSON; **403** the partner does not declare ``json-<type>``;
- **422** not JSON, or a document the model refuses (``errors`` lists each
  field with its message); **413** above ``runtime.max_payload_bytes``;
- **503** with ``Retry-After`` when the store cannot take it now.

It needs the scope ``inbound:write``; a partner principal submits only as
itself: another partner in the path is **403** ``forbidden_partner``, before
the body is read. Refusals are ``application/problem+json`` (RFC 9457) with
``error``, a stable code. The route is meant to be included after the X12 routes, so
``/v1/inbound/x12/{partner}`` stays theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Protocol

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from distsync.api.principal import INBOUND_WRITE, Principal, require
from distsync.api.problems import problem_body
from distsync.config import Landscape
from distsync.errors import (
    DistsyncError,
    PermanentError,
    RetryableError,
)
from distsync.partners.json_in import DOCUMENT_EVENTS, JsonRefused, event_type_for, json_envelope
from distsync.partners.x12_in import Appender
from distsync.runtime.intake import PayloadTooLarge
from distsync.telemetry import get_logger

__all__ = ["DOCUMENT_EVENTS", "PROBLEM_TYPE", "JsonInboundServices", "inbound_json_router"]

PROBLEM_TYPE = "application/problem+json"
MAX_LISTED_ERRORS = 20
log = get_logger(component="api")

PROBLEM = {"content": {PROBLEM_TYPE: {"schema": {"type": "object"}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {
        **PROBLEM,
        "description": "The partner does not declare json-<document_type>, or the caller is "
        "another partner",
    },
    404: {**PROBLEM, "description": "No such partner, or no such document type"},
    413: {**PROBLEM, "description": "Larger than runtime.max_payload_bytes"},
    422: {**PROBLEM, "description": "Not JSON, or refused by the model; the fields named"},
    503: {**PROBLEM, "description": "The store cannot take it now; retry after Retry-After"},
}
JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "One canonical PoAcknowledgement, AdvanceShipNotice, "
                    "Invoice or Receipt, as the path's document_type says.",
                }
            }
        },
    }
}


class JsonReceived(BaseModel):
    """The answer: the event that holds the document, and whether it was there already."""

    event_id: str
    duplicate: bool


class JsonInboundServices(Protocol):
    """What the route needs of the services (``bootstrap.Services`` fits)."""

    @property
    def landscape(self) -> Landscape: ...

    @property
    def intake(self) -> Appender: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def inbound_json_router(services: JsonInboundServices) -> APIRouter:
    """The JSON inbound route; ``services`` is read per request, not when the app is made."""
    router = APIRouter(prefix="/v1/inbound", tags=["inbound"])

    @router.post(
        "/{partner}/{document_type}",
        operation_id="receive_json_document",
        summary="Receive one canonical document as JSON from a partner (po_ack, asn, invoice, "
        "receipt)",
        status_code=202,
        response_model=JsonReceived,
        responses=RESPONSES,
        openapi_extra=JSON_BODY,
    )
    async def receive(
        partner: str,
        document_type: str,
        request: Request,
        principal: Annotated[Principal, Depends(require(INBOUND_WRITE))],
    ) -> Response:
        if not principal.may_act_for(partner):
            detail = (
                f"receiving {document_type} as {partner}: {principal.client_id} may submit "
                "only as itself"
            )
            return _problem(403, "forbidden_partner", detail, partner, document_type)
        return await _receive(services, request, partner, document_type)

    return router


async def _receive(
    services: JsonInboundServices, request: Request, partner: str, document_type: str
) -> Response:
    landscape = services.landscape
    try:
        event_type = event_type_for(landscape, partner, document_type)
        body = await _read(request, landscape.runtime.max_payload_bytes, document_type, partner)
        envelope = json_envelope(partner, document_type, event_type, body, services.clock())
        result = await services.intake.accept([envelope])
    except JsonRefused as exc:
        return _problem(exc.status, exc.error, exc.detail, partner, document_type, **exc.extra)
    except DistsyncError as exc:
        return _taxonomy_problem(exc, partner, document_type)
    first = result.duplicates.get(envelope.event_id)
    answer = JsonReceived(event_id=first or envelope.event_id, duplicate=first is not None)
    log.info(
        "json document received",
        action="api.json_received",
        partner=partner,
        document_type=document_type,
        idempotency_key=envelope.idempotency_key,
        correlation_id=envelope.correlation_id,
        event_id=answer.event_id,
        duplicate=answer.duplicate,
    )
    body = orjson.dumps({"event_id": answer.event_id, "duplicate": answer.duplicate})
    return Response(body, status_code=202, media_type="application/json")


async def _read(request: Request, limit: int, document_type: str, partner: str) -> bytes:
    """The body, refused as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(f"{int(declared):,} bytes", limit, document_type, partner)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit:,} bytes", limit, document_type, partner)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: str, limit: int, document_type: str, partner: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"receiving {document_type} from {partner}: {size} is over the limit of {limit:,} "
        "bytes (runtime.max_payload_bytes)"
    )


def _taxonomy_problem(exc: DistsyncError, partner: str, document_type: str) -> Response:
    """The taxonomy as HTTP for this route (``api/errors.py`` should own this once it exists)."""
    if isinstance(exc, PayloadTooLarge):
        return _problem(413, "payload_too_large", str(exc), partner, document_type)
    if isinstance(exc, RetryableError):
        wait = str(max(1, round(exc.retry_after or 1)))
        return _problem(
            503, "unavailable", str(exc), partner, document_type, headers={"Retry-After": wait}
        )
    if isinstance(exc, PermanentError):
        return _problem(400, "rejected", str(exc), partner, document_type)
    raise exc


def _problem(
    status: int,
    error: str,
    detail: str,
    partner: str,
    document_type: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    log.warning(
        "json document refused",
        action="api.json_refused",
        partner=partner,
        document_type=document_type,
        status=status,
        error=error,
        detail=detail,
    )
    body = problem_body(
        status, error, detail, partner=partner, document_type=document_type, **extra
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)
