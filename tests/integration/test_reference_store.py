"""The master-data reference cache in a real SQLite file: what a refresh changed, and reads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from distsync.model.examples import example_item, example_party, example_warehouse, variant
from distsync.model.items import Item
from distsync.store.ports import ReferenceKind
from distsync.store.reference import SqlReferenceData, canonical_json, content_hash

ITEM, PARTY, WAREHOUSE = ReferenceKind.ITEM, ReferenceKind.PARTY, ReferenceKind.WAREHOUSE
MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[SqlReferenceData]:
    opened = SqlReferenceData.open(f"sqlite:///{tmp_path / 'ref.sqlite'}")
    yield opened
    await opened.close()


def item(sku: str, description: str = "Hex bolt") -> Item:
    return variant(example_item(), {"sku": sku, "description": description})


async def test_a_refresh_reports_added_changed_and_unchanged_records(
    cache: SqlReferenceData,
) -> None:
    first = await cache.upsert_many(
        ITEM, [item("A"), item("B")], source_system="erp", fetched_at=MONDAY
    )
    assert (first.added, first.changed, first.unchanged, first.removed) == (("A", "B"), (), 0, ())
    second = await cache.upsert_many(
        ITEM,
        [item("A"), item("B", "Hex bolt, zinc"), item("C")],
        source_system="erp",
        fetched_at=TUESDAY,
    )
    assert (second.added, second.changed, second.unchanged) == (("C",), ("B",), 1)
    changed = await cache.get_item("B")
    assert changed == item("B", "Hex bolt, zinc")


async def test_fetched_at_moves_with_every_refresh_changed_at_only_with_the_content(
    cache: SqlReferenceData,
) -> None:
    await cache.upsert_many(ITEM, [item("A"), item("B")], source_system="erp", fetched_at=MONDAY)
    await cache.upsert_many(
        ITEM, [item("A"), item("B", "Wing nut")], source_system="erp", fetched_at=TUESDAY
    )
    same, other = await cache.entry(ITEM, "A"), await cache.entry(ITEM, "B")
    assert same is not None
    assert other is not None
    assert (same.fetched_at, same.changed_at) == (TUESDAY, MONDAY)
    assert (other.fetched_at, other.changed_at) == (TUESDAY, TUESDAY)
    assert other.content_hash == content_hash(canonical_json(item("B", "Wing nut")))
    assert other.source_system == "erp"


async def test_a_complete_snapshot_removes_what_its_system_no_longer_sends(
    cache: SqlReferenceData,
) -> None:
    await cache.upsert_many(ITEM, [item("A"), item("B")], source_system="erp", fetched_at=MONDAY)
    await cache.upsert_many(ITEM, [item("P")], source_system="pim", fetched_at=MONDAY)
    snapshot = await cache.upsert_many(
        ITEM, [item("B")], source_system="erp", fetched_at=TUESDAY, complete=True
    )
    assert (snapshot.removed, snapshot.unchanged) == (("A",), 1)
    assert await cache.keys(ITEM) == ["B", "P"]
    partial = await cache.upsert_many(ITEM, [], source_system="erp", fetched_at=TUESDAY)
    assert partial.removed == ()
    assert await cache.keys(ITEM) == ["B", "P"]


async def test_items_are_read_many_at_once_and_missing_ones_are_left_out(
    cache: SqlReferenceData,
) -> None:
    many = [item(f"SKU-{n:04d}") for n in range(1200)]
    await cache.upsert_many(ITEM, many, source_system="erp", fetched_at=MONDAY)
    wanted = [f"SKU-{n:04d}" for n in range(0, 1200, 7)] + ["NOPE"]
    found = await cache.items(wanted)
    assert sorted(found) == sorted(wanted[:-1])
    assert found["SKU-0007"] == item("SKU-0007")
    assert await cache.get_item("NOPE") is None


async def test_parties_and_warehouses_come_back_as_they_went_in(cache: SqlReferenceData) -> None:
    party, warehouse = example_party(), example_warehouse()
    await cache.upsert_many(PARTY, [party], source_system="erp", fetched_at=MONDAY)
    await cache.upsert_many(WAREHOUSE, [warehouse], source_system="erp", fetched_at=MONDAY)
    assert await cache.get_party(party.party_id) == party
    assert await cache.get_warehouse(warehouse.warehouse_id) == warehouse
    assert await cache.get_party(warehouse.warehouse_id) is None


async def test_a_record_of_another_kind_or_a_key_twice_is_refused(cache: SqlReferenceData) -> None:
    with pytest.raises(ValueError, match="caching party records: Item A is not a party"):
        await cache.upsert_many(PARTY, [item("A")], source_system="erp", fetched_at=MONDAY)
    with pytest.raises(ValueError, match="item A is given twice"):
        await cache.upsert_many(
            ITEM, [item("A"), item("A")], source_system="erp", fetched_at=MONDAY
        )
    assert await cache.keys(ITEM) == []


def test_the_canonical_json_reads_back_as_the_record_and_ignores_field_order() -> None:
    warehouse = example_warehouse()
    body = canonical_json(warehouse)
    assert type(warehouse).model_validate_json(body) == warehouse
    assert list(json.loads(body)) == sorted(json.loads(body))
