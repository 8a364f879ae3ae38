"""Cross-references in a real SQLite file: changes and their history, imports, the cache,
and the runtime's backend appending to the same file at the same time."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from distsync.errors import ConfigError, RetryableError
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.ports import SubscriptionSpec
from distsync.store import migrate
from distsync.store.engine import open_sqlite
from distsync.store.ports import XrefEntry, XrefInvalid, XrefKey, XrefKind
from distsync.store.xref import SqlCrossReferences
from distsync.testing import make_envelope

SKU, UOM, WAREHOUSE = XrefKind.SKU, XrefKind.UOM, XrefKind.WAREHOUSE
CASE_OF_12 = XrefEntry(SKU, "ACME-100", "FAS-10432", "CS", Decimal(12))


def url_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'distsync.sqlite'}"


@pytest.fixture
async def xrefs(tmp_path: Path) -> AsyncIterator[SqlCrossReferences]:
    opened = SqlCrossReferences.open(url_of(tmp_path))
    yield opened
    await opened.close()


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- schema ------------------------------------------------------------------------------


def test_migration_0003_adds_the_tables_and_downgrades_cleanly(tmp_path: Path) -> None:
    engines = open_sqlite(url_of(tmp_path))
    assert migrate.upgrade(engines.writer)[1] == "0003"
    wanted = {"xrefs", "xref_history", "reference_records"}
    assert wanted <= set(inspect(engines.writer).get_table_names())
    config = migrate._config()
    with engines.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert not wanted & set(inspect(engines.writer).get_table_names())
    assert migrate.upgrade(engines.writer) == ("0002", "0003")
    engines.dispose()


async def test_a_database_without_the_tables_asks_for_db_upgrade(tmp_path: Path) -> None:
    engines = open_sqlite(url_of(tmp_path))
    unmigrated = SqlCrossReferences(engines)
    with pytest.raises(ConfigError, match=r"reading the cross-references of acme: .*db upgrade"):
        await unmigrated.lookup_sku("acme", "ACME-100")
    await unmigrated.close()


# -- changes and their history --------------------------------------------------------------


async def test_put_adds_then_changes_and_history_keeps_who_what_and_why(
    xrefs: SqlCrossReferences,
) -> None:
    added = await xrefs.put("acme", CASE_OF_12, actor="ana", reason="new item")
    assert (added.added, added.count) == ((CASE_OF_12,), 1)
    each = XrefEntry(SKU, "ACME-100", "FAS-10432", "EA")
    changed = await xrefs.put("acme", each, actor="bo", reason="sold by the each now")
    assert changed.changed == ((CASE_OF_12, each),)
    stored = await xrefs.lookup_sku("acme", "ACME-100")
    assert stored is not None
    assert (stored.entry, stored.changed_by, stored.reason) == (each, "bo", "sold by the each now")
    history = await xrefs.history("acme")
    assert [(h.action, h.before, h.after, h.changed_by) for h in history] == [
        ("changed", CASE_OF_12, each, "bo"),
        ("added", None, CASE_OF_12, "ana"),
    ]


async def test_putting_the_same_mapping_again_changes_nothing_and_records_nothing(
    xrefs: SqlCrossReferences,
) -> None:
    await xrefs.put("acme", CASE_OF_12, actor="ana", reason="new item")
    same = XrefEntry(SKU, "ACME-100", "FAS-10432", "CS", Decimal("12.000"))
    again = await xrefs.put("acme", same, actor="bo", reason="again")
    assert (again.count, again.unchanged) == (0, 1)
    assert len(await xrefs.history("acme")) == 1


async def test_mappings_of_one_partner_value_are_kept_per_partner_and_kind(
    xrefs: SqlCrossReferences,
) -> None:
    await xrefs.put("acme", XrefEntry(UOM, "CS", "CA"), actor="ana", reason="units")
    await xrefs.put("acme", XrefEntry(SKU, "CS", "FAS-1"), actor="ana", reason="odd sku")
    await xrefs.put("zeta", XrefEntry(UOM, "CS", "CT"), actor="ana", reason="units")
    assert [(r.partner, r.kind, r.our_value) for r in await xrefs.entries()] == [
        ("acme", SKU, "FAS-1"),
        ("acme", UOM, "CA"),
        ("zeta", UOM, "CT"),
    ]
    assert [r.our_value for r in await xrefs.entries("acme", UOM)] == ["CA"]
    assert (await xrefs.lookup_uom("zeta", "CS")) is not None
    assert (await xrefs.lookup_uom("zeta", "CA")) is None


async def test_remove_deletes_the_mapping_keeps_its_history_and_writes_the_audit_trail(
    tmp_path: Path, xrefs: SqlCrossReferences
) -> None:
    dock = XrefEntry(WAREHOUSE, "0614141000029", "WH-EAST")
    await xrefs.put("acme", dock, actor="ana", reason="ship-to GLN")
    removed = await xrefs.remove("acme", dock.key, actor="bo", reason="dock closed")
    assert removed is not None
    assert removed.entry == dock
    assert await xrefs.lookup_warehouse("acme", "0614141000029") is None
    assert await xrefs.remove("acme", dock.key, actor="bo", reason="again") is None
    history = await xrefs.history("acme", kind=WAREHOUSE, partner_value="0614141000029")
    assert [(h.action, h.before, h.after) for h in history] == [
        ("removed", dock, None),
        ("added", None, dock),
    ]
    with sqlite3.connect(tmp_path / "var" / "distsync.sqlite") as db:
        trail = db.execute("SELECT actor, action, reason, selection, count FROM audit").fetchall()
    assert trail == [
        ("ana", "xref put", "ship-to GLN", "partner=acme warehouse 0614141000029", 1),
        ("bo", "xref remove", "dock closed", "partner=acme warehouse 0614141000029", 1),
    ]


async def test_an_invalid_mapping_is_refused_naming_its_fields(xrefs: SqlCrossReferences) -> None:
    with pytest.raises(XrefInvalid, match=r"our_value: 'BOX' is not one of our unit codes"):
        await xrefs.put("acme", XrefEntry(UOM, "BX", "BOX"), actor="ana", reason="units")
    assert await xrefs.entries() == []


# -- imports -------------------------------------------------------------------------------


async def test_an_import_adds_changes_and_leaves_alone_and_a_dry_run_writes_nothing(
    xrefs: SqlCrossReferences,
) -> None:
    await xrefs.put("acme", CASE_OF_12, actor="ana", reason="first")
    await xrefs.put("acme", XrefEntry(SKU, "ACME-9", "FAS-9"), actor="ana", reason="first")
    sheet = [
        CASE_OF_12,
        XrefEntry(SKU, "ACME-9", "FAS-99"),
        XrefEntry(UOM, "CS", "CA"),
    ]
    planned = await xrefs.load("acme", sheet, actor="bo", reason="sheet", dry_run=True)
    assert planned.dry_run
    assert await xrefs.history("acme", partner_value="CS") == []
    done = await xrefs.load("acme", sheet, actor="bo", reason="sheet", source="acme.csv")
    assert (done.added, done.unchanged) == ((XrefEntry(UOM, "CS", "CA"),), 1)
    assert done.changed == (
        (XrefEntry(SKU, "ACME-9", "FAS-9"), XrefEntry(SKU, "ACME-9", "FAS-99")),
    )
    assert (planned.added, planned.changed) == (done.added, done.changed)


async def test_an_import_keeps_what_the_sheet_lacks_unless_it_replaces(
    xrefs: SqlCrossReferences,
) -> None:
    await xrefs.put("acme", CASE_OF_12, actor="ana", reason="mapped from an exception")
    uom = XrefEntry(UOM, "CS", "CA")
    kept = await xrefs.load("acme", [uom], actor="bo", reason="sheet")
    assert (kept.absent, kept.removed) == ((CASE_OF_12,), ())
    assert await xrefs.lookup_sku("acme", "ACME-100") is not None
    replaced = await xrefs.load("acme", [uom], actor="bo", reason="sheet", replace=True)
    assert (replaced.removed, replaced.unchanged) == ((CASE_OF_12,), 1)
    assert await xrefs.lookup_sku("acme", "ACME-100") is None


async def test_an_import_with_one_bad_entry_or_a_key_twice_changes_nothing(
    xrefs: SqlCrossReferences,
) -> None:
    good = XrefEntry(SKU, "ACME-1", "FAS-1")
    with pytest.raises(XrefInvalid, match="factor"):
        await xrefs.load(
            "acme", [good, XrefEntry(SKU, "ACME-2", "F", factor=Decimal(2))], actor="a", reason="r"
        )
    with pytest.raises(XrefInvalid, match=r"'ACME-1' is given twice"):
        await xrefs.load("acme", [good, good], actor="a", reason="r")
    assert await xrefs.entries("acme") == []


# -- the cache -----------------------------------------------------------------------------


async def test_a_change_through_the_instance_is_seen_at_once(tmp_path: Path) -> None:
    ticks = Ticks()
    xrefs = SqlCrossReferences(open_sqlite(url_of(tmp_path)), recheck_seconds=3600, monotonic=ticks)
    migrate.upgrade(xrefs._engines.writer)
    assert await xrefs.lookup_sku("acme", "ACME-100") is None
    await xrefs.put("acme", CASE_OF_12, actor="ana", reason="map")
    found = await xrefs.lookup_sku("acme", "ACME-100")
    assert found is not None
    assert found.our_value == "FAS-10432"
    await xrefs.close()


async def test_a_change_from_another_process_is_seen_after_the_recheck_interval(
    tmp_path: Path, xrefs: SqlCrossReferences
) -> None:
    ticks = Ticks()
    reader = SqlCrossReferences(open_sqlite(url_of(tmp_path)), recheck_seconds=1, monotonic=ticks)
    first = await reader.table("acme")
    await xrefs.put("acme", CASE_OF_12, actor="ana", reason="map")
    ticks.now = 0.5
    assert await reader.table("acme") is first  # served from memory, stale by design
    ticks.now = 1.5
    fresh = await reader.table("acme")
    assert fresh.sku("ACME-100") is not None
    assert fresh.revision > first.revision
    ticks.now = 3.0
    assert await reader.table("acme") is fresh  # revision unchanged: the rows are not read again
    await reader.close()


# -- sharing the file with the runtime ------------------------------------------------------


async def test_imports_and_the_runtime_appending_share_the_file_safely(tmp_path: Path) -> None:
    log = SqliteMessageLog.open(url_of(tmp_path))
    await log.register(SubscriptionSpec("erp-sync", ("inventory.*",)))
    xrefs = SqlCrossReferences.open(url_of(tmp_path))

    async def append() -> int:
        count = 0
        for _ in range(40):
            result = await log.append([make_envelope() for _ in range(25)])
            count += len(result.appended)
        return count

    async def imports() -> int:
        for round_ in range(20):
            sheet = [XrefEntry(SKU, f"P-{n}", f"FAS-{n}-{round_}") for n in range(200)]
            await xrefs.load("acme", sheet, actor="sync", reason=f"round {round_}")
        return len(await xrefs.entries("acme"))

    appended, mapped = await asyncio.gather(append(), imports())
    assert (appended, mapped) == (1000, 200)
    assert (await log.stats()).events == 1000
    assert len(await xrefs.history("acme", limit=10_000)) == 200 * 20
    assert (await xrefs.lookup_sku("acme", "P-7")).our_value == "FAS-7-19"  # type: ignore[union-attr]
    await xrefs.close()
    await log.close()


async def test_a_write_lock_held_past_the_busy_timeout_is_a_retryable_error(
    tmp_path: Path,
) -> None:
    xrefs = SqlCrossReferences.open(url_of(tmp_path), busy_timeout_ms=200)
    holder = sqlite3.connect(tmp_path / "var" / "distsync.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(RetryableError, match=r"mapping sku 'ACME-100' for acme: .*locked"):
            await xrefs.put("acme", CASE_OF_12, actor="ana", reason="map")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (await xrefs.put("acme", CASE_OF_12, actor="ana", reason="map")).count == 1
    await xrefs.close()


def test_keys_sort_by_kind_then_partner_value() -> None:
    keys = [XrefKey(UOM, "A"), XrefKey(SKU, "B"), XrefKey(SKU, "A")]
    assert sorted(keys) == [XrefKey(SKU, "A"), XrefKey(SKU, "B"), XrefKey(UOM, "A")]


async def test_a_snapshot_answers_in_our_terms_for_the_matching_rules(
    xrefs: SqlCrossReferences,
) -> None:
    await xrefs.load(
        "acme",
        [CASE_OF_12, XrefEntry(UOM, "CS", "CA"), XrefEntry(WAREHOUSE, "DC-1", "WH-EAST")],
        actor="ana",
        reason="sheet",
    )
    table = await xrefs.table("acme")
    assert (table.our_sku("ACME-100"), table.our_uom("CS")) == ("FAS-10432", "CA")
    assert table.our_warehouse("DC-1") == "WH-EAST"
    assert table.pack_factor("ACME-100", "CS") == 12  # ACME's own case, for quantities
    assert table.pack_factor("ACME-100", "EA") is None
    assert (table.our_sku("CS"), table.our_uom("ACME-100"), table.our_warehouse("X")) == (
        None,
        None,
        None,
    )
