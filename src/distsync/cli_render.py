"""How the ``distsync`` command shows things: rich tables for people, JSON for scripts.

Every value that comes from data (messages, payloads, ids) is wrapped in
``Text`` so that square brackets in it are never read as rich markup. When
stdout is not a terminal the console is wide, so ids are never cut short in
piped or captured output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from distsync.landscape import CheckReport
from distsync.runtime.ports import (
    AppendResult,
    AttemptRecord,
    AuditEntry,
    DeadLetterRecord,
    LogStats,
    ParkedRecord,
    StoredEvent,
    SubscriptionStats,
)
from distsync.runtime.records import offered_resolutions

PIPED_WIDTH = 240
MESSAGE_WIDTH = 60


@cache
def console() -> Console:
    """Standard output; wide and colourless when it is not a terminal."""
    width = None if sys.stdout.isatty() else PIPED_WIDTH
    return Console(width=width, highlight=False)


@cache
def error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    error_console().print(Text("error: ", style="bold red") + Text(message, style="red"))


def print_warning(message: str) -> None:
    error_console().print(Text("warning: ", style="yellow") + Text(message))


def say(message: str, style: str | None = None) -> None:
    console().print(Text(message, style=style or ""), soft_wrap=True)


@contextlib.contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner while long work runs, only when someone is watching a terminal."""
    if not console().is_terminal:
        yield
        return
    with console().status(message):
        yield


# -- JSON ---------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Records, envelopes and their parts as plain JSON values."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")


# -- small parts ----------------------------------------------------------------


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def short(message: str, width: int = MESSAGE_WIDTH) -> str:
    line = message.splitlines()[0] if message else ""
    return line if len(line) <= width else line[: width - 1] + "…"


Column = tuple[str, Callable[[Any], object]]


def records_table(title: str | None, columns: Sequence[Column], records: Sequence[Any]) -> Table:
    """A table with one row per record; each column names a header and how to read it."""
    grid = Table(title=title, title_justify="left", header_style="bold")
    for header, _ in columns:
        grid.add_column(header, overflow="fold")
    for record in records:
        cells = (read(record) for _, read in columns)
        grid.add_row(*(Text("-" if cell is None else str(cell)) for cell in cells))
    return grid


def show_table(columns: Sequence[Column], records: Sequence[Any], *nouns: str) -> None:
    console().print(records_table(None, columns, records))
    say(plural(len(records), *nouns))


def fields(title: str, pairs: Sequence[tuple[str, object]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.title = title
    grid.title_justify = "left"
    grid.title_style = "bold"
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(Text(name), Text("-" if value is None else str(value)))
    return grid


def boxed(title: str, body: Text) -> Panel:
    return Panel(body, title=title, title_align="left", expand=False)


def pretty(value: Any) -> Text:
    return Text(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


# -- check, submit ----------------------------------------------------------------


def check_report(report: CheckReport) -> None:
    for problem in report.errors:
        console().print(Text(str(problem), style="red"))
    for problem in report.warnings:
        line = f"{problem.location}: warning: {problem.detail}"
        console().print(Text(line, style="yellow"))


def check_summary(shown: str, report: CheckReport) -> str:
    found = f"{plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
    if report.landscape is None:
        return f"{shown}: invalid ({found})"
    systems = plural(len(report.landscape.systems), "system")
    return (
        f"{shown}: valid: {systems}, {plural(len(report.landscape.partners), 'partner')} ({found})"
    )


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def append_result(result: AppendResult) -> None:
    for event_id in result.appended:
        say(f"appended {event_id}", "green")
    for event_id, original in result.duplicates.items():
        say(f"duplicate {event_id} (already stored as {original})", "yellow")
    say(f"{len(result.appended)} appended, {plural(len(result.duplicates), 'duplicate')}")


# -- messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class Whereabouts:
    """Where one event stands in one subscription, as far as the records tell."""

    subscription: str
    state: str
    record: str | None = None


@dataclass(frozen=True)
class EventView:
    event: StoredEvent
    attempts: Sequence[AttemptRecord]
    whereabouts: Sequence[Whereabouts]
    note: str


EVENT_COLUMNS: list[Column] = [
    ("seq", lambda e: e.seq),
    ("event id", lambda e: e.envelope.event_id),
    ("type", lambda e: e.envelope.type),
    ("partner", lambda e: e.envelope.partner),
    ("correlation id", lambda e: e.envelope.correlation_id),
    ("received", lambda e: when(e.envelope.received_at)),
]
ATTEMPT_COLUMNS: list[Column] = [
    ("#", lambda a: a.attempt),
    ("at", lambda a: when(a.at)),
    ("outcome", lambda a: a.outcome),
    ("error", lambda a: a.error_class),
    ("message", lambda a: short(a.message, 100)),
]
WHEREABOUTS_COLUMNS: list[Column] = [
    ("subscription", lambda w: w.subscription),
    ("state", lambda w: w.state),
    ("record", lambda w: w.record),
]


def events_table(events: Sequence[StoredEvent]) -> None:
    show_table(EVENT_COLUMNS, events, "event")


def envelope_fields(stored: StoredEvent) -> Table:
    header = stored.envelope.model_dump(mode="json", exclude={"payload"})
    return fields(f"event {stored.envelope.event_id} (seq {stored.seq})", list(header.items()))


def event_view(view: EventView) -> None:
    out = console()
    out.print(envelope_fields(view.event))
    out.print(boxed("payload", pretty(view.event.envelope.payload)))
    if view.attempts:
        out.print(records_table("attempts", ATTEMPT_COLUMNS, view.attempts))
    out.print(records_table("where it is", WHEREABOUTS_COLUMNS, view.whereabouts))
    say(view.note, "dim")


# -- dead letters and exceptions ---------------------------------------------------

DEAD_LETTER_COLUMNS: list[Column] = [
    ("id", lambda d: d.id),
    ("status", lambda d: d.status.value),
    ("subscription", lambda d: d.subscription),
    ("type", lambda d: d.event.envelope.type),
    ("event id", lambda d: d.event.envelope.event_id),
    ("error", lambda d: d.error.error_class),
    ("message", lambda d: short(d.error.message)),
    ("attempts", lambda d: d.attempts),
    ("dead at", lambda d: when(d.dead_at)),
]
EXCEPTION_COLUMNS: list[Column] = [
    ("id", lambda x: x.id),
    ("status", lambda x: x.status.value),
    ("reason code", lambda x: x.reason_code),
    ("document", lambda x: x.document_ref),
    ("subscription", lambda x: x.subscription),
    ("message", lambda x: short(x.message)),
    ("parked at", lambda x: when(x.parked_at)),
]
RESOLUTION_COLUMNS: list[Column] = [("action", lambda r: r[0]), ("what it does", lambda r: r[1])]


def dead_letters_table(records: Sequence[DeadLetterRecord]) -> None:
    show_table(DEAD_LETTER_COLUMNS, records, "dead letter")


def dead_letter_detail(record: DeadLetterRecord) -> None:
    out = console()
    env = record.event.envelope
    out.print(
        fields(
            f"dead letter {record.id}",
            [
                ("status", record.status.value),
                ("subscription", record.subscription),
                ("event", f"{env.type} {env.event_id}"),
                ("correlation id", env.correlation_id),
                ("error class", record.error.error_class),
                ("retryable", "yes" if record.error.retryable else "no"),
                ("attempts", record.attempts),
                ("dead at", when(record.dead_at)),
            ],
        )
    )
    out.print(boxed("error", Text(record.error.message)))
    if record.error.traceback:
        out.print(boxed("traceback", Text(record.error.traceback)))
    out.print(records_table("attempts", ATTEMPT_COLUMNS, record.history))
    out.print(boxed("payload", pretty(env.payload)))


def exceptions_table(records: Sequence[ParkedRecord]) -> None:
    show_table(EXCEPTION_COLUMNS, records, "exception")


def exception_detail(record: ParkedRecord) -> None:
    out = console()
    out.print(fields(f"exception {record.id}", _exception_pairs(record)))
    out.print(boxed("message", Text(record.message)))
    if record.facts:
        out.print(fields("facts", sorted(record.facts.items())))
    offered = offered_resolutions(record)
    out.print(records_table("resolutions", RESOLUTION_COLUMNS, offered))


def _exception_pairs(record: ParkedRecord) -> list[tuple[str, object]]:
    env = record.event.envelope
    pairs: list[tuple[str, object]] = [
        ("status", record.status.value),
        ("reason code", record.reason_code),
        ("document", record.document_ref),
        ("subscription", record.subscription),
        ("event", f"{env.type} {env.event_id}"),
        ("correlation id", env.correlation_id),
        ("parked at", when(record.parked_at)),
    ]
    if record.resolution:
        pairs.append(("resolution", f"{record.resolution} by {record.resolved_by}"))
        pairs.append(("note", record.note))
    return pairs


# -- audit, stats ----------------------------------------------------------------

AUDIT_COLUMNS: list[Column] = [
    ("id", lambda a: a.id),
    ("at", lambda a: when(a.at)),
    ("actor", lambda a: a.actor),
    ("action", lambda a: a.action),
    ("count", lambda a: a.count),
    ("reason", lambda a: a.reason),
    ("selection", lambda a: a.selection),
]


def audit_table(entries: Sequence[AuditEntry]) -> None:
    show_table(AUDIT_COLUMNS, entries, "audit entry", "audit entries")


def subscription_columns(now: datetime) -> list[Column]:
    def lag(sub: SubscriptionStats) -> str:
        oldest = sub.oldest_pending_at
        return age(None if oldest is None else (now - oldest).total_seconds())

    return [
        ("name", lambda s: s.name),
        ("ordered", lambda s: "yes" if s.ordered else "no"),
        ("pending", lambda s: s.pending),
        ("in flight", lambda s: s.in_flight),
        ("waiting retry", lambda s: s.waiting_retry),
        ("oldest pending", lag),
        ("acked", lambda s: s.acked),
        ("skipped stale", lambda s: s.skipped_stale),
    ]


def stats_view(stats: LogStats, now: datetime) -> None:
    totals = [
        ("events", stats.events),
        ("duplicates", stats.duplicates),
        ("open dead letters", stats.dead_letters_open),
        ("open exceptions", stats.exceptions_open),
    ]
    console().print(fields("log", totals))
    if not stats.subscriptions:
        say("no subscriptions registered yet")
        return
    columns = subscription_columns(now)
    console().print(records_table("subscriptions", columns, stats.subscriptions))
