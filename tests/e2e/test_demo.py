"""The demo end to end: it passes its own checks and leaves a database the commands can read."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from distsync.demo import run_demo
from distsync.landscape import load_landscape
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.ports import RecordStatus

ASNS = ("ASN-88120", "ASN-88121", "ASN-88122", "ASN-88123")


def play(base_dir: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = run_demo(base_dir, console=Console(file=out, width=200))
    return code, out.getvalue()


def test_the_demo_announces_each_valid_asn_once_and_resolves_the_unknown_sku(
    tmp_path: Path,
) -> None:
    code, shown = play(tmp_path)

    assert code == 0, shown
    assert "FAILED" not in shown
    assert "rejected (SchemaViolation)" in shown
    assert "shipped_at: Input should have timezone info" in shown
    assert "#1 unknown_sku  asn:SUP-ACME/ASN-88120" in shown
    assert "distsync stats -l " in shown
    landscape = load_landscape(tmp_path / "var" / "demo-landscape.yaml")
    assert Path(landscape.runtime.database) == tmp_path / "var" / "demo.sqlite"
    asyncio.run(inspect_database(landscape.runtime.database_url))


async def inspect_database(url: str) -> None:
    log = SqliteMessageLog.open(url)
    try:
        receipts = [await log.get_document("outbound_receipt", f"wms:asn:{n}") for n in ASNS]
        remote_ids = {r.body["remote_id"] for r in receipts if r is not None}
        assert remote_ids == {f"ER-00000{i}" for i in (1, 2, 3, 4)}
        assert not any(r.body["duplicate"] for r in receipts if r is not None)
        for number in ASNS:
            assert await log.get_document("expected_receipt", number) is not None
        stats = await log.stats()
        assert (stats.duplicates, stats.dead_letters_open, stats.exceptions_open) == (1, 0, 0)
        (replayed,) = await log.exceptions(status=RecordStatus.REPLAYED)
        assert replayed.reason_code == "unknown_sku"
        assert replayed.resolved_by == "demo-buyer"
    finally:
        await log.close()


def test_each_run_starts_from_a_fresh_database(tmp_path: Path) -> None:
    assert play(tmp_path)[0] == 0
    code, shown = play(tmp_path)
    assert code == 0, shown


def distsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "distsync.cli", *args]
    return subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_commands_it_prints_read_what_the_demo_left(tmp_path: Path) -> None:
    demo = distsync("demo", "--dir", str(tmp_path), cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "distsync messages list -l var/demo-landscape.yaml" in demo.stdout

    stats = distsync("stats", "-l", "var/demo-landscape.yaml", "--json", cwd=tmp_path)

    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    # 13 events of the scenario, and the exception.resolved its resolution left
    assert (figures["events"], figures["duplicates"], figures["exceptions_open"]) == (14, 1, 0)
