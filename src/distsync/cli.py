"""The ``distsync`` command.

Each command reads the landscape (``--landscape``, ``$DISTSYNC_LANDSCAPE``,
or the default landscape of the working folder), builds the services, makes
one call and shows the answer. Expected failures are ``DistsyncError``s:
``main`` prints them as one red line on stderr and exits 1, or 2 for
rejected input, never with a traceback. ``docs/cli.md`` is the reference.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from distsync import cli_render as render
from distsync import server
from distsync.bootstrap import Services, build
from distsync.cli_auth import auth_app
from distsync.cli_edi import edi_app
from distsync.cli_erp import erp_app
from distsync.cli_feed import feed_app
from distsync.cli_ops import (
    CommandRefused,
    Correlation,
    Json,
    Limit,
    Partner,
    Session,
    Since,
    Types,
    Until,
    dlq_app,
    event_filter,
    exceptions_app,
    replay,
    run,
    session,
)
from distsync.cli_procure import procure_app
from distsync.cli_reconcile import reconcile_app
from distsync.cli_xref import xref_app
from distsync.config import Landscape
from distsync.connectors.registry import system_validators
from distsync.errors import DistsyncError, MalformedDocument, PermanentError
from distsync.landscape import check_landscape
from distsync.model import schemas
from distsync.model.envelope import Envelope
from distsync.runtime.ports import AppendResult, DeliveryState, LogStats
from distsync.store import migrate
from distsync.store.engine import open_sqlite, sqlite_path
from distsync.telemetry import configure_logging

EXIT_FAILED = 1
EXIT_REJECTED = 2

app = typer.Typer(
    help="distsync: the synchronisation backbone between ERP, warehouses, partners and channels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The landscape's database schema.", no_args_is_help=True)
schema_app = typer.Typer(help="JSON Schemas of the canonical documents.", no_args_is_help=True)
messages_app = typer.Typer(help="Find and inspect stored events.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")
app.add_typer(messages_app, name="messages")
app.add_typer(edi_app, name="edi")
app.add_typer(erp_app, name="erp")
app.add_typer(dlq_app, name="dlq")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(xref_app, name="xref")
app.add_typer(procure_app, name="procure")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(feed_app, name="feed")
app.add_typer(auth_app, name="auth")


@app.callback()
def options(
    ctx: typer.Context,
    landscape: Annotated[
        Path | None,
        typer.Option(
            "--landscape",
            "-l",
            envvar="DISTSYNC_LANDSCAPE",
            help="Landscape file (default: the embedded landscape, var/distsync.sqlite here).",
        ),
    ] = None,
) -> None:
    configure_logging("warning")  # JSON lines on stderr, so stdout stays the command's answer
    ctx.obj = Session(landscape)


# -- check, db, schema ------------------------------------------------------------


@app.command()
def check(file: Annotated[Path, typer.Argument(help="Landscape file to check.")]) -> None:
    """Check a landscape file without connecting to anything."""
    report = check_landscape(file, system_validators())
    render.check_report(report)
    render.say(render.check_summary(str(file), report), "green" if report.ok else "red")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database to the newest schema (creating it if missing)."""
    engines = open_sqlite(session(ctx).landscape().runtime.database_url)
    try:
        before, after = migrate.upgrade(engines.writer)
    finally:
        engines.dispose()
    if before == after:
        render.say(f"{engines.path}: already at {after}")
    else:
        render.say(f"{engines.path}: {before or '(empty)'} → {after}", "green")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the database's schema revision."""
    url = session(ctx).landscape().runtime.database_url
    head = migrate.head_revision()
    if not sqlite_path(url).exists():
        render.say(f"{sqlite_path(url)}: no database yet (`distsync db upgrade` creates it)")
        return
    engines = open_sqlite(url)
    try:
        current = migrate.current_revision(engines.writer)
    finally:
        engines.dispose()
    state = "up to date" if current == head else f"head is {head}: run `distsync db upgrade`"
    render.say(f"{sqlite_path(url)}: {current or '(empty)'} ({state})")


@schema_app.command("export")
def schema_export(directory: Annotated[Path, typer.Argument(help="Folder to write to.")]) -> None:
    """Write the JSON Schema of every document and of the envelope."""
    with render.busy("writing schemas"):
        written = schemas.export_schemas(directory)
    for path in written:
        render.say(str(path))
    render.say(f"{len(written)} schemas written", "green")


@schema_app.command("lock")
def schema_lock() -> None:
    """Record new schema versions in the lock file; never rewrites a recorded one."""
    added = schemas.update_lock()
    for entry in added:
        render.say(f"recorded {entry}", "green")
    render.say(f"{len(added)} versions recorded" if added else "the lock is up to date")


@schema_app.command("check")
def schema_check() -> None:
    """Compare the models with the lock file; exit 1 when a model changed without a bump."""
    problems = schemas.check_lock()
    for problem in problems:
        render.print_error(problem)
    if problems:
        raise typer.Exit(EXIT_FAILED)
    render.say(f"{len(schemas.locked_specs())} schemas match the lock", "green")


# -- submit, stats, audit ----------------------------------------------------------


@app.command()
def submit(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(help="JSON envelope files; - reads stdin.")],
    as_json: Json = False,
) -> None:
    """Validate envelopes and append them to the log: all of them, or none."""
    documents = [document for name in files for document in read_documents(name)]
    result = run(ctx, lambda s: accept(s, documents))
    render.emit_json(result) if as_json else render.append_result(result)


def read_documents(name: str) -> list[tuple[str, bytes]]:
    """The raw envelopes in one file (an object or an array), each named for errors."""
    shown = "stdin" if name == "-" else name
    raw = _read_bytes(name, shown)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"reading {shown}: not valid JSON: {exc}") from exc
    if isinstance(parsed, list):
        return [(f"{shown}[{i}]", orjson.dumps(item)) for i, item in enumerate(parsed)]
    return [(shown, raw)]


def _read_bytes(name: str, shown: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise CommandRefused(f"reading {shown}: {exc.strerror or exc}") from exc


async def accept(services: Services, documents: list[tuple[str, bytes]]) -> AppendResult:
    envelopes = [_parse(services, origin, raw) for origin, raw in documents]
    return await services.intake.accept(envelopes)


def _parse(services: Services, origin: str, raw: bytes) -> Envelope:
    try:
        return services.intake.parse(raw, origin=origin)
    except PermanentError as exc:
        if origin in str(exc):
            raise
        raise PermanentError(f"reading {origin}: {exc}") from exc


@app.command()
def stats(ctx: typer.Context, as_json: Json = False) -> None:
    """Counts of the log and, per subscription, its backlog and lag."""
    numbers, now = run(ctx, _stats_now)
    render.emit_json(numbers) if as_json else render.stats_view(numbers, now)


async def _stats_now(services: Services) -> tuple[LogStats, datetime]:
    return await services.backend.stats(), services.clock()


@app.command()
def audit(ctx: typer.Context, limit: Limit = 100, as_json: Json = False) -> None:
    """The audit trail of replays and resolutions, newest first."""
    entries = run(ctx, lambda s: s.backend.audit(limit=limit))
    render.emit_json(entries) if as_json else render.audit_table(entries)


# -- messages -------------------------------------------------------------------


@messages_app.command("list")
def list_messages(
    ctx: typer.Context,
    types: Types = None,
    partner: Partner = None,
    since: Since = None,
    until: Until = None,
    correlation: Correlation = None,
    limit: Limit = 50,
    as_json: Json = False,
) -> None:
    """List stored events, newest first."""
    chosen = event_filter(types, partner, since, until, correlation)
    events = run(ctx, lambda s: s.backend.list_events(chosen, limit=limit))
    render.emit_json(events) if as_json else render.events_table(events)


@messages_app.command("show")
def show_message(ctx: typer.Context, event_id: str, as_json: Json = False) -> None:
    """Show one event: header, payload, attempts, and where it stands per subscription."""
    view = run(ctx, lambda s: event_view(s, event_id))
    render.emit_json(view) if as_json else render.event_view(view)


async def event_view(services: Services, event_id: str) -> render.EventView:
    stored = await services.backend.get_event(event_id)
    if stored is None:
        raise CommandRefused(f"showing event {event_id}: no such event")
    attempts = await services.backend.attempts(event_id)
    places = [
        render.Whereabouts(s.subscription, _state_text(s), s.record)
        for s in await services.backend.delivery_states(event_id)
    ]
    note = "" if places else "No registered subscription takes this event type."
    return render.EventView(stored, attempts, places, note)


def _state_text(state: DeliveryState) -> str:
    label = state.state.value.replace("_", " ")
    return f"{label}: {state.detail}" if state.detail else label


app.command("replay")(replay)


# -- serve, demo -------------------------------------------------------------------


@app.command()
def serve(
    ctx: typer.Context,
    role: Annotated[server.Role, typer.Option("--role", help="What this process runs.")] = (
        server.Role.ALL
    ),
    host: Annotated[str | None, typer.Option("--host", help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535)] = None,
) -> None:
    """Run the API and/or the worker until SIGTERM or SIGINT; logs JSON lines to stderr."""
    landscape = session(ctx).landscape()
    configure_logging(landscape.runtime.log_level)
    http = landscape.runtime.http
    listen = (host or http.host, http.port if port is None else port)
    asyncio.run(_serve(landscape, role, listen))


async def _serve(landscape: Landscape, role: server.Role, listen: tuple[str, int]) -> None:
    services = build(landscape)  # serve() closes it
    host, port = listen
    await server.serve(services, role=role, host=host, port=port, stop=asyncio.Event())


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's landscape and database.")
    ] = Path(),
) -> None:
    """Run the demo landscape end to end and check its outcome; exit 0 when it holds."""
    from distsync.demo import run_demo  # noqa: PLC0415 - it loads simulators: only when asked

    raise typer.Exit(run_demo(directory.resolve()))


# -- the edge ------------------------------------------------------------------------


def exit_code(error: DistsyncError) -> int:
    return EXIT_REJECTED if isinstance(error, PermanentError) else EXIT_FAILED


def landscape_first(args: list[str]) -> list[str]:
    """Let ``-l FILE`` follow the command too (``distsync stats -l x.yaml``): move it first."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("-l", "--landscape") and i + 1 < len(args):
            return [arg, args[i + 1], *args[:i], *args[i + 2 :]]
        if arg.startswith("--landscape="):
            return [arg, *args[:i], *args[i + 1 :]]
    return args


def main() -> None:
    """The console script: run a command; expected errors end as one line, not a traceback."""
    try:
        app(args=landscape_first(sys.argv[1:]))
    except DistsyncError as error:
        render.print_error(str(error))
        sys.exit(exit_code(error))


if __name__ == "__main__":
    main()
