"""The operations API in one router: messages, dead letters, replay, exceptions, partners, KPIs.

``ops_router(services)`` gathers the routers of ``api/ops_*.py``; every
route declares its scope (``api/principal.py``) and scopes what it shows to
the caller's partner (``api/ops_common.py``).
"""

from __future__ import annotations

from fastapi import APIRouter

from distsync.api.ops_common import OpsServices
from distsync.api.ops_dead_letters import dead_letters_router
from distsync.api.ops_exceptions import exceptions_router
from distsync.api.ops_kpis import kpis_router
from distsync.api.ops_messages import messages_router
from distsync.api.ops_partners import partners_router
from distsync.api.ops_replay import replay_router

__all__ = ["ops_router"]


def ops_router(services: OpsServices) -> APIRouter:
    """Every ``/ops`` route of the operations API (``/ops/procure`` is ``api/procure.py``)."""
    router = APIRouter()
    for make in (
        messages_router,
        dead_letters_router,
        replay_router,
        exceptions_router,
        partners_router,
        kpis_router,
    ):
        router.routes.extend(make(services).routes)  # flat: see api/app.py _mount
    return router
