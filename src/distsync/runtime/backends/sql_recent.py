"""Recently appended events kept in memory, so a process that appends and consumes
does not read back and parse what it has just written.

Entries are keyed by seq, which names one immutable event for ever, and are
added only after the appending transaction committed (a rolled-back seq is
reused by the next append). Each process has its own cache; a miss is read
from the database, so correctness never depends on it.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from sqlalchemy import Connection

from distsync.runtime.ports import StoredEvent

PENDING = "distsync.appended"
"""Key in ``Connection.info`` where an open transaction collects what it appended."""


def note_appended(conn: Connection, stored: list[StoredEvent]) -> None:
    """Remember events appended in the open transaction (published on commit)."""
    conn.info.setdefault(PENDING, []).extend(stored)


def take_appended(conn: Connection) -> list[StoredEvent]:
    pending: list[StoredEvent] = conn.info.pop(PENDING, [])
    return pending


def recent_of(conn: Connection) -> RecentEvents | None:
    cache: Any = conn.info.get(RecentEvents.INFO_KEY)
    return cache if isinstance(cache, RecentEvents) else None


class RecentEvents:
    """A bounded map seq → stored event, oldest evicted first."""

    INFO_KEY = "distsync.recent"

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._events: dict[int, StoredEvent] = {}  # insertion order is seq order

    def add(self, stored: list[StoredEvent]) -> None:
        if self._capacity <= 0:
            return
        self._events.update((event.seq, event) for event in stored)
        excess = len(self._events) - self._capacity
        if excess > 0:
            for seq in list(islice(self._events, excess)):
                del self._events[seq]

    def get(self, seq: int) -> StoredEvent | None:
        return self._events.get(seq)

    def clear(self) -> None:
        self._events.clear()
