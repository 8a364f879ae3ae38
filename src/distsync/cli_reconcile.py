"""``distsync reconcile``: the ERP's figures against the systems of record.

``distsync reconcile inventory`` compares the ERP's stock with each
warehouse's latest snapshot in the log (``flows.reconcile``), writes the
variance report into a new folder under ``--report-dir``, appends one
``inventory.variance_found`` event per unexplained variance above threshold
(the worker parks each as an ``inventory_variance`` exception), and shows
every SKU whose figures differ. ``docs/reconciliation.md`` is the reference.

Exit codes: 0 when nothing needs a person, 3 (:data:`EXIT_VARIANCES`) when
at least one variance above threshold is unexplained, and as every command
1 for a failure (2 for rejected input).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer

from distsync import cli_render as render
from distsync.bootstrap import Services
from distsync.cli_ops import CommandRefused, Json, run
from distsync.cli_procure import emit_json
from distsync.connectors.policy import innermost
from distsync.flows.reconcile import (
    ReconcileSettings,
    Reconciliation,
    StockSource,
    reconcile_inventory,
)
from distsync.rules.reconcile import Thresholds, Variance

__all__ = ["EXIT_VARIANCES", "reconcile_app", "stock_source"]

EXIT_VARIANCES = 3
DEFAULT_REPORT_DIR = Path("var") / "reconcile"

reconcile_app = typer.Typer(
    help="Reconciliation: the ERP's figures against the systems of record.", no_args_is_help=True
)


def parse_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a number such as 2 or 0.5") from None
    if not value.is_finite() or value < 0:
        raise typer.BadParameter(f"{text!r} must be a number of 0 or more")
    return value


Warehouses = Annotated[
    list[str] | None,
    typer.Option("--warehouse", help="Only this warehouse; repeatable (default: every one)."),
]
ReportDir = Annotated[
    Path, typer.Option("--report-dir", help="Each run writes a new folder of reports in it.")
]
Erp = Annotated[str, typer.Option("--erp", help="The ERP system of the landscape.")]
Units = Annotated[
    Decimal,
    typer.Option("--threshold-units", parser=parse_decimal, help="Tolerated difference in units."),
]
Percent = Annotated[
    Decimal | None,
    typer.Option("--threshold-pct", parser=parse_decimal, help="Tolerated difference in percent."),
]
InFlightDays = Annotated[
    float,
    typer.Option(
        "--in-flight-days", min=0, help="Look this far before the count for postings in flight."
    ),
]


def _status(variance: Variance) -> str:
    text = variance.status.value.replace("_", " ")
    if variance.explained_by:
        return f"{text} by {', '.join(variance.explained_by)}"
    return f"{text}: {variance.note}" if variance.note else text


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


COLUMNS: list[render.Column] = [
    ("SKU", lambda v: v.sku),
    ("warehouse", lambda v: v.warehouse_id),
    ("ERP", lambda v: "-" if v.erp is None else f"{_plain(v.erp)} {v.uom}"),
    ("counted", lambda v: f"{_plain(v.warehouse)} {v.uom}"),
    ("difference", lambda v: _plain(v.difference)),
    ("status", _status),
]


def stock_source(services: Services, name: str) -> StockSource:
    """The landscape's system ``name`` as a source of stock, or refuse naming what is wrong."""
    connector = services.connectors.get(name)
    if connector is None:
        known = ", ".join(sorted(services.connectors)) or "none"
        raise CommandRefused(f"the landscape has no system {name!r} (systems: {known})")
    source = innermost(connector)
    if not isinstance(source, StockSource):
        raise CommandRefused(f"system {name!r} cannot report stock (no read_stock)")
    return source


@reconcile_app.command("inventory")
def inventory_command(
    ctx: typer.Context,
    warehouse: Warehouses = None,
    report_dir: ReportDir = DEFAULT_REPORT_DIR,
    erp: Erp = "erp",
    threshold_units: Units = Decimal(0),
    threshold_pct: Percent = None,
    in_flight_days: InFlightDays = 7.0,
    as_json: Json = False,
) -> None:
    """Compare the ERP's stock with each warehouse's latest snapshot; report and raise variances."""
    settings = ReconcileSettings(
        erp=erp,
        warehouses=tuple(warehouse or ()),
        thresholds=Thresholds(units=threshold_units, percent=threshold_pct),
        report_dir=report_dir.absolute(),
        in_flight_days=in_flight_days,
    )

    async def work(s: Services) -> Reconciliation:
        stock = stock_source(s, erp)
        return await reconcile_inventory(
            stock=stock, log=s.backend, sink=s.intake, settings=settings, clock=s.clock
        )

    found = run(ctx, work)
    if as_json:
        emit_json(_answer(found))
    else:
        _show(found)
    if found.unexplained:
        raise typer.Exit(EXIT_VARIANCES)


def _answer(found: Reconciliation) -> dict[str, object]:
    report: dict[str, object] = json.loads(found.json_path.read_text(encoding="utf-8"))
    return report | {
        "report": {"csv": str(found.csv_path), "json": str(found.json_path)},
        "unexplained": len(found.unexplained),
        "raised": found.raised,
    }


def _show(found: Reconciliation) -> None:
    for missing in found.missing:
        render.print_warning(f"{missing}: no snapshot in the log, not compared")
    counted = ", ".join(f"{c.warehouse_id} ({c.snapshot_id})" for c in found.counts) or "none"
    render.console().print(render.records_table(None, COLUMNS, found.variances))
    render.say(
        f"{render.plural(len(found.variances), 'variance')} in {counted}; "
        f"{len(found.unexplained)} need a person ({found.raised} new to the exceptions queue); "
        f"report: {found.csv_path.parent}"
    )
