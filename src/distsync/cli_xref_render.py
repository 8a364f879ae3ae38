"""How ``distsync xref`` shows mappings, their history and what a change or an import did.

Tables for people and JSON for scripts, like ``cli_render``; factors print
as plain decimals (``12``, ``0.5``), in JSON as strings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from distsync import cli_render as render
from distsync.store.ports import (
    CrossReference,
    XrefChange,
    XrefDiff,
    XrefEntry,
    XrefKey,
    factor_text,
)


@dataclass(frozen=True)
class XrefView:
    """One mapping (``None`` once removed) and its history, newest first."""

    reference: CrossReference | None
    history: Sequence[XrefChange]


def emit_json(value: Any) -> None:
    text = json.dumps(_plain(value), default=_decimal, indent=2, ensure_ascii=False)
    sys.stdout.write(text + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, XrefDiff):
        return diff_json(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return render.jsonable(value)


def diff_json(diff: XrefDiff) -> dict[str, Any]:
    entries = render.jsonable
    return {
        "partner": diff.partner,
        "dry_run": diff.dry_run,
        "added": entries(diff.added),
        "changed": [{"before": entries(b), "after": entries(a)} for b, a in diff.changed],
        "unchanged": diff.unchanged,
        "removed": entries(diff.removed),
        "absent": entries(diff.absent),
    }


def _decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return factor_text(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _factor(value: Decimal | None) -> str | None:
    return None if value is None else factor_text(value)


def side(entry: XrefEntry | None) -> str:
    """What a partner value means in one version of a mapping: ``FAS-1 (CS of 12)``."""
    if entry is None:
        return "-"
    return entry.describe().split(" → ", 1)[1]


REFERENCE_COLUMNS: list[render.Column] = [
    ("partner", lambda r: r.partner),
    ("kind", lambda r: r.kind.value),
    ("partner value", lambda r: r.partner_value),
    ("our value", lambda r: r.our_value),
    ("partner uom", lambda r: r.partner_uom),
    ("factor", lambda r: _factor(r.factor)),
    ("changed by", lambda r: r.changed_by),
    ("changed at", lambda r: render.when(r.changed_at)),
    ("reason", lambda r: render.short(r.reason)),
]
HISTORY_COLUMNS: list[render.Column] = [
    ("id", lambda c: c.id),
    ("at", lambda c: render.when(c.changed_at)),
    ("by", lambda c: c.changed_by),
    ("partner", lambda c: c.partner),
    ("kind", lambda c: c.kind.value),
    ("partner value", lambda c: c.partner_value),
    ("action", lambda c: c.action),
    ("before", lambda c: side(c.before)),
    ("after", lambda c: side(c.after)),
    ("reason", lambda c: render.short(c.reason)),
]


def references_table(references: Sequence[CrossReference]) -> None:
    render.show_table(REFERENCE_COLUMNS, references, "mapping")


def history_table(changes: Sequence[XrefChange]) -> None:
    render.show_table(HISTORY_COLUMNS, changes, "change")


def xref_view(partner: str, key: XrefKey, view: XrefView) -> None:
    ref = view.reference
    pairs: list[tuple[str, object]] = [("partner", partner), ("kind", key.kind.value)]
    pairs.append(("partner value", key.partner_value))
    if ref is None:
        pairs.append(("mapped to", "nothing now (removed)"))
    else:
        pairs += [
            ("our value", ref.our_value),
            ("partner uom", ref.partner_uom),
            ("factor", _factor(ref.factor)),
            ("changed by", ref.changed_by),
            ("changed at", render.when(ref.changed_at)),
            ("reason", ref.reason),
        ]
    render.console().print(render.fields("Mapping", pairs))
    render.console().print(render.records_table("History", HISTORY_COLUMNS, view.history))


def diff_lines(diff: XrefDiff) -> None:
    """One line per mapping added, changed or removed (would be, in a dry run)."""
    added, changed, removed = (
        ("would add", "would change", "would remove")
        if diff.dry_run
        else ("added", "changed", "removed")
    )
    for entry in diff.added:
        render.say(f"{added} {entry.kind} {entry.describe()} for {diff.partner}", "green")
    for before, after in diff.changed:
        what = f"{after.kind} {after.partner_value} of {diff.partner}"
        render.say(f"{changed} {what}: {side(before)} → {side(after)}", "green")
    for entry in diff.removed:
        render.say(f"{removed} {entry.kind} {entry.describe()} of {diff.partner}", "green")


def put_result(diff: XrefDiff) -> None:
    diff_lines(diff)
    if not diff.count:
        render.say(f"unchanged: {diff.partner} already has that mapping")


def import_summary(diff: XrefDiff, source: str) -> None:
    diff_lines(diff)
    counts = (
        f"{len(diff.added)} added, {len(diff.changed)} changed, "
        f"{diff.unchanged} unchanged, {len(diff.removed)} removed"
    )
    render.say(f"{diff.partner} from {source}: {counts}")
    if diff.absent:
        render.print_warning(
            f"{render.plural(len(diff.absent), 'mapping')} of {diff.partner} not in {source} "
            "kept (--replace removes them)"
        )
    if diff.dry_run:
        render.say("dry run: nothing changed")
