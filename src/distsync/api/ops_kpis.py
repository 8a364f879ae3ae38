"""``GET /ops/kpis``: the log at a glance, for dashboards and on-call (scope ``ops:read``).

Backlog and the age of the oldest waiting delivery per subscription (the
backend's ``stats()``, as ``/metrics`` reads them), open dead letters by
error class and open exceptions by reason code, the duplicates refused, and
the messages appended in the last hour, and the AS2 certificates with
the days each has left. The figures span every partner, so
a partner principal is refused (403): the ops KPIs are an internal view.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from distsync.api.ops_common import SCAN_LIMIT, OpsServices, count_events, problem, tally
from distsync.api.ops_models_cases import BacklogOut, CertificateOut, Kpis
from distsync.api.principal import OPS_READ, Principal, require
from distsync.runtime.ports import EventFilter, RecordStatus, SubscriptionStats
from distsync.runtime.records import reason_of

__all__ = ["kpis_router"]

HOUR = timedelta(hours=1)


def kpis_router(services: OpsServices) -> APIRouter:
    """The KPI route, reading the backend of ``services`` at its clock's time."""
    router = APIRouter(prefix="/ops", tags=["ops"])

    @router.get(
        "/kpis",
        operation_id="ops_kpis",
        summary="Backlog per subscription, failures by reason, duplicates, volume",
        response_model=Kpis,
        responses={403: {"description": "A partner principal: the KPIs span every partner"}},
    )
    async def kpis(
        principal: Annotated[Principal, Depends(require(OPS_READ))],
    ) -> Kpis | JSONResponse:
        if principal.partner is not None:
            detail = f"{principal.client_id} acts for partner {principal.partner}; the KPIs "
            return problem(403, "internal_only", detail + "span every partner")
        return await _kpis(services)

    return router


async def _kpis(services: OpsServices) -> Kpis:
    backend, now = services.backend, services.clock()
    stats = await backend.stats()
    dead = await backend.dead_letters(status=RecordStatus.OPEN, limit=SCAN_LIMIT)
    parked = await backend.exceptions(status=RecordStatus.OPEN, limit=SCAN_LIMIT)
    return Kpis(
        events=stats.events,
        appended_last_hour=await count_events(backend, EventFilter(since=now - HOUR)),
        duplicates=stats.duplicates,
        dead_letters_open=stats.dead_letters_open,
        exceptions_open=stats.exceptions_open,
        dead_letters_by_reason=dict(tally([reason_of(r) for r in dead])),
        exceptions_by_reason=dict(tally([reason_of(r) for r in parked])),
        subscriptions=[_backlog(sub, now) for sub in stats.subscriptions],
        certificates=_certificates(services),
    )


def _certificates(services: OpsServices) -> list[CertificateOut]:
    watch = services.certificates
    return [] if watch is None else [CertificateOut(**s.as_kpi()) for s in watch.latest()]


def _backlog(sub: SubscriptionStats, now: datetime) -> BacklogOut:
    oldest = sub.oldest_pending_at
    age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    return BacklogOut(
        subscription=sub.name,
        ordered=sub.ordered,
        backlog=sub.pending + sub.in_flight + sub.waiting_retry,
        pending=sub.pending,
        in_flight=sub.in_flight,
        waiting_retry=sub.waiting_retry,
        oldest_age_seconds=age,
    )
