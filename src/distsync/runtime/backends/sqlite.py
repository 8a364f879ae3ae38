"""The embedded profile's backend: event log, documents and ops records in one SQLite file.

All database work of a process runs on one dedicated thread per engine (one
for writes, one for reads), one hop per batch: the event loop never blocks on
SQLite, and there is never more than one writer per process. Several processes
may share the file (WAL mode, ``BEGIN IMMEDIATE``, a busy timeout).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Table, exc
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from distsync.errors import ConfigError, PermanentError, RetryableError
from distsync.model.envelope import Envelope, utcnow
from distsync.runtime.backends import (
    sql_append,
    sql_claim,
    sql_control,
    sql_documents,
    sql_ops,
    sql_settle,
    sql_slots,
    sql_states,
)
from distsync.runtime.backends.append_coalescer import AppendCoalescer
from distsync.runtime.backends.sql_recent import RecentEvents
from distsync.runtime.backends.sqlite_writer import GroupCommitWriter
from distsync.runtime.ports import (
    AppendResult,
    AttemptRecord,
    AuditEntry,
    ClaimRequest,
    DeadLetterRecord,
    Delivery,
    DeliveryState,
    EventFilter,
    LogStats,
    Outcome,
    ParkedRecord,
    RecordStatus,
    ReplaySelection,
    SettleResult,
    StoredDocument,
    StoredEvent,
    SubscriptionSpec,
)
from distsync.runtime.selection import lease_token
from distsync.store import migrate
from distsync.store.engine import SqliteEngines, open_sqlite

T = TypeVar("T")


@contextmanager
def map_errors(fn: Callable[..., Any]) -> Iterator[None]:
    """Translate database errors into the taxonomy, once, for every call into SQLite."""
    action = getattr(fn, "__name__", "database call").strip("_")
    try:
        yield
    except exc.OperationalError as error:
        text = str(error.orig)
        if "no such table" in text or "no such column" in text:
            raise ConfigError(
                f"{action} on the event log: the database schema is older than this version "
                f"of distsync ({text}); run `distsync db upgrade`"
            ) from error
        raise RetryableError(f"{action} on the event log: {text}") from error
    except exc.DBAPIError as error:
        raise PermanentError(f"{action} on the event log: {error.orig}") from error


def _insert(table: Table) -> Insert:
    return sqlite_insert(table)


class SqliteMessageLog:
    """Event log, document store and ops records in a SQLite file (WAL)."""

    def __init__(
        self,
        engines: SqliteEngines,
        *,
        clock: Callable[[], datetime] = utcnow,
        recent_events: int = 20_000,
    ) -> None:
        self._engines = engines
        self._recent = RecentEvents(recent_events)
        self._clock = clock
        self._writer = GroupCommitWriter(engines.writer, self._recent, map_errors)
        self._appends = AppendCoalescer(self._append_now)
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="distsync-sqlite-r")

    @classmethod
    def open(
        cls, url: str, *, clock: Callable[[], datetime] = utcnow, synchronous: str = "FULL"
    ) -> SqliteMessageLog:
        """Open (and create or migrate) the database at a ``sqlite:///`` URL."""
        engines = open_sqlite(url, synchronous=synchronous)
        migrate.upgrade(engines.writer)
        return cls(engines, clock=clock)

    @property
    def path(self) -> str:
        return str(self._engines.path)

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._writer.submit(fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, partial(self._in_read, fn, *args))

    def _in_read(self, fn: Callable[..., T], *args: Any) -> T:
        with map_errors(fn), self._engines.reader.begin() as conn:
            return fn(conn, *args)

    # -- write side -------------------------------------------------------

    async def register(self, spec: SubscriptionSpec) -> None:
        await self._write(sql_append.register, spec, self._clock(), _insert)

    async def append(self, envelopes: Sequence[Envelope]) -> AppendResult:
        return await self._appends.append(envelopes)

    async def _append_now(self, envelopes: list[Envelope]) -> AppendResult:
        return await self._write(sql_append.append, envelopes, self._clock(), _insert)

    async def claim(
        self, subscription: str, *, consumer: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        def run(conn: Connection) -> list[Delivery]:
            return sql_claim.claim(
                conn,
                subscription,
                token=lease_token(consumer),
                limit=limit,
                now=self._clock().timestamp(),
                lease_seconds=lease_seconds,
            )

        return await self._write(run)

    async def extend(self, deliveries: Sequence[Delivery], *, lease_seconds: float) -> None:
        if deliveries:
            until = self._clock().timestamp() + lease_seconds
            tokens = {(d.subscription, d.lease_token) for d in deliveries}
            await self._write(sql_slots.extend, tokens, until)

    async def settle(
        self, outcomes: Sequence[Outcome], *, then_claim: ClaimRequest | None = None
    ) -> SettleResult:
        def run(conn: Connection) -> SettleResult:
            now = self._clock()
            result = sql_settle.settle(conn, list(outcomes), now, _insert)
            if then_claim is None:
                return result
            claimed = sql_claim.claim(
                conn,
                then_claim.subscription,
                token=lease_token(then_claim.consumer),
                limit=then_claim.limit,
                now=now.timestamp(),
                lease_seconds=then_claim.lease_seconds,
            )
            return SettleResult(result.settled, result.lease_lost, tuple(claimed))

        return await self._write(run)

    async def requeue(self, selection: ReplaySelection, *, actor: str, reason: str) -> int:
        return await self._write(sql_ops.requeue, selection, actor, reason, self._clock())

    async def resolve(
        self,
        exception_id: int,
        *,
        action: str,
        actor: str,
        note: str,
        params: Mapping[str, str] | None = None,
    ) -> ParkedRecord:
        chosen = (action, actor, note, dict(params or {}))
        return await self._write(sql_ops.resolve, exception_id, chosen, self._clock(), _insert)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._writer.close)
        self._reader.shutdown(wait=True)
        self._engines.dispose()

    # -- read side ----------------------------------------------------------

    async def ping(self) -> None:
        await self._read(sql_ops.ping)

    async def get_event(self, event_id: str) -> StoredEvent | None:
        return await self._read(sql_ops.get_event, event_id)

    async def list_events(
        self, selection: EventFilter, *, limit: int = 100, before_seq: int | None = None
    ) -> list[StoredEvent]:
        return await self._read(sql_ops.list_events, selection, limit, before_seq)

    async def dead_letters(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[DeadLetterRecord]:
        return await self._read(sql_ops.dead_letters_, status, limit, partner)

    async def dead_letter(self, dead_letter_id: int) -> DeadLetterRecord | None:
        return await self._read(sql_ops.dead_letter, dead_letter_id)

    async def exceptions(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        reason_code: str | None = None,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[ParkedRecord]:
        return await self._read(sql_ops.exceptions_, status, reason_code, limit, partner)

    async def exception(self, exception_id: int) -> ParkedRecord | None:
        return await self._read(sql_ops.exception, exception_id)

    async def delivery_states(self, event_id: str) -> list[DeliveryState]:
        return await self._read(sql_states.delivery_states, event_id, self._clock().timestamp())

    async def attempts(self, event_id: str) -> list[AttemptRecord]:
        return await self._read(sql_ops.attempts_for, event_id)

    async def audit(self, *, limit: int = 100) -> list[AuditEntry]:
        return await self._read(sql_ops.audit_entries, limit)

    async def duplicates(self, *, limit: int = 100) -> list[tuple[str, str, datetime]]:
        return await self._read(sql_ops.duplicate_entries, limit)

    async def stats(self) -> LogStats:
        return await self._read(sql_ops.stats, self._clock().timestamp())

    async def get_document(self, kind: str, key: str) -> StoredDocument | None:
        return await self._read(sql_ops.get_document, kind, key)

    async def list_documents(
        self, kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]:
        return await self._read(sql_documents.list_documents, kind, after_key, limit)

    async def put_document(
        self, kind: str, key: str, body: Mapping[str, Any], *, by: str
    ) -> StoredDocument:
        return await self._write(
            sql_documents.put_document, kind, key, body, by, self._clock(), _insert
        )

    # -- control numbers ------------------------------------------------------------

    async def assign(self, partner: str, kind: str, key: str, count: int = 1) -> list[int]:
        """See ``ControlNumbers``: every kind counts 1..999999999, then wraps to 1."""
        return await self._write(sql_control.assign, partner, kind, key, count)
