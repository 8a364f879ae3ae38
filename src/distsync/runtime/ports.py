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
  and the **replay audit**;
- the **control numbers** of outbound X12, per partner (``ControlNumbers``).

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

Values are defined in ``runtime/messages.py`` (what travels) and
``runtime/operations.py`` (what people read) and re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from distsync.model.envelope import Envelope
from distsync.runtime.messages import (
    Ack,
    AppendResult,
    ClaimRequest,
    DeadLetter,
    Delivery,
    DocumentWrite,
    Effects,
    ErrorInfo,
    OutboundRequest,
    Outcome,
    Park,
    Receipt,
    Release,
    Retry,
    SettleResult,
    StoredDocument,
    StoredEvent,
    SubscriptionSpec,
)
from distsync.runtime.operations import (
    AttemptRecord,
    AuditEntry,
    DeadLetterRecord,
    DeliveryState,
    DeliveryStateKind,
    EventFilter,
    LogStats,
    ParkedRecord,
    RecordStatus,
    ReplaySelection,
    SubscriptionStats,
)

__all__ = [
    "Ack",
    "AppendResult",
    "AttemptRecord",
    "AuditEntry",
    "Backend",
    "BatchConnector",
    "ClaimRequest",
    "Connector",
    "ControlNumbers",
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
        self,
        exception_id: int,
        *,
        action: str,
        actor: str,
        note: str,
        params: Mapping[str, str] | None = None,
    ) -> ParkedRecord:
        """Close a parked exception with one of its resolutions (``replay`` requeues it).

        In the same transaction it appends an ``exception.resolved`` event
        (``runtime/resolution.py``) carrying the action and ``params``, for the
        flow that raised the exception to act on.
        """

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
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[DeadLetterRecord]:
        """Newest first; ``partner`` keeps only the dead letters of that partner's events."""

    async def dead_letter(self, dead_letter_id: int) -> DeadLetterRecord | None: ...

    async def exceptions(
        self,
        *,
        status: RecordStatus | None = RecordStatus.OPEN,
        reason_code: str | None = None,
        limit: int = 100,
        partner: str | None = None,
    ) -> list[ParkedRecord]:
        """Newest first; ``partner`` keeps only the exceptions of that partner's events."""

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

    async def list_documents(
        self, kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]:
        """Documents of ``kind`` in key order, from the first key after ``after_key``."""


class DocumentWriter(Protocol):
    """Writes outside any delivery: state that belongs to no event (a poll cursor, a sent group).

    A flow's own state is written through its handler's effects instead, so
    that it commits together with the ack.
    """

    async def put_document(
        self, kind: str, key: str, body: Mapping[str, Any], *, by: str
    ) -> StoredDocument:
        """Create or replace the document; ``by`` says who wrote it (``updated_by``)."""


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


class ControlNumbers(Protocol):
    """Control numbers for outbound X12 (ISA13, GS06, ST02): per partner, never repeated or skipped.

    ``assign(partner, kind, key, count)`` returns the numbers already assigned
    to ``key`` (an outbound document's idempotency key) for that partner and
    kind when it has some, so a retried delivery sends the same numbers again.
    Otherwise it takes the next ``count`` numbers of the partner's counter for
    ``kind`` (``"isa"``, ``"gs"`` or ``"st"``) and records them under ``key``
    in the same transaction: a crash before the commit leaves neither an
    assignment nor a gap. The numbers of one call are consecutive; each
    counter starts at 1 and wraps from 999999999 back to 1 (ISA13 and GS06 are
    at most nine digits; ST02 counts the same way, so it is unique per partner
    for a long while, not only within its group). A key asked again with
    another ``count`` is a bug and raises ``ValueError``, as do an unknown
    kind and a count below 1.
    """

    async def assign(self, partner: str, kind: str, key: str, count: int = 1) -> list[int]:
        """The numbers of ``key``: those it already has, else the next ``count`` ones."""


class Backend(MessageLog, LogInspector, DocumentStore, DocumentWriter, ControlNumbers, Protocol):
    """One transactional resource: the log, its ops records and the document store."""
