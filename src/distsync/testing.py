"""Fakes and builders shipped for tests of flows and adapters.

- ``FrozenClock``: a clock that moves only when told, for retries and leases.
- ``make_envelope``: a valid envelope with sensible defaults.
- ``InMemoryMessageLog`` is re-exported: the reference backend, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from distsync.model.envelope import Envelope, new_event_id
from distsync.runtime.backends.memory import InMemoryMessageLog

__all__ = ["FrozenClock", "InMemoryMessageLog", "make_envelope"]


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
