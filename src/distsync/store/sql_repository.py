"""What the store's SQL repositories share: their own engines, one thread, one error mapping.

A repository (cross-references, the reference cache) opens its own engines on
the landscape's database file, next to the runtime's backend, which writes
the same file from its own writer thread. That is safe because SQLite in WAL
mode lets readers work beside the one writer, every write transaction starts
with ``BEGIN IMMEDIATE`` (it waits for the write lock up front, for up to the
busy timeout, instead of failing half-way), and each call here is one short
transaction. Work runs on one thread per repository, one hop per call, so
the event loop never waits on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, exc

from distsync.errors import ConfigError, PermanentError, RetryableError
from distsync.store import migrate
from distsync.store.engine import SqliteEngines, open_sqlite

T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT_MS = 30_000


def open_migrated(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> SqliteEngines:
    """Engines on the database at ``url``, created or migrated to the newest schema."""
    engines = open_sqlite(url, busy_timeout_ms=busy_timeout_ms)
    try:
        migrate.upgrade(engines.writer)
    except Exception:
        engines.dispose()
        raise
    return engines


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, as the runtime writes its times: sorts and compares as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@contextmanager
def map_errors(action: str) -> Iterator[None]:
    """Translate database errors into the taxonomy, naming what was being done."""
    try:
        yield
    except exc.OperationalError as error:
        text = str(error.orig)
        if "no such table" in text or "no such column" in text:
            raise ConfigError(
                f"{action}: the database schema is older than this version of distsync "
                f"({text}); run `distsync db upgrade`"
            ) from error
        raise RetryableError(f"{action}: {text}") from error
    except exc.DBAPIError as error:
        raise PermanentError(f"{action}: {error.orig}") from error


class SqlRepository:
    """Base of a repository: ``_read`` and ``_write`` run ``fn(connection, *args)``
    in one transaction on the repository's thread."""

    def __init__(self, engines: SqliteEngines, *, thread_name: str) -> None:
        self._engines = engines
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=thread_name)

    @property
    def path(self) -> str:
        return str(self._engines.path)

    async def _read(self, action: str, fn: Callable[..., T], *args: Any) -> T:
        return await self._hop(self._engines.reader, action, fn, args)

    async def _write(self, action: str, fn: Callable[..., T], *args: Any) -> T:
        return await self._hop(self._engines.writer, action, fn, args)

    async def _hop(
        self, engine: Engine, action: str, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        call = partial(self._in_transaction, engine, action, fn, args)
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    @staticmethod
    def _in_transaction(
        engine: Engine, action: str, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> T:
        with map_errors(action), engine.begin() as conn:
            result: T = fn(conn, *args)
            return result

    async def close(self) -> None:
        """Finish the call in hand, then release the thread and the connections."""
        await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown, True)
        self._engines.dispose()
