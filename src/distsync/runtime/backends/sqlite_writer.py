"""Group commit: one thread owns the SQLite writer connection, and work queued
together commits together.

Appends, settles and claims from different loops of one process arrive while
the previous commit is still syncing to disk. The writer takes everything
waiting (up to ``max_group`` jobs), runs each job in a savepoint of one
transaction and commits once: one sync to disk for the whole group. A job
that fails rolls back to its savepoint and gets its own error; the others
still commit. If the commit itself fails, every job of the group gets that
error and nothing of it is kept.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from distsync.runtime.backends.sql_recent import RecentEvents, take_appended

T = TypeVar("T")

ErrorMapper = Callable[[Callable[..., Any]], AbstractContextManager[None]]


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] = (False, None)


class GroupCommitWriter:
    """Runs write jobs on one thread, committing each group of waiting jobs once."""

    def __init__(
        self, engine: Engine, recent: RecentEvents, map_errors: ErrorMapper, *, max_group: int = 32
    ) -> None:
        self._engine = engine
        self._recent = recent
        self._map_errors = map_errors
        self._max_group = max_group
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._connection: Connection | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(connection, *args)`` in a transaction shared with other waiting jobs."""
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(fn, args, loop, future))
        return await future

    def close(self) -> None:
        """Finish the queued jobs, then close the connection and stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="distsync-sqlite-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while (group := self._next_group()) is not None:
            self._commit(group)
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _next_group(self) -> list[_Job] | None:
        first = self._jobs.get()
        if first is None:
            return None
        group = [first]
        while len(group) < self._max_group:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._jobs.put(None)  # stop after this group
                break
            group.append(job)
        return group

    def _commit(self, group: list[_Job]) -> None:
        conn = self._connect()
        kept: list[list[Any]] = []
        alone = len(group) == 1
        try:
            with conn.begin() as transaction:
                for job in group:
                    kept.append(self._run_job(conn, job, alone=alone))
                if alone and not group[0].outcome[0]:
                    transaction.rollback()
        except Exception as error:
            take_appended(conn)
            self._drop_connection()
            for job in group:
                job.outcome = (False, error)
            kept = []
        for appended in kept:
            self._recent.add(appended)  # committed: safe to serve from memory
        for job in group:
            job.loop.call_soon_threadsafe(_resolve, job.future, *job.outcome)

    def _run_job(self, conn: Connection, job: _Job, *, alone: bool) -> list[Any]:
        """Run one job in a savepoint; return what it appended (kept only if it succeeded)."""
        if alone:  # no neighbour to protect: the transaction is the job's own
            try:
                with self._map_errors(job.fn):
                    job.outcome = (True, job.fn(conn, *job.args))
            except Exception as error:
                take_appended(conn)
                job.outcome = (False, error)
                return []
            return take_appended(conn)
        savepoint = conn.begin_nested()
        try:
            with self._map_errors(job.fn):
                value = job.fn(conn, *job.args)
            savepoint.commit()
        except Exception as error:
            savepoint.rollback()
            take_appended(conn)
            job.outcome = (False, error)
            return []
        job.outcome = (True, value)
        return take_appended(conn)

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect()
            self._connection.info[RecentEvents.INFO_KEY] = self._recent
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
