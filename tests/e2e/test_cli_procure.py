"""``distsync procure`` run as a subprocess against a procure landscape in a temporary folder.

The state is made by the real procure flow in the test process (ERP,
supplier and 3PL are recording connectors), two days back by a frozen
clock; the command then reads it at the real time, as an operator would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from distsync.bootstrap import Overrides, build
from distsync.landscape import load_landscape
from distsync.model.examples import variant
from distsync.model.examples.procurement import example_po_ack, example_purchase_order
from distsync.testing import FrozenClock, RecordingConnector
from tests.integration.procure_world import PO, ProcureWorld, landscape_data

Cli = Callable[..., subprocess.CompletedProcess[str]]

HOUR = 3600


def make_state(landscape: Path) -> None:
    """Two orders confirmed two days ago; the supplier's 855 for one waits for a buyer."""

    async def go() -> None:
        clock = FrozenClock(datetime.now(UTC) - timedelta(days=2))
        erp, supplier, warehouse = RecordingConnector(), RecordingConnector(), RecordingConnector()
        connectors = {"erp": erp, "partner:acme": supplier, "partner:eastwms": warehouse}
        services = build(
            load_landscape(landscape), overrides=Overrides(connectors=connectors, clock=clock)
        )
        world = ProcureWorld(services, clock, erp, supplier, warehouse)
        try:
            await world.receive(example_purchase_order())
            await world.receive(example_po_ack())  # beyond tolerance: parked
            await world.receive(variant(example_purchase_order(), {"po_number": "PO-2"}))
        finally:
            await world.close()

    asyncio.run(go())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    landscape = tmp_path / "landscape.yaml"
    data = landscape_data(tmp_path, ack_deadline_hours=4)
    landscape.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    make_state(landscape)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distsync.cli", "-l", str(landscape), "procure", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return run


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_overdue_lists_both_orders_and_says_which_855_waits_for_a_buyer(cli: Cli) -> None:
    answer = as_json(cli("overdue", "--json"))
    by_number = {order["po_number"]: order for order in answer["orders"]}
    assert sorted(by_number) == ["PO-2", PO]
    assert by_number[PO]["parked_ack"] == 1
    assert by_number["PO-2"]["parked_ack"] is None
    assert all(order["late_seconds"] >= 44 * HOUR for order in answer["orders"])

    table = cli("overdue")
    assert table.returncode == 0, table.stderr
    assert "855 received, waits for a buyer: exception 1" in table.stdout
    assert "0 groups without a 997, 2 orders without an 855" in table.stdout
    assert as_json(cli("overdue", "--partner", "globex", "--json"))["orders"] == []


def test_show_prints_the_order_and_refuses_one_it_does_not_know(cli: Cli) -> None:
    shown = cli("show", PO)
    assert shown.returncode == 0, shown.stderr
    assert f"purchase order {PO}" in shown.stdout
    assert "ack_change_out_of_tolerance" in shown.stdout  # its open exception
    assert as_json(cli("show", PO, "--json"))["record"]["state"] == "sent"

    missing = cli("show", "PO-NOPE")
    assert missing.returncode == 1
    assert "error: showing PO-NOPE: the procure flow has no record of it" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_the_other_questions_answer_with_tables_and_json(cli: Cli) -> None:
    reasons = as_json(cli("exceptions", "--json"))["reasons"]
    assert [(r["reason_code"], r["count"], r["older"]) for r in reasons] == [
        ("ack_change_out_of_tolerance", 1, 1)
    ]
    table = cli("exceptions")
    assert "ack_change_out_of_tolerance" in table.stdout
    assert "1 open exception" in table.stdout
    assert as_json(cli("in-transit", "--json")) == []
    assert "0 receipts not posted" in cli("unposted").stdout
    assert as_json(cli("mismatches", "--json")) == {"invoices": [], "truncated": False}
