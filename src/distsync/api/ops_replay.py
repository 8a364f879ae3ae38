"""``POST /ops/replay``: run messages, dead letters or exceptions again, selected by filter.

The body selects as ``distsync replay`` does (``source``, ``partner``,
``types``, ``since``, ``until``, ``correlation_id``, ``event_ids``,
``subscriptions``, ``reason_code``) and says why (``reason``); the caller's
client id is the actor in the audit trail (scope ``ops:replay``).

- ``dry_run: true`` answers how many would be replayed and changes nothing;
- more than 1000 without ``yes: true`` is 409 (with the ``count``);
- a selection that selects nothing, or ``reason_code`` with ``source:
  messages``, is 422;
- a partner principal naming another partner is 403; its own partner is
  always added to the filter, so it replays only its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from distsync.api.ops_common import (
    SCAN_LIMIT,
    OpsServices,
    asks_for_other,
    problem,
    scoped_partner,
)
from distsync.api.ops_models import ReplayDone, ReplayFilter
from distsync.api.principal import OPS_REPLAY, Principal, require
from distsync.runtime import replay_scope
from distsync.runtime.ports import (
    EventFilter,
    LogInspector,
    ReplaySelection,
)
from distsync.telemetry import get_logger

__all__ = ["count_selected", "replay_router"]

LARGE_REPLAY = 1000
SOURCES = {"messages": "events", "dead-letters": "dead_letters", "exceptions": "exceptions"}
log = get_logger(component="api")


def replay_router(services: OpsServices) -> APIRouter:
    """The replay-by-filter route, on the backend of ``services``."""
    router = APIRouter(prefix="/ops", tags=["ops"])
    backend = services.backend

    @router.post(
        "/replay",
        operation_id="ops_replay",
        summary="Run messages, dead letters or exceptions again, selected by filter; audited",
        response_model=ReplayDone,
        responses={
            403: {"description": "A partner principal selecting another partner"},
            409: {"description": "More than 1000 selected without yes: true"},
            422: {"description": "Nothing selected, or reason_code with source messages"},
        },
    )
    async def replay(
        body: ReplayFilter, principal: Annotated[Principal, Depends(require(OPS_REPLAY))]
    ) -> ReplayDone | JSONResponse:
        if asks_for_other(principal, body.partner):
            detail = f"replaying for partner {body.partner}: {principal.client_id} may not"
            return problem(403, "forbidden_partner", detail)
        selection = _selection(body, principal)
        refused = _refusal(selection)
        if refused is not None:
            return problem(422, "invalid_selection", f"replaying: {refused}")
        count = await count_selected(backend, selection)
        if body.dry_run:
            return ReplayDone(count=count, dry_run=True)
        if count > LARGE_REPLAY and not body.yes:
            detail = f"replaying: {count} selected, more than {LARGE_REPLAY}; send yes: true"
            return problem(409, "large_replay", detail, count=count)
        created = await backend.requeue(selection, actor=principal.client_id, reason=body.reason)
        logged(principal, selection, created)
        return ReplayDone(count=created, dry_run=False)

    return router


def _selection(body: ReplayFilter, principal: Principal) -> ReplaySelection:
    chosen = EventFilter(
        types=tuple(body.types),
        partner=scoped_partner(principal, body.partner),
        since=body.since,
        until=body.until,
        correlation_id=body.correlation_id,
        event_ids=tuple(body.event_ids),
    )
    return ReplaySelection(
        source=SOURCES[body.source],
        filter=chosen,
        reason_code=body.reason_code,
        subscriptions=tuple(body.subscriptions),
    )


def _refusal(selection: ReplaySelection) -> str | None:
    """Why the selection cannot be replayed (as ``cli_ops.check_selection`` refuses), or None."""
    if selection.source == "events" and selection.reason_code is not None:
        return "reason_code selects dead letters or exceptions, not messages"
    if selection.filter == EventFilter() and not (selection.subscriptions or selection.reason_code):
        return (
            "nothing selected; narrow it with partner, types, since, until, correlation_id, "
            "event_ids, subscriptions or reason_code"
        )
    return None


async def count_selected(backend: LogInspector, selection: ReplaySelection) -> int:
    """How many events or open records a replay would select, read without writing."""
    return await replay_scope.count_selected(backend, selection, limit=SCAN_LIMIT)


def logged(principal: Principal, selection: ReplaySelection, count: int) -> None:
    """Log a replay made over the API (the backend audits it too)."""
    log.info(
        "replayed over the ops API",
        action="api.ops_replay",
        actor=principal.client_id,
        source=selection.source,
        partner=selection.filter.partner,
        count=count,
    )
