"""Periodic jobs: interval, more-to-do, failures that never end the job, and a prompt stop."""

from __future__ import annotations

import asyncio
import itertools
import time

from distsync.errors import RetryableError
from distsync.runtime.scheduler import Job, run_job, run_jobs


async def run_for(seconds: float, *jobs: Job) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_jobs(jobs, stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, timeout=1)


async def test_a_job_runs_once_per_interval() -> None:
    runs: list[float] = []

    async def tick() -> None:
        runs.append(time.monotonic())

    await run_for(0.35, Job("tick", 0.1, tick))

    assert 2 <= len(runs) <= 4, "it waits between runs, it does not spin"
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(gap >= 0.09 for gap in gaps)


async def test_a_run_with_more_to_do_runs_again_at_once() -> None:
    pages = [True, True, True, False]
    runs: list[float] = []

    async def page() -> bool:
        runs.append(time.monotonic())
        return pages.pop(0) if pages else False

    await run_for(0.3, Job("pages", 10, page))

    assert len(runs) == 4, "three full pages then one short page, then the long interval"
    assert runs[3] - runs[0] < 0.1


async def test_a_failing_job_backs_off_and_keeps_running_until_it_succeeds() -> None:
    outcomes: list[str] = []

    async def flaky() -> None:
        if len(outcomes) < 2:
            outcomes.append("failed")
            raise ValueError("the ERP answered nonsense")
        outcomes.append("ok")

    await run_for(0.5, Job("flaky", 0.05, flaky))

    assert outcomes[:3] == ["failed", "failed", "ok"]


async def test_a_retryable_failure_waits_its_retry_after() -> None:
    runs: list[float] = []

    async def busy() -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise RetryableError("quota", retry_after=0.3)

    await run_for(0.45, Job("busy", 0.01, busy))

    assert runs[1] - runs[0] >= 0.29


async def test_stop_ends_a_job_during_its_wait() -> None:
    async def slow_interval() -> None:
        return None

    stop = asyncio.Event()
    task = asyncio.create_task(run_job(Job("hourly", 3600, slow_interval), stop))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, timeout=1)

    assert time.monotonic() - started < 0.5
