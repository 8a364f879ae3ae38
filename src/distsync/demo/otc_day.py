"""The demo's order-to-cash day: channels in, warehouses out, invoices, and a reconciliation.

``play_order_to_cash_day(var, report, tryton=...)`` runs the day under
``var`` (its own database ``otc.sqlite``, landscape ``otc-landscape.yaml``
and reconciliation reports ``otc-reconcile/``) on the given running Tryton
sandbox, or on one of its own. It brings up the stage (``otc_stage``),
plays the story (``otc_story``), assesses it (``otc_outcome``) and prints
the report; it answers 0 only when every check holds.
``run_order_to_cash_day(base_dir)`` does all of that alone, from scratch.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

import structlog
from rich.console import Console

from distsync.connectors.policy import innermost
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.otc_outcome import OtcOutcome, assess
from distsync.demo.otc_report import OtcReporter
from distsync.demo.otc_stage import DATABASE, OtcStage
from distsync.demo.otc_story import OtcStory
from distsync.demo.procure_story import DemoFailed
from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import TrytonUnavailable
from distsync.telemetry import configure_logging

__all__ = ["play_order_to_cash_day", "run_order_to_cash_day"]


def run_order_to_cash_day(base_dir: Path, *, console: Console | None = None) -> int:
    """The day alone under ``base_dir/var``, on a Tryton sandbox of its own; 0 when it holds."""
    if not structlog.is_configured():
        configure_logging("error", stream=sys.stderr)
    var = base_dir / "var"
    shutil.rmtree(var / "otc-tryton", ignore_errors=True)
    report = OtcReporter(console or Console())
    return asyncio.run(play_order_to_cash_day(var, report))


async def play_order_to_cash_day(
    var: Path, report: OtcReporter, *, tryton: TrytonSandbox | None = None
) -> int:
    """Play the day on ``tryton`` (running: left running) or a sandbox of its own."""
    _start_over(var)
    stage = OtcStage(var, tryton=tryton)
    try:
        outcome = await _day(stage, report)
    except (DemoFailed, TrytonUnavailable) as failure:
        report.failed(str(failure))
        return 1
    finally:
        await stage.stop()
    return 0 if outcome.passed else 1


async def _day(stage: OtcStage, report: OtcReporter) -> OtcOutcome:
    stage.start_erp()
    story = OtcStory(stage, report)
    services = await story.open_the_day()
    report.intro(_cast(stage))
    await story.play()
    erp = innermost(services.connectors["erp"])
    assert isinstance(erp, TrytonConnector)
    outcome = await assess(story, erp, stage.var / "otc-reconcile")
    report.orders(outcome.orders, outcome.tryton)
    report.reconciliation(outcome.reconciliation)
    report.checks(outcome.checks)
    assert stage.landscape_file is not None
    report.next_steps(stage.landscape_file)
    return outcome


def _start_over(var: Path) -> None:
    var.mkdir(parents=True, exist_ok=True)
    database = var / DATABASE
    for leftover in (database, *(Path(f"{database}{s}") for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)


def _cast(stage: OtcStage) -> dict[str, str]:
    assert stage.tryton is not None
    assert stage.shop is not None
    assert stage.carrier is not None
    return {
        "distsync": stage.url,
        "Tryton ERP": stage.tryton.url,
        "web shop": stage.shop.url,
        "Harbor (X12)": "posts its 850 to distsync",
        **{f"{w[3:].title()} 3PL (X12)": sim.url for w, sim in stage.warehouses.items()},
        "carrier": stage.carrier.url,
        "database": str(stage.var / DATABASE),
    }
