"""``distsync xref`` run as a subprocess against a landscape in a temporary folder.

Until ``cli.py`` registers ``xref_app`` the launcher below adds it to the
``distsync`` app exactly as ``cli.py`` will, then runs ``cli.main()``: the same
argument handling, error lines and exit codes as the installed command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]

LAUNCH = """\
from distsync import cli
from distsync.cli_xref import xref_app
if "xref" not in {group.name for group in cli.app.registered_groups}:
    cli.app.add_typer(xref_app, name="xref")
cli.main()
"""

LANDSCAPE = """\
runtime:
  database: var/distsync.sqlite
partners:
  acme: {kind: supplier, sku_xref: xref/acme.csv}
  zeta: {kind: supplier}
"""

ACME_SHEET = """\
kind,partner_value,our_value,partner_uom,factor
sku,ACME-100,FAS-10432,CS,12
sku,ACME-200,FAS-20001,,
uom,CS,CA,,
"""


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    (tmp_path / "landscape.yaml").write_text(LANDSCAPE, encoding="utf-8")

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", LAUNCH, "-l", "landscape.yaml", "xref", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return name


BY_ANA = ("--by", "ana", "--reason", "new item")


def test_add_show_list_and_remove_one_mapping_with_who_and_why(cli: Cli) -> None:
    added = ok(cli("add", "ACME-100", "FAS-10432", "-p", "acme", "--partner-uom", "CS",
                   "--factor", "12", *BY_ANA))  # fmt: skip
    assert "added sku ACME-100 → FAS-10432 (CS of 12) for acme" in added
    changed = ok(cli("add", "ACME-100", "FAS-10433", "-p", "acme", "--by", "bo", "--reason", "x"))
    assert "changed sku ACME-100 of acme: FAS-10432 (CS of 12) → FAS-10433" in changed
    listed = as_json(cli("list", "--partner", "acme", "--json"))
    assert [(x["partner_value"], x["our_value"], x["changed_by"]) for x in listed] == [
        ("ACME-100", "FAS-10433", "bo")
    ]
    shown = as_json(cli("show", "ACME-100", "-p", "acme", "--json"))
    assert [(h["action"], h["changed_by"]) for h in shown["history"]] == [
        ("changed", "bo"),
        ("added", "ana"),
    ]
    assert shown["history"][1]["after"]["factor"] == "12"
    table = ok(cli("show", "ACME-100", "-p", "acme"))
    assert "FAS-10432 (CS of 12)" in table
    assert "new item" in table
    removed = ok(cli("remove", "ACME-100", "-p", "acme", "--by", "bo", "--reason", "dropped"))
    assert "removed sku ACME-100 → FAS-10433 of acme" in removed
    assert as_json(cli("list", "--json")) == []
    history = ok(cli("history", "-p", "acme"))
    assert "3 changes" in history


def test_bad_input_is_rejected_with_exit_2_and_the_field_named(cli: Cli) -> None:
    factor = cli("add", "A-1", "F-1", "-p", "acme", "--partner-uom", "CS", "--factor", "1,5",
                 *BY_ANA)  # fmt: skip
    assert factor.returncode == 2
    assert factor.stderr.strip() == (
        "error: mapping sku 'A-1' for acme: factor: '1,5' is not a decimal number: "
        "write it with a point (1.5)"
    )
    unit = cli("add", "CS", "CASE", "-p", "acme", "--kind", "uom", *BY_ANA)
    assert unit.returncode == 2
    assert "error: mapping for acme: uom 'CS': our_value: 'CASE' is not one of" in unit.stderr
    no_reason = cli("add", "A-1", "F-1", "-p", "acme")
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr
    assert as_json(cli("list", "--json")) == []


def test_an_unknown_partner_or_mapping_is_refused_with_exit_1(cli: Cli) -> None:
    partner = cli("add", "A-1", "F-1", "-p", "acmee", *BY_ANA)
    assert partner.returncode == 1
    assert partner.stderr.strip() == (
        "error: mapping sku 'A-1' for acmee: the landscape declares no partner 'acmee'; "
        "did you mean 'acme'?"
    )
    assert "Traceback" not in partner.stderr
    missing = cli("remove", "NOPE", "-p", "acme", *BY_ANA)
    assert (missing.returncode, missing.stderr.strip()) == (
        1,
        "error: removing sku 'NOPE' of acme: no such mapping",
    )
    assert cli("show", "NOPE", "-p", "acme").returncode == 1


def test_a_sheet_with_bad_rows_imports_nothing_and_lists_every_problem(
    cli: Cli, tmp_path: Path
) -> None:
    sheet = write(tmp_path, "bad.csv", ACME_SHEET + "sku,ACME-300,,,\nuom,PK,PACK,,\n")
    result = cli("import", sheet, "-p", "acme", *BY_ANA)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: reading bad.csv: 2 problems, nothing imported:",
        "  bad.csv: line 5: our_value: is empty",
        "  bad.csv: line 6: our_value: 'PACK' is not one of our unit codes (EA, CA, PL, KG, ...;"
        " see model.units)",
    ]
    assert as_json(cli("list", "--json")) == []


def test_import_dry_run_then_import_then_export_round_trips(cli: Cli, tmp_path: Path) -> None:
    sheet = write(tmp_path, "acme.csv", ACME_SHEET)
    dry = ok(cli("import", sheet, "-p", "acme", "--dry-run", *BY_ANA))
    assert "would add sku ACME-100 → FAS-10432 (CS of 12) for acme" in dry
    assert "acme from acme.csv: 3 added, 0 changed, 0 unchanged, 0 removed" in dry
    assert "dry run: nothing changed" in dry
    assert as_json(cli("list", "--json")) == []
    ok(cli("import", sheet, "-p", "acme", *BY_ANA))
    exported = ok(cli("export", "-p", "acme"))
    assert exported == (
        "kind,partner_value,our_value,partner_uom,factor\n"
        "sku,ACME-100,FAS-10432,CS,12\n"
        "sku,ACME-200,FAS-20001,,\n"
        "uom,CS,CA,,\n"
    )
    again = as_json(cli("import", "-", "-p", "acme", "--json", *BY_ANA, stdin=exported))
    assert (again["added"], again["changed"], again["unchanged"]) == ([], [], 3)
    ok(cli("export", "-p", "acme", "--kind", "uom", "-o", "units.csv"))
    assert (tmp_path / "units.csv").read_text(encoding="utf-8").splitlines()[1:] == ["uom,CS,CA,,"]


def test_sync_loads_the_landscape_sheets_and_replace_removes_what_they_lack(
    cli: Cli, tmp_path: Path
) -> None:
    missing = cli("sync", *BY_ANA)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: syncing acme: reading partners.acme.sku_xref (/")
    assert missing.stderr.rstrip().endswith("xref/acme.csv): No such file or directory")
    write(tmp_path, "xref/acme.csv", ACME_SHEET)
    ok(cli("add", "ACME-900", "FAS-900", "-p", "acme", *BY_ANA))
    synced = as_json(cli("sync", "--json", "--by", "cron", "--reason", "nightly"))
    assert [(d["partner"], len(d["added"]), len(d["absent"])) for d in synced] == [("acme", 3, 1)]
    replaced = ok(cli("sync", "--replace", "-p", "acme", "--by", "cron", "--reason", "nightly"))
    assert "removed sku ACME-900 → FAS-900 of acme" in replaced
    refused = cli("sync", "-p", "zeta", *BY_ANA)
    assert (refused.returncode, refused.stderr.strip()) == (
        1,
        "error: syncing zeta: partners.zeta.sku_xref names no file",
    )


def test_changes_show_in_the_audit_trail(cli: Cli, tmp_path: Path) -> None:
    sheet = write(tmp_path, "acme.csv", ACME_SHEET)
    ok(cli("import", sheet, "-p", "acme", "--by", "ana", "--reason", "first sheet"))
    audit = subprocess.run(
        [sys.executable, "-c", LAUNCH, "-l", "landscape.yaml", "audit", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    entries = json.loads(audit.stdout)
    assert [
        (e["actor"], e["action"], e["reason"], e["selection"], e["count"]) for e in entries
    ] == [("ana", "xref import", "first sheet", "partner=acme source=acme.csv", 3)]
