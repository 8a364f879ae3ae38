"""Master data from its system of record into the reference cache: items, suppliers, warehouses.

The ERP owns items, parties and warehouses (``ownership:`` in the landscape
says so by default). :func:`refresh_master_data` reads all three from it and
stores them with ``ReferenceData.upsert_many(..., complete=True)``: what the
ERP no longer has is removed from the cache, what it changed is replaced,
the rest is left alone, and fields of a group the landscape's ``ownership``
gives to another system keep what that system set. The flows read items
(units, conversions) from the cache, never from the ERP while a document
waits. A scheduled job runs it
every ``flows.procure.master_data_minutes``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.rules.governance_merge import keep_others_fields
from distsync.store.ports import MasterRecord, ReferenceChanges, ReferenceData, ReferenceKind
from distsync.telemetry import get_logger

__all__ = ["MasterDataSource", "refresh_master_data"]

log = get_logger(component="master_data")
NOBODY: Mapping[str, str] = MappingProxyType({})


@runtime_checkable
class MasterDataSource(Protocol):
    """A system of record's items, suppliers and warehouses (the Tryton connector is one)."""

    async def read_items(self) -> list[Item]: ...

    async def read_suppliers(self) -> list[Party]: ...

    async def read_warehouses(self) -> list[Warehouse]: ...


async def refresh_master_data(
    source: MasterDataSource,
    reference: ReferenceData,
    *,
    system: str,
    clock: Callable[[], datetime],
    ownership: Mapping[str, str] = NOBODY,
) -> list[ReferenceChanges]:
    """Read every item, supplier and warehouse of ``system`` and bring the cache up to date.

    Fields of a group ``ownership`` gives to another system keep their cached
    value (``rules.governance_merge``): the refresh never undoes what the
    owner of, say, item content set.
    """
    batches: list[tuple[ReferenceKind, Sequence[MasterRecord]]] = [
        (ReferenceKind.ITEM, await source.read_items()),
        (ReferenceKind.PARTY, await source.read_suppliers()),
        (ReferenceKind.WAREHOUSE, await source.read_warehouses()),
    ]
    fetched_at = clock()
    changes = []
    for kind, records in batches:
        governed = [
            keep_others_fields(
                ownership,
                object_type=kind.value,
                source_system=system,
                refreshed=record,
                cached=await _cached(reference, kind, record) if ownership else None,
            )
            for record in records
        ]
        change = await reference.upsert_many(
            kind, governed, source_system=system, fetched_at=fetched_at, complete=True
        )
        log.info(
            "master_data_refreshed",
            kind=kind.value,
            system=system,
            added=len(change.added),
            changed=len(change.changed),
            removed=len(change.removed),
            unchanged=change.unchanged,
        )
        changes.append(change)
    return changes


async def _cached(
    reference: ReferenceData, kind: ReferenceKind, record: MasterRecord
) -> MasterRecord | None:
    entry = await reference.entry(kind, record.document_number())
    return None if entry is None else entry.record
