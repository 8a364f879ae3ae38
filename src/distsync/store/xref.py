"""Partner cross-references in SQL, with a read-through cache per partner.

Lookups are served from a snapshot of the partner's mappings
(``PartnerXrefs``) held in memory. A snapshot is the partner's rows at one
revision: the id of the partner's newest history row, which every change
writes. The cache is

- dropped for a partner as soon as this instance changes it (a load that
  started before the change does not put its stale result back);
- re-checked at most every ``recheck_seconds`` (one indexed read of the
  revision; the rows are read again only when it moved), so changes made by
  another process (``distsync xref`` while ``serve`` runs) are seen within
  that interval.

Every change writes its history rows and one audit row in the transaction
that changes the mappings.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from distsync.model.envelope import utcnow
from distsync.store.engine import SqliteEngines
from distsync.store.ports import (
    CrossReference,
    PartnerXrefs,
    XrefChange,
    XrefDiff,
    XrefEntry,
    XrefKey,
    XrefKind,
)
from distsync.store.sql_repository import DEFAULT_BUSY_TIMEOUT_MS, SqlRepository, open_migrated
from distsync.store.xref_sql import (
    Change,
    apply,
    changes,
    load_table,
    plan,
    remove_one,
    select_entries,
)

DEFAULT_RECHECK_SECONDS = 1.0

T = TypeVar("T")


@dataclass(frozen=True)
class _Cached:
    table: PartnerXrefs
    checked_at: float


class SqlCrossReferences(SqlRepository):
    """``CrossReferences`` on the landscape's SQL database."""

    def __init__(
        self,
        engines: SqliteEngines,
        *,
        clock: Callable[[], datetime] = utcnow,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(engines, thread_name="distsync-xref")
        self._clock = clock
        self._recheck = recheck_seconds
        self._monotonic = monotonic
        self._cache: dict[str, _Cached] = {}
        self._generation: dict[str, int] = {}

    @classmethod
    def open(
        cls,
        url: str,
        *,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> SqlCrossReferences:
        """Open (creating or migrating) the database at a ``sqlite:///`` URL."""
        engines = open_migrated(url, busy_timeout_ms=busy_timeout_ms)
        return cls(engines, recheck_seconds=recheck_seconds)

    # -- lookups ------------------------------------------------------------------

    async def table(self, partner: str) -> PartnerXrefs:
        cached = self._cache.get(partner)
        now = self._monotonic()
        if cached is not None and now - cached.checked_at < self._recheck:
            return cached.table
        generation = self._generation.get(partner, 0)
        known = None if cached is None else cached.table.revision
        action = f"reading the cross-references of {partner}"
        loaded = await self._read(action, load_table, partner, known)
        table = loaded if loaded is not None else _table_of(cached)
        if self._generation.get(partner, 0) == generation:
            self._cache[partner] = _Cached(table, now)
        return table

    async def lookup_sku(self, partner: str, partner_sku: str) -> CrossReference | None:
        return (await self.table(partner)).sku(partner_sku)

    async def lookup_uom(self, partner: str, partner_uom: str) -> CrossReference | None:
        return (await self.table(partner)).uom(partner_uom)

    async def lookup_warehouse(self, partner: str, partner_code: str) -> CrossReference | None:
        return (await self.table(partner)).warehouse(partner_code)

    async def entries(
        self, partner: str | None = None, kind: XrefKind | None = None
    ) -> list[CrossReference]:
        return await self._read("listing cross-references", select_entries, partner, kind)

    async def history(
        self,
        partner: str | None = None,
        *,
        kind: XrefKind | None = None,
        partner_value: str | None = None,
        limit: int = 100,
    ) -> list[XrefChange]:
        action = "reading the cross-reference history"
        return await self._read(action, changes, partner, kind, partner_value, limit)

    # -- changes ------------------------------------------------------------------

    async def put(self, partner: str, entry: XrefEntry, *, actor: str, reason: str) -> XrefDiff:
        entry.check(f"mapping for {partner}:")
        change = Change(partner, actor, reason, self._clock(), "xref put", _key_text(entry.key))
        action = f"mapping {entry.kind} {entry.partner_value!r} for {partner}"
        return await self._changing(partner, action, apply, change, [entry], entry.key, False)

    async def load(
        self,
        partner: str,
        entries: Sequence[XrefEntry],
        *,
        actor: str,
        reason: str,
        source: str = "",
        replace: bool = False,
        dry_run: bool = False,
    ) -> XrefDiff:
        for entry in entries:
            entry.check(f"importing for {partner}:")
        selection = f"source={source}" if source else f"{len(entries)} entries"
        change = Change(partner, actor, reason, self._clock(), "xref import", selection)
        action = f"importing cross-references for {partner}"
        if dry_run:
            diff = await self._read(action, plan, change, list(entries), None, replace)
            return dataclasses.replace(diff, dry_run=True)
        return await self._changing(partner, action, apply, change, list(entries), None, replace)

    async def remove(
        self, partner: str, key: XrefKey, *, actor: str, reason: str
    ) -> CrossReference | None:
        change = Change(partner, actor, reason, self._clock(), "xref remove", _key_text(key))
        action = f"removing {key.kind} {key.partner_value!r} of {partner}"
        return await self._changing(partner, action, remove_one, change, key)

    async def _changing(self, partner: str, action: str, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await self._write(action, fn, *args)
        finally:  # even a failed commit may have changed nothing or everything: reload
            self._generation[partner] = self._generation.get(partner, 0) + 1
            self._cache.pop(partner, None)


def _table_of(cached: _Cached | None) -> PartnerXrefs:
    assert cached is not None, "a first load always reads the rows"
    return cached.table


def _key_text(key: XrefKey) -> str:
    return f"{key.kind} {key.partner_value}"
