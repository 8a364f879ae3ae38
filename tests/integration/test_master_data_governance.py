"""Master-data updates under the landscape's ownership, on a real SQLite file.

Items, parties and warehouses arrive as ``item.changed`` (and so on) from the
systems of the landscape; only the system of record of what an update
changes may apply it. The rest park as ``not_system_of_record`` for a data
steward and leave the reference cache as it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.master_data_updates import partition_key
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.examples import example_item, example_warehouse, variant
from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.rules.field_groups import FIELD_GROUPS
from distsync.runtime.operations import ParkedRecord, RecordStatus
from distsync.store.ports import MasterRecord, ReferenceEntry, ReferenceKind
from distsync.store.reference import SqlReferenceData
from distsync.testing import FrozenClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SYSTEMS = ("erp", "pim", "wms-east")
ITEM, WAREHOUSE = ReferenceKind.ITEM, ReferenceKind.WAREHOUSE
SKU = example_item().sku
STEWARD = "steward@northwind"


@dataclass
class MasterDataWorld:
    """Services of a landscape with erp, pim and wms-east, and the updates flow wired in."""

    services: Services
    clock: FrozenClock
    closed: bool = False

    @classmethod
    def open(cls, tmp_path: Path, ownership: Mapping[str, str]) -> MasterDataWorld:
        nowhere = "http://127.0.0.1:9"
        data = {
            "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
            "systems": {name: {"type": "http-json", "url": nowhere} for name in SYSTEMS},
            "ownership": dict(ownership),
        }
        landscape = build_landscape(data, base_dir=tmp_path)
        clock = FrozenClock(START)
        reference = SqlReferenceData.open(landscape.runtime.database_url)
        overrides = Overrides(reference=reference, clock=clock)
        return cls(build(landscape, overrides=overrides), clock)

    async def seed(self, record: MasterRecord, *, source_system: str = "erp") -> None:
        """The record as the ERP's refresh cached it."""
        kind = ReferenceKind(record.kind)
        await self.services.reference.upsert_many(
            kind, [record], source_system=source_system, fetched_at=START
        )

    async def send(self, record: MasterRecord, *, sender: str) -> None:
        """``sender`` publishes the record as its ``<kind>.changed`` event; the worker runs."""
        event_id, now = new_event_id(), self.clock()
        envelope = Envelope(
            event_id=event_id,
            type=f"{record.kind}.changed",
            schema_version=1,
            source_system=sender,
            correlation_id=partition_key(record),
            idempotency_key=f"test:{event_id}",
            partition_key=partition_key(record),
            occurred_at=now,
            received_at=now,
            payload=record.model_dump(mode="json"),
        )
        await self.services.intake.accept([envelope])
        await self.drain()

    async def drain(self) -> None:
        await self.services.worker("test").drain()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.services.close()

    async def entry(self, kind: ReferenceKind, key: str) -> ReferenceEntry:
        found = await self.services.reference.entry(kind, key)
        assert found is not None, f"{kind} {key} is not cached"
        return found

    async def parked(self, status: RecordStatus | None = RecordStatus.OPEN) -> list[ParkedRecord]:
        return await self.services.backend.exceptions(status=status)

    async def resolve(self, exception: ParkedRecord, action: str) -> ParkedRecord:
        resolved = await self.services.backend.resolve(
            exception.id, action=action, actor=STEWARD, note="checked with the owner"
        )
        await self.drain()
        return resolved


Opener = Callable[[Mapping[str, str]], MasterDataWorld]


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[Opener]:
    worlds: list[MasterDataWorld] = []

    def open_landscape(ownership: Mapping[str, str]) -> MasterDataWorld:
        worlds.append(MasterDataWorld.open(tmp_path, ownership))
        return worlds[-1]

    yield open_landscape
    for world in worlds:
        await world.close()


def renamed(item: Item, description: str) -> Item:
    return variant(item, {"description": description})


async def test_a_non_owner_update_is_refused_and_parked_for_a_data_steward(
    opened: Opener,
) -> None:
    world = opened({"item": "erp", "item.content": "pim"})
    await world.seed(example_item())
    before = await world.entry(ITEM, SKU)

    await world.send(renamed(example_item(), "Hex bolt M8, zinc"), sender="erp")

    (parked,) = await world.parked()
    assert (parked.subscription, parked.reason_code) == (
        "master_data.updates",
        "not_system_of_record",
    )
    assert parked.document_ref == f"item:{SKU}"
    facts = parked.facts
    assert (facts["refused"], facts["owners"], facts["source_system"]) == (
        "item.content",
        "pim",
        "erp",
    )
    assert facts["owner.item.content"] == "pim"
    assert (facts["changed_fields"], facts["field_groups"]) == ("description", "content")
    assert "erp may not change item" in parked.message
    assert await world.entry(ITEM, SKU) == before


async def test_the_owner_s_update_is_applied(opened: Opener) -> None:
    world = opened({"item": "erp", "item.content": "pim"})
    await world.seed(example_item())
    later = world.clock.advance(60)

    await world.send(renamed(example_item(), "Hex bolt M8, zinc"), sender="pim")

    assert await world.parked() == []
    cached = await world.entry(ITEM, SKU)
    assert cached.record == renamed(example_item(), "Hex bolt M8, zinc")
    assert (cached.source_system, cached.changed_at) == ("pim", later)


async def test_an_update_of_a_group_nobody_owns_is_applied_from_anyone(opened: Opener) -> None:
    world = opened({"item.content": "pim", "item.logistics": "erp"})
    await world.seed(example_item())
    retired = variant(example_item(), {"active": False})

    await world.send(retired, sender="wms-east")

    assert await world.parked() == []
    assert (await world.entry(ITEM, SKU)).record == retired


async def test_an_update_touching_an_owned_and_a_free_group_is_refused_whole(
    opened: Opener,
) -> None:
    world = opened({"item.content": "pim"})
    await world.seed(example_item())
    before = await world.entry(ITEM, SKU)

    await world.send(
        variant(example_item(), {"active": False, "brand": "Boltco"}), sender="wms-east"
    )

    (parked,) = await world.parked()
    assert parked.facts["refused"] == "item.content"
    assert parked.facts["field_groups"] == "content, status"
    assert await world.entry(ITEM, SKU) == before


async def test_a_new_record_touches_every_group(opened: Opener) -> None:
    world = opened({"item.content": "pim"})
    fresh = variant(example_item(), {"sku": "FAS-99001"})

    await world.send(fresh, sender="erp")
    (parked,) = await world.parked()
    assert (parked.document_ref, parked.facts["refused"]) == ("item:FAS-99001", "item.content")
    assert await world.services.reference.get_item("FAS-99001") is None

    await world.send(fresh, sender="pim")
    assert await world.services.reference.get_item("FAS-99001") == fresh


async def test_an_unchanged_record_from_a_non_owner_changes_nothing(opened: Opener) -> None:
    world = opened({"item": "erp"})
    await world.seed(example_item())
    before = await world.entry(ITEM, SKU)

    await world.send(example_item(), sender="pim")

    assert await world.parked() == []
    assert await world.entry(ITEM, SKU) == before


async def test_warehouse_operations_belong_to_any_wms_by_glob(opened: Opener) -> None:
    world = opened({"warehouse": "erp", "warehouse.operations": "wms-*"})
    await world.seed(example_warehouse())
    docks = variant(example_warehouse(), {"locations.0.location_id": "DOCK-4"})

    await world.send(docks, sender="erp")
    (parked,) = await world.parked()
    assert (parked.facts["refused"], parked.facts["owners"]) == ("warehouse.operations", "wms-*")
    assert (await world.entry(WAREHOUSE, "WH-EAST")).record == example_warehouse()

    await world.send(docks, sender="wms-east")
    assert (await world.entry(WAREHOUSE, "WH-EAST")).record == docks


async def test_the_refusal_offers_discard_keep_the_owner_s_values_and_replay(
    opened: Opener,
) -> None:
    world = opened({"item": "erp"})
    await world.seed(example_item())
    before = await world.entry(ITEM, SKU)
    await world.send(renamed(example_item(), "From the PIM"), sender="pim")
    await world.send(variant(example_item(), {"brand": "Also the PIM"}), sender="pim")

    first, second = await world.parked()
    assert {name for name, _ in first.resolutions} == {"discard", "accept_from_owner", "replay"}
    discarded = await world.resolve(first, "discard")
    kept = await world.resolve(second, "accept_from_owner")

    assert (discarded.status, kept.status) == (RecordStatus.DISCARDED, RecordStatus.RESOLVED)
    assert await world.parked() == []
    assert await world.entry(ITEM, SKU) == before


async def test_a_refused_update_is_applied_by_replay_once_the_ownership_changed(
    opened: Opener,
) -> None:
    world = opened({"item": "erp"})
    await world.seed(example_item())
    await world.send(renamed(example_item(), "Hex bolt M8, from the PIM"), sender="pim")
    (parked,) = await world.parked()
    await world.close()

    # The steward edits the landscape file and distsync starts again with it.
    world = opened({"item": "erp", "item.content": "pim"})
    replayed = await world.resolve(parked, "replay")

    assert replayed.status is RecordStatus.REPLAYED
    assert await world.parked() == []
    cached = await world.entry(ITEM, SKU)
    assert cached.record == renamed(example_item(), "Hex bolt M8, from the PIM")
    assert cached.source_system == "pim"


@pytest.mark.parametrize("model", [Item, Party, Warehouse])
def test_every_field_of_a_master_record_has_a_field_group(
    model: type[Item | Party | Warehouse],
) -> None:
    assert set(FIELD_GROUPS[model.kind]) == set(model.model_fields)
