"""How the demo's day shows itself: the cast, each step, a parked exception, the summary, checks."""

from __future__ import annotations

import shlex
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from distsync.runtime.operations import ParkedRecord

__all__ = ["Check", "ProcureReporter"]


@dataclass(frozen=True)
class Check:
    """One promise the demo verifies about its own outcome."""

    claim: str
    passed: bool
    detail: str = ""


@dataclass
class ProcureReporter:
    console: Console
    _step: int = field(default=0, init=False)

    def intro(self, cast: dict[str, str]) -> None:
        lines = "\n".join(f"{name:<16}{where}" for name, where in cast.items())
        self.console.print(
            Panel.fit(
                "[bold]distsync demo[/]: a procure-to-pay day at Northwind Distribution.\n"
                "Orders leave Tryton for three suppliers; ship notices, receipts and\n"
                "invoices come back and are checked against them.\n\n" + lines,
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

    def exception(self, record: ParkedRecord) -> None:
        offered = ", ".join(f"[bold]{action}[/]" for action, _ in record.resolutions)
        self.console.print(
            Panel.fit(
                f"[bold]#{record.id} {record.reason_code}[/]  {record.document_ref}\n"
                f"{record.message}\n[dim]resolutions:[/] {offered}",
                border_style="yellow",
            )
        )

    def summary(
        self, documents: dict[str, int], exceptions: list[ParkedRecord], latencies: dict[str, float]
    ) -> None:
        table = Table(title="Documents in the log", title_justify="left", box=None)
        table.add_column("event type", style="bold")
        table.add_column("count", justify="right")
        for kind, count in documents.items():
            table.add_row(kind, str(count))
        self.console.print()
        self.console.print(table)
        raised = Table(title="Exceptions raised", title_justify="left", box=None)
        for column in ("#", "reason", "document", "how it ended", "by"):
            raised.add_column(column)
        for record in exceptions:
            raised.add_row(
                str(record.id), record.reason_code, record.document_ref,
                record.resolution or record.status.value, record.resolved_by or "",
            )  # fmt: skip
        self.console.print(raised)
        if latencies:
            values = sorted(latencies.values())
            self.console.print(
                f"\n[bold]PO confirmed in Tryton → receipt posted in Tryton[/]: median "
                f"{statistics.median(values):.1f} s, max {values[-1]:.1f} s over "
                f"{len(values)} receipts (the longest waited out the ERP outage)"
            )

    def checks(self, checks: list[Check]) -> None:
        self.console.print()
        for check in checks:
            mark = "[green]✓[/]" if check.passed else "[bold red]✗ FAILED[/]"
            detail = f" [dim]({check.detail})[/]" if check.detail else ""
            self.console.print(f"{mark} {check.claim}{detail}")

    def failed(self, why: str) -> None:
        self.console.print(f"\n[bold red]✗ FAILED[/] {why}")

    def next_steps(self, landscape_file: Path) -> None:
        shown = shlex.quote(_relative(landscape_file))
        commands = "\n".join(
            f"  distsync -l {shown} {command}"
            for command in (
                "messages list",
                "exceptions list",
                "xref list --partner globex",
                "stats",
            )
        )
        self.console.print(f"\n[bold]Look around:[/]\n{commands}")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
