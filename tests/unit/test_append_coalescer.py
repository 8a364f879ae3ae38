"""Concurrent appends share a write, and each caller still gets its own answer.

The first half drives :class:`AppendCoalescer` with a write function that
records its batches (the coalescer's own logic); the second runs the real
SQLite backend, where concurrent single appends, some of them duplicates,
must each be told exactly what became of their envelope.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from distsync.errors import RetryableError
from distsync.model.envelope import Envelope
from distsync.runtime.backends.append_coalescer import AppendCoalescer
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.messages import AppendResult
from distsync.testing import make_envelope


def envelope(n: int, key: str | None = None) -> Envelope:
    return make_envelope(
        "stock.counted",
        partition=f"p-{n}",
        key=key or f"count-{n}",
        payload={"sku": f"SKU-{n}", "quantity": n},
    )


class RecordingWrite:
    """Stores every envelope whose key is new; remembers each batch it was given."""

    def __init__(self, fail_first: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.stored: dict[str, str] = {}
        self.fail_first = fail_first

    async def __call__(self, envelopes: list[Envelope]) -> AppendResult:
        self.batches.append([e.event_id for e in envelopes])
        await asyncio.sleep(0.01)  # a commit takes a while: others arrive meanwhile
        if self.fail_first:
            self.fail_first = False
            raise RetryableError("the database is locked")
        appended, duplicates = [], {}
        for e in envelopes:
            if e.idempotency_key in self.stored:
                duplicates[e.event_id] = self.stored[e.idempotency_key]
            else:
                self.stored[e.idempotency_key] = e.event_id
                appended.append(e.event_id)
        return AppendResult(tuple(appended), duplicates)


async def test_appends_arriving_during_a_write_go_together_into_the_next() -> None:
    write = RecordingWrite()
    coalescer = AppendCoalescer(write)
    sent = [envelope(n) for n in range(40)]

    results = await asyncio.gather(*(coalescer.append([e]) for e in sent))

    assert len(write.batches) < 5  # not one write per append
    assert sum(len(batch) for batch in write.batches) == 40
    for e, result in zip(sent, results, strict=True):
        assert result == AppendResult((e.event_id,), {})


async def test_the_first_append_of_an_idle_log_is_written_at_once_alone() -> None:
    write = RecordingWrite()
    coalescer = AppendCoalescer(write)
    only = envelope(1)

    assert await coalescer.append([only]) == AppendResult((only.event_id,), {})
    assert write.batches == [[only.event_id]]


async def test_each_caller_learns_its_own_duplicates() -> None:
    write = RecordingWrite()
    coalescer = AppendCoalescer(write)
    first, again, other = envelope(1, "same"), envelope(2, "same"), envelope(3)

    got = await asyncio.gather(coalescer.append([first]), coalescer.append([again, other]))

    assert got[0] == AppendResult((first.event_id,), {})
    assert got[1] == AppendResult((other.event_id,), {again.event_id: first.event_id})


async def test_a_failed_write_fails_every_caller_of_its_batch_and_the_next_batch_works() -> None:
    write = RecordingWrite(fail_first=True)
    coalescer = AppendCoalescer(write)

    outcomes = await asyncio.gather(
        *(coalescer.append([envelope(n)]) for n in range(5)), return_exceptions=True
    )
    failed = [o for o in outcomes if isinstance(o, RetryableError)]
    assert len(failed) == len(write.batches[0])  # the whole first batch, nobody else
    later = envelope(99)
    assert await coalescer.append([later]) == AppendResult((later.event_id,), {})


async def test_a_batch_stays_under_its_size_limit() -> None:
    write = RecordingWrite()
    coalescer = AppendCoalescer(write, max_batch=10)

    await asyncio.gather(*(coalescer.append([envelope(n)]) for n in range(45)))

    assert max(len(batch) for batch in write.batches) <= 10


@pytest.mark.parametrize("copies", [1, 3])
async def test_concurrent_appends_to_sqlite_are_each_answered_rightly(
    tmp_path: Path, copies: int
) -> None:
    log = SqliteMessageLog.open(f"sqlite:///{tmp_path / 'log.sqlite'}")
    try:
        sent = [envelope(n, f"key-{n % 20}") for n in range(20 * copies)]
        results = await asyncio.gather(*(log.append([e]) for e in sent))
        stored = {
            e.idempotency_key: e.event_id for e, r in zip(sent, results, strict=True) if r.appended
        }
        assert len(stored) == 20
        for e, result in zip(sent, results, strict=True):
            if result.appended:
                assert result == AppendResult((e.event_id,), {})
            else:
                assert result.duplicates == {e.event_id: stored[e.idempotency_key]}
        for event_id in stored.values():
            assert await log.get_event(event_id) is not None
    finally:
        await log.close()
