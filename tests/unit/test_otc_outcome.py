"""The order-to-cash day's reconciliation check: zero unexplained variance, against fresh counts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from distsync.demo.otc_outcome import reconciled
from distsync.flows.reconcile import Reconciliation
from distsync.flows.reconcile_report import CountSeen
from distsync.rules.reconcile import Variance, VarianceStatus


def test_an_unexplained_variance_or_a_stale_count_fails_the_day(tmp_path: Path) -> None:
    now = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    lost = Variance(
        sku="LUB-5510", warehouse_id="WH-WEST", uom="EA", erp=Decimal(22), warehouse=Decimal(20),
        difference=Decimal(-2), percent=None, status=VarianceStatus.ABOVE_THRESHOLD,
    )  # fmt: skip
    counts = (CountSeen("WH-WEST", "INV000002", now, "event-1"),)
    paths = (tmp_path / "variances.csv", tmp_path / "variances.json")

    clean = Reconciliation(now, counts, (), (), *paths, raised=0)
    unexplained = Reconciliation(now, counts, (lost,), (), *paths, raised=1)

    assert reconciled(clean, {"WH-WEST": "INV000002"}).passed
    assert not reconciled(unexplained, {"WH-WEST": "INV000002"}).passed
    assert not reconciled(clean, {"WH-WEST": "INV000003"}).passed, "the fresh count was not used"
