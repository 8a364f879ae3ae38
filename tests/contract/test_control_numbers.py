"""Control numbers for outbound X12: per partner and kind, gap-free, assigned once per key."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from distsync.runtime.backends import sql_control
from distsync.runtime.backends.memory_control import WRAP_AFTER, numbers_from
from distsync.store import migrate
from distsync.store.engine import open_sqlite


async def test_numbers_increase_by_one_per_partner_and_kind_without_gaps(log) -> None:
    found = [await log.assign("acme", "isa", f"out-{n}") for n in range(5)]
    assert found == [[1], [2], [3], [4], [5]]
    assert await log.assign("acme", "gs", "out-0") == [1]
    assert await log.assign("acme", "st", "out-0") == [1]


async def test_the_same_key_gets_the_same_numbers_again(log) -> None:
    first = await log.assign("acme", "st", "po-4711", 3)
    await log.assign("acme", "st", "po-4712", 2)
    assert await log.assign("acme", "st", "po-4711", 3) == first
    assert await log.assign("acme", "st", "po-4713") == [6]


async def test_different_partners_count_independently(log) -> None:
    assert await log.assign("acme", "gs", "a-1") == [1]
    assert await log.assign("acme", "gs", "a-2") == [2]
    assert await log.assign("northwind", "gs", "n-1") == [1]
    assert await log.assign("northwind", "gs", "a-1") == [2]


async def test_a_count_of_three_returns_three_consecutive_numbers(log) -> None:
    await log.assign("acme", "st", "first")
    assert await log.assign("acme", "st", "batch", 3) == [2, 3, 4]


async def test_two_processes_never_hand_out_the_same_number(open_log) -> None:
    one, two = open_log(), open_log()

    async def take(log, prefix: str) -> list[int]:
        taken = []
        for n in range(25):
            taken += await log.assign("acme", "isa", f"{prefix}-{n}", 1 + n % 2)
        return taken

    first, second = await asyncio.gather(take(one, "one"), take(two, "two"))
    together = sorted(first + second)
    assert together == list(range(1, len(together) + 1))
    assert await two.assign("acme", "isa", "one-3", 2) == await one.assign(
        "acme", "isa", "one-3", 2
    )


async def test_asking_again_with_another_count_or_an_unknown_kind_is_refused(log) -> None:
    await log.assign("acme", "st", "po-1", 2)
    with pytest.raises(ValueError, match="already has 2"):
        await log.assign("acme", "st", "po-1", 3)
    with pytest.raises(ValueError, match="unknown kind"):
        await log.assign("acme", "ge", "po-1")
    with pytest.raises(ValueError, match="below 1"):
        await log.assign("acme", "st", "po-2", 0)
    assert await log.assign("acme", "st", "po-2") == [3]


def test_counters_wrap_after_nine_digits_to_one() -> None:
    assert numbers_from(WRAP_AFTER - 1, 3) == [999_999_998, 999_999_999, 1]


def test_an_assignment_rolled_back_leaves_no_gap(tmp_path: Path) -> None:
    engines = open_sqlite(f"sqlite:///{tmp_path / 'c.sqlite'}")
    migrate.upgrade(engines.writer)
    with engines.writer.connect() as conn:
        with conn.begin() as transaction:
            assert sql_control.assign(conn, "acme", "isa", "crashed", 2) == [1, 2]
            transaction.rollback()
        with conn.begin():
            assert sql_control.assign(conn, "acme", "isa", "retried", 1) == [1]
    engines.dispose()
