"""``POST /v1/webhooks/shopify/{partner}``: a web shop's ``orders/create`` webhook into the log.

The partner is a landscape partner of kind ``channel`` whose ``portal``
names the shop's system; that system carries ``webhook_secret_env`` (or
``webhook_secret_file``): the shop's webhook signing secret. The raw body
(at most ``runtime.max_payload_bytes``) is checked against
``X-Shopify-Hmac-Sha256``, base64 of its HMAC-SHA256 under that secret, in
constant time, *before* anything of it is parsed; a missing or wrong
signature is refused with 401, and neither the body nor anything from it is
stored or logged.

A signed body is mapped (``formats.shopify``) and appended through intake
as ``sales_order.received``: idempotency key
``shopify:<partner>:<X-Shopify-Webhook-Id>`` (a redelivered webhook is a
duplicate), partition key ``<partner>:<shop order id>``, correlation id
``so:<order number>``, ``source_sequence`` the order's ``updated_at`` in
microseconds (an update older than one already handled for the order is
skipped by the runtime). Only once the log holds it is it answered:

- **200** ``{"event_id", "duplicate"}`` (a duplicate names the stored event);
- **400** no ``X-Shopify-Webhook-Id``; **401** missing or wrong signature;
- **404** no such partner, not a ``channel``, or no webhook secret for it;
- **413** too large; **422** not JSON, or an order that cannot be mapped
  (the detail names the field); **500** the secret cannot be read;
  **503** with ``Retry-After`` when the store cannot take it now.

Refusals are ``application/problem+json`` with a stable ``error`` code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

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
from distsync.config import Landscape
from distsync.errors import (
    DistsyncError,
    MalformedDocument,
    SchemaViolation,
)
from distsync.formats.shopify import ShopifyOrder, parse_order
from distsync.model.catalog import spec_for_event
from distsync.model.envelope import Envelope
from distsync.partners.x12_in import Appender
from distsync.telemetry import get_logger

__all__ = ["EVENT_TYPE", "HMAC_HEADER", "SECRET", "WEBHOOK_ID_HEADER", "shopify_router"]

EVENT_TYPE = "sales_order.received"
HMAC_HEADER = "X-Shopify-Hmac-Sha256"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
SOURCE = "shopify"
"""The secret's name on the shop's system: ``webhook_secret_env`` or ``webhook_secret_file``."""
log = get_logger(component="api")

PROBLEM = {"content": {PROBLEM_TYPE: {"schema": {"type": "object"}}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**PROBLEM, "description": "No X-Shopify-Webhook-Id"},
    401: {**PROBLEM, "description": "Missing or wrong X-Shopify-Hmac-Sha256; nothing stored"},
    404: {**PROBLEM, "description": "No such channel partner, or no webhook secret for it"},
    413: {**PROBLEM, "description": "Larger than runtime.max_payload_bytes"},
    422: {**PROBLEM, "description": "Not JSON, or an order that cannot be mapped"},
    503: {**PROBLEM, "description": "The store cannot take it now; retry after Retry-After"},
}


class ShopifyServices(Protocol):
    """What the route needs of the services (``bootstrap.Services`` fits)."""

    @property
    def landscape(self) -> Landscape: ...

    @property
    def intake(self) -> Appender: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def shopify_router(services: ShopifyServices) -> APIRouter:
    """The Shopify webhook route; ``services`` is read per request, not when the app is made."""
    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

    @router.post(
        "/shopify/{partner}",
        operation_id="receive_shopify_order",
        summary="Receive a signed Shopify orders/create webhook from a web shop",
        response_model=JsonReceived,
        responses=RESPONSES,
    )
    async def receive(partner: str, request: Request) -> Response:
        return await _receive(services, request, partner)

    return router


async def _receive(services: ShopifyServices, request: Request, partner: str) -> Response:
    landscape = services.landscape
    try:
        secret = _secret(landscape, partner)
        limit = landscape.runtime.max_payload_bytes
        body = await read_limited(request, limit, f"a Shopify webhook from {partner}")
        verify_signature(body, request.headers.get(HMAC_HEADER), secret, HMAC_HEADER)
        webhook_id = _webhook_id(request)
        envelope = _envelope(partner, webhook_id, _parse(body, partner), services.clock())
        result = await services.intake.accept([envelope])
    except Refused as exc:
        return problem(exc.status, exc.error, exc.detail, partner, source=SOURCE)
    except DistsyncError as exc:
        return taxonomy_problem(exc, partner, source=SOURCE, permanent_status=400)
    first = result.duplicates.get(envelope.event_id)
    answer = JsonReceived(event_id=first or envelope.event_id, duplicate=first is not None)
    log.info(
        "shopify order received",
        action="api.shopify_received",
        partner=partner,
        idempotency_key=envelope.idempotency_key,
        correlation_id=envelope.correlation_id,
        event_id=answer.event_id,
        duplicate=answer.duplicate,
    )
    return JSONResponse(answer.model_dump(), status_code=200)


def _secret(landscape: Landscape, partner: str) -> bytes:
    declared = landscape.partners.get(partner)
    if declared is None or declared.kind != "channel":
        raise Refused(404, "unknown_partner", f"the landscape declares no channel {partner!r}")
    shop = secret_system(landscape, declared)
    if shop is None:
        raise Refused(
            404,
            "no_webhook_secret",
            f"{partner} takes no Shopify webhooks: partners.{partner}.portal names no system "
            f"with {SECRET}_env or {SECRET}_file",
        )
    return shop.secret(SECRET).encode()


def _webhook_id(request: Request) -> str:
    webhook_id = request.headers.get(WEBHOOK_ID_HEADER, "").strip()
    if not webhook_id:
        raise Refused(400, "missing_webhook_id", f"no {WEBHOOK_ID_HEADER} header")
    return webhook_id


def _parse(body: bytes, partner: str) -> ShopifyOrder:
    try:
        return parse_order(body, channel=partner)
    except (MalformedDocument, SchemaViolation) as exc:
        error = "malformed_document" if isinstance(exc, MalformedDocument) else "schema_violation"
        raise Refused(422, error, f"receiving a Shopify order from {partner}: {exc}") from exc


def _envelope(partner: str, webhook_id: str, mapped: ShopifyOrder, now: datetime) -> Envelope:
    order = mapped.order
    return Envelope(
        type=EVENT_TYPE,
        schema_version=spec_for_event(EVENT_TYPE).version,
        source_system=f"partner:{partner}",
        partner=partner,
        correlation_id=f"so:{order.order_number}",
        idempotency_key=f"shopify:{partner}:{webhook_id}",
        partition_key=f"{partner}:{mapped.shop_order_id}",
        source_sequence=mapped.sequence,
        source_timestamp=mapped.updated_at,
        occurred_at=now,
        received_at=now,
        payload=order.model_dump(mode="json"),
    )
