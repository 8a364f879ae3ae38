"""The runtime's ports: the contracts every event-log backend implements.

A backend (``backends/memory.py``, ``backends/sqlite.py``, later PostgreSQL
and NATS JetStream) is one transactional resource holding

- the **event log**: immutable envelopes, each appended once per
  idempotency key; a second append of a key is recorded as a duplicate;
- **subscriptions**: durable consumers, each with its own deliveries;
- the **document store**: the current state flows keep (a key-value store of
  JSON documents), written in the same transaction as the acks and the
  events a handler emits (the transactional outbox);
- **dead letters**, **parked business exceptions**, the **attempt history**
  and the **replay audit**.

Delivery contract (the contract suite in ``tests/contract`` checks it for
every backend):

1. ``append`` stores each envelope once per idempotency key and creates one
   delivery per subscription whose event types match.
2. ``claim`` leases deliveries to one consumer until the lease expires. On an
   ``ordered`` subscription the events of one partition key go to one
   consumer at a time, in order: nothing of a key is handed out while another
   event of it is in flight or waiting for a retry, so a failing event blocks
   its own key and no other. A claim may hold several events of one key, in
   order; the consumer handles them in that order and, after a failure,
   releases the rest of that key (the worker does this).
3. ``settle`` applies the outcomes of a claim atomically; all deliveries of
   one claim are settled in one call. An ``Ack`` commits its effects
   (emitted events, document writes) in the same transaction. An outcome
   whose lease was lost (expired and claimed by someone else) is dropped,
   effects included, and reported back.
4. A delivery whose envelope carries a ``source_sequence`` not newer than the
   last one acknowledged for its partition key in that subscription is
   skipped at claim time and counted, never handed to a handler.
5. ``requeue`` (replay) creates fresh deliveries for stored events and
   records who asked and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, Protocol

from distsync.model.envelope import Envelope

__all__ = [
    "Ack",
    "AppendResult",
    "AuditEntry",
    "Backend",
    "BatchConnector",
    "ClaimRequest",
    "Connector",
    "DeadLetter",
    "DeadLetterRecord",
    "Delivery",
    "DeliveryState",
    "DeliveryStateKind",
    "DocumentStore",
    "DocumentWrite",
    "Effects",
    "ErrorInfo",
    "EventFilter",
    "LogInspector",
    "LogStats",
    "MessageLog",
    "OutboundRequest",
    "Outcome",
    "Park",
    "ParkedRecord",
    "Receipt",
    "RecordStatus",
    "Release",
    "ReplaySelection",
    "Retry",
    "SettleResult",
    "StoredDocument",
    "StoredEvent",
    "SubscriptionSpec",
    "SubscriptionStats",
]


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
class EventFilter:
    """Selects stored events; every field narrows the selection."""

    types: tuple[str, ...] = ()
    partner: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    correlation_id: str | None = None
    event_ids: tuple[str, ...] = ()


class RecordStatus(StrEnum):
    OPEN = "open"
    REPLAYED = "replayed"
    RESOLVED = "resolved"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class ReplaySelection:
    """What to run again. Exactly one source: events, dead letters or exceptions.

    ``subscriptions`` narrows event replays to those consumers (default: every
    subscription whose types match each event). ``reason_code`` selects
    exceptions by reason.
    """

    source: str  # "events" | "dead_letters" | "exceptions"
    ids: tuple[str, ...] = ()
    filter: EventFilter = field(default_factory=EventFilter)
    reason_code: str | None = None
    subscriptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    envelope: Envelope


@dataclass(frozen=True)
class DeadLetterRecord:
    id: int
    subscription: str
    event: StoredEvent
    error: ErrorInfo
    attempts: int
    dead_at: datetime
    status: RecordStatus
    history: tuple[AttemptRecord, ...] = ()


@dataclass(frozen=True)
class AttemptRecord:
    attempt: int
    at: datetime
    outcome: str
    error_class: str
    message: str
    subscription: str = ""


@dataclass(frozen=True)
class ParkedRecord:
    id: int
    subscription: str
    event: StoredEvent
    reason_code: str
    document_ref: str
    message: str
    resolutions: tuple[tuple[str, str], ...]
    facts: Mapping[str, str]
    parked_at: datetime
    status: RecordStatus
    resolved_by: str | None = None
    resolution: str | None = None
    note: str | None = None


class DeliveryStateKind(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    WAITING_RETRY = "waiting_retry"
    QUEUED = "queued"
    DONE = "done"
    DEAD_LETTERED = "dead_lettered"
    PARKED = "parked"
    NOT_SUBSCRIBED = "not_subscribed"


@dataclass(frozen=True)
class DeliveryState:
    """Where one event stands in one subscription.

    ``queued``: waiting behind an earlier event of its key (ordered
    subscriptions); ``not_subscribed``: the subscription was registered after
    the event arrived; ``done``: handled, or skipped as stale. ``record`` names
    the dead letter or exception when there is one.
    """

    subscription: str
    state: DeliveryStateKind
    detail: str = ""
    record: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    reason: str
    selection: str
    count: int


@dataclass(frozen=True)
class SubscriptionStats:
    name: str
    ordered: bool
    pending: int
    in_flight: int
    waiting_retry: int
    oldest_pending_at: datetime | None
    acked: int
    skipped_stale: int


@dataclass(frozen=True)
class LogStats:
    events: int
    duplicates: int
    dead_letters_open: int
    exceptions_open: int
    subscriptions: tuple[SubscriptionStats, ...]


class MessageLog(Protocol):
    """The write side of the event log. See the module docstring for the contract."""

    async def register(self, spec: SubscriptionSpec) -> None:
        """Create or update a subscription; it receives events appended from now on."""

    async def append(self, envelopes: Sequence[Envelope]) -> AppendResult:
        """Store envelopes atomically; duplicates by idempotency key are recorded, not stored."""

    async def claim(
        self, subscription: str, *, consumer: str, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        """Lease up to ``limit`` deliveries (oldest first) to ``consumer``."""

    async def extend(self, deliveries: Sequence[Delivery], *, lease_seconds: float) -> None:
        """Push the lease of in-flight deliveries further out (a long handler's heartbeat)."""

    async def settle(
        self, outcomes: Sequence[Outcome], *, then_claim: ClaimRequest | None = None
    ) -> SettleResult:
        """Apply outcomes and their effects in one transaction.

        With ``then_claim`` the next batch is claimed in that same transaction
        and returned in ``SettleResult.claimed``: a busy consumer pays one
        commit per batch instead of two.
        """

    async def requeue(self, selection: ReplaySelection, *, actor: str, reason: str) -> int:
        """Replay: fresh deliveries for the selected events; audited. Returns how many."""

    async def resolve(
        self, exception_id: int, *, action: str, actor: str, note: str
    ) -> ParkedRecord:
        """Close a parked exception with one of its resolutions (``replay`` requeues it)."""

    async def close(self) -> None:
        """Release connections and threads."""


class LogInspector(Protocol):
    """The read side used by the CLI, the ops API and the console."""

    async def ping(self) -> None:
        """Answer quickly when the store can be read (readiness probes); raise when not."""

    async def get_event(self, event_id: str) -> StoredEvent | None: ...

    async def list_events(
        self, selection: EventFilter, *, limit: int = 100, before_seq: int | None = None
    ) -> list[StoredEvent]: ...

    async def dead_letters(
        self, *, status: RecordStatus | None = RecordStatus.OPEN, limit: int = 100
    ) -> list[DeadLetterRecord]: ...

    async def dead_letter(self, dead_letter_id: int) -> DeadLetterRecord | None: ...

    async def exceptions(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        reason_code: str | None = None,
        limit: int = 100,
    ) -> list[ParkedRecord]: ...

    async def exception(self, exception_id: int) -> ParkedRecord | None: ...

    async def attempts(self, event_id: str) -> list[AttemptRecord]: ...

    async def delivery_states(self, event_id: str) -> list[DeliveryState]:
        """Per subscription that takes its type, where the event stands."""

    async def audit(self, *, limit: int = 100) -> list[AuditEntry]: ...

    async def duplicates(self, *, limit: int = 100) -> list[tuple[str, str, datetime]]: ...

    async def stats(self) -> LogStats: ...


class DocumentStore(Protocol):
    """Reads of the state flows keep; writes go through ``Effects`` so they commit with acks."""

    async def get_document(self, kind: str, key: str) -> StoredDocument | None: ...


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


class Connector(Protocol):
    """An endpoint the outbox delivers to. Errors are raised as the taxonomy's classes."""

    async def connect(self) -> None: ...

    async def send(self, request: OutboundRequest) -> Receipt: ...

    async def close(self) -> None: ...


class BatchConnector(Connector, Protocol):
    """A connector that can take many requests in one call (an endpoint's bulk API).

    Returns one result per request, in order: a receipt, or the error for that request.
    """

    async def send_batch(
        self, requests: Sequence[OutboundRequest]
    ) -> list[Receipt | BaseException]: ...


class Backend(MessageLog, LogInspector, DocumentStore, Protocol):
    """One transactional resource: the log, its ops records and the document store."""
