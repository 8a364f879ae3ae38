"""The commands for what went wrong: dead letters, replay and the exceptions work queue.

Every command has one shape: the landscape named by the global options, the
services from ``bootstrap.build``, one call on the backend's ports, then a
table for people or ``--json`` for scripts. ``Session`` and ``run`` are the
plumbing ``cli.py`` shares. Replays always carry who (``--by``) and why
(``--reason``): the backend records both in the audit trail.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from distsync import cli_render as render
from distsync.bootstrap import Services, build
from distsync.config import Landscape, default_landscape
from distsync.connectors.registry import system_validators
from distsync.errors import DistsyncError
from distsync.landscape import load_landscape
from distsync.runtime import replay_scope
from distsync.runtime.ports import (
    EventFilter,
    LogInspector,
    RecordStatus,
    ReplaySelection,
)
from distsync.runtime.records import offered_resolutions

T = TypeVar("T")

LARGE_REPLAY = 1000
ALL_RECORDS = 10_000_000


class CommandRefused(DistsyncError):
    """A command that cannot do what was asked: nothing selected, no such record."""


class Source(StrEnum):
    EVENTS = "events"
    DEAD_LETTERS = "dead_letters"
    EXCEPTIONS = "exceptions"


@dataclass(frozen=True)
class Session:
    """What the global options chose: the landscape file (or the default landscape)."""

    landscape_file: Path | None = None

    def landscape(self) -> Landscape:
        if self.landscape_file is None:
            return default_landscape(Path.cwd())
        return load_landscape(self.landscape_file, system_validators())


def session(ctx: typer.Context) -> Session:
    found = ctx.find_object(Session)
    return found if found is not None else Session()


def run(ctx: typer.Context, work: Callable[[Services], Awaitable[T]]) -> T:
    """Build the services, do the command's async work in one event loop, close them."""
    landscape = session(ctx).landscape()
    return asyncio.run(_with_services(landscape, work))


async def _with_services(landscape: Landscape, work: Callable[[Services], Awaitable[T]]) -> T:
    services = build(landscape)
    try:
        return await work(services)
    finally:
        await services.close()


def parse_moment(text: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = f"{text!r} is not an ISO 8601 time such as 2026-01-05T09:00Z"
        raise typer.BadParameter(message) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def required_text(value: str, name: str) -> str:
    if not value.strip():
        raise CommandRefused(f"{name} must not be empty: it is recorded in the audit trail")
    return value


Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
Limit = Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")]
All = Annotated[bool, typer.Option("--all", help="Include closed records (replayed, resolved).")]
Types = Annotated[
    list[str] | None, typer.Option("--type", help="Event type or pattern (asn.*); repeatable.")
]
Partner = Annotated[str | None, typer.Option("--partner", help="Partner name.")]
Since = Annotated[datetime | None, typer.Option(parser=parse_moment, help="Received from (ISO).")]
Until = Annotated[datetime | None, typer.Option(parser=parse_moment, help="Received before (ISO).")]
Correlation = Annotated[str | None, typer.Option("--correlation", help="Correlation id.")]
Reason = Annotated[str, typer.Option("--reason", help="Why: recorded in the audit trail.")]
Actor = Annotated[str, typer.Option("--by", envvar="USER", help="Who: recorded in the audit.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Replay more than 1000 without asking.")]
Events = Annotated[list[str] | None, typer.Option("--event", help="Event id; repeatable.")]
Subscriptions = Annotated[
    list[str] | None, typer.Option("--subscription", help="Re-deliver only to it; repeatable.")
]
SourceOption = Annotated[Source, typer.Option("--source", help="What to run again.")]
ReasonCode = Annotated[str | None, typer.Option(help="Exception reason code or error class.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Count what would be replayed.")]


def event_filter(
    types: list[str] | None,
    partner: str | None,
    since: datetime | None,
    until: datetime | None,
    correlation: str | None,
    event_ids: list[str] | None = None,
) -> EventFilter:
    return EventFilter(
        types=tuple(types or ()),
        partner=partner,
        since=since,
        until=until,
        correlation_id=correlation,
        event_ids=tuple(event_ids or ()),
    )


# -- dead letters ------------------------------------------------------------------

dlq_app = typer.Typer(help="The dead-letter store: failed deliveries.", no_args_is_help=True)


@dlq_app.command("list")
def list_dead_letters(
    ctx: typer.Context, everything: All = False, limit: Limit = 100, as_json: Json = False
) -> None:
    """List open dead letters, newest first (--all: replayed ones too)."""
    status = None if everything else RecordStatus.OPEN
    records = run(ctx, lambda s: s.backend.dead_letters(status=status, limit=limit))
    render.emit_json(records) if as_json else render.dead_letters_table(records)


@dlq_app.command("show")
def show_dead_letter(ctx: typer.Context, dead_letter_id: int, as_json: Json = False) -> None:
    """Show one dead letter: error, traceback, attempt history and payload."""
    record = run(ctx, lambda s: s.backend.dead_letter(dead_letter_id))
    if record is None:
        raise CommandRefused(f"showing dead letter {dead_letter_id}: no such dead letter")
    render.emit_json(record) if as_json else render.dead_letter_detail(record)


@dlq_app.command("replay")
def replay_dead_letters(
    ctx: typer.Context,
    reason: Reason,
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every open dead letter.")] = False,
    actor: Actor = "unknown",
    yes: Yes = False,
) -> None:
    """Run dead letters again: the given ids, or every open one with --all."""
    if bool(ids) == everything:
        raise CommandRefused("replaying dead letters: give dead letter ids or --all (not both)")
    why = required_text(reason, "--reason")
    wanted = tuple(str(i) for i in ids or ())
    selection = ReplaySelection(source=Source.DEAD_LETTERS.value, ids=wanted)
    count = run(ctx, lambda s: replay_selected(s, selection, actor, why, yes))
    render.say(f"replayed {describe(Source.DEAD_LETTERS, count)}", "green")
    if wanted and count < len(wanted):
        render.print_warning(
            f"{len(wanted) - count} of the ids given are not open dead letters "
            "(already replayed, or no such id): see `distsync dlq list --all`"
        )


# -- replay -----------------------------------------------------------------------


def replay(
    ctx: typer.Context,
    reason: Reason,
    types: Types = None,
    partner: Partner = None,
    since: Since = None,
    until: Until = None,
    correlation: Correlation = None,
    event_ids: Events = None,
    subscriptions: Subscriptions = None,
    source: SourceOption = Source.EVENTS,
    reason_code: ReasonCode = None,
    actor: Actor = "unknown",
    dry_run: DryRun = False,
    yes: Yes = False,
) -> None:
    """Run stored events, dead letters or exceptions again, selected by filter; audited."""
    selection = ReplaySelection(
        source=source.value,
        filter=event_filter(types, partner, since, until, correlation, event_ids),
        reason_code=reason_code,
        subscriptions=tuple(subscriptions or ()),
    )
    check_selection(selection)
    why = required_text(reason, "--reason")
    if dry_run:
        count = run(ctx, lambda s: count_selected(s.backend, selection))
        render.say(
            f"dry run: {describe(selection.source, count)} would be replayed; nothing changed"
        )
        return
    created = run(ctx, lambda s: replay_selected(s, selection, actor, why, yes))
    render.say(f"replayed: {created} deliveries created", "green")
    if created == 0:
        render.print_warning("nothing matched, or no registered subscription takes those events")


def check_selection(selection: ReplaySelection) -> None:
    if selection.source == Source.EVENTS and selection.reason_code is not None:
        raise CommandRefused("--reason-code selects dead letters or exceptions, not events")
    if selection.filter == EventFilter() and not (selection.subscriptions or selection.reason_code):
        raise CommandRefused(
            "replaying: nothing selected; narrow it with --type, --partner, --since, --until, "
            "--correlation, --event, --subscription or --reason-code"
        )


def describe(source: str, count: int) -> str:
    noun = {"events": "event", "dead_letters": "dead letter", "exceptions": "exception"}[source]
    return render.plural(count, noun)


async def replay_selected(
    services: Services, selection: ReplaySelection, actor: str, reason: str, yes: bool
) -> int:
    if not yes:
        with render.busy("counting what the replay selects"):
            planned = await count_selected(services.backend, selection)
        confirm_large(describe(selection.source, planned), planned)
    with render.busy("replaying"):
        return await services.backend.requeue(selection, actor=actor, reason=reason)


def confirm_large(what: str, count: int) -> None:
    if count <= LARGE_REPLAY:
        return
    if not sys.stdin.isatty():
        raise CommandRefused(f"replaying {what}: more than {LARGE_REPLAY}; add --yes to go ahead")
    typer.confirm(f"Replay {what}?", abort=True)


async def count_selected(backend: LogInspector, selection: ReplaySelection) -> int:
    """How many events or open records a replay would select, read without writing."""
    return await replay_scope.count_selected(backend, selection, limit=ALL_RECORDS)


# -- exceptions --------------------------------------------------------------------

exceptions_app = typer.Typer(
    help="The exceptions work queue: business cases parked for a person.", no_args_is_help=True
)


@exceptions_app.command("list")
def list_exceptions(
    ctx: typer.Context,
    reason_code: Annotated[
        str | None, typer.Option("--reason-code", help="Only this reason.")
    ] = None,
    everything: All = False,
    limit: Limit = 100,
    as_json: Json = False,
) -> None:
    """List open exceptions, newest first (--all: closed ones too)."""
    status = None if everything else RecordStatus.OPEN
    records = run(
        ctx, lambda s: s.backend.exceptions(status=status, reason_code=reason_code, limit=limit)
    )
    render.emit_json(records) if as_json else render.exceptions_table(records)


@exceptions_app.command("show")
def show_exception(ctx: typer.Context, exception_id: int, as_json: Json = False) -> None:
    """Show one exception: reason, document, message, facts and the resolutions offered."""
    record = run(ctx, lambda s: s.backend.exception(exception_id))
    if record is None:
        raise CommandRefused(f"showing exception {exception_id}: no such exception")
    if as_json:
        offered = [{"action": a, "label": label} for a, label in offered_resolutions(record)]
        render.emit_json({**render.jsonable(record), "offered": offered})
    else:
        render.exception_detail(record)


@exceptions_app.command("resolve")
def resolve_exception(
    ctx: typer.Context,
    exception_id: int,
    action: Annotated[str, typer.Option("--action", help="One of the offered resolutions.")],
    note: Annotated[str, typer.Option("--note", help="Why: recorded in the audit trail.")],
    actor: Actor = "unknown",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="NAME=VALUE the action needs, e.g. --param sku=FAS-10432 (repeatable).",
        ),
    ] = None,
) -> None:
    """Close an exception with one of the resolutions it offers (replay runs it again)."""
    why = required_text(note, "--note")
    values = parse_params(param or [])
    record = run(
        ctx,
        lambda s: s.backend.resolve(
            exception_id, action=action, actor=actor, note=why, params=values
        ),
    )
    render.say(f"exception {exception_id}: {record.status.value} ({action}) by {actor}", "green")


def parse_params(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs from ``--param``; a pair without ``=`` or a name is refused."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandRefused(f"--param {item!r}: write NAME=VALUE, e.g. --param sku=FAS-10432")
        values[name.strip()] = value
    return values
