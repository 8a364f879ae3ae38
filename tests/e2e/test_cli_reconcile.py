"""``distsync reconcile inventory`` run as a subprocess against a real Tryton.

The landscape's ``erp`` is the Tryton sandbox, stocked with a Tryton
inventory; the warehouse's snapshot is put in the log as its channel would
append it. The command is run as the console script runs it, with the
``reconcile`` group added the way ``cli.py`` adds it (``RUN`` below).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import build
from distsync.erp.sandbox import TrytonSandbox
from distsync.landscape import load_landscape
from distsync.model.envelope import Envelope
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.units import Quantity
from tests.integration.procure_tryton_world import PASSWORD_ENV, tryton_system
from tests.integration.test_reconcile_inventory import stock_tryton
from tests.integration.tryton_fixtures import tryton, tryton_template

__all__ = ["tryton", "tryton_template"]  # the Tryton fixtures, for this module

pytestmark = pytest.mark.service

Cli = Callable[..., subprocess.CompletedProcess[str]]
AT = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def count(on_hand: dict[str, tuple[int, str]]) -> Envelope:
    """WH-EAST's complete count, as the warehouse's channel appends it."""
    balances = [
        InventoryBalance(
            sku=sku, warehouse_id="WH-EAST", as_of=AT,
            on_hand=Quantity(value=Decimal(n), uom=uom),
            allocated=Quantity(value=Decimal(0), uom=uom),
        )
        for sku, (n, uom) in on_hand.items()
    ]  # fmt: skip
    snapshot = InventorySnapshot(
        snapshot_id="INV-7", warehouse_id="WH-EAST", as_of=AT, complete=True, balances=balances
    )
    return Envelope(
        type="inventory.snapshot_received", schema_version=1, source_system="partner:east3pl",
        correlation_id="inventory:WH-EAST", idempotency_key="east3pl:846:INV-7",
        partition_key="WH-EAST", occurred_at=AT, payload=snapshot.model_dump(mode="json"),
    )  # fmt: skip


def append(landscape: Path, envelope: Envelope) -> None:
    async def go() -> None:
        services = build(load_landscape(landscape))
        try:
            await services.intake.accept([envelope])
        finally:
            await services.close()

    asyncio.run(go())


def command(landscape: Path, env: dict[str, str]) -> Cli:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "reconcile", "inventory",
             *args],
            capture_output=True, text=True, cwd=landscape.parent, env=env, timeout=120,
            check=False,
        )  # fmt: skip

    return run


def write_landscape(tmp_path: Path, systems: dict[str, object]) -> Path:
    landscape = tmp_path / "landscape.yaml"
    data = {"runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")}, "systems": systems}
    landscape.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    return landscape


@pytest.fixture
def cli(tryton: TrytonSandbox, tmp_path: Path) -> Cli:
    landscape = write_landscape(tmp_path, {"erp": tryton_system(tryton)})
    stock_tryton(tryton, {"GLV-2211": 40, "DRL-1800": 6})
    append(landscape, count({"GLV-2211": (37, "BX"), "DRL-1800": (6, "EA")}))
    return command(landscape, os.environ | {PASSWORD_ENV: tryton.password, "COLUMNS": "200"})


def test_inventory_reports_the_variance_and_exits_3_until_the_threshold_tolerates_it(
    cli: Cli, tmp_path: Path
) -> None:
    found = cli("--json", "--report-dir", "reports")
    assert found.returncode == 3, found.stderr
    answer = json.loads(found.stdout)
    assert [(v["sku"], v["erp"], v["warehouse"], v["status"]) for v in answer["variances"]] == [
        ("GLV-2211", "40", "37", "above_threshold")
    ]
    assert (answer["unexplained"], answer["raised"]) == (1, 1)
    assert Path(answer["report"]["csv"]).parent.parent == tmp_path / "reports"
    assert Path(answer["report"]["csv"]).read_text().count("GLV-2211") == 1

    tolerated = cli("--threshold-units", "5", "--report-dir", "reports")
    assert tolerated.returncode == 0, tolerated.stderr
    assert "within tolerance" in tolerated.stdout
    assert len(list((tmp_path / "reports").iterdir())) == 2


def test_inventory_names_a_system_the_landscape_lacks(tmp_path: Path) -> None:
    refused = command(write_landscape(tmp_path, {}), dict(os.environ))("--erp", "ledger")
    assert refused.returncode == 1
    assert "no system 'ledger'" in refused.stderr
