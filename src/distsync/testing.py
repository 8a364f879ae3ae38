"""Fakes and builders shipped for tests of flows and adapters.

- ``FrozenClock``: a clock that moves only when told, for retries and leases.
- ``make_envelope``: a valid envelope with sensible defaults.
- ``RecordingConnector``: an endpoint that keeps every request it receives,
  absorbs repeated idempotency keys (and counts them), and can be told to fail.
- ``InMemoryMessageLog`` is re-exported: the reference backend, no I/O.
- ``HttpEndpointSimulator`` and ``Reply`` are re-exported from ``testing_http``:
  a real HTTP endpoint on 127.0.0.1 that answers as scripted (faults included).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from distsync.model.envelope import Envelope, new_event_id
from distsync.runtime.backends.memory import InMemoryMessageLog
from distsync.runtime.ports import OutboundRequest, Receipt
from distsync.testing_http import HttpEndpointSimulator, RecordedRequest, Reply

__all__ = [
    "FrozenClock",
    "HttpEndpointSimulator",
    "InMemoryMessageLog",
    "RecordedRequest",
    "RecordingConnector",
    "Reply",
    "make_envelope",
]


class FrozenClock:
    """A callable clock for the runtime that advances only with ``advance``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_envelope(
    event_type: str = "inventory.adjusted",
    *,
    key: str | None = None,
    partition: str = "SKU-1@WH-1",
    sequence: int | None = None,
    partner: str | None = None,
    payload: dict[str, Any] | None = None,
    received_at: datetime | None = None,
    correlation_id: str | None = None,
) -> Envelope:
    """An envelope for tests: unique idempotency key unless ``key`` is given."""
    event_id = new_event_id()
    now = received_at or datetime.now(UTC)
    return Envelope(
        event_id=event_id,
        type=event_type,
        schema_version=1,
        source_system="test",
        partner=partner,
        correlation_id=correlation_id or event_id,
        idempotency_key=key or f"test:{event_id}",
        partition_key=partition,
        source_sequence=sequence,
        occurred_at=now,
        received_at=now,
        payload=payload if payload is not None else {"n": 1},
    )


class RecordingConnector:
    """An endpoint for tests: records requests, absorbs repeats, fails on demand.

    Like most real endpoints it answers with its own id for each document
    (``R-1``, ``R-2``, ... in the order it first saw them).

    ``fail_with`` is raised for the next ``fail_times`` calls. ``effects`` holds
    one entry per idempotency key (what the endpoint really did);
    ``repeats`` counts calls whose key it had seen already.
    """

    def __init__(self) -> None:
        self.requests: list[OutboundRequest] = []
        self.effects: dict[str, OutboundRequest] = {}
        self.remote_ids: dict[str, str] = {}
        self.repeats = 0
        self.fail_with: BaseException | None = None
        self.fail_times = 0
        self.connected = False

    async def connect(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.connected = False

    async def send(self, request: OutboundRequest) -> Receipt:
        self.requests.append(request)
        if self.fail_with is not None and self.fail_times > 0:
            self.fail_times -= 1
            raise self.fail_with
        if request.idempotency_key in self.effects:
            self.repeats += 1
            return Receipt(remote_id=self.remote_ids[request.idempotency_key], duplicate=True)
        self.effects[request.idempotency_key] = request
        self.remote_ids[request.idempotency_key] = f"R-{len(self.effects)}"
        return Receipt(remote_id=self.remote_ids[request.idempotency_key])
