"""Dead letters, parked exceptions, replay and its audit, for every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from distsync.runtime.ports import (
    Ack,
    DeadLetter,
    ErrorInfo,
    EventFilter,
    Park,
    RecordStatus,
    Release,
    ReplaySelection,
    Retry,
    SubscriptionSpec,
)
from distsync.runtime.records import ResolutionRefused
from distsync.testing import FrozenClock, make_envelope

SUB = SubscriptionSpec("procure.asn", ("asn.*",), ordered=True)
MALFORMED = ErrorInfo(
    "MalformedDocument", "reading ASN 8812: HL segment 3 has no parent", "Traceback ...\n"
)
RESOLUTIONS = (("map_sku", "Map the supplier SKU to an item, then replay"),)


async def claim(log, limit=100):
    return await log.claim("procure.asn", consumer="c", limit=limit, lease_seconds=30)


async def park(log, envelope, reason="unknown_sku"):
    await log.append([envelope])
    (d,) = await claim(log)
    await log.settle(
        [
            Park(
                d,
                reason_code=reason,
                document_ref="asn:ACME/8812",
                message="supplier SKU AC-778 is not mapped",
                resolutions=RESOLUTIONS,
                facts={"supplier_sku": "AC-778"},
            )
        ]
    )
    return d


async def dead_letter(log, envelope):
    await log.append([envelope])
    (d,) = await claim(log)
    await log.settle([DeadLetter(d, MALFORMED)])
    return d


async def test_dead_letter_keeps_payload_error_traceback_and_attempt_history(log) -> None:
    await log.register(SUB)
    env = make_envelope("asn.received", payload={"asn": "8812"})
    await dead_letter(log, env)
    (record,) = await log.dead_letters()
    assert record.event.envelope.payload == {"asn": "8812"}
    assert record.error.error_class == "MalformedDocument"
    assert record.error.traceback == "Traceback ...\n"
    assert record.attempts == 1
    full = await log.dead_letter(record.id)
    assert full is not None
    assert [(h.attempt, h.outcome) for h in full.history] == [(1, "dead_letter")]
    assert await claim(log) == []
    assert (await log.stats()).dead_letters_open == 1


async def test_dead_letter_releases_its_key_for_the_next_event(log) -> None:
    await log.register(SUB)
    await dead_letter(log, make_envelope("asn.received"))
    after = make_envelope("asn.received")
    await log.append([after])
    assert [d.envelope.event_id for d in await claim(log)] == [after.event_id]


async def test_dead_letter_replay_delivers_again_and_is_audited(log) -> None:
    await log.register(SUB)
    env = make_envelope("asn.received")
    await dead_letter(log, env)
    (record,) = await log.dead_letters()
    count = await log.requeue(
        ReplaySelection("dead_letters", ids=(str(record.id),)),
        actor="maria",
        reason="supplier resent the missing HL",
    )
    assert count == 1
    (again,) = await claim(log)
    assert again.envelope.event_id == env.event_id
    assert await log.dead_letters() == []
    (replayed,) = await log.dead_letters(status=RecordStatus.REPLAYED)
    assert replayed.id == record.id
    (entry,) = await log.audit()
    assert (entry.actor, entry.action, entry.reason, entry.count) == (
        "maria",
        "replay dead_letters",
        "supplier resent the missing HL",
        1,
    )


async def test_parked_exception_keeps_reason_resolutions_and_facts(log) -> None:
    await log.register(SUB)
    await park(log, make_envelope("asn.received"))
    (record,) = await log.exceptions()
    assert record.reason_code == "unknown_sku"
    assert record.document_ref == "asn:ACME/8812"
    assert record.resolutions == RESOLUTIONS
    assert record.facts == {"supplier_sku": "AC-778"}
    assert (await log.stats()).exceptions_open == 1
    assert await log.exceptions(reason_code="price_out_of_tolerance") == []


async def test_resolving_an_exception_with_replay_runs_it_again(log) -> None:
    await log.register(SUB)
    env = make_envelope("asn.received")
    await park(log, env)
    (record,) = await log.exceptions()
    resolved = await log.resolve(record.id, action="replay", actor="maria", note="SKU mapped")
    assert resolved.status == RecordStatus.REPLAYED
    assert resolved.resolved_by == "maria"
    (again,) = await claim(log)
    assert again.envelope.event_id == env.event_id
    (entry,) = await log.audit()
    assert (entry.actor, entry.action, entry.reason) == ("maria", "resolve replay", "SKU mapped")


async def test_resolution_not_offered_is_refused_with_the_choices(log) -> None:
    await log.register(SUB)
    await park(log, make_envelope("asn.received"))
    (record,) = await log.exceptions()
    with pytest.raises(ResolutionRefused, match="choose one of discard, map_sku, replay"):
        await log.resolve(record.id, action="accept_variance", actor="maria", note="")
    await log.resolve(record.id, action="map_sku", actor="maria", note="AC-778 -> SKU-1")
    with pytest.raises(ResolutionRefused, match="already resolved"):
        await log.resolve(record.id, action="discard", actor="maria", note="")
    with pytest.raises(ResolutionRefused, match="no such exception"):
        await log.resolve(9999, action="discard", actor="maria", note="")


async def test_dead_letters_and_exceptions_are_listed_by_partner(log) -> None:
    await log.register(SUB)
    for n, partner in enumerate(("acme", "globex", "acme")):
        await dead_letter(log, make_envelope("asn.received", partition=f"D-{n}", partner=partner))
        await park(log, make_envelope("asn.received", partition=f"P-{n}", partner=partner))

    acme_dead = await log.dead_letters(partner="acme")
    acme_parked = await log.exceptions(partner="acme", limit=1)

    assert [r.event.envelope.partition_key for r in acme_dead] == ["D-2", "D-0"]
    assert [r.event.envelope.partition_key for r in acme_parked] == ["P-2"]  # newest, limited
    assert [r.event.envelope.partner for r in await log.exceptions(partner="globex")] == ["globex"]
    assert await log.dead_letters(partner="nobody") == []


async def test_exceptions_are_replayed_by_reason_code(log) -> None:
    await log.register(SUB)
    sku = make_envelope("asn.received", partition="PO-1")
    price = make_envelope("asn.received", partition="PO-2")
    await park(log, sku, reason="unknown_sku")
    await park(log, price, reason="price_out_of_tolerance")
    count = await log.requeue(
        ReplaySelection("exceptions", reason_code="unknown_sku"), actor="ops", reason="xref loaded"
    )
    assert count == 1
    assert [d.envelope.event_id for d in await claim(log)] == [sku.event_id]
    (still_open,) = await log.exceptions()
    assert still_open.reason_code == "price_out_of_tolerance"


async def test_events_are_replayed_by_type_partner_and_time_range(log, clock: FrozenClock) -> None:
    await log.register(SUB)
    start = clock()
    early = make_envelope("asn.received", partner="acme", received_at=start)
    other = make_envelope("asn.received", partner="globex", received_at=start)
    late = make_envelope("asn.received", partner="acme", received_at=start + timedelta(hours=2))
    await log.append([early, other, late])
    while batch := await claim(log):
        await log.settle([Ack(d) for d in batch])
    window = EventFilter(
        types=("asn.*",), partner="acme", since=start, until=start + timedelta(hours=1)
    )
    count = await log.requeue(
        ReplaySelection("events", filter=window), actor="ops", reason="WMS lost the receipts"
    )
    assert count == 1
    assert [d.envelope.event_id for d in await claim(log)] == [early.event_id]
    (entry,) = await log.audit()
    assert "partner=acme" in entry.selection
    assert entry.count == 1


async def test_event_type_filters_treat_underscore_literally(log) -> None:
    await log.register(SubscriptionSpec("all", ("*",)))
    wanted = make_envelope("po_ack.received")
    lookalike = make_envelope("poxack.received")
    await log.append([wanted, lookalike])
    found = await log.list_events(EventFilter(types=("po_ack.*",)))
    assert [s.envelope.event_id for s in found] == [wanted.event_id]


async def test_events_are_listed_newest_first_and_paged(log) -> None:
    envs = [make_envelope() for _ in range(5)]
    await log.append(envs)
    page = await log.list_events(EventFilter(), limit=2)
    assert [s.envelope.event_id for s in page] == [envs[4].event_id, envs[3].event_id]
    following = await log.list_events(EventFilter(), limit=2, before_seq=page[-1].seq)
    assert [s.envelope.event_id for s in following] == [envs[2].event_id, envs[1].event_id]
    stored = await log.get_event(envs[0].event_id)
    assert stored is not None
    assert stored.envelope == envs[0]


async def states(log, event) -> dict[str, str]:
    return {s.subscription: s.state.value for s in await log.delivery_states(event.event_id)}


async def test_delivery_states_follow_an_event_through_each_subscription(log, clock) -> None:
    before = make_envelope("asn.received", partition="PO-0")
    await log.append([before])
    await log.register(SUB)
    await log.register(SubscriptionSpec("audit", ("asn.*",)))
    first, second = (make_envelope("asn.received", partition="PO-1") for _ in range(2))
    await log.append([first, second])
    assert await states(log, before) == {"procure.asn": "not_subscribed", "audit": "not_subscribed"}
    assert (await states(log, first))["procure.asn"] == "pending"
    batch = await claim(log)
    assert (await states(log, first))["procure.asn"] == "in_flight"
    outcomes = [
        Retry(d, clock() + timedelta(seconds=60), ErrorInfo("TimeoutError", "slow", retryable=True))
        if d.envelope.event_id == first.event_id
        else Release(d)
        for d in batch
    ]
    await log.settle(outcomes)
    assert (await states(log, first))["procure.asn"] == "waiting_retry"
    assert (await states(log, second))["procure.asn"] == "queued"
    clock.advance(60)
    (again,) = await claim(log)
    await log.settle([DeadLetter(again, MALFORMED)])
    dead = (await log.delivery_states(first.event_id))[0]
    assert (dead.state.value, dead.record) == ("dead_lettered", "dlq 1")
    while batch := await claim(log):
        await log.settle([Ack(d) for d in batch])
    assert (await states(log, second))["procure.asn"] == "done"
    assert await log.delivery_states("no-such-event") == []
