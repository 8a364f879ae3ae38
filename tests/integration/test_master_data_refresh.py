"""The master-data refresh against a real trytond: the ERP's records into a real SQLite cache.

Each test gets its own copy of the Tryton sandbox (``tryton_fixtures.py``)
and its own cache file. The sandbox holds the hex bolt ``FAS-10432``, the
lubricant ``LUB-5500``, the gloves ``GLV-2211``, the supplier ``SUP-ACME``
and the warehouse ``WH-EAST``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from distsync.connectors.tryton import TrytonConnector
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.master_data import refresh_master_data
from distsync.model.examples import example_item, variant
from distsync.model.examples.master import ACME
from distsync.store.ports import ReferenceChanges, ReferenceKind
from distsync.store.reference import SqlReferenceData
from distsync.testing import FrozenClock
from tests.integration.tryton_documents import WAREHOUSE

pytestmark = pytest.mark.service

ITEM, PARTY = ReferenceKind.ITEM, ReferenceKind.PARTY
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SKUS = {"FAS-10432", "LUB-5500", "GLV-2211"}


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[SqlReferenceData]:
    opened = SqlReferenceData.open(f"sqlite:///{tmp_path / 'reference.sqlite'}")
    yield opened
    await opened.close()


async def refresh(
    erp: TrytonConnector, cache: SqlReferenceData, clock: FrozenClock
) -> dict[ReferenceKind, ReferenceChanges]:
    changes = await refresh_master_data(erp, cache, system="erp", clock=clock)
    return {change.kind: change for change in changes}


def rename_product(sandbox: TrytonSandbox, code: str, name: str) -> None:
    """A person renames the product in Tryton itself (its template holds the name)."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        (row,) = rpc.model(
            "product.product", "search_read", [["code", "=", code]], 0, None, None, ["template"]
        )
        rpc.model("product.template", "write", [row["template"]], {"name": name})
    finally:
        rpc.close()


def deactivate_product(sandbox: TrytonSandbox, code: str) -> None:
    """A person archives the product in Tryton (it leaves Tryton's default searches)."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        ids = rpc.model("product.product", "search", [["code", "=", code]], 0, None, None)
        rpc.model("product.product", "write", ids, {"active": False})
    finally:
        rpc.close()


async def test_a_refresh_caches_the_erp_s_items_suppliers_and_warehouse(
    erp: TrytonConnector, cache: SqlReferenceData
) -> None:
    changes = await refresh(erp, cache, FrozenClock(START))

    items = {item.sku: item for item in await erp.read_items()}
    suppliers = sorted(party.party_id for party in await erp.read_suppliers())
    assert set(items) >= SKUS
    assert await cache.keys(ITEM) == sorted(items)
    assert await cache.items(SKUS) == {sku: items[sku] for sku in SKUS}
    assert await cache.keys(PARTY) == suppliers
    acme = await cache.get_party("SUP-ACME")
    assert acme is not None
    assert (acme.name, acme.addresses[0].city) == (ACME.name, "Cleveland")
    warehouse = await cache.get_warehouse(WAREHOUSE)
    assert warehouse is not None
    assert warehouse.address.city == "Columbus"
    assert changes[ITEM].added == tuple(sorted(items))
    assert changes[PARTY].added == tuple(suppliers)
    assert changes[ReferenceKind.WAREHOUSE].added == (WAREHOUSE, "WH-WEST")
    entry = await cache.entry(ITEM, "FAS-10432")
    assert entry is not None
    assert (entry.source_system, entry.fetched_at) == ("erp", START)


async def test_a_second_refresh_reports_every_record_unchanged(
    erp: TrytonConnector, cache: SqlReferenceData
) -> None:
    clock = FrozenClock(START)
    first = await refresh(erp, cache, clock)
    later = clock.advance(3600)

    second = await refresh(erp, cache, clock)

    for kind, change in second.items():
        assert (change.added, change.changed, change.removed) == ((), (), ()), kind
        assert change.unchanged == len(first[kind].added), kind
    entry = await cache.entry(ITEM, "FAS-10432")
    assert entry is not None
    assert (entry.fetched_at, entry.changed_at) == (later, START)


async def test_a_refresh_keeps_what_the_owner_of_item_content_wrote(
    erp: TrytonConnector, cache: SqlReferenceData
) -> None:
    clock = FrozenClock(START)
    await refresh(erp, cache, clock)
    bolt = await cache.get_item("FAS-10432")
    assert bolt is not None
    worded = variant(bolt, {"description": "Hex bolt M8 x 40 mm, zinc plated (box of 100)"})
    await cache.upsert_many(ITEM, [worded], source_system="pim", fetched_at=START)

    await refresh_master_data(
        erp, cache, system="erp", clock=clock, ownership={"item.content": "pim"}
    )
    kept = await cache.get_item("FAS-10432")
    await refresh_master_data(erp, cache, system="erp", clock=clock)  # nobody owns content
    overwritten = await cache.get_item("FAS-10432")

    assert kept is not None
    assert kept.description == worded.description  # the PIM's wording survived the refresh
    assert kept.base_uom == bolt.base_uom
    assert overwritten is not None
    assert overwritten.description == bolt.description


async def test_a_product_renamed_or_archived_in_the_erp_is_changed_in_the_cache(
    erp: TrytonConnector, cache: SqlReferenceData, tryton: TrytonSandbox
) -> None:
    clock = FrozenClock(START)
    await refresh(erp, cache, clock)
    rename_product(tryton, "FAS-10432", "Hex bolt M8 x 30, zinc flake")
    deactivate_product(tryton, "TAP-0048")
    later = clock.advance(3600)

    changes = await refresh(erp, cache, clock)

    assert changes[ITEM].changed == ("FAS-10432", "TAP-0048")
    assert changes[ITEM].removed == ()
    assert changes[ITEM].unchanged == len(await cache.keys(ITEM)) - 2
    archived = await cache.get_item("TAP-0048")
    assert archived is not None
    assert archived.active is False
    entry, item = await cache.entry(ITEM, "FAS-10432"), await cache.get_item("FAS-10432")
    assert entry is not None
    assert item is not None
    assert (item.description, entry.changed_at) == ("Hex bolt M8 x 30, zinc flake", later)


async def test_a_record_the_erp_no_longer_has_is_removed_and_other_systems_records_stay(
    erp: TrytonConnector, cache: SqlReferenceData
) -> None:
    gone = variant(example_item(), {"sku": "FAS-GONE"})
    elsewhere = variant(example_item(), {"sku": "PIM-ONLY"})
    await cache.upsert_many(ITEM, [gone], source_system="erp", fetched_at=START)
    await cache.upsert_many(ITEM, [elsewhere], source_system="pim", fetched_at=START)

    changes = await refresh(erp, cache, FrozenClock(START))

    assert changes[ITEM].removed == ("FAS-GONE",)
    assert await cache.get_item("FAS-GONE") is None
    assert await cache.get_item("PIM-ONLY") == elsewhere
    assert "FAS-10432" in await cache.keys(ITEM)
