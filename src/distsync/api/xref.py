"""``/v1/xref``: partner cross-references over HTTP, for the console and for scripts.

::

    GET    /v1/xref/{partner}                    the partner's mappings (?kind=)
    GET    /v1/xref/{partner}/history            changes, newest first (?kind=&partner_value=)
    GET    /v1/xref/{partner}/{kind}             the partner's mappings of one kind
    GET    /v1/xref/{partner}/{kind}/{value}     one mapping (value: the partner's)
    PUT    /v1/xref/{partner}/{kind}/{value}     add (201) or change (200) it
    DELETE /v1/xref/{partner}/{kind}/{value}     remove it (?changed_by=&reason=)

Reads need the scope ``ops:read``, changes ``admin``. A partner the
landscape does not declare is 404, and so is another partner than a partner
principal's own (the same answer: nobody learns which partners exist). A mapping that breaks the
rules of its kind is 422 with FastAPI's error shape: one item per field, its
``loc`` naming the field (``["body", "factor"]``). Factors travel as decimal
strings (``"12"``, ``"0.5"``); a JSON float is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from distsync.api.principal import ADMIN, OPS_READ, Principal, require
from distsync.model.base import DecimalValue
from distsync.store.ports import (
    CrossReference,
    CrossReferences,
    XrefChange,
    XrefEntry,
    XrefKey,
    XrefKind,
    factor_text,
)

Who = Annotated[str, Field(min_length=1, max_length=128, description="Who makes the change.")]
Why = Annotated[str, Field(min_length=1, max_length=2000, description="Why: kept in the history.")]
PartnerValue = Annotated[str, Path(description="The partner's SKU, unit code, ship-to or GLN.")]
Reader = Annotated[Principal, Depends(require(OPS_READ))]
Admin = Annotated[Principal, Depends(require(ADMIN))]


class XrefMapping(BaseModel):
    """What a partner value means: our value, and for a SKU the partner's unit and factor."""

    our_value: str
    partner_uom: str | None = None
    factor: str | None = Field(None, description="Our base units in one partner_uom, as text.")


class XrefOut(XrefMapping):
    partner: str
    kind: XrefKind
    partner_value: str
    changed_by: str
    changed_at: datetime
    reason: str


class XrefIn(BaseModel):
    """A mapping to store under the path's partner, kind and partner value."""

    model_config = ConfigDict(extra="forbid")

    our_value: str = Field(description="Our SKU, unit code or warehouse id.")
    partner_uom: str | None = Field(None, description="The unit the partner sells it in (sku).")
    factor: DecimalValue | None = Field(None, description="Our base units in one partner_uom.")
    changed_by: Who
    reason: Why


class PutResult(BaseModel):
    outcome: Literal["added", "changed", "unchanged"]
    xref: XrefOut
    before: XrefMapping | None = None


class ChangeOut(BaseModel):
    id: int
    partner: str
    kind: XrefKind
    partner_value: str
    action: str
    before: XrefMapping | None
    after: XrefMapping | None
    changed_by: str
    changed_at: datetime
    reason: str


def xref_router(xrefs: CrossReferences, partners: Collection[str]) -> APIRouter:
    """The routes, on ``xrefs``, for the partners the landscape declares."""
    router = APIRouter(prefix="/v1/xref", tags=["xref"])

    def declared(partner: str, principal: Principal) -> str:
        if partner not in partners or not principal.may_act_for(partner):
            raise HTTPException(404, f"the landscape declares no partner {partner!r}")
        return partner

    @router.get("/{partner}", operation_id="xref_list", summary="A partner's mappings")
    async def list_all(
        partner: str, principal: Reader, kind: XrefKind | None = None
    ) -> list[XrefOut]:
        return [_out(ref) for ref in await xrefs.entries(declared(partner, principal), kind)]

    @router.get("/{partner}/history", operation_id="xref_history", summary="Changes, newest first")
    async def history(
        partner: str,
        principal: Reader,
        kind: XrefKind | None = None,
        partner_value: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ) -> list[ChangeOut]:
        found = await xrefs.history(
            declared(partner, principal), kind=kind, partner_value=partner_value, limit=limit
        )
        return [_change_out(change) for change in found]

    @router.get("/{partner}/{kind}", operation_id="xref_list_kind", summary="Mappings of a kind")
    async def list_kind(partner: str, kind: XrefKind, principal: Reader) -> list[XrefOut]:
        return [_out(ref) for ref in await xrefs.entries(declared(partner, principal), kind)]

    @router.get(
        "/{partner}/{kind}/{partner_value:path}",
        operation_id="xref_get",
        summary="One mapping",
        responses={404: {"description": "No such partner or mapping"}},
    )
    async def get_one(
        partner: str, kind: XrefKind, partner_value: PartnerValue, principal: Reader
    ) -> XrefOut:
        found = (await xrefs.table(declared(partner, principal))).get(kind, partner_value)
        if found is None:
            raise HTTPException(404, _missing(partner, kind, partner_value))
        return _out(found)

    @router.put(
        "/{partner}/{kind}/{partner_value:path}",
        operation_id="xref_put",
        summary="Add or change one mapping",
        responses={201: {"model": PutResult, "description": "Added"}},
    )
    async def put(
        partner: str,
        kind: XrefKind,
        partner_value: PartnerValue,
        body: XrefIn,
        response: Response,
        principal: Admin,
    ) -> PutResult:
        name = declared(partner, principal)
        entry = XrefEntry(kind, partner_value, body.our_value, body.partner_uom, body.factor)
        _refuse_invalid(entry)
        diff = await xrefs.put(name, entry, actor=body.changed_by, reason=body.reason)
        stored = (await xrefs.table(name)).get(kind, partner_value)
        if stored is None:  # removed by someone else in between: say so rather than guess
            raise HTTPException(409, f"{_missing(partner, kind, partner_value)} after storing it")
        if diff.added:
            response.status_code = 201
            return PutResult(outcome="added", xref=_out(stored))
        if diff.changed:
            before = _mapping(diff.changed[0][0])
            return PutResult(outcome="changed", xref=_out(stored), before=before)
        return PutResult(outcome="unchanged", xref=_out(stored))

    @router.delete(
        "/{partner}/{kind}/{partner_value:path}",
        operation_id="xref_delete",
        summary="Remove one mapping (its history stays)",
        responses={404: {"description": "No such partner or mapping"}},
    )
    async def delete(
        partner: str,
        kind: XrefKind,
        partner_value: PartnerValue,
        changed_by: Annotated[str, Query(min_length=1, max_length=128)],
        reason: Annotated[str, Query(min_length=1, max_length=2000)],
        principal: Admin,
    ) -> XrefOut:
        key = XrefKey(kind, partner_value)
        removed = await xrefs.remove(
            declared(partner, principal), key, actor=changed_by, reason=reason
        )
        if removed is None:
            raise HTTPException(404, _missing(partner, kind, partner_value))
        return _out(removed)

    return router


def _refuse_invalid(entry: XrefEntry) -> None:
    problems = entry.problems()
    if problems:
        detail = [
            {
                "loc": ["path" if p.field == "partner_value" else "body", p.field],
                "msg": p.message,
                "type": "value_error",
            }
            for p in problems
        ]
        raise HTTPException(422, detail)


def _missing(partner: str, kind: XrefKind, partner_value: str) -> str:
    return f"{partner} has no {kind} mapping for {partner_value!r}"


def _mapping(entry: XrefEntry) -> XrefMapping:
    factor = None if entry.factor is None else factor_text(entry.factor)
    return XrefMapping(our_value=entry.our_value, partner_uom=entry.partner_uom, factor=factor)


def _out(ref: CrossReference) -> XrefOut:
    return XrefOut(
        **_mapping(ref.entry).model_dump(),
        partner=ref.partner,
        kind=ref.kind,
        partner_value=ref.partner_value,
        changed_by=ref.changed_by,
        changed_at=ref.changed_at,
        reason=ref.reason,
    )


def _change_out(change: XrefChange) -> ChangeOut:
    return ChangeOut(
        id=change.id,
        partner=change.partner,
        kind=change.kind,
        partner_value=change.partner_value,
        action=change.action,
        before=None if change.before is None else _mapping(change.before),
        after=None if change.after is None else _mapping(change.after),
        changed_by=change.changed_by,
        changed_at=change.changed_at,
        reason=change.reason,
    )
