"""Values that travel through the runtime: deliveries, outcomes, effects, calls.

Plain immutable data; the contracts that use them are in ``runtime/ports.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from distsync.model.envelope import Envelope


@dataclass(frozen=True)
class SubscriptionSpec:
    """A durable consumer: which event types it receives and whether per-key order holds.

    ``event_types`` are shell-style patterns (``asn.*``, ``inventory.adjusted``).
    """

    name: str
    event_types: tuple[str, ...]
    ordered: bool = False

    def matches(self, event_type: str) -> bool:
        return any(fnmatchcase(event_type, pattern) for pattern in self.event_types)


@dataclass(frozen=True)
class Delivery:
    """One event handed to one subscription's consumer, under a lease.

    ``attempt`` counts claims, this one included: a delivery whose consumer
    died without settling comes back with a higher attempt. ``delivery_id`` is
    the backend's opaque handle; ``seq`` is the event's position in the log.
    """

    delivery_id: str
    subscription: str
    envelope: Envelope
    attempt: int
    lease_token: str
    seq: int


@dataclass(frozen=True)
class DocumentWrite:
    """Put a JSON document into the document store under ``(kind, key)``."""

    kind: str
    key: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    key: str
    version: int
    body: dict[str, Any]
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class Effects:
    """What a handler did, committed with its ack: emitted events and document writes."""

    emitted: tuple[Envelope, ...] = ()
    writes: tuple[DocumentWrite, ...] = ()


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as recorded in the attempt history and the dead-letter store."""

    error_class: str
    message: str
    traceback: str | None = None
    retryable: bool = False


@dataclass(frozen=True)
class Ack:
    delivery: Delivery
    effects: Effects = field(default_factory=Effects)


@dataclass(frozen=True)
class Retry:
    delivery: Delivery
    at: datetime
    error: ErrorInfo


@dataclass(frozen=True)
class DeadLetter:
    delivery: Delivery
    error: ErrorInfo


@dataclass(frozen=True)
class Park:
    """Park a delivery as a business exception for a person to resolve."""

    delivery: Delivery
    reason_code: str
    document_ref: str
    message: str
    resolutions: tuple[tuple[str, str], ...]
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Release:
    """Give a claimed delivery back untouched (shutdown, or a key blocked behind a failure)."""

    delivery: Delivery


Outcome = Ack | Retry | DeadLetter | Park | Release


@dataclass(frozen=True)
class AppendResult:
    """Which envelopes were stored and which were duplicates of stored ones.

    ``duplicates`` maps the duplicate's event id to the event id already stored
    under the same idempotency key.
    """

    appended: tuple[str, ...]
    duplicates: Mapping[str, str]


@dataclass(frozen=True)
class ClaimRequest:
    """A claim to make right after a settle, in the same transaction (see ``settle``)."""

    subscription: str
    consumer: str
    limit: int
    lease_seconds: float


@dataclass(frozen=True)
class SettleResult:
    settled: int
    lease_lost: tuple[str, ...] = ()
    claimed: tuple[Delivery, ...] = ()


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    envelope: Envelope


@dataclass(frozen=True)
class OutboundRequest:
    """One call to make on an endpoint, taken from the outbox.

    ``idempotency_key`` is deterministic (flow step + document + revision):
    the connector passes it on (an ``Idempotency-Key`` header, or a
    look-up-before-create) so that a repeated call has no second effect.
    """

    destination: str
    operation: str
    idempotency_key: str
    body: Mapping[str, Any]
    correlation_id: str


@dataclass(frozen=True)
class Receipt:
    """What an endpoint answered: its id for the document, and whether it had it already."""

    remote_id: str | None = None
    duplicate: bool = False
