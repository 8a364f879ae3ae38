"""The ``distsync`` command run as a subprocess against a landscape in a temporary folder.

Dead letters and exceptions are made the way production makes them: a flow
subscription (registered before anything is submitted) fails on purpose, and
a worker in the test process drains it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.errors import Rejected, Resolution, UnknownSku
from distsync.landscape import load_landscape
from distsync.model.examples import example_inventory_adjustment
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription

Cli = Callable[..., subprocess.CompletedProcess[str]]

FLOW = SubscriptionSpec("inventory-sync", ("inventory.*",))

BROKEN = """\
tenant: default
runtime:
  batchsize: 100
"""

VALID = """\
runtime:
  database: var/distsync.sqlite
systems:
  wms-east: {type: http-json, url: http://127.0.0.1:9001}
partners:
  acme: {kind: supplier}
"""


def envelope(n: int, *, partner: str = "acme", correlation: str | None = None) -> dict[str, Any]:
    return {
        "type": "inventory.adjusted",
        "schema_version": 1,
        "source_system": "wms-east",
        "partner": partner,
        "correlation_id": correlation or f"corr-{n}",
        "idempotency_key": f"adjustment-{n}",
        "partition_key": "GLV-2211@WH-EAST",
        "occurred_at": "2026-01-05T09:00:00+00:00",
        "payload": example_inventory_adjustment().model_dump(mode="json"),
    }


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


@pytest.fixture
def landscape(tmp_path: Path) -> Path:
    path = tmp_path / "landscape.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


@pytest.fixture
def cli(landscape: Path, tmp_path: Path) -> Cli:
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "distsync.cli", "-l", str(landscape), *args],
            input=stdin,
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


# -- the failing flow -------------------------------------------------------------


async def failing_flow(ctx: HandlerContext) -> None:
    if ctx.envelope.partner == "acme":
        raise Rejected("sending adjustment to wms-east: 400 unknown location QC-1")
    if ctx.envelope.partner == "zeta":
        raise UnknownSku(
            "zeta's SKU Z-77 maps to no item",
            document_ref="adjustment:ADJ-WH-EAST-3318",
            resolutions=(Resolution("map_sku", "Map the SKU, then replay"),),
            facts={"partner_sku": "Z-77"},
        )


def flow_services(landscape: Path) -> Services:
    flow = Subscription(FLOW, handler=failing_flow)
    return build(load_landscape(landscape), overrides=Overrides(subscriptions=[flow]))


def with_flow(landscape: Path, *, drain: bool) -> None:
    async def go() -> None:
        services = flow_services(landscape)
        try:
            worker = services.worker("test")
            await (worker.drain() if drain else worker.register())
        finally:
            await services.close()

    asyncio.run(go())


@pytest.fixture
def failed(landscape: Path, cli: Cli, tmp_path: Path) -> dict[str, str]:
    """One dead letter (acme), one parked exception (zeta), one handled event (other)."""
    with_flow(landscape, drain=False)
    docs = [envelope(1), envelope(2, partner="zeta"), envelope(3, partner="other")]
    appended = as_json(cli("submit", "--json", str(write_json(tmp_path / "in.json", docs))))
    with_flow(landscape, drain=True)
    return dict(zip(("acme", "zeta", "other"), appended["appended"], strict=True))


# -- check, db, schema ------------------------------------------------------------


def test_check_reports_unknown_key_with_its_line_number(tmp_path: Path, cli: Cli) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = cli("check", str(broken))
    assert result.returncode == 1
    assert f"{broken}:3:3: runtime.batchsize: unknown key 'batchsize'" in result.stdout
    assert "invalid (1 error, 0 warnings)" in result.stdout


def test_check_counts_systems_and_partners_of_a_valid_landscape(cli: Cli, landscape: Path) -> None:
    result = cli("check", str(landscape))
    assert result.returncode == 0, result.stdout
    assert "valid: 1 system, 1 partner" in result.stdout


def test_a_broken_landscape_is_one_error_line_without_a_traceback(tmp_path: Path, cli: Cli) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = cli("-l", str(broken), "stats")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "unknown key 'batchsize'" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_the_database_and_current_reports_its_revision(
    cli: Cli, tmp_path: Path
) -> None:
    before = cli("db", "current")
    assert "no database yet" in before.stdout
    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "(empty) →" in upgraded.stdout
    assert (tmp_path / "var" / "distsync.sqlite").exists()
    assert "up to date" in cli("db", "current").stdout
    assert "already at" in cli("db", "upgrade").stdout


def test_schema_export_writes_every_schema_and_check_agrees_with_the_lock(
    cli: Cli, tmp_path: Path
) -> None:
    exported = cli("schema", "export", str(tmp_path / "schemas"))
    assert exported.returncode == 0, exported.stderr
    files = sorted((tmp_path / "schemas").glob("*.schema.json"))
    assert tmp_path / "schemas" / "envelope.v1.schema.json" in files
    assert f"{len(files)} schemas written" in exported.stdout
    checked = cli("schema", "check")
    assert checked.returncode == 0, checked.stderr
    assert "match the lock" in checked.stdout


# -- submit, messages ----------------------------------------------------------------


def test_submit_appends_envelopes_from_files_and_reports_duplicates(
    cli: Cli, tmp_path: Path
) -> None:
    one = write_json(tmp_path / "one.json", envelope(1))
    many = write_json(tmp_path / "many.json", [envelope(2), envelope(1)])
    result = as_json(cli("submit", "--json", str(one), str(many)))
    assert len(result["appended"]) == 2
    assert list(result["duplicates"].values()) == [result["appended"][0]]
    assert len(as_json(cli("messages", "list", "--json"))) == 2


def test_submit_reads_stdin(cli: Cli) -> None:
    result = cli("submit", "-", stdin=json.dumps(envelope(7)))
    assert result.returncode == 0, result.stderr
    assert "1 appended, 0 duplicates" in result.stdout


def test_a_rejected_document_names_file_and_field_and_nothing_is_appended(
    cli: Cli, tmp_path: Path
) -> None:
    bad = envelope(2)
    bad["payload"]["delta"] = "ten"
    path = write_json(tmp_path / "batch.json", [envelope(1), bad])
    result = cli("submit", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: reading {path}[1]: ")
    assert "delta" in result.stderr
    assert as_json(cli("messages", "list", "--json")) == []


def test_messages_list_finds_a_message_by_correlation_id(cli: Cli, tmp_path: Path) -> None:
    docs = [envelope(1), envelope(2, correlation="order-4711"), envelope(3)]
    cli("submit", str(write_json(tmp_path / "in.json", docs)))
    found = as_json(cli("messages", "list", "--correlation", "order-4711", "--json"))
    assert [e["envelope"]["idempotency_key"] for e in found] == ["adjustment-2"]


def test_messages_show_tells_which_subscription_dead_lettered_the_event(
    cli: Cli, failed: dict[str, str]
) -> None:
    shown = as_json(cli("messages", "show", failed["acme"], "--json"))
    assert shown["event"]["envelope"]["partner"] == "acme"
    assert [a["outcome"] for a in shown["attempts"]] == ["dead_letter"]
    assert shown["whereabouts"][0]["subscription"] == "inventory-sync"
    assert shown["whereabouts"][0]["state"] == "dead lettered"
    table = cli("messages", "show", failed["acme"])
    assert "where it is" in table.stdout
    assert "400 unknown location QC-1" in table.stdout


def test_messages_show_of_an_unknown_event_is_an_error(cli: Cli) -> None:
    result = cli("messages", "show", "no-such-event")
    assert result.returncode == 1
    assert "no such event" in result.stderr


# -- dead letters, replay -----------------------------------------------------------


def test_dlq_show_gives_error_traceback_attempts_and_payload(
    cli: Cli, failed: dict[str, str]
) -> None:
    (dead,) = as_json(cli("dlq", "list", "--json"))
    assert dead["event"]["envelope"]["event_id"] == failed["acme"]
    shown = cli("dlq", "show", str(dead["id"]))
    assert shown.returncode == 0, shown.stderr
    for part in ("Rejected", "traceback", "attempts", "ADJ-WH-EAST-3318"):
        assert part in shown.stdout


def test_dlq_replay_records_who_and_why_in_the_audit(cli: Cli, failed: dict[str, str]) -> None:
    (dead,) = as_json(cli("dlq", "list", "--json"))
    result = cli("dlq", "replay", str(dead["id"]), "--reason", "location fixed", "--by", "ana")
    assert result.returncode == 0, result.stderr
    assert "replayed 1 dead letter" in result.stdout
    assert as_json(cli("dlq", "list", "--json")) == []
    (entry,) = as_json(cli("audit", "--json"))
    assert (entry["actor"], entry["reason"], entry["count"]) == ("ana", "location fixed", 1)


def test_dlq_replay_wants_ids_or_all(cli: Cli) -> None:
    result = cli("dlq", "replay", "--reason", "why")
    assert result.returncode == 1
    assert "give dead letter ids or --all" in result.stderr


def test_replay_cannot_run_without_a_reason(cli: Cli) -> None:
    result = cli("replay", "--partner", "acme")
    assert result.returncode == 2
    assert "--reason" in result.stderr


def test_replay_dry_run_counts_and_changes_nothing(cli: Cli, failed: dict[str, str]) -> None:
    result = cli("replay", "--partner", "acme", "--reason", "resync", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "dry run: 1 event would be replayed" in result.stdout
    assert as_json(cli("audit", "--json")) == []


def test_replay_by_filter_creates_deliveries_and_is_audited(
    cli: Cli, failed: dict[str, str]
) -> None:
    result = cli("replay", "--type", "inventory.*", "--reason", "resync", "--by", "ops")
    # three events, each to this test's flow and to the built-in inventory.atp
    assert "replayed: 6 deliveries created" in result.stdout
    (entry,) = as_json(cli("audit", "--json"))
    assert entry["action"] == "replay events"
    assert "types=inventory.*" in entry["selection"]


def test_a_replay_of_more_than_a_thousand_needs_yes_when_nobody_can_answer(
    cli: Cli, tmp_path: Path
) -> None:
    docs = [envelope(n) for n in range(1001)]
    cli("submit", str(write_json(tmp_path / "many.json", docs)))
    refused = cli("replay", "--partner", "acme", "--reason", "resync")
    assert refused.returncode == 1
    assert "more than 1000; add --yes" in refused.stderr
    assert cli("replay", "--partner", "acme", "--reason", "resync", "--yes").returncode == 0


# -- exceptions, stats ----------------------------------------------------------------


def test_exceptions_show_lists_the_offered_resolutions(cli: Cli, failed: dict[str, str]) -> None:
    (parked,) = as_json(cli("exceptions", "list", "--reason-code", "unknown_sku", "--json"))
    shown = as_json(cli("exceptions", "show", str(parked["id"]), "--json"))
    assert shown["document_ref"] == "adjustment:ADJ-WH-EAST-3318"
    assert [o["action"] for o in shown["offered"]] == ["map_sku", "replay", "discard"]


def test_resolving_with_an_action_not_offered_lists_the_offered_ones(
    cli: Cli, failed: dict[str, str]
) -> None:
    (parked,) = as_json(cli("exceptions", "list", "--json"))
    result = cli("exceptions", "resolve", str(parked["id"]), "--action", "ship", "--note", "n")
    assert result.returncode == 1
    assert "choose one of discard, map_sku, replay" in result.stderr


def test_resolving_with_an_offered_action_closes_the_exception(
    cli: Cli, failed: dict[str, str]
) -> None:
    (parked,) = as_json(cli("exceptions", "list", "--json"))
    number = str(parked["id"])
    result = cli("exceptions", "resolve", number, "--action", "map_sku", "--note", "Z-77 is GLV")
    assert result.returncode == 0, result.stderr
    assert as_json(cli("exceptions", "list", "--json")) == []
    (closed,) = as_json(cli("exceptions", "list", "--all", "--json"))
    assert (closed["status"], closed["resolution"]) == ("resolved", "map_sku")


def test_a_resolution_with_params_leaves_an_event_for_the_flow(
    cli: Cli, failed: dict[str, str]
) -> None:
    (parked,) = as_json(cli("exceptions", "list", "--json"))
    number = str(parked["id"])
    pairs = ["--param", "partner_sku=Z-77", "--param", "sku=GLV-2211"]
    result = cli("exceptions", "resolve", number, "--action", "map_sku", "--note", "n", *pairs)
    assert result.returncode == 0, result.stderr
    (event,) = as_json(cli("messages", "list", "--type", "exception.resolved", "--json"))
    assert event["envelope"]["payload"]["params"] == {"partner_sku": "Z-77", "sku": "GLV-2211"}
    assert event["envelope"]["payload"]["exception_id"] == parked["id"]


def test_a_param_without_a_value_is_refused(cli: Cli, failed: dict[str, str]) -> None:
    (parked,) = as_json(cli("exceptions", "list", "--json"))
    number = str(parked["id"])
    result = cli(
        "exceptions", "resolve", number, "--action", "map_sku", "--note", "n", "--param", "sku"
    )
    assert result.returncode == 1
    assert "write NAME=VALUE" in result.stderr
    assert len(as_json(cli("exceptions", "list", "--json"))) == 1


def test_stats_counts_events_duplicates_and_open_records(
    cli: Cli, failed: dict[str, str], tmp_path: Path
) -> None:
    cli("submit", str(write_json(tmp_path / "again.json", envelope(1))))
    numbers = as_json(cli("stats", "--json"))
    assert (numbers["events"], numbers["duplicates"]) == (3, 1)
    assert (numbers["dead_letters_open"], numbers["exceptions_open"]) == (1, 1)
    flow = next(s for s in numbers["subscriptions"] if s["name"] == "inventory-sync")
    assert (flow["acked"], flow["pending"]) == (1, 0)
    assert "inventory-sync" in cli("stats").stdout
