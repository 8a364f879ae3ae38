"""How the order-to-cash day shows itself: the cast, each step, the orders, Tryton, the checks."""

from __future__ import annotations

import shlex
from pathlib import Path

from rich.panel import Panel
from rich.table import Table

from distsync.demo.procure_report import ProcureReporter
from distsync.flows.order_records import OrderRecord
from distsync.flows.reconcile import Reconciliation

__all__ = ["OtcReporter"]


class OtcReporter(ProcureReporter):
    """The procure day's reporter, telling the order-to-cash day."""

    def intro(self, cast: dict[str, str]) -> None:
        lines = "\n".join(f"{name:<16}{where}" for name, where in cast.items())
        self.console.print(
            Panel.fit(
                "[bold]distsync demo[/]: an order-to-cash day at Northwind Distribution.\n"
                "A web shop and a B2B customer order; two 3PLs ship, a carrier delivers,\n"
                "Tryton invoices, and the stock is reconciled with the warehouses' counts.\n\n"
                + lines,
                border_style="cyan",
            )
        )

    def orders(self, records: list[OrderRecord], tryton: list[tuple[str, str, str]]) -> None:
        table = Table(title="Orders", title_justify="left", box=None)
        for column in ("order", "channel", "state", "portions", "backorders"):
            table.add_column(column)
        for record in records:
            portions = ", ".join(p.warehouse_id for p in record.portions)
            short = ", ".join(f"line {n}: {q}" for n, q in record.backorders.items())
            table.add_row(
                record.order["order_number"], record.order["channel"], record.state,
                portions, short or "-",
            )  # fmt: skip
        sales = Table(title="In Tryton (a sale per portion)", title_justify="left", box=None)
        for column in ("sale", "shipped", "state"):
            sales.add_column(column)
        for row in tryton:
            sales.add_row(*row)
        self.console.print()
        self.console.print(table)
        self.console.print(sales)

    def reconciliation(self, found: Reconciliation) -> None:
        counted = ", ".join(f"{c.warehouse_id} ({c.snapshot_id})" for c in found.counts)
        self.console.print(
            f"\n[bold]Reconciliation[/] of Tryton with {counted or 'no count'}: "
            f"{len(found.variances)} differences, {len(found.unexplained)} unexplained; "
            f"report {found.csv_path}"
        )
        for variance in found.variances:
            self.say(
                f"{variance.sku}@{variance.warehouse_id}: Tryton {variance.erp}, counted "
                f"{variance.warehouse} {variance.uom}, {variance.status.value}"
            )

    def next_steps(self, landscape_file: Path) -> None:
        shown = shlex.quote(_relative(landscape_file))
        commands = "\n".join(
            f"  distsync -l {shown} {command}"
            for command in ("messages list --type 'sales_order.*'", "exceptions list", "stats")
        )
        self.console.print(f"\n[bold]Look around the order-to-cash day:[/]\n{commands}")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
