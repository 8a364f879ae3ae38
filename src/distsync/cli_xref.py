"""``distsync xref``: partner cross-references, kept by people, read by the flows.

Commands that change mappings (``add``, ``remove``, ``import``, ``sync``)
record who (``--by``) and why (``--reason``) with every mapping they touch,
and one line in the audit trail. ``import`` and ``sync`` are all or
nothing: a sheet with a bad row changes nothing and lists every problem with
its line; ``--dry-run`` shows what would change.

``sync`` loads the ``sku_xref`` file the landscape names for each partner.
It is a command, not a step of ``serve``: mappings also change through
the API and the exceptions work queue ("map SKU"), and loading a sheet on
every start would put old values back over those without anyone asking, and
a typo in a sheet would stop the server from starting.
"""

from __future__ import annotations

import asyncio
import difflib
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from distsync import cli_render as render
from distsync import cli_xref_render as show
from distsync.cli_ops import Actor, CommandRefused, Json, Limit, Reason, required_text, session
from distsync.config import Landscape
from distsync.store.ports import (
    CrossReferences,
    FieldProblem,
    XrefDiff,
    XrefEntry,
    XrefInvalid,
    XrefKey,
    XrefKind,
)
from distsync.store.xref import SqlCrossReferences
from distsync.xref_csv import decode_sheet, parse_factor, read_sheet, write_sheet

T = TypeVar("T")

xref_app = typer.Typer(
    help="Partner cross-references: SKUs, units and warehouses.", no_args_is_help=True
)

PartnerName = Annotated[str, typer.Option("--partner", "-p", help="Partner, as in the landscape.")]
AnyPartner = Annotated[str | None, typer.Option("--partner", "-p", help="Only this partner.")]
Kind = Annotated[XrefKind, typer.Option("--kind", "-k", help="What the mapping translates.")]
AnyKind = Annotated[XrefKind | None, typer.Option("--kind", "-k", help="Only this kind.")]
PartnerValue = Annotated[str, typer.Argument(help="The partner's SKU, unit code or ship-to.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]
Replace = Annotated[
    bool, typer.Option("--replace", help="Also remove the partner's mappings the sheet lacks.")
]


def with_xrefs(ctx: typer.Context, work: Callable[[CrossReferences, Landscape], Awaitable[T]]) -> T:
    """Open the landscape's cross-references, do the command's work, close them."""
    landscape = session(ctx).landscape()
    return asyncio.run(_opened(landscape, work))


async def _opened(
    landscape: Landscape, work: Callable[[CrossReferences, Landscape], Awaitable[T]]
) -> T:
    xrefs = SqlCrossReferences.open(landscape.runtime.database_url)
    try:
        return await work(xrefs, landscape)
    finally:
        await xrefs.close()


def declared(landscape: Landscape, partner: str, action: str) -> str:
    """``partner`` when the landscape declares it; else a refusal that suggests one."""
    if partner in landscape.partners:
        return partner
    names = sorted(landscape.partners)
    close = difflib.get_close_matches(partner, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f" (it has: {', '.join(names) or 'none'})"
    raise CommandRefused(f"{action}: the landscape declares no partner {partner!r}{hint}")


@xref_app.command("list")
def list_xrefs(
    ctx: typer.Context, partner: AnyPartner = None, kind: AnyKind = None, as_json: Json = False
) -> None:
    """List mappings by partner, kind and partner value."""
    found = with_xrefs(ctx, lambda x, _: x.entries(partner, kind))
    show.emit_json(found) if as_json else show.references_table(found)


@xref_app.command("show")
def show_xref(
    ctx: typer.Context,
    partner_value: PartnerValue,
    partner: PartnerName,
    kind: Kind = XrefKind.SKU,
    limit: Limit = 20,
    as_json: Json = False,
) -> None:
    """Show one mapping and its history: who mapped what, when and why."""
    key = XrefKey(kind, partner_value)

    async def work(xrefs: CrossReferences, _: Landscape) -> show.XrefView:
        table = await xrefs.table(partner)
        history = await xrefs.history(partner, kind=kind, partner_value=partner_value, limit=limit)
        return show.XrefView(table.get(*key), history)

    view = with_xrefs(ctx, work)
    if view.reference is None and not view.history:
        raise CommandRefused(f"showing {kind} {partner_value!r} of {partner}: no such mapping")
    show.emit_json(view) if as_json else show.xref_view(partner, key, view)


@xref_app.command("add")
def add_xref(
    ctx: typer.Context,
    partner_value: PartnerValue,
    our_value: Annotated[str, typer.Argument(help="Our SKU, unit code or warehouse id.")],
    partner: PartnerName,
    reason: Reason,
    kind: Kind = XrefKind.SKU,
    partner_uom: Annotated[
        str | None, typer.Option("--partner-uom", help="The unit the partner sells it in (sku).")
    ] = None,
    factor: Annotated[
        str | None, typer.Option("--factor", help="How many of our base unit one holds (sku).")
    ] = None,
    actor: Actor = "unknown",
) -> None:
    """Add a mapping, or change the one the partner value has."""
    why = required_text(reason, "--reason")
    action = f"mapping {kind} {partner_value!r} for {partner}"
    entry = XrefEntry(kind, partner_value, our_value, partner_uom, _factor(factor, action))

    async def work(xrefs: CrossReferences, landscape: Landscape) -> XrefDiff:
        name = declared(landscape, partner, action)
        return await xrefs.put(name, entry, actor=actor, reason=why)

    show.put_result(with_xrefs(ctx, work))


def _factor(text: str | None, action: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return parse_factor(text)
    except ValueError as exc:
        raise XrefInvalid(action, [FieldProblem("factor", str(exc))]) from None


@xref_app.command("remove")
def remove_xref(
    ctx: typer.Context,
    partner_value: PartnerValue,
    partner: PartnerName,
    reason: Reason,
    kind: Kind = XrefKind.SKU,
    actor: Actor = "unknown",
) -> None:
    """Remove a mapping; its history stays."""
    why = required_text(reason, "--reason")
    key = XrefKey(kind, partner_value)
    removed = with_xrefs(ctx, lambda x, _: x.remove(partner, key, actor=actor, reason=why))
    if removed is None:
        raise CommandRefused(f"removing {kind} {partner_value!r} of {partner}: no such mapping")
    render.say(f"removed {kind} {removed.entry.describe()} of {partner}", "green")


@xref_app.command("import")
def import_xrefs(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="CSV sheet; - reads standard input.")],
    partner: PartnerName,
    reason: Reason,
    actor: Actor = "unknown",
    dry_run: DryRun = False,
    replace: Replace = False,
    as_json: Json = False,
) -> None:
    """Import a sheet for one partner: every row, or none."""
    why = required_text(reason, "--reason")
    shown = "stdin" if file == "-" else file
    entries = read_sheet(decode_sheet(_read_bytes(file, shown), source=shown), source=shown)

    async def work(xrefs: CrossReferences, landscape: Landscape) -> XrefDiff:
        name = declared(landscape, partner, f"importing {shown}")
        return await xrefs.load(
            name, entries, actor=actor, reason=why, source=shown, replace=replace, dry_run=dry_run
        )

    diff = with_xrefs(ctx, work)
    show.emit_json(diff) if as_json else show.import_summary(diff, shown)


def _read_bytes(name: str, shown: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise CommandRefused(f"reading {shown}: {exc.strerror or exc}") from exc


@xref_app.command("export")
def export_xrefs(
    ctx: typer.Context,
    partner: PartnerName,
    kind: AnyKind = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """Write a partner's mappings as a sheet that import reads back."""
    found = with_xrefs(ctx, lambda x, _: x.entries(partner, kind))
    sheet = write_sheet(ref.entry for ref in found)
    if output is None:
        sys.stdout.write(sheet)
        return
    try:
        output.write_text(sheet, encoding="utf-8")
    except OSError as exc:
        raise CommandRefused(f"writing {output}: {exc.strerror or exc}") from exc
    render.say(f"wrote {render.plural(len(found), 'mapping')} of {partner} to {output}", "green")


@xref_app.command("sync")
def sync_xrefs(
    ctx: typer.Context,
    reason: Reason,
    partner: AnyPartner = None,
    actor: Actor = "unknown",
    dry_run: DryRun = False,
    replace: Replace = False,
    as_json: Json = False,
) -> None:
    """Load each partner's sku_xref file named in the landscape (all checked before any loads)."""
    why = required_text(reason, "--reason")
    landscape = session(ctx).landscape()
    sheets = {
        name: (path, _landscape_sheet(name, path))
        for name, path in _xref_files(landscape, partner).items()
    }

    async def work(xrefs: CrossReferences, _: Landscape) -> list[XrefDiff]:
        return [
            await xrefs.load(
                name, rows, actor=actor, reason=why, source=path, replace=replace, dry_run=dry_run
            )
            for name, (path, rows) in sheets.items()
        ]

    diffs = with_xrefs(ctx, work)
    if as_json:
        show.emit_json(diffs)
        return
    for diff in diffs:
        show.import_summary(diff, sheets[diff.partner][0])


def _landscape_sheet(partner: str, path: str) -> list[XrefEntry]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        where = f"partners.{partner}.sku_xref ({path})"
        raise CommandRefused(f"syncing {partner}: reading {where}: {exc.strerror or exc}") from exc
    return read_sheet(decode_sheet(raw, source=path), source=path)


def _xref_files(landscape: Landscape, partner: str | None) -> dict[str, str]:
    if partner is not None:
        declared(landscape, partner, "syncing cross-references")
        path = landscape.partners[partner].sku_xref
        if path is None:
            raise CommandRefused(f"syncing {partner}: partners.{partner}.sku_xref names no file")
        return {partner: path}
    files = {n: p.sku_xref for n, p in sorted(landscape.partners.items()) if p.sku_xref}
    if not files:
        raise CommandRefused("syncing cross-references: no partner in the landscape has sku_xref")
    return files


@xref_app.command("history")
def xref_history(
    ctx: typer.Context,
    partner: AnyPartner = None,
    kind: AnyKind = None,
    partner_value: Annotated[str | None, typer.Argument(help="Only this partner value.")] = None,
    limit: Limit = 100,
    as_json: Json = False,
) -> None:
    """Changes to mappings, newest first: who mapped what, when and why."""
    found = with_xrefs(
        ctx,
        lambda x, _: x.history(partner, kind=kind, partner_value=partner_value, limit=limit),
    )
    show.emit_json(found) if as_json else show.history_table(found)
