"""The reference cache of master data in SQL: items, parties and warehouses from the ERP.

Each record is kept as canonical JSON (the model's JSON form with sorted keys
and no spaces) with the SHA-256 of that text, the system it came from, when
a refresh last sent it (``fetched_at``) and when it last sent it different
(``changed_at``). ``upsert_many`` compares hashes to tell added, changed and
unchanged records apart, and with a complete snapshot removes the ones the
system no longer sends. Reads validate the stored JSON back into the model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, and_, bindparam, delete, select, update

from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.store.ports import MasterRecord, ReferenceChanges, ReferenceEntry, ReferenceKind
from distsync.store.sql_repository import (
    DEFAULT_BUSY_TIMEOUT_MS,
    SqlRepository,
    iso,
    open_migrated,
)
from distsync.store.tables import reference_records

R = TypeVar("R", Item, Party, Warehouse)

MODELS: Mapping[ReferenceKind, type[MasterRecord]] = MappingProxyType(
    {ReferenceKind.ITEM: Item, ReferenceKind.PARTY: Party, ReferenceKind.WAREHOUSE: Warehouse}
)
KEYS_PER_QUERY = 500


def canonical_json(record: MasterRecord) -> str:
    """The record's JSON form with sorted keys and no spaces: equal records, equal text."""
    data = record.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class _Snapshot:
    """Records of one kind from one system, ready to compare with what is cached."""

    kind: ReferenceKind
    source_system: str
    fetched_at: str
    complete: bool
    records: Sequence[MasterRecord]


class SqlReferenceData(SqlRepository):
    """``ReferenceData`` on the landscape's SQL database."""

    @classmethod
    def open(cls, url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> SqlReferenceData:
        """Open (creating or migrating) the database at a ``sqlite:///`` URL."""
        return cls(open_migrated(url, busy_timeout_ms=busy_timeout_ms), thread_name="distsync-ref")

    async def upsert_many(
        self,
        kind: ReferenceKind,
        records: Sequence[MasterRecord],
        *,
        source_system: str,
        fetched_at: datetime,
        complete: bool = False,
    ) -> ReferenceChanges:
        _check_records(kind, records)
        snapshot = _Snapshot(kind, source_system, iso(fetched_at), complete, records)
        action = f"caching {len(records)} {kind} records from {source_system}"
        return await self._write(action, upsert, snapshot)

    async def get_item(self, sku: str) -> Item | None:
        return await self._one(ReferenceKind.ITEM, sku, Item)

    async def items(self, skus: Iterable[str]) -> dict[str, Item]:
        wanted = sorted(set(skus))
        found = await self._read("reading cached items", bodies, ReferenceKind.ITEM, wanted)
        return {key: Item.model_validate_json(body) for key, body in found.items()}

    async def get_party(self, party_id: str) -> Party | None:
        return await self._one(ReferenceKind.PARTY, party_id, Party)

    async def get_warehouse(self, warehouse_id: str) -> Warehouse | None:
        return await self._one(ReferenceKind.WAREHOUSE, warehouse_id, Warehouse)

    async def entry(self, kind: ReferenceKind, key: str) -> ReferenceEntry | None:
        return await self._read(f"reading cached {kind} {key}", read_entry, kind, key)

    async def keys(self, kind: ReferenceKind) -> list[str]:
        return await self._read(f"listing cached {kind} records", read_keys, kind)

    async def _one(self, kind: ReferenceKind, key: str, model: type[R]) -> R | None:
        found = await self._read(f"reading cached {kind} {key}", bodies, kind, [key])
        body = found.get(key)
        return None if body is None else model.model_validate_json(body)


def _check_records(kind: ReferenceKind, records: Sequence[MasterRecord]) -> None:
    model = MODELS[kind]
    seen: set[str] = set()
    for record in records:
        if not isinstance(record, model):
            what = f"{type(record).__name__} {record.document_number()}"
            raise ValueError(f"caching {kind} records: {what} is not a {kind}")
        key = record.document_number()
        if key in seen:
            raise ValueError(f"caching {kind} records: {kind} {key} is given twice")
        seen.add(key)


# -- SQL (each function runs inside one transaction) ---------------------------------


def upsert(conn: Connection, snapshot: _Snapshot) -> ReferenceChanges:
    incoming = {r.document_number(): canonical_json(r) for r in snapshot.records}
    stored = _stored_marks(conn, snapshot.kind, list(incoming))
    added = [key for key in incoming if key not in stored]
    changed = [k for k in incoming if k in stored and stored[k] != _mark(snapshot, incoming[k])]
    unchanged = [k for k in incoming if k in stored and k not in set(added) | set(changed)]
    removed = _removed(conn, snapshot, incoming) if snapshot.complete else []
    _insert(conn, snapshot, {key: incoming[key] for key in added})
    _rewrite(conn, snapshot, {key: incoming[key] for key in changed})
    _touch(conn, snapshot, unchanged)
    _delete(conn, snapshot.kind, removed)
    return ReferenceChanges(
        snapshot.kind, tuple(added), tuple(changed), len(unchanged), tuple(removed)
    )


def _mark(snapshot: _Snapshot, body: str) -> tuple[str, str]:
    """What must match for a record to be unchanged: its content, and where it came from."""
    return content_hash(body), snapshot.source_system


def _stored_marks(
    conn: Connection, kind: ReferenceKind, keys: list[str]
) -> dict[str, tuple[str, str]]:
    table = reference_records
    found: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(keys):
        query = select(table.c.key, table.c.content_hash, table.c.source_system).where(
            table.c.kind == kind.value, table.c.key.in_(chunk)
        )
        found.update(
            (row.key, (row.content_hash, row.source_system)) for row in conn.execute(query)
        )
    return found


def _removed(conn: Connection, snapshot: _Snapshot, incoming: Mapping[str, str]) -> list[str]:
    table = reference_records
    query = select(table.c.key).where(
        table.c.kind == snapshot.kind.value, table.c.source_system == snapshot.source_system
    )
    return sorted(key for key in conn.execute(query).scalars() if key not in incoming)


def _insert(conn: Connection, snapshot: _Snapshot, records: Mapping[str, str]) -> None:
    if not records:
        return
    fetched = snapshot.fetched_at
    rows = [
        {
            "kind": snapshot.kind.value,
            "key": key,
            "source_system": snapshot.source_system,
            "fetched_at": fetched,
            "changed_at": fetched,
            "content_hash": content_hash(body),
            "body": body,
        }
        for key, body in records.items()
    ]
    conn.execute(reference_records.insert(), rows)


def _rewrite(conn: Connection, snapshot: _Snapshot, records: Mapping[str, str]) -> None:
    if not records:
        return
    statement = _by_key().values(
        source_system=bindparam("v_source"),
        fetched_at=bindparam("v_at"),
        changed_at=bindparam("v_at"),
        content_hash=bindparam("v_hash"),
        body=bindparam("v_body"),
    )
    rows = [
        {
            "w_kind": snapshot.kind.value,
            "w_key": key,
            "v_source": snapshot.source_system,
            "v_at": snapshot.fetched_at,
            "v_hash": content_hash(body),
            "v_body": body,
        }
        for key, body in records.items()
    ]
    conn.execute(statement, rows)


def _touch(conn: Connection, snapshot: _Snapshot, keys: Sequence[str]) -> None:
    if not keys:
        return
    statement = _by_key().values(fetched_at=bindparam("v_at"))
    rows = [{"w_kind": snapshot.kind.value, "w_key": k, "v_at": snapshot.fetched_at} for k in keys]
    conn.execute(statement, rows)


def _delete(conn: Connection, kind: ReferenceKind, keys: Sequence[str]) -> None:
    table = reference_records
    for chunk in _chunks(keys):
        conn.execute(delete(table).where(table.c.kind == kind.value, table.c.key.in_(chunk)))


def _by_key() -> Any:
    table = reference_records
    return update(table).where(
        and_(table.c.kind == bindparam("w_kind"), table.c.key == bindparam("w_key"))
    )


def bodies(conn: Connection, kind: ReferenceKind, keys: list[str]) -> dict[str, str]:
    table = reference_records
    found: dict[str, str] = {}
    for chunk in _chunks(keys):
        query = select(table.c.key, table.c.body).where(
            table.c.kind == kind.value, table.c.key.in_(chunk)
        )
        found.update((row.key, row.body) for row in conn.execute(query))
    return found


def read_entry(conn: Connection, kind: ReferenceKind, key: str) -> ReferenceEntry | None:
    table = reference_records
    query = select(table).where(table.c.kind == kind.value, table.c.key == key)
    row = conn.execute(query).first()
    return None if row is None else _entry(kind, row)


def read_keys(conn: Connection, kind: ReferenceKind) -> list[str]:
    table = reference_records
    query = select(table.c.key).where(table.c.kind == kind.value).order_by(table.c.key)
    return list(conn.execute(query).scalars())


def _entry(kind: ReferenceKind, row: Row[Any]) -> ReferenceEntry:
    return ReferenceEntry(
        kind=kind,
        key=row.key,
        source_system=row.source_system,
        fetched_at=datetime.fromisoformat(row.fetched_at),
        changed_at=datetime.fromisoformat(row.changed_at),
        content_hash=row.content_hash,
        record=MODELS[kind].model_validate_json(row.body),
    )


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), KEYS_PER_QUERY):
        yield keys[start : start + KEYS_PER_QUERY]
