"""``/ops/partners``: the trading partners the landscape declares, and their share of the log.

::

    GET /ops/partners            every partner (a partner principal: only itself)   (ops:read)
    GET /ops/partners/{name}     one partner, with counts of its messages, open dead
                                 letters and open exceptions

Never a secret: a channel shows its transport, URL (without user or
password), AS2 id, user and path, and for each secret only the name of the
variable or file it is read from. A partner the landscape does not declare,
or another partner than the caller's own, is 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from distsync.api.ops_common import SCAN_LIMIT, OpsServices, count_events, not_found, safe_url
from distsync.api.ops_models_cases import ChannelOut, PartnerDetail, PartnerOut
from distsync.api.principal import OPS_READ, Principal, require
from distsync.config import Channel, Partner
from distsync.runtime.ports import EventFilter, LogInspector, RecordStatus

__all__ = ["partners_router"]


def partners_router(services: OpsServices) -> APIRouter:
    """The partner routes, on the landscape and the backend of ``services``."""
    router = APIRouter(prefix="/ops/partners", tags=["ops"])

    @router.get("", operation_id="ops_partners", summary="The declared trading partners")
    async def list_partners(
        principal: Annotated[Principal, Depends(require(OPS_READ))],
    ) -> list[PartnerOut]:
        declared = services.landscape.partners
        return [
            partner_out(name, partner)
            for name, partner in sorted(declared.items())
            if principal.may_act_for(name)
        ]

    @router.get(
        "/{name}",
        operation_id="ops_partner",
        summary="One partner: identities, channel, documents, counts",
        response_model=PartnerDetail,
        responses={404: {"description": "No such partner (or not the caller's own)"}},
    )
    async def get_partner(
        name: str, principal: Annotated[Principal, Depends(require(OPS_READ))]
    ) -> PartnerDetail | JSONResponse:
        partner = services.landscape.partners.get(name)
        if partner is None or not principal.may_act_for(name):
            return not_found(f"partner {name}")
        return await _detail(services.backend, name, partner)

    return router


def partner_out(name: str, partner: Partner) -> PartnerOut:
    identity = partner.x12
    return PartnerOut(
        name=name,
        kind=partner.kind,
        x12_id=None if identity is None else f"{identity.qualifier}/{identity.id}",
        party_id=partner.erp_party_id(name),
        sends=list(partner.sends),
        receives=list(partner.receives),
        channel=None if partner.channel is None else _channel(partner.channel),
    )


def _channel(channel: Channel) -> ChannelOut:
    return ChannelOut(
        transport=channel.transport,
        url=safe_url(None if channel.url is None else str(channel.url)),
        as2_id=channel.as2_id,
        user=channel.user,
        path=channel.path,
        secrets={**channel.secret_env, **channel.secret_files},
    )


async def _detail(backend: LogInspector, name: str, partner: Partner) -> PartnerDetail:
    messages = await count_events(backend, EventFilter(partner=name))
    dead = await backend.dead_letters(status=RecordStatus.OPEN, limit=SCAN_LIMIT, partner=name)
    parked = await backend.exceptions(status=RecordStatus.OPEN, limit=SCAN_LIMIT, partner=name)
    return PartnerDetail(
        **partner_out(name, partner).model_dump(),
        messages=messages,
        dead_letters_open=len(dead),
        exceptions_open=len(parked),
    )
