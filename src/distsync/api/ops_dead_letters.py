"""``/ops/dead-letters``: failed deliveries, to read and to run again.

::

    GET  /ops/dead-letters?status=open|replayed|all&partner=&limit=     (ops:read)
    GET  /ops/dead-letters/{id}          error, traceback, attempt history, payload
    POST /ops/dead-letters/{id}/replay   {"reason": ...}                 (ops:replay)

A replay is audited with the caller's client id as the actor and the
body's ``reason`` (``api/ops_replay.py`` replays by filter). A partner
principal sees and replays only its own: another partner's dead letter is
404 like a missing one. A dead letter that is no longer open is 409.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from distsync.api.ops_common import (
    OpsServices,
    RecordId,
    asks_for_other,
    not_found,
    owns,
    problem,
    scoped_partner,
)
from distsync.api.ops_models import (
    DeadLetterDetail,
    DeadLetterOut,
    ReplayDone,
    ReplayOne,
)
from distsync.api.ops_replay import logged
from distsync.api.principal import OPS_READ, OPS_REPLAY, Principal, require
from distsync.runtime.ports import (
    DeadLetterRecord,
    LogInspector,
    RecordStatus,
    ReplaySelection,
)

__all__ = ["dead_letters_router"]

Status = Literal["open", "replayed", "all"]
Limit = Annotated[int, Query(ge=1, le=1000)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such dead letter (or not the caller's partner's)"}
}


def dead_letters_router(services: OpsServices) -> APIRouter:
    """The dead-letter routes, on the backend of ``services``."""
    router = APIRouter(prefix="/ops", tags=["ops"])
    backend = services.backend

    @router.get("/dead-letters", operation_id="ops_dead_letters", summary="Dead letters, newest")
    async def list_dead_letters(
        principal: Annotated[Principal, Depends(require(OPS_READ))],
        status: Status = "open",
        partner: str | None = None,
        limit: Limit = 100,
    ) -> list[DeadLetterOut]:
        if asks_for_other(principal, partner):
            return []
        wanted = scoped_partner(principal, partner)
        chosen = None if status == "all" else RecordStatus(status)
        records = await backend.dead_letters(status=chosen, limit=limit, partner=wanted)
        return [DeadLetterOut.of(r) for r in records]

    @router.get(
        "/dead-letters/{dead_letter_id}",
        operation_id="ops_dead_letter",
        summary="One dead letter: error, traceback, attempt history, payload",
        response_model=DeadLetterDetail,
        responses=NOT_FOUND,
    )
    async def get_dead_letter(
        dead_letter_id: RecordId, principal: Annotated[Principal, Depends(require(OPS_READ))]
    ) -> DeadLetterDetail | JSONResponse:
        record = await _visible(backend, dead_letter_id, principal)
        if record is None:
            return not_found(f"dead letter {dead_letter_id}")
        return DeadLetterDetail.full(record)

    @router.post(
        "/dead-letters/{dead_letter_id}/replay",
        operation_id="ops_replay_dead_letter",
        summary="Run one dead letter again; audited",
        response_model=ReplayDone,
        responses={**NOT_FOUND, 409: {"description": "The dead letter is not open"}},
    )
    async def replay_dead_letter(
        dead_letter_id: RecordId,
        body: ReplayOne,
        principal: Annotated[Principal, Depends(require(OPS_REPLAY))],
    ) -> ReplayDone | JSONResponse:
        record = await _visible(backend, dead_letter_id, principal)
        if record is None:
            return not_found(f"dead letter {dead_letter_id}")
        if record.status != RecordStatus.OPEN:
            detail = f"replaying dead letter {dead_letter_id}: it is {record.status.value}"
            return problem(409, "not_open", detail)
        selection = ReplaySelection(source="dead_letters", ids=(str(dead_letter_id),))
        count = await backend.requeue(selection, actor=principal.client_id, reason=body.reason)
        logged(principal, selection, count)
        return ReplayDone(count=count, dry_run=False)

    return router


async def _visible(
    backend: LogInspector, dead_letter_id: int, principal: Principal
) -> DeadLetterRecord | None:
    record = await backend.dead_letter(dead_letter_id)
    return record if record is not None and owns(principal, record.event.envelope) else None
