"""``/ops/messages``: the stored events, as ``distsync events`` shows them (scope ``ops:read``).

::

    GET /ops/messages?type=asn.*&partner=acme&since=&until=&correlation_id=&limit=&before=
    GET /ops/messages/{event_id}     the event, its payload, attempts and delivery states

The list is newest first, filtered in the backend's query (``EventFilter``);
``next`` links to the following page (``before``: the last ``seq`` shown). A
partner principal sees only its own messages: its partner is the filter
whatever it asks, and another partner's message is 404 like a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from distsync.api.ops_common import (
    OpsServices,
    asks_for_other,
    not_found,
    owns,
    scoped_partner,
)
from distsync.api.ops_models import (
    AttemptOut,
    DeliveryOut,
    MessageDetail,
    MessageOut,
    MessagePage,
)
from distsync.api.principal import OPS_READ, Principal, require
from distsync.runtime.ports import EventFilter

__all__ = ["messages_router"]

Types = Annotated[list[str] | None, Query(alias="type", description="Type or pattern; repeat.")]
Moment = Annotated[datetime | None, Query(description="Received from / before (ISO 8601).")]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many per page.")]
Before = Annotated[int | None, Query(ge=1, description="Only messages before this seq.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such message (or not the caller's partner's)"}
}


def messages_router(services: OpsServices) -> APIRouter:
    """The message routes; ``services`` is read per request."""
    router = APIRouter(prefix="/ops/messages", tags=["ops"])

    @router.get("", operation_id="ops_messages", summary="Stored messages, newest first, filtered")
    async def list_messages(
        request: Request,
        principal: Annotated[Principal, Depends(require(OPS_READ))],
        types: Types = None,
        partner: str | None = None,
        since: Moment = None,
        until: Moment = None,
        correlation_id: str | None = None,
        limit: Limit = 100,
        before: Before = None,
    ) -> MessagePage:
        if asks_for_other(principal, partner):
            return MessagePage(items=[])
        chosen = EventFilter(
            types=tuple(types or ()),
            partner=scoped_partner(principal, partner),
            since=since,
            until=until,
            correlation_id=correlation_id,
        )
        found = await services.backend.list_events(chosen, limit=limit + 1, before_seq=before)
        items = [MessageOut.of(stored) for stored in found[:limit]]
        more = len(found) > limit
        return MessagePage(items=items, next=_next(request, items[-1].seq) if more else None)

    @router.get(
        "/{event_id}",
        operation_id="ops_message",
        summary="One message: payload, attempts, where it stands per subscription",
        response_model=MessageDetail,
        responses=NOT_FOUND,
    )
    async def get_message(
        event_id: str, principal: Annotated[Principal, Depends(require(OPS_READ))]
    ) -> MessageDetail | JSONResponse:
        stored = await services.backend.get_event(event_id)
        if stored is None or not owns(principal, stored.envelope):
            return not_found(f"message {event_id}")
        attempts = await services.backend.attempts(event_id)
        states = await services.backend.delivery_states(event_id)
        return MessageDetail(
            message=MessageOut.of(stored),
            payload=stored.envelope.payload,
            attempts=[AttemptOut.of(a) for a in attempts],
            deliveries=[DeliveryOut.of(s) for s in states],
        )

    return router


def _next(request: Request, last_seq: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "before"]
    return f"{request.url.path}?{urlencode([*kept, ('before', str(last_seq))])}"
