"""``/ops/exceptions``: the work queue of business cases parked for a person.

::

    GET  /ops/exceptions?reason=&partner=&status=open|replayed|resolved|discarded|all&limit=
    GET  /ops/exceptions/{id}            facts, payload and the actions that resolve it
    POST /ops/exceptions/{id}/resolve    {"action", "params", "reason"}      (ops:replay)

Reads need ``ops:read``. Resolving calls the backend's ``resolve`` as
``distsync exceptions resolve`` does: it closes the exception, audits it
with the caller's client id, and appends ``exception.resolved`` for the flow
(``runtime/resolution.py``). An action the exception does not offer is 422
naming the ones it does; an exception already closed is 409. A partner
principal sees and resolves only its own: another partner's exception is 404
like a missing one.
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
from distsync.api.ops_models_cases import ExceptionDetail, ExceptionOut, Resolve, offered
from distsync.api.principal import OPS_READ, OPS_REPLAY, Principal, require
from distsync.runtime.ports import LogInspector, ParkedRecord, RecordStatus
from distsync.runtime.records import ResolutionRefused
from distsync.telemetry import get_logger

__all__ = ["exceptions_router"]

Status = Literal["open", "replayed", "resolved", "discarded", "all"]
Limit = Annotated[int, Query(ge=1, le=1000)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such exception (or not the caller's partner's)"}
}
log = get_logger(component="api")


def exceptions_router(services: OpsServices) -> APIRouter:
    """The exception routes; ``services`` is read per request."""
    router = APIRouter(prefix="/ops/exceptions", tags=["ops"])
    backend = services.backend

    @router.get("", operation_id="ops_exceptions", summary="Exceptions, newest first")
    async def list_exceptions(
        principal: Annotated[Principal, Depends(require(OPS_READ))],
        reason: str | None = None,
        partner: str | None = None,
        status: Status = "open",
        limit: Limit = 100,
    ) -> list[ExceptionOut]:
        if asks_for_other(principal, partner):
            return []
        wanted = scoped_partner(principal, partner)
        chosen = None if status == "all" else RecordStatus(status)
        records = await backend.exceptions(
            status=chosen, reason_code=reason, limit=limit, partner=wanted
        )
        return [ExceptionOut.of(r) for r in records]

    @router.get(
        "/{exception_id}",
        operation_id="ops_exception",
        summary="One exception: facts, payload, the actions that resolve it",
        response_model=ExceptionDetail,
        responses=NOT_FOUND,
    )
    async def get_exception(
        exception_id: RecordId, principal: Annotated[Principal, Depends(require(OPS_READ))]
    ) -> ExceptionDetail | JSONResponse:
        record = await _visible(backend, exception_id, principal)
        if record is None:
            return not_found(f"exception {exception_id}")
        return ExceptionDetail.full(record)

    @router.post(
        "/{exception_id}/resolve",
        operation_id="ops_resolve_exception",
        summary="Close an exception with one of its actions; audited",
        response_model=ExceptionDetail,
        responses={
            **NOT_FOUND,
            409: {"description": "The exception is already closed"},
            422: {"description": "The exception does not offer that action; the ones it does"},
        },
    )
    async def resolve(
        exception_id: RecordId,
        body: Resolve,
        principal: Annotated[Principal, Depends(require(OPS_REPLAY))],
    ) -> ExceptionDetail | JSONResponse:
        record = await _visible(backend, exception_id, principal)
        if record is None:
            return not_found(f"exception {exception_id}")
        refused = _refusal(record, body.action)
        if refused is not None:
            return refused
        try:
            closed = await backend.resolve(
                exception_id,
                action=body.action,
                actor=principal.client_id,
                note=body.reason,
                params=body.params,
            )
        except ResolutionRefused as exc:  # closed by someone else in between
            return problem(409, "not_open", str(exc))
        _logged(principal, closed)
        return ExceptionDetail.full(closed)

    return router


async def _visible(
    backend: LogInspector, exception_id: int, principal: Principal
) -> ParkedRecord | None:
    record = await backend.exception(exception_id)
    return record if record is not None and owns(principal, record.event.envelope) else None


def _refusal(record: ParkedRecord, action: str) -> JSONResponse | None:
    where = f"resolving exception {record.id} ({record.reason_code})"
    if record.status != RecordStatus.OPEN:
        return problem(409, "not_open", f"{where}: it is already {record.status.value}")
    allowed = [name for name, _ in offered(record)]
    if action not in allowed:
        detail = f"{where}: action {action!r} is not offered; choose one of {', '.join(allowed)}"
        return problem(422, "unknown_action", detail, allowed=allowed)
    return None


def _logged(principal: Principal, record: ParkedRecord) -> None:
    log.info(
        "exception resolved over the ops API",
        action="api.ops_resolve",
        actor=principal.client_id,
        exception_id=record.id,
        resolution=record.resolution,
        partner=record.event.envelope.partner,
    )
