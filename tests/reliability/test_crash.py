"""kill -9 during processing: nothing lost, nothing doubled.

A subprocess worker processes 20,000 events into a sink (a real HTTP server
in this process that keeps every idempotency key it sees). It is killed with
SIGKILL at five random moments while it makes progress, and restarted each
time. In the end every event has had its effect at the sink exactly once;
calls repeated after a kill are allowed only because the sink absorbed them
by key, and they are counted. ``CRASH_SEED=<n>`` replays the kill moments.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from distsync.demo.wms_simulator import WmsSimulator
from distsync.model.envelope import Envelope
from distsync.model.examples import example_inventory_adjustment
from distsync.runtime.ports import Backend, LogStats
from tests.reliability.crash_worker import EVENT_TYPE, FLOW, STATE_KIND, open_services

pytestmark = pytest.mark.slow

EVENTS = 20_000
KEYS = 1_000
KILLS = 5
APPEND_BATCH = 1_000
DEADLINE_SECONDS = 180.0
WORKER = Path(__file__).with_name("crash_worker.py")


@dataclass(frozen=True)
class Kill:
    after_seconds: float
    effects: int
    deliveries: int


async def test_a_worker_killed_five_times_delivers_every_event_exactly_once(
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.randrange(2**32))
    print(f"\ncrash test seed {seed} (CRASH_SEED={seed} repeats these kill delays)")
    database = tmp_path / "crash.sqlite"
    started = time.monotonic()
    with WmsSimulator() as sink:
        services = open_services(database, sink.url)
        try:
            await services.worker("setup").register()
            keys = await append_events(services.backend)
            crashes = Crashes(database, sink, tmp_path, random.Random(seed))
            kills = await crashes.kill_repeatedly(KILLS)
            last_run = time.monotonic()
            stats = await crashes.finish(services.backend)
            last_run = time.monotonic() - last_run
            await assert_exactly_once(services.backend, stats, sink, keys)
        finally:
            await services.close()
    moments = ", ".join(f"+{k.after_seconds}s at {k.effects} effects" for k in kills)
    print(
        f"killed {len(kills)} times ({moments}); {sink.repeats} repeated deliveries absorbed "
        f"by the sink; the last run took {last_run:.1f}s, {time.monotonic() - started:.1f}s in all"
    )


async def append_events(backend: Backend) -> list[str]:
    """20,000 adjustments over 1,000 item+warehouse keys, each key's in sequence."""
    template = example_inventory_adjustment().model_dump(mode="json")
    envelopes = [
        Envelope(
            type=EVENT_TYPE,
            schema_version=1,
            source_system="wms-east",
            correlation_id=f"crash-{n}",
            idempotency_key=f"wms-east:adj:{n}",
            partition_key=f"SKU-{n % KEYS:04d}@WH-EAST",
            source_sequence=n // KEYS,
            occurred_at=example_inventory_adjustment().adjusted_at,
            payload=template | {"adjustment_id": f"ADJ-WH-EAST-{n}"},
        )
        for n in range(EVENTS)
    ]
    for start in range(0, EVENTS, APPEND_BATCH):
        result = await backend.append(envelopes[start : start + APPEND_BATCH])
        assert len(result.appended) == len(envelopes[start : start + APPEND_BATCH])
    return [e.idempotency_key for e in envelopes]


class Crashes:
    """Starts the worker process, kills it at random moments, and lets the last one finish."""

    def __init__(self, database: Path, sink: WmsSimulator, logs: Path, rng: random.Random) -> None:
        self.database = database
        self.sink = sink
        self.logs = logs
        self.rng = rng
        self.runs = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.runs += 1
        with (self.logs / f"worker-{self.runs}.log").open("wb") as log:
            return subprocess.Popen(
                [sys.executable, str(WORKER), str(self.database), self.sink.url],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def kill_repeatedly(self, times: int) -> list[Kill]:
        kills = []
        for _ in range(times):
            worker = self.start()
            await self.wait_for_progress(worker, since=self.sink.effect_count)
            delay = round(self.rng.uniform(0.05, 1.2), 3)
            await asyncio.sleep(delay)
            kills.append(Kill(delay, self.sink.effect_count, self.sink.deliveries))
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        assert kills[-1].effects < EVENTS, f"the work was done before the last kill: {kills}"
        return kills

    async def finish(self, backend: Backend) -> LogStats:
        """Run a last worker until everything is settled; stop it gracefully."""
        worker = self.start()
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            while True:
                stats = await backend.stats()
                if self.sink.effect_count == EVENTS and _settled(stats):
                    return stats
                if time.monotonic() > deadline or worker.poll() is not None:
                    pytest.fail(self.unfinished(stats, worker))
                await asyncio.sleep(0.5)
        finally:
            stop_gracefully(worker)

    async def wait_for_progress(self, worker: subprocess.Popen[bytes], *, since: int) -> None:
        """Wait until this worker run has new effects at the sink: a kill then lands mid-work."""
        deadline = time.monotonic() + 60
        while self.sink.effect_count <= since:
            if time.monotonic() > deadline or worker.poll() is not None:
                worker.kill()
                worker.wait()
                pytest.fail(f"worker run {self.runs} made no progress: {self.log_tail()}")
            await asyncio.sleep(0.01)

    def unfinished(self, stats: LogStats, worker: subprocess.Popen[bytes]) -> str:
        missing = EVENTS - self.sink.effect_count
        state = "exited" if worker.poll() is not None else "still running"
        return (
            f"{missing} of {EVENTS} events never reached the sink (worker {state}); "
            f"stats: {stats}; log of the last worker: {self.log_tail()}"
        )

    def log_tail(self) -> str:
        text = (self.logs / f"worker-{self.runs}.log").read_text(errors="replace")
        return text[-3000:] or "(empty)"


def stop_gracefully(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        pytest.fail("the worker did not stop within 30s of SIGTERM")


def _settled(stats: LogStats) -> bool:
    return all(s.pending + s.in_flight + s.waiting_retry == 0 for s in stats.subscriptions)


async def assert_exactly_once(
    backend: Backend, stats: LogStats, sink: WmsSimulator, keys: list[str]
) -> None:
    effects = sink.effects
    assert len(effects) == EVENTS
    assert set(effects) == set(keys), "the sink saw keys that no event carries"
    assert sink.deliveries == EVENTS + sink.repeats
    by_name = {s.name: s for s in stats.subscriptions}
    assert by_name[FLOW.name].acked == EVENTS
    assert by_name["outbox"].acked == EVENTS
    assert stats.dead_letters_open == 0
    assert stats.exceptions_open == 0
    assert stats.events == 2 * EVENTS, "each event caused exactly one outbound call"
    assert stats.duplicates == 0, "no handler's effects were committed twice"
    versions = [await backend.get_document(STATE_KIND, key) for key in keys]
    written = [doc.version for doc in versions if doc is not None]
    assert len(written) == EVENTS, f"{EVENTS - len(written)} state documents are missing"
    assert set(written) == {1}, "a state document was written more than once"
