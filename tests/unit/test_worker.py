"""The worker's decisions, run on the in-memory backend with a frozen clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from distsync.errors import (
    MalformedDocument,
    RateLimited,
    Resolution,
    UnknownSku,
)
from distsync.runtime.context import HandlerContext
from distsync.runtime.outbox import OutboxDispatcher
from distsync.runtime.ports import EventFilter, Receipt, SubscriptionSpec
from distsync.runtime.retry import RetryPolicy
from distsync.runtime.worker import Subscription, Worker, WorkerSettings
from distsync.telemetry import Metrics
from distsync.testing import FrozenClock, InMemoryMessageLog, RecordingConnector, make_envelope

SPEC = SubscriptionSpec("inventory", ("inventory.*",), ordered=True)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def log(clock: FrozenClock) -> InMemoryMessageLog:
    return InMemoryMessageLog(clock=clock)


def build(log, clock, *subs: Subscription, **settings) -> Worker:
    return Worker(
        log=log,
        documents=log,
        subscriptions=subs,
        settings=WorkerSettings(consumer="test", **settings),
        metrics=Metrics(),
        clock=clock,
        draw=lambda: 1.0,
    )


def counter(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def test_handler_effects_commit_with_the_ack(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        ctx.write("balance", ctx.envelope.partition_key, {"on_hand": "5"})
        ctx.emit(
            "shipment_order.released",
            {"qty": "1"},
            idempotency_key=f"reserve:{ctx.envelope.event_id}",
            partition_key=ctx.envelope.partition_key,
        )

    worker = build(log, clock, Subscription(SPEC, handler))
    await worker.register()
    source = make_envelope("inventory.adjusted")
    await log.append([source])
    await worker.drain()
    doc = await log.get_document("balance", "SKU-1@WH-1")
    assert doc is not None
    assert doc.body == {"on_hand": "5"}
    events = await log.list_events(_all())
    emitted = next(s.envelope for s in events if s.envelope.type == "shipment_order.released")
    assert emitted.causation_id == source.event_id
    assert emitted.correlation_id == source.correlation_id


async def test_retryable_error_is_retried_with_backoff_honouring_retry_after(log, clock) -> None:
    calls = []

    async def handler(ctx: HandlerContext) -> None:
        calls.append(ctx.attempt)
        if ctx.attempt == 1:
            raise RateLimited("erp said 429", retry_after=120)

    policy = RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=10)
    worker = build(log, clock, Subscription(SPEC, handler, policy=policy))
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    assert calls == [1]
    clock.advance(119)
    await worker.drain()
    assert calls == [1]
    clock.advance(1)
    await worker.drain()
    assert calls == [1, 2]


async def test_retryable_error_dead_letters_after_the_last_attempt(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        raise ConnectionResetError("wms-east reset the connection")

    worker = build(log, clock, Subscription(SPEC, handler, policy=RetryPolicy(max_attempts=3)))
    await worker.register()
    await log.append([make_envelope()])
    for _ in range(3):
        await worker.drain()
        clock.advance(3600)
    (dead,) = await log.dead_letters()
    assert dead.attempts == 3
    assert dead.error.error_class == "ConnectionResetError"
    assert "ConnectionResetError: wms-east reset the connection" in (dead.error.traceback or "")
    assert [h.outcome for h in (await log.dead_letter(dead.id)).history] == [
        "retry",
        "retry",
        "dead_letter",
    ]


async def test_permanent_error_dead_letters_at_once(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        raise MalformedDocument("reading 856 from acme: HL03 'Z' is not a level code")

    worker = build(log, clock, Subscription(SPEC, handler))
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    (dead,) = await log.dead_letters()
    assert dead.attempts == 1
    assert "HL03" in dead.error.message


async def test_business_exception_is_parked_with_its_resolutions(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        raise UnknownSku(
            "ASN 8812 from acme: supplier SKU AC-778 is not mapped",
            document_ref="asn:acme/8812",
            resolutions=(Resolution("map_sku", "Map AC-778 to an item, then replay"),),
            facts={"supplier_sku": "AC-778"},
        )

    worker = build(log, clock, Subscription(SPEC, handler))
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    (parked,) = await log.exceptions()
    assert parked.reason_code == "unknown_sku"
    assert parked.resolutions == (("map_sku", "Map AC-778 to an item, then replay"),)
    assert await log.dead_letters() == []


async def test_handler_timeout_is_retried(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        await asyncio.sleep(10)

    worker = build(log, clock, Subscription(SPEC, handler, timeout_seconds=0.01))
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    history = await log.attempts((await log.list_events(_all()))[0].envelope.event_id)
    assert history[0].outcome == "retry"
    assert "no answer within 0.01s" in history[0].message


async def test_delivery_whose_worker_died_too_often_is_dead_lettered_without_running(
    log, clock
) -> None:
    ran = []

    async def handler(ctx: HandlerContext) -> None:
        ran.append(ctx.attempt)

    await log.register(SPEC)
    await log.append([make_envelope()])
    for _ in range(2):  # two workers die holding it
        await log.claim("inventory", consumer="doomed", limit=1, lease_seconds=1)
        clock.advance(2)
    worker = build(log, clock, Subscription(SPEC, handler, policy=RetryPolicy(max_attempts=2)))
    await worker.drain()
    assert ran == []
    (dead,) = await log.dead_letters()
    assert dead.error.error_class == "WorkerStopped"


async def test_outbox_delivers_after_the_ack_with_a_stable_idempotency_key(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        ctx.send("wms-east", "expected_receipt", {"asn": "8812"}, idempotency_key="asn:8812:r1")

    wms = RecordingConnector()
    outbox = OutboxDispatcher({"wms-east": wms})
    worker = build(log, clock, Subscription(SPEC, handler), outbox.subscription())
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    assert list(wms.effects) == ["asn:8812:r1"]
    receipt = await log.get_document("outbound_receipt", "wms-east:asn:8812:r1")
    assert receipt is not None
    assert receipt.body["remote_id"] == "R-1"


async def test_a_plain_success_without_the_endpoints_own_id_keeps_no_receipt(log, clock) -> None:
    class Silent(RecordingConnector):
        async def send(self, request):
            await super().send(request)
            return Receipt()

    async def handler(ctx: HandlerContext) -> None:
        ctx.send("wms-east", "expected_receipt", {"asn": "8812"}, idempotency_key="asn:8812:r1")

    outbox = OutboxDispatcher({"wms-east": Silent()})
    worker = build(log, clock, Subscription(SPEC, handler), outbox.subscription())
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    assert await log.get_document("outbound_receipt", "wms-east:asn:8812:r1") is None
    (outbound,) = [
        s for s in await log.list_events(_all()) if s.envelope.type == "outbound.requested"
    ]
    (state,) = await log.delivery_states(outbound.envelope.event_id)
    assert state.state.value == "done"


async def test_outbox_failure_is_retried_and_the_endpoint_sees_one_effect(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        ctx.send("erp", "post_receipt", {"po": "PO-1"}, idempotency_key="receipt:PO-1:1")

    erp = RecordingConnector()
    erp.fail_with, erp.fail_times = TimeoutError("erp timed out"), 2
    worker = build(
        log, clock, Subscription(SPEC, handler), OutboxDispatcher({"erp": erp}).subscription()
    )
    await worker.register()
    await log.append([make_envelope()])
    for _ in range(3):
        await worker.drain()
        clock.advance(3600)
    assert len(erp.requests) == 3
    assert list(erp.effects) == ["receipt:PO-1:1"]


async def test_outbox_call_to_an_undeclared_endpoint_is_dead_lettered(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        ctx.send("wms-west", "expected_receipt", {}, idempotency_key="k")

    worker = build(
        log,
        clock,
        Subscription(SPEC, handler),
        OutboxDispatcher({"erp": RecordingConnector()}).subscription(),
    )
    await worker.register()
    await log.append([make_envelope()])
    await worker.drain()
    (dead,) = await log.dead_letters()
    assert dead.error.error_class == "UnknownDestination"
    assert "'wms-west'" in dead.error.message
    assert "known: erp" in dead.error.message


async def test_metrics_count_each_outcome(log, clock) -> None:
    async def handler(ctx: HandlerContext) -> None:
        if ctx.envelope.payload["n"] == 2:
            raise MalformedDocument("bad")

    worker = build(log, clock, Subscription(SPEC, handler))
    metrics = worker._metrics
    await worker.register()
    await log.append(
        [
            make_envelope(partition="A", payload={"n": 1}),
            make_envelope(partition="B", payload={"n": 2}),
        ]
    )
    await worker.drain()
    assert counter(metrics, "distsync_deliveries_acked_total", subscription="inventory") == 1
    assert counter(metrics, "distsync_dead_letters_total", subscription="inventory") == 1


async def test_stop_releases_work_that_does_not_finish_within_the_grace(log, clock) -> None:
    started = asyncio.Event()

    async def handler(ctx: HandlerContext) -> None:
        started.set()
        await asyncio.sleep(60)

    worker = build(log, clock, Subscription(SPEC, handler), shutdown_grace=0.05)
    await worker.register()
    await log.append([make_envelope()])
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await started.wait()
    stop.set()
    await asyncio.wait_for(running, 5)
    (again,) = await log.claim("inventory", consumer="next", limit=1, lease_seconds=30)
    assert again.attempt == 1


def _all() -> EventFilter:
    return EventFilter()


def test_backoff_delay_grows_then_caps() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=2, cap_seconds=30)
    assert [policy.backoff(n, 1.0) for n in range(1, 6)] == [2, 4, 8, 16, 30]
    assert policy.backoff(3, 0.5) == 4
    assert timedelta(seconds=policy.backoff(60, 1.0)) == timedelta(seconds=30)


async def test_intake_registers_the_subscriptions_before_its_first_append(log, clock) -> None:
    from distsync.runtime.intake import Intake, IntakeSettings

    intake = Intake(log, settings=IntakeSettings(), metrics=Metrics(), subscriptions=[SPEC])
    await intake.accept([make_envelope()])
    assert len(await log.claim("inventory", consumer="c", limit=10, lease_seconds=30)) == 1
