"""The store's ports: partner cross-references and the master-data reference cache.

Flows depend on these Protocols and on the values beside them, never on the
SQL repositories (``store/xref.py``, ``store/reference.py``) that
``bootstrap`` chooses. Nothing here imports a database library. The
cross-reference values live in ``store/xref_values.py`` and are re-exported.

**Cross-references** translate what a partner writes into what we mean, per
partner (``XrefKind``): ``sku`` maps the partner's SKU to ours, with the
unit the partner sells it in and, optionally, how many of our item's base
unit one of those holds (ACME sells ``CS`` = 12 of our ``EA``: factor 12);
``uom`` maps a partner's unit code to one of ours (``CS`` → ``CA``);
``warehouse`` maps a partner's ship-to code or GLN to our warehouse id.
One mapping per (partner, kind, partner value). Every change keeps who, when
and why, and the value it replaced.

Lookups are called per document line: an implementation serves them from an
in-process snapshot per partner (:class:`PartnerXrefs`), so a matcher that
awaits :meth:`CrossReferences.table` once per document then looks lines up
without awaiting at all.

**The reference cache** keeps items, parties and warehouses as the system of
record (the ERP) last sent them, as canonical JSON with a content hash, so
that a refresh can tell what was added, changed, left alone or removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.store.xref_values import (
    CrossReference,
    FieldProblem,
    PartnerXrefs,
    XrefChange,
    XrefDiff,
    XrefEntry,
    XrefInvalid,
    XrefKey,
    XrefKind,
    factor_text,
)

__all__ = [
    "CrossReference",
    "CrossReferences",
    "FieldProblem",
    "MasterRecord",
    "PartnerXrefs",
    "ReferenceChanges",
    "ReferenceData",
    "ReferenceEntry",
    "ReferenceKind",
    "XrefChange",
    "XrefDiff",
    "XrefEntry",
    "XrefInvalid",
    "XrefKey",
    "XrefKind",
    "factor_text",
]


class CrossReferences(Protocol):
    """Per-partner cross-references: lookups for flows, changes for people (audited).

    Every change takes ``actor`` and ``reason``, writes one history row per
    mapping it adds, changes or removes and one row in the audit trail, all
    in one transaction. A change made through an instance is seen by its
    lookups at once; one made by another process within the instance's
    re-check interval. Invalid entries raise :class:`XrefInvalid`.
    """

    async def table(self, partner: str) -> PartnerXrefs:
        """The partner's mappings, from the in-process snapshot while it is current."""

    async def lookup_sku(self, partner: str, partner_sku: str) -> CrossReference | None: ...

    async def lookup_uom(self, partner: str, partner_uom: str) -> CrossReference | None: ...

    async def lookup_warehouse(self, partner: str, partner_code: str) -> CrossReference | None: ...

    async def entries(
        self, partner: str | None = None, kind: XrefKind | None = None
    ) -> list[CrossReference]:
        """Stored mappings by partner, kind and partner value (all partners when ``None``)."""

    async def put(self, partner: str, entry: XrefEntry, *, actor: str, reason: str) -> XrefDiff:
        """Add the mapping, or change the one stored for its key; nothing when equal."""

    async def remove(
        self, partner: str, key: XrefKey, *, actor: str, reason: str
    ) -> CrossReference | None:
        """Delete the mapping of ``key``; returns what was removed, ``None`` when none was."""

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
        """Import a sheet for ``partner``: all entries in one transaction, or none.

        Entries equal to what is stored are left alone; ``replace`` also removes
        stored mappings the entries do not mention; ``dry_run`` reports what
        would happen and writes nothing. Two entries of one key raise
        ``XrefInvalid``. ``source`` (a file name) goes into the audit trail.
        """

    async def history(
        self,
        partner: str | None = None,
        *,
        kind: XrefKind | None = None,
        partner_value: str | None = None,
        limit: int = 100,
    ) -> list[XrefChange]:
        """Changes, newest first, of every partner or the one given, narrowed by the others."""

    async def close(self) -> None:
        """Release the connections and the thread."""


# -- the reference cache of master data -------------------------------------------------

MasterRecord = Item | Party | Warehouse


class ReferenceKind(StrEnum):
    """The master data the reference cache holds, named as the model's ``kind``."""

    ITEM = "item"
    PARTY = "party"
    WAREHOUSE = "warehouse"


@dataclass(frozen=True)
class ReferenceEntry:
    """A cached master record and where it came from.

    ``fetched_at`` is the last refresh that sent it; ``changed_at`` the last
    refresh that sent it different; ``content_hash`` is the SHA-256 of its
    canonical JSON (sorted keys, no spaces).
    """

    kind: ReferenceKind
    key: str
    source_system: str
    fetched_at: datetime
    changed_at: datetime
    content_hash: str
    record: MasterRecord


@dataclass(frozen=True)
class ReferenceChanges:
    """What one ``upsert_many`` changed, by key."""

    kind: ReferenceKind
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: int = 0
    removed: tuple[str, ...] = ()


class ReferenceData(Protocol):
    """Items, parties and warehouses as their system of record last sent them."""

    async def upsert_many(
        self,
        kind: ReferenceKind,
        records: Sequence[MasterRecord],
        *,
        source_system: str,
        fetched_at: datetime,
        complete: bool = False,
    ) -> ReferenceChanges:
        """Store records of one kind; ``complete`` means every record of that kind
        from ``source_system``, so cached ones not among them are removed.
        A record of another kind, or a key given twice, raises ``ValueError``."""

    async def get_item(self, sku: str) -> Item | None: ...

    async def items(self, skus: Iterable[str]) -> dict[str, Item]:
        """The cached items among ``skus`` (missing ones are left out), in one read."""

    async def get_party(self, party_id: str) -> Party | None: ...

    async def get_warehouse(self, warehouse_id: str) -> Warehouse | None: ...

    async def entry(self, kind: ReferenceKind, key: str) -> ReferenceEntry | None:
        """A cached record with its source, fetch time and content hash."""

    async def keys(self, kind: ReferenceKind) -> list[str]:
        """The keys cached for ``kind``, sorted."""

    async def close(self) -> None:
        """Release the connections and the thread."""
