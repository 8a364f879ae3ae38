"""Every event-log backend is built here; the contract tests run against each one.

The SQLite backend runs on a real WAL file in the test's temporary folder,
never ``:memory:``. PostgreSQL and NATS JetStream join this list when their
backends exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from distsync.runtime.backends.memory import InMemoryMessageLog
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.testing import FrozenClock

BACKENDS = ["memory", "sqlite"]

LogFactory = Callable[[], "InMemoryMessageLog | SqliteMessageLog"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(params=BACKENDS)
async def open_log(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock
) -> AsyncIterator[LogFactory]:
    """A factory: each call opens another handle on the same backend (a second process)."""
    shared = InMemoryMessageLog(clock=clock)
    opened: list[SqliteMessageLog] = []

    def factory() -> InMemoryMessageLog | SqliteMessageLog:
        if request.param == "memory":
            return shared
        log = SqliteMessageLog.open(f"sqlite:///{tmp_path / 'log.sqlite'}", clock=clock)
        opened.append(log)
        return log

    yield factory
    for log in opened:
        await log.close()


@pytest.fixture
def log(open_log: LogFactory) -> InMemoryMessageLog | SqliteMessageLog:
    return open_log()
