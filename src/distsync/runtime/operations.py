"""What the log keeps for people: filters, dead letters, exceptions, states, audit, stats.

Plain immutable data read by the CLI, the ops API and the console.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from distsync.runtime.messages import ErrorInfo, StoredEvent


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
