"""The variance report of one reconciliation run: ``variances.csv`` and ``variances.json``.

Each run writes into a folder of its own under the report directory, named
after the run's time in UTC (``20261127T180500Z``; ``-2``, ``-3`` … when a
run of the same second exists), so no report ever overwrites another. Both
files list every SKU whose figures differ (matched SKUs are left out);
decimals are written as text, exactly, times as ISO 8601.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from distsync.rules.reconcile import Thresholds, Variance

__all__ = ["COLUMNS", "CountSeen", "run_folder", "variance_row", "write_report"]

COLUMNS = (
    "sku", "warehouse_id", "uom", "erp", "warehouse", "difference", "percent",
    "status", "note", "explained_by", "snapshot_id", "snapshot_as_of",
)  # fmt: skip


@dataclass(frozen=True)
class CountSeen:
    """The warehouse snapshot a run compared with (``event_id``: its event in the log)."""

    warehouse_id: str
    snapshot_id: str
    as_of: datetime
    event_id: str


def run_folder(report_dir: Path, run_at: datetime) -> Path:
    """A new, empty folder for the run at ``run_at`` (see the module docstring)."""
    stem = run_at.strftime("%Y%m%dT%H%M%SZ")
    report_dir.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        folder = report_dir / (stem if number == 1 else f"{stem}-{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"writing the variance report: {report_dir}/{stem}-* are all taken")


def variance_row(variance: Variance, seen: CountSeen) -> dict[str, str]:
    """One line of the report, every value as text."""
    return {
        "sku": variance.sku,
        "warehouse_id": variance.warehouse_id,
        "uom": variance.uom,
        "erp": _text(variance.erp),
        "warehouse": _text(variance.warehouse),
        "difference": _text(variance.difference),
        "percent": _text(None if variance.percent is None else round(variance.percent, 2)),
        "status": variance.status.value,
        "note": variance.note,
        "explained_by": " ".join(variance.explained_by),
        "snapshot_id": seen.snapshot_id,
        "snapshot_as_of": seen.as_of.isoformat(),
    }


def write_report(
    folder: Path,
    *,
    run_at: datetime,
    thresholds: Thresholds,
    counts: Sequence[CountSeen],
    rows: Sequence[Mapping[str, str]],
    missing: Sequence[str],
) -> tuple[Path, Path]:
    """Write both files into ``folder``; their paths (CSV, JSON)."""
    csv_path, json_path = folder / "variances.csv", folder / "variances.json"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    body: dict[str, Any] = {
        "run_at": run_at.isoformat(),
        "thresholds": {"units": _text(thresholds.units), "percent": _text(thresholds.percent)},
        "snapshots": [_seen(seen) for seen in counts],
        "warehouses_without_snapshot": list(missing),
        "variances": list(rows),
    }
    json_path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path


def _seen(seen: CountSeen) -> dict[str, str]:
    return {
        "warehouse_id": seen.warehouse_id,
        "snapshot_id": seen.snapshot_id,
        "as_of": seen.as_of.isoformat(),
        "event_id": seen.event_id,
    }


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"
