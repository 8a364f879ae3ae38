"""Pure helpers shared by the backends: event filters and lease tokens."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from distsync.model.envelope import Envelope
from distsync.runtime.ports import EventFilter

_counter = itertools.count(1)


def lease_token(consumer: str) -> str:
    """A token unique to one claim: settling with a stale token is refused."""
    return f"{consumer}/{os.getpid()}/{next(_counter)}"


def type_matches(event_type: str, patterns: tuple[str, ...]) -> bool:
    return not patterns or any(fnmatchcase(event_type, p) for p in patterns)


def event_matches(envelope: Envelope, selection: EventFilter) -> bool:
    """True when the envelope passes every field of the filter that is set."""
    checks = (
        type_matches(envelope.type, selection.types),
        selection.partner is None or envelope.partner == selection.partner,
        selection.since is None or envelope.received_at >= selection.since,
        selection.until is None or envelope.received_at < selection.until,
        selection.correlation_id is None or envelope.correlation_id == selection.correlation_id,
        not selection.event_ids or envelope.event_id in selection.event_ids,
    )
    return all(checks)


def utc(value: datetime) -> datetime:
    """Refuse naive datetimes at the runtime's edge; normalise aware ones to UTC."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} (a timezone is required)")
    return value.astimezone(UTC)
