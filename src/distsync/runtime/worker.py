"""The worker: runs subscriptions' handlers over the event log.

For each subscription, a loop claims a batch, runs the handlers with bounded
concurrency while a heartbeat keeps the leases alive, turns each result into
an outcome (ack with effects, retry, dead letter, park) and settles the whole
batch in one transaction. Stopping is graceful: no new claims, the batch in
hand is finished, and whatever is still running after the grace period is
cancelled and released for another worker. Work held by a worker that was
killed comes back when its lease expires.

A failure's message and traceback are recorded (attempt history, dead
letters, the operations API that shows them) with every registered secret
redacted: an error text made from an endpoint's answer or URL may carry one.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from distsync.errors import BusinessException, RetryableError
from distsync.model.envelope import utcnow
from distsync.redaction import redact
from distsync.runtime.batch_documents import BatchDocuments
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import (
    Ack,
    ClaimRequest,
    DeadLetter,
    Delivery,
    DocumentStore,
    ErrorInfo,
    MessageLog,
    Outcome,
    Park,
    Release,
    Retry,
    SubscriptionSpec,
)
from distsync.runtime.retry import DeadLetterDecision, ParkDecision, RetryPolicy, decide
from distsync.telemetry import Metrics, get_logger

Handler = Callable[[HandlerContext], Awaitable[None]]
BatchHandler = Callable[[Sequence[HandlerContext]], Awaitable[Sequence[BaseException | None]]]

log = get_logger(component="worker")
DEFAULT_POLICY = RetryPolicy()


class HeldBehind(Exception):
    """A batch handler's answer for a delivery it did not attempt because an earlier one of
    the same partition key failed in the batch: the delivery is released, to wait behind it
    (on an ordered subscription it is not claimed again before that one is done)."""


@dataclass(frozen=True)
class Subscription:
    """A subscription and the code that handles it.

    Give either ``handler`` (one delivery at a time) or ``batch_handler`` (the
    whole claimed batch at once, returning one error or ``None`` per delivery;
    for endpoints with bulk APIs).
    """

    @property
    def retry(self) -> RetryPolicy:
        return self.policy or DEFAULT_POLICY

    spec: SubscriptionSpec
    handler: Handler | None = None
    batch_handler: BatchHandler | None = None
    policy: RetryPolicy | None = None  # None: the landscape's runtime.retry
    timeout_seconds: float = 60.0
    concurrency: int | None = None


@dataclass(frozen=True)
class WorkerSettings:
    consumer: str
    batch_size: int = 100
    concurrency: int = 4
    lease_seconds: float = 30.0
    poll_interval: float = 0.2
    shutdown_grace: float = 10.0
    source_system: str = "distsync"


class Worker:
    """Runs every subscription's loop until asked to stop."""

    def __init__(
        self,
        *,
        log: MessageLog,
        documents: DocumentStore,
        subscriptions: Sequence[Subscription],
        settings: WorkerSettings,
        metrics: Metrics,
        clock: Callable[[], datetime] = utcnow,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._log = log
        self._documents = documents
        self._subscriptions = list(subscriptions)
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._draw = draw
        self._latency_children: dict[str, Any] = {}

    async def register(self) -> None:
        for sub in self._subscriptions:
            await self._log.register(sub.spec)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; then finish or release what is in hand."""
        await self.register()
        loops = [asyncio.create_task(self._loop(sub, stop)) for sub in self._subscriptions]
        await asyncio.gather(*loops)

    async def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Process until no subscription has claimable work; returns deliveries handled."""
        await self.register()
        total = 0
        for _ in range(max_batches):
            handled = 0
            for sub in self._subscriptions:
                handled += await self.run_batch(sub, asyncio.Event())
            total += handled
            if handled == 0:
                break
        return total

    async def _loop(self, sub: Subscription, stop: asyncio.Event) -> None:
        batch: list[Delivery] = []
        while not stop.is_set():
            try:
                batch = batch or await self._claim(sub)
                if not batch:
                    await _wait(stop, self._settings.poll_interval)
                    continue
                batch = await self._process(sub, batch, stop, claim_next=True)
            except Exception:  # the loop must survive a database hiccup
                log.exception(
                    "worker loop failed", action="worker.loop_failed", subscription=sub.spec.name
                )
                batch = []
                await _wait(stop, self._settings.poll_interval)
        if batch:  # claimed while we were asked to stop: give it back untouched
            await self._log.settle([Release(d) for d in batch])

    async def run_batch(self, sub: Subscription, stop: asyncio.Event) -> int:
        """Claim, handle and settle one batch; returns how many deliveries it claimed."""
        batch = await self._claim(sub)
        if batch:
            await self._process(sub, batch, stop, claim_next=False)
        return len(batch)

    async def _claim(self, sub: Subscription) -> list[Delivery]:
        return await self._log.claim(
            sub.spec.name,
            consumer=self._settings.consumer,
            limit=self._settings.batch_size,
            lease_seconds=self._settings.lease_seconds,
        )

    async def _process(
        self, sub: Subscription, batch: list[Delivery], stop: asyncio.Event, *, claim_next: bool
    ) -> list[Delivery]:
        """Handle and settle a batch; when asked, claim the next one in the same transaction."""
        heartbeat = asyncio.create_task(self._heartbeat(batch))
        try:
            outcomes = await self._handle_all(sub, batch, stop)
        finally:
            heartbeat.cancel()
        follow = None
        if claim_next and not stop.is_set():
            s = self._settings
            follow = ClaimRequest(sub.spec.name, s.consumer, s.batch_size, s.lease_seconds)
        result = await self._log.settle(outcomes, then_claim=follow)
        self._count(sub, outcomes, result.lease_lost)
        return list(result.claimed)

    async def _heartbeat(self, batch: Sequence[Delivery]) -> None:
        interval = self._settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            await self._log.extend(batch, lease_seconds=self._settings.lease_seconds)

    async def _handle_all(
        self, sub: Subscription, batch: Sequence[Delivery], stop: asyncio.Event
    ) -> list[Outcome]:
        exhausted = [d for d in batch if d.attempt > sub.retry.max_attempts]
        runnable = [d for d in batch if d.attempt <= sub.retry.max_attempts]
        outcomes: list[Outcome] = [_abandoned(d) for d in exhausted]
        if sub.batch_handler is not None:
            outcomes += await self._run_batch_handler(sub, runnable)
        else:
            outcomes += await self._run_each(sub, runnable, stop)
        return outcomes

    async def _run_each(
        self, sub: Subscription, batch: Sequence[Delivery], stop: asyncio.Event
    ) -> list[Outcome]:
        """A few runners share the batch's lanes (cheaper than a task per delivery).

        On an ordered subscription a lane is one key's deliveries, run in order;
        after a retry the rest of that lane is released to wait behind it.
        """
        outcomes: dict[int, Outcome] = {}
        lanes = iter(_lanes(batch, ordered=sub.spec.ordered))
        documents = BatchDocuments(self._documents)

        async def runner() -> None:
            for lane in lanes:
                for index in lane:
                    if stop.is_set():
                        return
                    outcome = await self._run_one(sub, batch[index], documents)
                    outcomes[index] = outcome
                    if isinstance(outcome, Ack):
                        await documents.accepted(outcome.effects.writes, by=sub.spec.name)
                    if isinstance(outcome, Retry):
                        break

        width = min(len(batch), sub.concurrency or self._settings.concurrency)
        runners = [asyncio.create_task(runner()) for _ in range(width)]
        await _finish_or_cancel(runners, stop, self._settings.shutdown_grace)
        return [outcomes.get(i) or Release(d) for i, d in enumerate(batch)]

    async def _run_one(
        self, sub: Subscription, delivery: Delivery, documents: DocumentStore
    ) -> Outcome:
        assert sub.handler is not None
        ctx = HandlerContext(delivery, documents, self._settings.source_system)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(sub.timeout_seconds):
                await sub.handler(ctx)
        except TimeoutError as exc:
            error = RetryableError(
                f"handling {delivery.envelope.type} {delivery.envelope.event_id} in "
                f"{sub.spec.name}: no answer within {sub.timeout_seconds}s"
            )
            error.__cause__ = exc
            return self._failed(sub, delivery, error)
        except Exception as exc:
            return self._failed(sub, delivery, exc)
        finally:
            self._latency(sub).observe(time.perf_counter() - started)
        return Ack(delivery, ctx.effects())

    def _latency(self, sub: Subscription) -> Any:
        child = self._latency_children.get(sub.spec.name)
        if child is None:
            child = self._metrics.handler_seconds.labels(sub.spec.name)
            self._latency_children[sub.spec.name] = child
        return child

    async def _run_batch_handler(
        self, sub: Subscription, batch: Sequence[Delivery]
    ) -> list[Outcome]:
        assert sub.batch_handler is not None
        if not batch:
            return []
        contexts = [HandlerContext(d, self._documents, self._settings.source_system) for d in batch]
        started = time.perf_counter()
        try:
            errors = await asyncio.wait_for(sub.batch_handler(contexts), sub.timeout_seconds)
        except Exception as exc:
            errors = [exc] * len(batch)
        self._latency(sub).observe(time.perf_counter() - started)
        return [
            Ack(ctx.delivery, ctx.effects())
            if err is None
            else Release(ctx.delivery)
            if isinstance(err, HeldBehind)
            else self._failed(sub, ctx.delivery, err)
            for ctx, err in zip(contexts, errors, strict=True)
        ]

    def _failed(self, sub: Subscription, delivery: Delivery, exc: BaseException) -> Outcome:
        decision = decide(exc, delivery.attempt, sub.retry, self._clock(), self._draw())
        if isinstance(decision, ParkDecision):
            return _park(delivery, decision.exception)
        info = ErrorInfo(
            type(exc).__name__,
            redact(str(exc) or repr(exc)),
            redact("".join(traceback.format_exception(exc))),
            isinstance(exc, RetryableError),
        )
        if isinstance(decision, DeadLetterDecision):
            log.error(
                "dead-lettered",
                action="delivery.dead_letter",
                correlation_id=delivery.envelope.correlation_id,
                event_id=delivery.envelope.event_id,
                subscription=sub.spec.name,
                error=info.message,
                reason=decision.reason,
                attempt=delivery.attempt,
            )
            return DeadLetter(delivery, info)
        log.warning(
            "retry scheduled",
            action="delivery.retry",
            correlation_id=delivery.envelope.correlation_id,
            event_id=delivery.envelope.event_id,
            subscription=sub.spec.name,
            error=info.message,
            attempt=delivery.attempt,
            at=decision.at.isoformat(),
        )
        return Retry(delivery, decision.at, info)

    def _count(self, sub: Subscription, outcomes: Sequence[Outcome], lost: Sequence[str]) -> None:
        name = sub.spec.name
        m = self._metrics
        lost_ids = set(lost)
        kept = [o for o in outcomes if o.delivery.delivery_id not in lost_ids]
        tally = Counter(type(o) for o in kept)
        for kind, counter in ((Ack, m.delivered), (Retry, m.retries), (DeadLetter, m.dead_letters)):
            if tally[kind]:
                counter.labels(name).inc(tally[kind])
        for outcome in kept:
            if isinstance(outcome, Park):
                m.parked.labels(name, outcome.reason_code).inc()
        if lost_ids:
            m.lease_lost.labels(name).inc(len(lost_ids))
            log.warning(
                "lease lost", action="delivery.lease_lost", subscription=name, count=len(lost_ids)
            )


def _lanes(batch: Sequence[Delivery], *, ordered: bool) -> list[list[int]]:
    if not ordered:
        return [[i] for i in range(len(batch))]
    by_key: dict[str, list[int]] = {}
    for index, delivery in enumerate(batch):
        by_key.setdefault(delivery.envelope.partition_key, []).append(index)
    return list(by_key.values())


def _park(delivery: Delivery, exc: BusinessException) -> Park:
    return Park(
        delivery,
        reason_code=exc.reason_code,
        document_ref=exc.document_ref,
        message=redact(str(exc)),
        resolutions=tuple((r.action, r.label) for r in exc.resolutions),
        facts=dict(exc.facts),
    )


def _abandoned(delivery: Delivery) -> DeadLetter:
    attempts = delivery.attempt - 1
    return DeadLetter(
        delivery,
        ErrorInfo(
            "WorkerStopped",
            f"handling {delivery.envelope.type} {delivery.envelope.event_id}: the worker holding "
            f"it stopped {attempts} times before finishing (a message that crashes the worker?)",
        ),
    )


async def _finish_or_cancel(
    tasks: Sequence[asyncio.Task[None]], stop: asyncio.Event, grace: float
) -> None:
    """Wait for the tasks; once ``stop`` is set, give them ``grace`` seconds, then cancel."""
    everything = asyncio.ensure_future(asyncio.wait(tasks))
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({everything, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if everything.done():
        return
    await asyncio.wait([everything], timeout=grace)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    everything.cancel()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
