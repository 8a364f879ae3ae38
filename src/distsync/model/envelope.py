"""The event envelope: what the event log stores and every flow receives.

An envelope wraps one canonical document (the ``payload``, a JSON-ready dict)
with the facts the runtime needs to deliver it exactly once and in order:

- ``idempotency_key``: the partner document's identity (control numbers plus
  document number, a webhook delivery id, a content hash). A second envelope
  with the same key is recorded as a duplicate and never delivered.
- ``partition_key``: what must stay in order (item+warehouse, PO number).
- ``source_sequence`` / ``source_timestamp``: the sender's own ordering; an
  update older than what was applied for its partition key is skipped.
- ``correlation_id`` / ``causation_id``: the business transaction, and the
  event that caused this one.

Event types are past tense and dotted: ``asn.received``,
``purchase_order.confirmed``.
"""

from __future__ import annotations

import builtins
import random
import time
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from distsync.errors import SchemaViolation

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
MAX_KEY_LENGTH = 512

EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN, max_length=128)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_LENGTH)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]

D = TypeVar("D", bound=BaseModel)


def new_event_id() -> str:
    """A time-ordered unique id (UUIDv7 layout): sorts by creation time."""
    millis = time.time_ns() // 1_000_000
    rand = random.getrandbits(80)  # reseeded after fork by the random module
    value = (millis << 80) | rand
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One event as stored in the log. Immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    event_id: Key = Field(default_factory=new_event_id)
    type: EventType
    schema_version: int = Field(ge=1)
    source_system: Name
    partner: Name | None = None
    tenant: Name = "default"
    correlation_id: Key
    causation_id: Key | None = None
    idempotency_key: Key
    partition_key: Key
    source_sequence: int | None = Field(default=None, ge=0)
    source_timestamp: AwareDatetime | None = None
    occurred_at: AwareDatetime
    received_at: AwareDatetime = Field(default_factory=utcnow)
    payload: dict[str, Any]

    @classmethod
    def trusted(cls, fields: dict[str, Any]) -> Envelope:
        """Rebuild an envelope validated before (read back from the log) without validating.

        ``fields`` must hold every field with the right types. This is
        ``model_construct`` without its per-field default handling, which
        costs more than the rest of reading an event back.
        """
        envelope = cls.__new__(cls)
        object.__setattr__(envelope, "__dict__", fields)
        object.__setattr__(envelope, "__pydantic_fields_set__", set(fields))
        object.__setattr__(envelope, "__pydantic_extra__", None)
        object.__setattr__(envelope, "__pydantic_private__", None)
        return envelope

    def document(self, model: builtins.type[D]) -> D:
        """The payload as a canonical document; a mismatch names the event and field."""
        try:
            return model.model_validate(self.payload, strict=False)
        except ValueError as exc:
            raise SchemaViolation(
                f"reading {self.type} event {self.event_id} as {model.__name__}: {exc}"
            ) from exc
