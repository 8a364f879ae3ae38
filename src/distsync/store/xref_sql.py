"""The SQL of the cross-references: each function runs inside one transaction.

``plan`` compares what is stored with what is wanted (``diff_entries``, pure);
``apply`` and ``remove_one`` write the mappings, one history row per mapping
and one audit row. ``load_table`` reads a partner's snapshot unless its
revision (the id of its newest history row) is still the one the caller has.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, select, update

from distsync.store.ports import (
    CrossReference,
    FieldProblem,
    PartnerXrefs,
    XrefChange,
    XrefDiff,
    XrefEntry,
    XrefInvalid,
    XrefKey,
    XrefKind,
    factor_text,
)
from distsync.store.sql_repository import iso
from distsync.store.tables import audit, xref_history, xrefs


@dataclass(frozen=True)
class Change:
    """Who changes one partner's mappings, when, why, and what the audit row says."""

    partner: str
    actor: str
    reason: str
    at: datetime
    audit_action: str
    selection: str


def load_table(conn: Connection, partner: str, known: int | None) -> PartnerXrefs | None:
    """The partner's snapshot, or ``None`` when its revision is still ``known``."""
    revision = _revision(conn, partner)
    if revision == known:
        return None
    rows = conn.execute(select(xrefs).where(xrefs.c.partner == partner)).all()
    found = {XrefKey(XrefKind(row.kind), row.partner_value): _reference(row) for row in rows}
    return PartnerXrefs(partner, revision, found)


def _revision(conn: Connection, partner: str) -> int:
    newest = select(func.max(xref_history.c.id)).where(xref_history.c.partner == partner)
    return int(conn.execute(newest).scalar() or 0)


def select_entries(
    conn: Connection, partner: str | None, kind: XrefKind | None
) -> list[CrossReference]:
    query = select(xrefs).order_by(xrefs.c.partner, xrefs.c.kind, xrefs.c.partner_value)
    if partner is not None:
        query = query.where(xrefs.c.partner == partner)
    if kind is not None:
        query = query.where(xrefs.c.kind == kind.value)
    return [_reference(row) for row in conn.execute(query)]


def changes(
    conn: Connection,
    partner: str | None,
    kind: XrefKind | None,
    partner_value: str | None,
    limit: int,
) -> list[XrefChange]:
    query = select(xref_history).order_by(xref_history.c.id.desc()).limit(limit)
    if partner is not None:
        query = query.where(xref_history.c.partner == partner)
    if kind is not None:
        query = query.where(xref_history.c.kind == kind.value)
    if partner_value is not None:
        query = query.where(xref_history.c.partner_value == partner_value)
    return [_change(row) for row in conn.execute(query)]


def plan(
    conn: Connection,
    change: Change,
    wanted: list[XrefEntry],
    only: XrefKey | None,
    replace: bool,
) -> XrefDiff:
    """What writing ``wanted`` would do to the stored mappings (only ``only``'s, if given)."""
    current = _current(conn, change.partner, only)
    return diff_entries(change.partner, current, wanted, replace=replace)


def apply(
    conn: Connection,
    change: Change,
    wanted: list[XrefEntry],
    only: XrefKey | None,
    replace: bool,
) -> XrefDiff:
    diff = plan(conn, change, wanted, only, replace)
    if diff.count:
        _write(conn, change, diff)
    return diff


def remove_one(conn: Connection, change: Change, key: XrefKey) -> CrossReference | None:
    row = conn.execute(select(xrefs).where(_row_of(change.partner, key))).first()
    if row is None:
        return None
    _write(conn, change, XrefDiff(change.partner, removed=(_reference(row).entry,)))
    return _reference(row)


def diff_entries(
    partner: str,
    current: Mapping[XrefKey, XrefEntry],
    wanted: Sequence[XrefEntry],
    *,
    replace: bool,
) -> XrefDiff:
    """Compare what is stored with what is wanted; two wanted entries of one key are refused."""
    seen: dict[XrefKey, XrefEntry] = {}
    for entry in wanted:
        if entry.key in seen:
            problem = FieldProblem("partner_value", f"{entry.partner_value!r} is given twice")
            raise XrefInvalid(f"importing {entry.kind} mappings for {partner}", [problem])
        seen[entry.key] = entry
    added = tuple(e for e in wanted if e.key not in current)
    changed = tuple((current[e.key], e) for e in wanted if e.key in current and current[e.key] != e)
    missing = tuple(e for key, e in sorted(current.items()) if key not in seen)
    return XrefDiff(
        partner,
        added=added,
        changed=changed,
        unchanged=len(wanted) - len(added) - len(changed),
        removed=missing if replace else (),
        absent=() if replace else missing,
    )


def _current(conn: Connection, partner: str, only: XrefKey | None) -> dict[XrefKey, XrefEntry]:
    where = xrefs.c.partner == partner if only is None else _row_of(partner, only)
    query = select(xrefs).where(where)
    return {ref.entry.key: ref.entry for ref in map(_reference, conn.execute(query))}


def _write(conn: Connection, change: Change, diff: XrefDiff) -> None:
    stamp = {"changed_by": change.actor, "changed_at": iso(change.at), "reason": change.reason}
    if diff.added:
        rows = [{"partner": change.partner, **_columns(e), **stamp} for e in diff.added]
        conn.execute(xrefs.insert(), rows)
    for _, after in diff.changed:
        values = {**_columns(after), **stamp}
        conn.execute(update(xrefs).where(_row_of(change.partner, after.key)).values(values))
    for gone in diff.removed:
        conn.execute(delete(xrefs).where(_row_of(change.partner, gone.key)))
    history = [
        *(_history(change, "added", None, e) for e in diff.added),
        *(_history(change, "changed", b, a) for b, a in diff.changed),
        *(_history(change, "removed", e, None) for e in diff.removed),
    ]
    conn.execute(xref_history.insert(), history)
    selection = f"partner={change.partner} {change.selection}"
    conn.execute(
        audit.insert().values(
            at=iso(change.at),
            actor=change.actor,
            action=change.audit_action,
            reason=change.reason,
            selection=selection,
            count=diff.count,
        )
    )


def _row_of(partner: str, key: XrefKey) -> Any:
    return and_(
        xrefs.c.partner == partner,
        xrefs.c.kind == key.kind.value,
        xrefs.c.partner_value == key.partner_value,
    )


def _columns(entry: XrefEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind.value,
        "partner_value": entry.partner_value,
        "our_value": entry.our_value,
        "partner_uom": entry.partner_uom,
        "factor": None if entry.factor is None else factor_text(entry.factor),
    }


def _history(
    change: Change, action: str, before: XrefEntry | None, after: XrefEntry | None
) -> dict[str, Any]:
    entry = after or before
    assert entry is not None
    return {
        "partner": change.partner,
        "kind": entry.kind.value,
        "partner_value": entry.partner_value,
        "action": action,
        "before": _side(before),
        "after": _side(after),
        "changed_by": change.actor,
        "changed_at": iso(change.at),
        "reason": change.reason,
    }


def _side(entry: XrefEntry | None) -> str | None:
    if entry is None:
        return None
    values = _columns(entry)
    return json.dumps({k: values[k] for k in ("our_value", "partner_uom", "factor")})


def _entry_of(kind: XrefKind, partner_value: str, side: str | None) -> XrefEntry | None:
    if side is None:
        return None
    values = json.loads(side)
    factor = values["factor"]
    return XrefEntry(
        kind,
        partner_value,
        values["our_value"],
        values["partner_uom"],
        None if factor is None else Decimal(factor),
    )


def _reference(row: Row[Any]) -> CrossReference:
    return CrossReference(
        partner=row.partner,
        kind=XrefKind(row.kind),
        partner_value=row.partner_value,
        our_value=row.our_value,
        partner_uom=row.partner_uom,
        factor=None if row.factor is None else Decimal(row.factor),
        changed_by=row.changed_by,
        changed_at=datetime.fromisoformat(row.changed_at),
        reason=row.reason,
    )


def _change(row: Row[Any]) -> XrefChange:
    kind = XrefKind(row.kind)
    return XrefChange(
        id=row.id,
        partner=row.partner,
        kind=kind,
        partner_value=row.partner_value,
        action=row.action,
        before=_entry_of(kind, row.partner_value, row.before),
        after=_entry_of(kind, row.partner_value, row.after),
        changed_by=row.changed_by,
        changed_at=datetime.fromisoformat(row.changed_at),
        reason=row.reason,
    )
