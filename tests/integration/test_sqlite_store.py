"""The embedded store on a real SQLite file: schema, durability, WAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from distsync.errors import ConfigError
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.ports import DeadLetter, ErrorInfo, SubscriptionSpec
from distsync.store import migrate
from distsync.store.engine import open_sqlite
from distsync.store.tables import metadata
from distsync.testing import make_envelope

SPEC = SubscriptionSpec("inventory", ("inventory.*",), ordered=True)


def test_migrations_create_exactly_the_declared_tables(tmp_path: Path) -> None:
    engines = open_sqlite(f"sqlite:///{tmp_path / 'm.sqlite'}")
    before, after = migrate.upgrade(engines.writer)
    assert before is None
    assert after == migrate.head_revision()
    with engines.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert migrate.upgrade(engines.writer) == (after, after)
    engines.dispose()


def test_database_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    SqliteMessageLog.open(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_everything_survives_closing_and_reopening_the_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.sqlite'}"
    log = SqliteMessageLog.open(url)
    await log.register(SPEC)
    pending, failed = make_envelope(partition="A"), make_envelope(partition="B")
    await log.append([pending, failed])
    deliveries = await log.claim("inventory", consumer="c", limit=10, lease_seconds=0)
    dying = next(d for d in deliveries if d.envelope.event_id == failed.event_id)
    await log.settle([DeadLetter(dying, ErrorInfo("PermanentError", "bad"))])
    await log.close()

    reopened = SqliteMessageLog.open(url)
    (again,) = await reopened.claim("inventory", consumer="c2", limit=10, lease_seconds=30)
    assert again.envelope == pending
    assert again.attempt == 2
    (dead,) = await reopened.dead_letters()
    assert dead.event.envelope == failed
    await reopened.close()


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ConfigError, match="database file is required"):
        SqliteMessageLog.open("sqlite:///:memory:")


async def test_a_database_older_than_the_code_asks_for_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    log = SqliteMessageLog.open(url)
    await log.register(SPEC)
    with sqlite3.connect(tmp_path / "old.sqlite") as conn:
        conn.execute("DROP TABLE held")
    with pytest.raises(ConfigError, match="run `distsync db upgrade`"):
        await log.claim("inventory", consumer="c", limit=1, lease_seconds=1)
    await log.close()
