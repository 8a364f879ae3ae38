"""``POST /v1/webhooks/carrier/{partner}``: a carrier tracker's status update into the log.

The partner is a landscape partner of kind ``carrier``. When its ``portal``
names a system with ``webhook_secret_env`` (or ``webhook_secret_file``), the
raw body (at most ``runtime.max_payload_bytes``) must carry
``X-Carrier-Hmac-Sha256``, base64 of its HMAC-SHA256 under that secret,
checked in constant time *before* anything of it is parsed; a missing or
wrong signature is refused with 401 and nothing of the body is stored or
logged. A carrier with no secret is taken unsigned.

The body is the common tracker shape (``rules.tracking_json.TrackerUpdate``),
read into a canonical ``TrackingEvent`` and appended through intake as
``tracking.updated``: idempotency key ``carrier:<partner>:<id>`` (the
carrier's event id; without one, the body's SHA-256), partition key the
tracking number, correlation id ``tracking:<number>``. A status no table
knows becomes an ``exception`` event keeping the carrier's word as
``carrier_status_code``, as the 214 map does with an unknown code: the
shipment-status flow parks it as ``unknown_carrier_status``. Only once the
log holds it is it answered:

- **200** ``{"event_id", "duplicate"}`` (a duplicate names the stored event);
- **401** missing or wrong signature; **404** no such carrier partner;
- **413** too large; **422** not JSON, or not a tracker update (the detail
  names the field); **500** the secret cannot be read;
  **503** with ``Retry-After`` when the store cannot take it now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from distsync.api.inbound_json import PROBLEM_TYPE, JsonReceived
from distsync.api.webhook_common import (
    SECRET,
    Refused,
    problem,
    read_limited,
    secret_system,
    taxonomy_problem,
    verify_signature,
)
from distsync.config import Landscape, Partner
from distsync.errors import DistsyncError
from distsync.model.catalog import spec_for_event
from distsync.model.envelope import Envelope
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, TrackingEvent
from distsync.partners.x12_in import Appender
from distsync.rules.tracking_json import TrackerUpdate, read_update
from distsync.telemetry import get_logger

__all__ = ["EVENT_TYPE", "HMAC_HEADER", "CarrierServices", "carrier_webhook_router"]

EVENT_TYPE = "tracking.updated"
HMAC_HEADER = "X-Carrier-Hmac-Sha256"
log = get_logger(component="api")

SOURCE = "carrier"

PROBLEM = {"content": {PROBLEM_TYPE: {"schema": {"type": "object"}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**PROBLEM, "description": f"Missing or wrong {HMAC_HEADER}; nothing stored"},
    404: {**PROBLEM, "description": "No such carrier partner"},
    413: {**PROBLEM, "description": "Larger than runtime.max_payload_bytes"},
    422: {**PROBLEM, "description": "Not JSON, or not a tracker update"},
    503: {**PROBLEM, "description": "The store cannot take it now; retry after Retry-After"},
}


class CarrierServices(Protocol):
    """What the route needs of the services (``bootstrap.Services`` fits)."""

    @property
    def landscape(self) -> Landscape: ...

    @property
    def intake(self) -> Appender: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def carrier_webhook_router(services: CarrierServices) -> APIRouter:
    """The carrier webhook route; ``services`` is read per request, not when the app is made."""
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

    @router.post(
        "/carrier/{partner}",
        operation_id="receive_carrier_tracking",
        summary="Receive a carrier tracker's status update (signed when the carrier has a secret)",
        response_model=JsonReceived,
        responses=RESPONSES,
    )
    async def receive(partner: str, request: Request) -> Response:
        return await _receive(services, request, partner)

    return router


async def _receive(services: CarrierServices, request: Request, partner: str) -> Response:
    landscape = services.landscape
    try:
        declared, secret = _partner(landscape, partner)
        limit = landscape.runtime.max_payload_bytes
        body = await read_limited(request, limit, f"a carrier webhook from {partner}")
        if secret is not None:
            verify_signature(body, request.headers.get(HMAC_HEADER), secret, HMAC_HEADER)
        update = _parse(body, partner)
        carrier = CarrierRef(party_id=declared.party_id or partner)
        event = _event(update, carrier, partner)
        envelope = _envelope(partner, body, update, event, services.clock())
        result = await services.intake.accept([envelope])
    except Refused as exc:
        return problem(exc.status, exc.error, exc.detail, partner, source=SOURCE)
    except DistsyncError as exc:
        return taxonomy_problem(exc, partner, source=SOURCE, permanent_status=422)
    first = result.duplicates.get(envelope.event_id)
    answer = JsonReceived(event_id=first or envelope.event_id, duplicate=first is not None)
    log.info(
        "carrier tracking received",
        action="api.carrier_received",
        partner=partner,
        idempotency_key=envelope.idempotency_key,
        event_id=answer.event_id,
        duplicate=answer.duplicate,
    )
    return JSONResponse(answer.model_dump(), status_code=200)


def _partner(landscape: Landscape, partner: str) -> tuple[Partner, bytes | None]:
    """The carrier partner and its webhook secret, None when it has none."""
    declared = landscape.partners.get(partner)
    if declared is None or declared.kind != "carrier":
        raise Refused(404, "unknown_partner", f"the landscape declares no carrier {partner!r}")
    system = secret_system(landscape, declared)
    return declared, None if system is None else system.secret(SECRET).encode()


def _parse(body: bytes, partner: str) -> TrackerUpdate:
    try:
        return TrackerUpdate.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if errors and errors[0]["type"] == "json_invalid":
            raise Refused(422, "malformed_document", f"from {partner}: not JSON") from exc
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors
        )
        raise Refused(422, "schema_violation", f"tracker update from {partner}: {fields}") from exc


def _event(update: TrackerUpdate, carrier: CarrierRef, partner: str) -> TrackingEvent:
    """The canonical event; an unknown status as an exception keeping the carrier's word."""
    try:
        reading = read_update(update, carrier)
    except ValidationError as exc:
        raise Refused(422, "schema_violation", f"tracker update from {partner}: {exc}") from exc
    if reading.event is not None:
        return reading.event
    detail = f" ({reading.mapping.detail})" if reading.mapping.detail else ""
    return TrackingEvent(
        tracking_number=update.tracking_code,
        carrier=carrier,
        milestone=Milestone.EXCEPTION,
        carrier_status_code=reading.mapping.code,
        carrier_status_text=update.message,
        occurred_at=update.datetime,
        exception_reason=f"unknown tracker status {reading.mapping.code!r}{detail}",
    )


def _envelope(
    partner: str, body: bytes, update: TrackerUpdate, event: TrackingEvent, now: datetime
) -> Envelope:
    carrier_id = update.id or f"sha256:{hashlib.sha256(body).hexdigest()}"
    return Envelope(
        type=EVENT_TYPE,
        schema_version=spec_for_event(EVENT_TYPE).version,
        source_system=f"partner:{partner}",
        partner=partner,
        correlation_id=f"tracking:{event.tracking_number}",
        idempotency_key=f"carrier:{partner}:{carrier_id}",
        partition_key=event.tracking_number,
        source_timestamp=event.occurred_at,
        occurred_at=now,
        received_at=now,
        payload=event.model_dump(mode="json"),
    )
