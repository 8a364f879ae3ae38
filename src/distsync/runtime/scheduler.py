"""Periodic jobs beside the worker: polling a source that cannot call us (an ERP without webhooks).

A :class:`Job` is a name, an interval and a coroutine function. Each job runs
in its own task until ``stop`` is set: run, then wait the interval — unless
the run says there is more to do (it returned ``True``: a full page was
read), then it runs again at once. A failing run never ends the job: a
``RetryableError`` waits its ``retry_after`` (or the interval), anything else
is logged with its traceback and the wait doubles, up to ``max_backoff``,
until a run succeeds. Jobs hold no state of their own; whatever must survive
a restart (a poll cursor) they keep in the document store.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from distsync.errors import RetryableError
from distsync.telemetry import get_logger

log = get_logger(component="scheduler")

DEFAULT_MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class Job:
    """Run ``run`` every ``every_seconds``; a run that returns ``True`` has more to do at once."""

    name: str
    every_seconds: float
    run: Callable[[], Awaitable[bool | None]]
    max_backoff_seconds: float = DEFAULT_MAX_BACKOFF_SECONDS


async def run_jobs(jobs: Sequence[Job], stop: asyncio.Event) -> None:
    """Run every job until ``stop`` is set; returns when all have stopped."""
    await asyncio.gather(*(run_job(job, stop) for job in jobs))


async def run_job(job: Job, stop: asyncio.Event) -> None:
    failures = 0
    while not stop.is_set():
        try:
            more = await job.run()
        except RetryableError as exc:
            failures += 1
            wait = exc.retry_after if exc.retry_after is not None else job.every_seconds
            log.warning("job failed, will retry", action="job.retry", job=job.name, error=str(exc))
        except Exception as exc:  # a job must outlive any one failure
            failures += 1
            wait = min(job.every_seconds * 2**failures, job.max_backoff_seconds)
            log.exception("job failed", action="job.failed", job=job.name, error=str(exc))
        else:
            failures = 0
            wait = 0.0 if more else job.every_seconds
        if wait > 0:
            await _wait(stop, wait)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
