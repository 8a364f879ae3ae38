"""The delivery contract of the event-log port, for every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from distsync.runtime.ports import (
    Ack,
    DocumentWrite,
    Effects,
    ErrorInfo,
    Release,
    ReplaySelection,
    Retry,
    SubscriptionSpec,
)
from distsync.testing import FrozenClock, make_envelope

ORDERED = SubscriptionSpec("inventory", ("inventory.*",), ordered=True)
UNORDERED = SubscriptionSpec("audit", ("inventory.*",), ordered=False)
BOOM = ErrorInfo("TimeoutError", "wms-east did not answer", retryable=True)


async def claim(log, name="inventory", consumer="c1", limit=100, lease=30.0):
    return await log.claim(name, consumer=consumer, limit=limit, lease_seconds=lease)


async def test_appended_event_is_delivered_once_and_gone_after_ack(log) -> None:
    await log.register(ORDERED)
    env = make_envelope()
    await log.append([env])
    (delivery,) = await claim(log)
    assert delivery.envelope == env
    assert delivery.attempt == 1
    assert await claim(log) == []
    result = await log.settle([Ack(delivery)])
    assert result.settled == 1
    assert result.lease_lost == ()
    stats = await log.stats()
    assert stats.subscriptions[0].acked == 1
    assert stats.subscriptions[0].pending == 0


async def test_duplicate_idempotency_key_is_recorded_and_counted_never_delivered_twice(log) -> None:
    await log.register(ORDERED)
    first = make_envelope(key="ACME/ISA000000017/ST0001")
    again = make_envelope(key="ACME/ISA000000017/ST0001")
    within_batch = make_envelope(key="ACME/ISA000000017/ST0001")
    result = await log.append([first])
    assert result.appended == (first.event_id,)
    result = await log.append([again, within_batch])
    assert result.appended == ()
    assert result.duplicates == {
        again.event_id: first.event_id,
        within_batch.event_id: first.event_id,
    }
    deliveries = await claim(log)
    assert [d.envelope.event_id for d in deliveries] == [first.event_id]
    stats = await log.stats()
    assert stats.events == 1
    assert stats.duplicates == 2
    recorded = await log.duplicates()
    assert {key for key, _, _ in recorded} == {"ACME/ISA000000017/ST0001"}
    assert all(original == first.event_id for _, original, _ in recorded)


async def test_duplicate_inside_one_batch_is_stored_once(log) -> None:
    await log.register(ORDERED)
    a, b = make_envelope(key="same"), make_envelope(key="same")
    result = await log.append([a, b])
    assert result.appended == (a.event_id,)
    assert len(await claim(log)) == 1


async def test_ordered_subscription_hands_out_each_key_in_order_to_one_consumer(open_log) -> None:
    first, second = open_log(), open_log()
    await first.register(ORDERED)
    a1, a2, b1 = (make_envelope(partition=p) for p in ("A", "A", "B"))
    await first.append([a1, a2, b1])
    held = await claim(first, consumer="one")
    keys = [d.envelope.partition_key for d in held]
    assert [d.envelope.event_id for d in held if d.envelope.partition_key == "A"] == [
        a1.event_id,
        a2.event_id,
    ][: keys.count("A")]
    assert "A" in keys
    others = await claim(second, consumer="two")
    assert not {d.envelope.partition_key for d in others} & set(keys)
    await first.settle([Ack(d) for d in held])
    if others:
        await second.settle([Ack(d) for d in others])
    rest = await claim(first, consumer="one")
    seen = [d.envelope.event_id for d in (*held, *others, *rest)]
    assert sorted(seen) == sorted(e.event_id for e in (a1, a2, b1))
    assert seen.index(a1.event_id) < seen.index(a2.event_id)


async def test_unordered_subscription_hands_out_every_event_at_once(log) -> None:
    await log.register(UNORDERED)
    envs = [make_envelope(partition="A") for _ in range(3)]
    await log.append(envs)
    assert [d.envelope.event_id for d in await claim(log, "audit")] == [e.event_id for e in envs]


async def test_event_matching_two_subscriptions_is_delivered_to_each(log) -> None:
    await log.register(ORDERED)
    await log.register(UNORDERED)
    await log.register(SubscriptionSpec("asn", ("asn.*",)))
    await log.append([make_envelope("inventory.adjusted")])
    assert len(await claim(log, "inventory")) == 1
    assert len(await claim(log, "audit")) == 1
    assert await claim(log, "asn") == []


async def test_failing_event_blocks_only_its_own_key(log, clock: FrozenClock) -> None:
    await log.register(ORDERED)
    a1, b1 = make_envelope(partition="A"), make_envelope(partition="B")
    await log.append([a1, b1])
    da1, db1 = await claim(log)
    await log.settle([Retry(da1, clock() + timedelta(seconds=10), BOOM), Ack(db1)])
    a2, b2 = make_envelope(partition="A"), make_envelope(partition="B")
    await log.append([a2, b2])
    assert [d.envelope.event_id for d in await claim(log)] == [b2.event_id]
    clock.advance(10)
    retried = await claim(log)
    assert [d.envelope.event_id for d in retried] == [a1.event_id]
    assert retried[0].attempt == 2


async def test_scheduled_retry_waits_until_its_time(log, clock: FrozenClock) -> None:
    await log.register(UNORDERED)
    await log.append([make_envelope()])
    (delivery,) = await claim(log, "audit")
    await log.settle([Retry(delivery, clock() + timedelta(seconds=5), BOOM)])
    clock.advance(4.9)
    assert await claim(log, "audit") == []
    clock.advance(0.1)
    (again,) = await claim(log, "audit")
    assert again.attempt == 2
    history = await log.attempts(delivery.envelope.event_id)
    assert [(h.attempt, h.outcome, h.error_class) for h in history] == [
        (1, "retry", "TimeoutError")
    ]
    waiting = (await log.stats()).subscriptions[0]
    assert waiting.in_flight == 1


async def test_delivery_comes_back_when_its_consumer_dies_without_acking(
    open_log, clock: FrozenClock
) -> None:
    first_process, second_process = open_log(), open_log()
    await first_process.register(ORDERED)
    await first_process.append([make_envelope()])
    (held,) = await claim(first_process, consumer="dies", lease=30)
    clock.advance(29)
    assert await claim(second_process, consumer="survivor") == []
    clock.advance(2)
    (redelivered,) = await claim(second_process, consumer="survivor")
    assert redelivered.envelope == held.envelope
    assert redelivered.attempt == 2
    late = await first_process.settle(
        [Ack(held, Effects(writes=(DocumentWrite("t", "1", {"x": 1}),)))]
    )
    assert late.lease_lost == (held.delivery_id,)
    assert await first_process.get_document("t", "1") is None
    assert (await second_process.settle([Ack(redelivered)])).settled == 1


async def test_extended_lease_keeps_a_slow_handler_its_delivery(log, clock: FrozenClock) -> None:
    await log.register(ORDERED)
    await log.append([make_envelope()])
    (held,) = await claim(log, lease=10)
    clock.advance(8)
    await log.extend([held], lease_seconds=10)
    clock.advance(8)
    assert await claim(log, consumer="other") == []
    assert (await log.settle([Ack(held)])).settled == 1


async def test_released_delivery_comes_back_without_counting_an_attempt(log) -> None:
    await log.register(ORDERED)
    await log.append([make_envelope()])
    (held,) = await claim(log)
    await log.settle([Release(held)])
    (again,) = await claim(log)
    assert again.attempt == 1


async def test_competing_consumers_never_get_the_same_delivery(open_log) -> None:
    consumers = [open_log() for _ in range(3)]
    await consumers[0].register(UNORDERED)
    envs = [make_envelope(partition=f"K{i % 7}") for i in range(300)]
    await consumers[0].append(envs)
    seen: list[str] = []

    async def drain(log, name: str) -> None:
        while batch := await claim(log, "audit", consumer=name, limit=7):
            seen.extend(d.envelope.event_id for d in batch)
            await log.settle([Ack(d) for d in batch])
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(log, f"c{i}") for i, log in enumerate(consumers)))
    assert sorted(seen) == sorted(e.event_id for e in envs)


async def test_competing_consumers_on_an_ordered_subscription_keep_per_key_order(open_log) -> None:
    consumers = [open_log() for _ in range(3)]
    await consumers[0].register(ORDERED)
    envs = [make_envelope(partition=f"K{i % 5}", payload={"i": i}) for i in range(100)]
    await consumers[0].append(envs)
    applied: dict[str, list[int]] = {}
    in_flight: dict[str, str] = {}

    async def drain(log, name: str) -> None:
        while batch := await claim(log, consumer=name, limit=3):
            for d in batch:
                holder = in_flight.setdefault(d.envelope.partition_key, name)
                assert holder == name, "two consumers held events of one key at once"
            await asyncio.sleep(0)
            for d in batch:
                applied.setdefault(d.envelope.partition_key, []).append(d.envelope.payload["i"])
                in_flight.pop(d.envelope.partition_key, None)
            await log.settle([Ack(d) for d in batch])

    await asyncio.gather(*(drain(log, f"c{i}") for i, log in enumerate(consumers)))
    for key, order in applied.items():
        assert order == sorted(order), key
    assert sum(len(v) for v in applied.values()) == 100


async def test_stale_update_is_skipped_and_counted(log) -> None:
    await log.register(ORDERED)
    newer = make_envelope("inventory.snapshot_received", sequence=5)
    await log.append([newer])
    (d,) = await claim(log)
    await log.settle([Ack(d)])
    older = make_envelope("inventory.snapshot_received", sequence=3)
    same = make_envelope("inventory.snapshot_received", sequence=5)
    fresh = make_envelope("inventory.snapshot_received", sequence=6)
    await log.append([older, same])
    assert await claim(log) == []
    await log.append([fresh])
    assert [x.envelope.event_id for x in await claim(log)] == [fresh.event_id]
    assert (await log.stats()).subscriptions[0].skipped_stale == 2


async def test_stale_check_is_per_partition_key(log) -> None:
    await log.register(ORDERED)
    await log.append([make_envelope(partition="A", sequence=9)])
    (d,) = await claim(log)
    await log.settle([Ack(d)])
    other_key = make_envelope(partition="B", sequence=1)
    await log.append([other_key])
    assert [x.envelope.event_id for x in await claim(log)] == [other_key.event_id]


async def test_ack_commits_emitted_events_and_documents_with_it(log) -> None:
    await log.register(ORDERED)
    await log.register(SubscriptionSpec("shipping", ("shipment.*",)))
    await log.append([make_envelope()])
    (d,) = await claim(log)
    emitted = make_envelope("shipment.confirmed", key="derived:1")
    write = DocumentWrite("balance", "SKU-1@WH-1", {"on_hand": "12"})
    await log.settle([Ack(d, Effects(emitted=(emitted,), writes=(write, write)))])
    doc = await log.get_document("balance", "SKU-1@WH-1")
    assert doc is not None
    assert doc.body == {"on_hand": "12"}
    assert doc.version == 2
    assert doc.updated_by == d.envelope.event_id
    (downstream,) = await claim(log, "shipping")
    assert downstream.envelope.event_id == emitted.event_id


async def test_emitting_the_same_key_again_on_replay_is_absorbed(log) -> None:
    await log.register(ORDERED)
    await log.register(SubscriptionSpec("shipping", ("shipment.*",)))
    source = make_envelope()
    await log.append([source])
    for _ in range(2):
        (d,) = await claim(log)
        emitted = make_envelope("shipment.confirmed", key="derived:same")
        await log.settle([Ack(d, Effects(emitted=(emitted,)))])
        replay = ReplaySelection("events", ids=(source.event_id,), subscriptions=("inventory",))
        await log.requeue(replay, actor="test", reason="run the handler again")
    assert len(await claim(log, "shipping")) == 1
    assert (await log.stats()).duplicates == 1


async def test_subscription_registered_later_starts_from_now(log) -> None:
    await log.append([make_envelope()])
    await log.register(ORDERED)
    assert await claim(log) == []
    later = make_envelope()
    await log.append([later])
    assert [d.envelope.event_id for d in await claim(log)] == [later.event_id]


async def test_a_key_queued_behind_a_retry_runs_in_order_after_it(log, clock: FrozenClock) -> None:
    await log.register(ORDERED)
    a = [make_envelope(partition="A", payload={"i": i}) for i in range(1, 4)]
    b = make_envelope(partition="B", payload={"i": 9})
    await log.append([*a, b])
    done: list[int] = []
    failed_once = False

    async def round_trip() -> int:
        nonlocal failed_once
        batch = await claim(log)
        outcomes = []
        blocked: set[str] = set()
        for d in batch:
            key, i = d.envelope.partition_key, d.envelope.payload["i"]
            if key in blocked:
                outcomes.append(Release(d))
            elif i == 1 and not failed_once:
                failed_once = True
                blocked.add(key)
                outcomes.append(Retry(d, clock() + timedelta(seconds=30), BOOM))
            else:
                done.append(i)
                outcomes.append(Ack(d))
        await log.settle(outcomes)
        return len(batch)

    await round_trip()
    await log.append([make_envelope(partition="A", payload={"i": 4})])
    while await round_trip():
        pass
    assert done == [9]
    clock.advance(30)
    while await round_trip():
        pass
    assert done == [9, 1, 2, 3, 4]


async def test_events_held_by_a_dead_consumer_come_back_one_at_a_time(
    log, clock: FrozenClock
) -> None:
    await log.register(ORDERED)
    envs = [make_envelope(partition=f"K{i}") for i in range(5)]
    await log.append(envs)
    held = await claim(log, consumer="dies", lease=10)
    clock.advance(11)
    again = await claim(log, consumer="next")
    assert len(again) == 1
    assert again[0].attempt == 2
    assert again[0].envelope.event_id in {d.envelope.event_id for d in held}
    await log.settle([Ack(again[0])])
    rest = []
    while batch := await claim(log, consumer="next"):
        rest.extend(batch)
        await log.settle([Ack(d) for d in batch])
    assert sorted(d.envelope.event_id for d in (*again, *rest)) == sorted(e.event_id for e in envs)


async def test_on_an_unordered_subscription_a_retry_holds_back_nothing(log, clock) -> None:
    await log.register(UNORDERED)
    first = make_envelope(partition="A")
    await log.append([first])
    (d,) = await claim(log, "audit")
    await log.settle([Retry(d, clock() + timedelta(seconds=30), BOOM)])
    later = make_envelope(partition="A")
    await log.append([later])
    assert [x.envelope.event_id for x in await claim(log, "audit")] == [later.event_id]
