"""SQLAlchemy engines for the embedded SQLite profile.

Two engines share one database file: a writer whose transactions start with
``BEGIN IMMEDIATE`` (so a transaction that will write takes the lock up front
instead of failing with SQLITE_BUSY half-way), and a reader whose
transactions start deferred so that ops queries never wait for the writer.
WAL mode lets readers and the writer work at the same time; ``busy_timeout``
lets several processes share the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from distsync.errors import ConfigError

SYNCHRONOUS_LEVELS = ("FULL", "NORMAL")


@dataclass(frozen=True)
class SqliteEngines:
    writer: Engine
    reader: Engine
    path: Path

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


def sqlite_path(url: str) -> Path:
    """The database file named by a ``sqlite:///`` URL; in-memory databases are refused."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise ConfigError(f"opening the embedded store: {url!r} is not a sqlite:/// URL")
    if not parsed.database or parsed.database == ":memory:":
        raise ConfigError("opening the embedded store: a database file is required, not :memory:")
    return Path(parsed.database)


def open_sqlite(
    url: str, *, synchronous: str = "FULL", busy_timeout_ms: int = 30_000
) -> SqliteEngines:
    """Create the writer and reader engines for one SQLite file (created if missing)."""
    if synchronous not in SYNCHRONOUS_LEVELS:
        raise ConfigError(f"sqlite synchronous must be one of {SYNCHRONOUS_LEVELS}")
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = _engine(path, "BEGIN IMMEDIATE", synchronous, busy_timeout_ms)
    reader = _engine(path, "BEGIN", synchronous, busy_timeout_ms)
    return SqliteEngines(writer, reader, path)


def _engine(path: Path, begin: str, synchronous: str, busy_timeout_ms: int) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine
