"""Conversions between runtime values and rows of the SQL backends.

Envelopes are rebuilt with ``model_construct``: every stored envelope was
validated when it was appended, and validating again on every claim would
cost more than the rest of the claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from distsync.model.envelope import Envelope
from distsync.runtime.ports import (
    AttemptRecord,
    AuditEntry,
    DeadLetterRecord,
    ErrorInfo,
    ParkedRecord,
    RecordStatus,
    StoredEvent,
)


def iso(value: datetime) -> str:
    """Fixed-width UTC text: sorts and compares correctly as a string."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def envelope_values(seq: int, slot: int, envelope: Envelope) -> tuple[Any, ...]:
    """An ``events`` row as a tuple in ``EVENT_FIELDS`` order (the append hot path)."""
    return (
        seq,
        slot,
        envelope.event_id,
        envelope.type,
        envelope.schema_version,
        envelope.source_system,
        envelope.partner,
        envelope.tenant,
        envelope.correlation_id,
        envelope.causation_id,
        envelope.idempotency_key,
        envelope.partition_key,
        envelope.source_sequence,
        iso_or_none(envelope.source_timestamp),
        iso(envelope.occurred_at),
        iso(envelope.received_at),
        orjson.dumps(envelope.payload, default=str).decode(),
    )


EVENT_FIELDS = (
    "seq",
    "slot",
    "event_id",
    "type",
    "schema_version",
    "source_system",
    "partner",
    "tenant",
    "correlation_id",
    "causation_id",
    "idempotency_key",
    "partition_key",
    "source_sequence",
    "source_timestamp",
    "occurred_at",
    "received_at",
    "payload",
)
"""The columns of ``events`` in the order ``event_from_row`` reads them."""


def event_from_row(row: Sequence[Any]) -> StoredEvent:
    """An event from a row selected as ``EVENT_FIELDS`` (positional: the hot path)."""
    (
        seq, _slot, event_id, event_type, version, source_system, partner, tenant,
        correlation_id, causation_id, idempotency_key, partition_key, source_sequence,
        source_ts, occurred_at, received_at, payload,
    ) = row  # fmt: skip
    envelope = Envelope.trusted(
        {
            "event_id": event_id,
            "type": event_type,
            "schema_version": version,
            "source_system": source_system,
            "partner": partner,
            "tenant": tenant,
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "idempotency_key": idempotency_key,
            "partition_key": partition_key,
            "source_sequence": source_sequence,
            "source_timestamp": None if source_ts is None else datetime.fromisoformat(source_ts),
            "occurred_at": datetime.fromisoformat(occurred_at),
            "received_at": datetime.fromisoformat(received_at),
            "payload": orjson.loads(payload),
        }
    )
    return StoredEvent(seq, envelope)


def stored_event(row: Mapping[Any, Any]) -> StoredEvent:
    """An event from a row mapping that holds the ``events`` columns (ops queries)."""
    return event_from_row([row[name] for name in EVENT_FIELDS])


def attempt_record(row: Mapping[Any, Any]) -> AttemptRecord:
    return AttemptRecord(
        row["attempt"],
        parse_time(row["at"]),
        row["outcome"],
        row["error_class"],
        row["message"],
        row["subscription"],
    )


def dead_letter_record(
    row: Mapping[Any, Any], history: Sequence[AttemptRecord] = ()
) -> DeadLetterRecord:
    error = ErrorInfo(row["error_class"], row["message"], row["traceback"], bool(row["retryable"]))
    return DeadLetterRecord(
        id=row["id"],
        subscription=row["subscription"],
        event=stored_event(row),
        error=error,
        attempts=row["attempts"],
        dead_at=parse_time(row["dead_at"]),
        status=RecordStatus(row["status"]),
        history=tuple(history),
    )


def parked_record(row: Mapping[Any, Any]) -> ParkedRecord:
    resolutions = tuple((name, label) for name, label in orjson.loads(row["resolutions"]))
    return ParkedRecord(
        id=row["id"],
        subscription=row["subscription"],
        event=stored_event(row),
        reason_code=row["reason_code"],
        document_ref=row["document_ref"],
        message=row["message"],
        resolutions=resolutions,
        facts=orjson.loads(row["facts"]),
        parked_at=parse_time(row["parked_at"]),
        status=RecordStatus(row["status"]),
        resolved_by=row["resolved_by"],
        resolution=row["resolution"],
        note=row["note"],
    )


def audit_entry(row: Mapping[Any, Any]) -> AuditEntry:
    return AuditEntry(
        row["id"],
        parse_time(row["at"]),
        row["actor"],
        row["action"],
        row["reason"],
        row["selection"],
        row["count"],
    )
