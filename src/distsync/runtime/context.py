"""What a handler sees and produces: the unit of work of one delivery.

A handler reads through ``ctx.documents`` and records what it wants done:
``emit`` (an event for other flows), ``write`` (a document of its state) and
``send`` (a call to an endpoint, through the outbox). Nothing is written while
the handler runs; the worker commits all of it together with the ack, in one
transaction, or none of it when the handler fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from distsync.model.envelope import Envelope, utcnow
from distsync.runtime.ports import Delivery, DocumentStore, DocumentWrite, Effects
from distsync.telemetry import get_logger

OUTBOUND_EVENT = "outbound.requested"


class HandlerContext:
    """The unit of work of one delivery (see the module docstring)."""

    def __init__(self, delivery: Delivery, documents: DocumentStore, source_system: str) -> None:
        self.delivery = delivery
        self.documents = documents
        self._source_system = source_system
        self._emitted: list[Envelope] = []
        self._writes: list[DocumentWrite] = []

    @property
    def envelope(self) -> Envelope:
        return self.delivery.envelope

    @property
    def attempt(self) -> int:
        return self.delivery.attempt

    @property
    def log(self) -> Any:
        """A logger whose lines carry this delivery's correlation id and event id."""
        envelope = self.envelope
        return get_logger(
            correlation_id=envelope.correlation_id,
            event_id=envelope.event_id,
            event_type=envelope.type,
        )

    def emit(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        idempotency_key: str,
        partition_key: str,
        schema_version: int = 1,
        occurred_at: datetime | None = None,
        source_sequence: int | None = None,
    ) -> Envelope:
        """Record an event caused by this one; same correlation id, causation = this event.

        The idempotency key must be deterministic (derived from this event and
        the step), so that running the handler again emits nothing new.
        """
        cause = self.envelope
        now = utcnow()
        envelope = Envelope(
            type=event_type,
            schema_version=schema_version,
            source_system=self._source_system,
            partner=cause.partner,
            tenant=cause.tenant,
            correlation_id=cause.correlation_id,
            causation_id=cause.event_id,
            idempotency_key=idempotency_key,
            partition_key=partition_key,
            source_sequence=source_sequence,
            occurred_at=occurred_at or now,
            received_at=now,
            payload=dict(payload),
        )
        self._emitted.append(envelope)
        return envelope

    def write(self, kind: str, key: str, body: Mapping[str, Any]) -> None:
        """Record the new state of a document; committed with the ack."""
        self._writes.append(DocumentWrite(kind, key, body))

    def send(
        self,
        destination: str,
        operation: str,
        body: Mapping[str, Any],
        *,
        idempotency_key: str,
        order_key: str | None = None,
    ) -> Envelope:
        """Queue a call to an endpoint in the outbox; delivered after the ack commits.

        Calls with the same ``order_key`` (say, one business document) reach the
        endpoint in the order they were queued; by default each call is its own key.
        """
        key, partition = outbound_keys(destination, idempotency_key, order_key)
        payload = outbound_payload(destination, operation, body, idempotency_key)
        return self.emit(OUTBOUND_EVENT, payload, idempotency_key=key, partition_key=partition)

    def effects(self) -> Effects:
        return Effects(tuple(self._emitted), tuple(self._writes))


def outbound_payload(
    destination: str, operation: str, body: Mapping[str, Any], idempotency_key: str
) -> dict[str, Any]:
    """The payload of an ``outbound.requested`` event: the call the outbox makes."""
    return {
        "destination": destination,
        "operation": operation,
        "idempotency_key": idempotency_key,
        "body": dict(body),
    }


def outbound_keys(
    destination: str, idempotency_key: str, order_key: str | None = None
) -> tuple[str, str]:
    """The event's own idempotency key, and its partition key (calls of one ``order_key``
    reach the endpoint in order)."""
    return (
        f"outbound:{destination}:{idempotency_key}",
        f"{destination}:{order_key or idempotency_key}",
    )
