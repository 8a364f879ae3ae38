"""Master data from its system of record into the reference cache: items, suppliers, warehouses.

The ERP owns items, parties and warehouses (``ownership:`` in the landscape
says so by default). :func:`refresh_master_data` reads all three from it and
stores them with ``ReferenceData.upsert_many(..., complete=True)``: what the
ERP no longer has is removed from the cache, what it changed is replaced,
the rest is left alone. The flows read items (units, conversions) from the
cache, never from the ERP while a document waits. A scheduled job runs it
every ``flows.procure.master_data_minutes``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.store.ports import MasterRecord, ReferenceChanges, ReferenceData, ReferenceKind
from distsync.telemetry import get_logger

__all__ = ["MasterDataSource", "refresh_master_data"]

log = get_logger(component="master_data")


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
) -> list[ReferenceChanges]:
    """Read every item, supplier and warehouse of ``system`` and bring the cache up to date."""
    batches: list[tuple[ReferenceKind, Sequence[MasterRecord]]] = [
        (ReferenceKind.ITEM, await source.read_items()),
        (ReferenceKind.PARTY, await source.read_suppliers()),
        (ReferenceKind.WAREHOUSE, await source.read_warehouses()),
    ]
    fetched_at = clock()
    changes = []
    for kind, records in batches:
        change = await reference.upsert_many(
            kind, records, source_system=system, fetched_at=fetched_at, complete=True
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
