"""How the demo shows itself: steps, the tally, the parked exception, checks, next commands."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from distsync.runtime.ports import ParkedRecord

__all__ = ["Check", "Reporter", "Tally"]


@dataclass(frozen=True)
class Tally:
    """What happened so far, from the log's stats, its records and the simulated WMS."""

    events: int
    duplicates: int
    rejected: int
    delivered: int
    wms_calls: int
    wms_unavailable: int
    wms_repeats: int
    retries: int
    dead_letters: int
    parked: tuple[ParkedRecord, ...] = ()


@dataclass(frozen=True)
class Check:
    """One promise the demo verifies about its own outcome."""

    claim: str
    passed: bool
    detail: str = ""


@dataclass
class Reporter:
    console: Console
    _step: int = field(default=0, init=False)

    def intro(self, database: Path, wms_url: str, failures: int) -> None:
        self.console.print(
            Panel.fit(
                "[bold]distsync demo[/]: ACME Industrial Supply ships to Northwind's east "
                "warehouse.\nOrders and ship notices enter as raw JSON; flows check them; "
                "the WMS hears\nof each shipment once, through the outbox.\n\n"
                f"database       {database}\n"
                f"simulated WMS  {wms_url}  (answers 503 to its first {failures} calls)",
                border_style="cyan",
            )
        )

    def step(self, title: str) -> None:
        self._step += 1
        self.console.print(f"\n[bold cyan]{self._step}. {title}[/]")

    def say(self, text: str) -> None:
        self.console.print(f"   {text}")

    def ok(self, text: str) -> None:
        self.console.print(f"   [green]✓[/] {text}")

    def refused(self, text: str) -> None:
        self.console.print(f"   [red]✗[/] {text}")

    def tally(self, title: str, tally: Tally) -> None:
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        rows = (
            ("events stored", str(tally.events)),
            ("duplicates recorded", f"{tally.duplicates} (stored once, processed once)"),
            ("rejected at intake", f"{tally.rejected} (nothing stored, nothing lost)"),
            ("delivered to the WMS", f"{tally.delivered} expected receipts (one per ASN)"),
            ("WMS calls", _wms_calls(tally)),
            ("retries", f"{tally.retries} (from the attempt history)"),
            ("parked exceptions", str(len(tally.parked))),
            ("dead letters", str(tally.dead_letters)),
        )
        for name, value in rows:
            table.add_row(name, value)
        self.console.print()
        self.console.print(table)
        for record in tally.parked:
            self.exception(record)

    def exception(self, record: ParkedRecord) -> None:
        offered = ", ".join(f"[bold]{action}[/] ({label})" for action, label in record.resolutions)
        self.console.print(
            Panel.fit(
                f"[bold]#{record.id} {record.reason_code}[/]  {record.document_ref}  "
                f"[dim]({record.subscription}, {record.status.value})[/]\n"
                f"{record.message}\n[dim]resolutions:[/] {offered}",
                border_style="yellow",
            )
        )

    def checks(self, checks: list[Check]) -> None:
        self.console.print()
        for check in checks:
            mark = "[green]✓[/]" if check.passed else "[bold red]✗ FAILED[/]"
            detail = f" [dim]({check.detail})[/]" if check.detail else ""
            self.console.print(f"{mark} {check.claim}{detail}")

    def next_steps(self, landscape_file: Path) -> None:
        shown = shlex.quote(_relative(landscape_file))
        commands = "\n".join(
            f"  distsync {command} -l {shown}"
            for command in ("messages list", "exceptions list", "dlq list", "stats")
        )
        self.console.print(f"\n[bold]Look around:[/]\n{commands}")


def _wms_calls(tally: Tally) -> str:
    return (
        f"{tally.wms_calls} ({tally.wms_unavailable} answered 503, "
        f"{tally.wms_repeats} repeats absorbed by the Idempotency-Key)"
    )


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
