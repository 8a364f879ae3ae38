"""``distsync demo``: a procure-to-pay day, then an order-to-cash day, on a real local Tryton.

``run_demo(base_dir)`` starts over under ``base_dir/var`` (database, Tryton
sandbox copy, landscape file), brings up the stage (``procure_stage``), plays
the story (``procure_story``), then checks what the day came to
(``procure_outcome``) and prints a summary. On the same Tryton it then plays
the order-to-cash day (``otc_day``). It returns 0 only when every check of
both days holds: non-zero when Tryton's stock or the orders' received
quantities differ from what the warehouse received, when an order is not
shipped, delivered and invoiced as the warehouses and carrier said, when the
reconciliation leaves an unexplained variance, when anything is left in a
dead letter or open exception, or when a step did not happen in time.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import structlog
from rich.console import Console

from distsync.demo.otc_day import play_order_to_cash_day
from distsync.demo.otc_report import OtcReporter
from distsync.demo.procure_outcome import assess
from distsync.demo.procure_report import ProcureReporter
from distsync.demo.procure_stage import Stage, default_behaviours
from distsync.demo.procure_story import DemoFailed, Story
from distsync.erp.tryton_process import TrytonUnavailable
from distsync.telemetry import configure_logging

__all__ = ["run_demo"]

DATABASE = "demo.sqlite"


def run_demo(base_dir: Path, *, console: Console | None = None) -> int:
    """Play the day under ``base_dir/var``; 0 when every check of its outcome holds."""
    if not structlog.is_configured():
        configure_logging("error", stream=sys.stderr)
    return asyncio.run(_play(base_dir / "var", ProcureReporter(console or Console())))


async def _play(var: Path, report: ProcureReporter) -> int:
    _start_over(var)
    behaviours, warehouse = default_behaviours()
    stage = Stage(var, behaviours, warehouse)
    try:
        return await _day(stage, report)
    except (DemoFailed, TrytonUnavailable) as failure:
        report.failed(str(failure))
        return 1
    finally:
        await stage.stop()


async def _day(stage: Stage, report: ProcureReporter) -> int:
    stage.start_erp()
    stage.start_partners()
    services = await stage.serve()
    report.intro(_cast(stage))
    story = Story(stage, services, report)
    await story.play()
    assert story.stock_before is not None
    outcome = await assess(
        services, story.erp, stock_before=story.stock_before, confirmed_at=story.confirmed
    )
    report.summary(outcome.documents, outcome.exceptions, outcome.latencies)
    report.checks(outcome.checks)
    assert stage.landscape_file is not None
    report.next_steps(stage.landscape_file)
    procured = all(check.passed for check in outcome.checks)
    sold = await play_order_to_cash_day(stage.var, OtcReporter(report.console), tryton=stage.tryton)
    return 0 if procured and sold == 0 else 1


def _start_over(var: Path) -> None:
    var.mkdir(parents=True, exist_ok=True)
    database = var / DATABASE
    for leftover in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(var / "demo-tryton", ignore_errors=True)


def _cast(stage: Stage) -> dict[str, str]:
    assert stage.tryton is not None
    assert stage.portal is not None
    assert stage.threepl is not None
    return {
        "distsync": stage.url,
        "Tryton ERP": stage.tryton.url,
        "ACME (X12)": stage.suppliers["acme"].url,
        "Globex (X12)": stage.suppliers["globex"].url,
        "Initech portal": stage.portal.url,
        "East 3PL (X12)": stage.threepl.url,
        "database": str(stage.var / DATABASE),
    }
