"""Malformed and hostile input at intake: refused with a clear error, nothing stored disturbed.

Each bad document is submitted through ``services.intake`` on the embedded
SQLite profile after valid events were stored; the rejection must name what
is wrong, and the events and deliveries stored before must be there, intact,
and still delivered exactly once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import default_landscape
from distsync.errors import MalformedDocument, PermanentError, SchemaViolation
from distsync.model.envelope import Envelope
from distsync.model.examples import example_inventory_adjustment
from distsync.runtime.context import HandlerContext
from distsync.runtime.intake import PayloadTooLarge
from distsync.runtime.ports import EventFilter, LogStats, StoredEvent, SubscriptionSpec
from distsync.runtime.worker import Subscription

INVENTORY = SubscriptionSpec("inventory", ("inventory.*",), ordered=True)
Raw = dict[str, Any]


def valid(number: int) -> Raw:
    """A valid ``inventory.adjusted`` envelope as plain JSON data."""
    adjustment = example_inventory_adjustment().model_dump(mode="json")
    envelope = Envelope(
        type="inventory.adjusted",
        schema_version=1,
        source_system="wms-east",
        correlation_id=f"corr-{number}",
        idempotency_key=f"wms-east:adj:{number}",
        partition_key="GLV-2211@WH-EAST",
        occurred_at=example_inventory_adjustment().adjusted_at,
        payload=adjustment | {"adjustment_id": f"ADJ-{number}"},
    )
    return envelope.model_dump(mode="json")


def encoded(raw: Raw) -> bytes:
    return orjson.dumps(raw)


def changed(**fields: Any) -> bytes:
    return encoded(valid(99) | fields)


def without(*names: str) -> bytes:
    return encoded({k: v for k, v in valid(99).items() if k not in names})


def with_payload(**fields: Any) -> bytes:
    raw = valid(99)
    return encoded(raw | {"payload": raw["payload"] | fields})


@dataclass(frozen=True)
class BadInput:
    name: str
    raw: Callable[[], bytes]
    error: type[PermanentError]
    message: str


BAD_INPUTS = [
    BadInput("not JSON", lambda: b'{"type": "inventory.adjusted",', MalformedDocument,
             r"reading document 1: not valid JSON"),
    BadInput("empty", lambda: b"", MalformedDocument, r"document 1: not valid JSON"),
    BadInput("not UTF-8", lambda: b'{"type": "\xff\xfe"}', MalformedDocument,
             r"document 1: not valid JSON"),
    BadInput("nested a million deep", lambda: b"[" * 1_000_000, MalformedDocument,
             r"document 1: not valid JSON"),
    BadInput("a JSON array of junk", lambda: b'[1, "two", null, {"three": 3}]',
             MalformedDocument, r"document 1: expected a JSON object, got list"),
    BadInput("missing fields", lambda: without("idempotency_key", "partition_key"),
             SchemaViolation,
             r"document 1: invalid envelope: idempotency_key: Field required; "
             r"partition_key: Field required"),
    BadInput("an empty idempotency key", lambda: changed(idempotency_key=""), SchemaViolation,
             r"idempotency_key: String should have at least 1 character"),
    BadInput("an unknown envelope field", lambda: changed(priority="high"), SchemaViolation,
             r"priority: Extra inputs are not permitted"),
    BadInput("a naive datetime", lambda: changed(occurred_at="2024-05-20T13:05:00"),
             SchemaViolation, r"occurred_at: Input should have timezone info"),
    BadInput("an unknown event type", lambda: changed(type="inventory.adjustd"),
             SchemaViolation,
             r"unknown event type 'inventory.adjustd'; did you mean inventory.adjusted"),
    BadInput("an internal event type", lambda: changed(type="outbound.requested"),
             SchemaViolation, r"type 'outbound.requested' is internal to distsync"),
    BadInput("a wrong schema version", lambda: changed(schema_version=2), SchemaViolation,
             r"inventory.adjusted event .*: schema_version 2 is not supported \(current: 1\)"),
    BadInput("a payload that breaks its document",
             lambda: with_payload(adjustment_id="ADJ-BAD-1", delta={"value": 2.5, "uom": "BX"}),
             SchemaViolation,
             r"inventory.adjusted: inventory_adjustment ADJ-BAD-1 breaks inventory_adjustment "
             r"v1 \(1 problem\): delta.value: .*binary floats are refused"),
    BadInput("a payload missing its document number", lambda: with_payload(adjustment_id=None),
             SchemaViolation, r"inventory_adjustment breaks .*adjustment_id"),
    BadInput("an oversized payload", lambda: with_payload(note="x" * 1_200_000), PayloadTooLarge,
             r"reading document 1: 1,2\d\d,\d\d\d bytes is over the limit of 1,048,576 bytes"),
]  # fmt: skip


@dataclass
class Stored:
    events: list[StoredEvent]
    stats: LogStats


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[tuple[Services, list[str]]]:
    handled: list[str] = []

    async def handle(ctx: HandlerContext) -> None:
        handled.append(ctx.envelope.idempotency_key)

    built = build(
        default_landscape(tmp_path),
        overrides=Overrides(subscriptions=[Subscription(INVENTORY, handler=handle)]),
    )
    await built.worker("test").register()
    yield built, handled
    await built.close()


async def snapshot(services: Services) -> Stored:
    events = await services.backend.list_events(EventFilter(), limit=1000)
    return Stored(events, await services.backend.stats())


async def store_some(services: Services) -> Stored:
    first = await services.intake.accept_raw([encoded(valid(1)), encoded(valid(2))])
    again = await services.intake.accept_raw([encoded(valid(3)), encoded(valid(1))])
    assert len(first.appended) == 2
    assert len(again.appended) == 1
    assert len(again.duplicates) == 1
    return await snapshot(services)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.name for bad in BAD_INPUTS])
async def test_bad_input_is_rejected_by_name_and_leaves_what_is_stored_intact(
    services: tuple[Services, list[str]], bad: BadInput
) -> None:
    built, handled = services
    before = await store_some(built)

    with pytest.raises(bad.error, match=bad.message):
        await built.intake.accept_raw([bad.raw()])

    assert await snapshot(built) == before
    await built.worker("test").drain()
    assert handled == ["wms-east:adj:1", "wms-east:adj:2", "wms-east:adj:3"]


async def test_a_batch_with_one_bad_document_appends_nothing(
    services: tuple[Services, list[str]],
) -> None:
    built, handled = services
    before = await store_some(built)
    batch = [encoded(valid(4)), encoded(valid(5)), changed(occurred_at="2024-05-20T13:05:00")]

    with pytest.raises(SchemaViolation, match=r"reading document 3: .*occurred_at"):
        await built.intake.accept_raw(batch)

    assert await snapshot(built) == before
    retried = await built.intake.accept_raw(batch[:2])
    assert len(retried.appended) == 2
    assert not retried.duplicates
    await built.worker("test").drain()
    assert handled == [f"wms-east:adj:{n}" for n in (1, 2, 3, 4, 5)]
