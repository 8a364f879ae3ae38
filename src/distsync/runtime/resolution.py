"""The event a resolved exception leaves in the log, so that flows can act on the resolution.

Closing an exception with ``replay`` or ``discard`` is all the runtime does
itself. Other actions mean something to a business flow: ``map_sku`` adds a
cross-reference and runs the parked notices again, ``accept`` amends the
ERP's purchase order, ``reject`` tells the supplier. The backend appends an
``exception.resolved`` event in the same transaction as the resolution; the
flow that raised the exception subscribes to it. It carries what the person
chose (action, parameters, note, who) and what was parked (the exception's
reason, document, facts, and the parked event), on the parked event's
partition key and correlation id, so it runs in order with that document's
other events and its trace stays one story.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from distsync.model.envelope import Envelope
from distsync.runtime.operations import ParkedRecord

RESOLVED_EVENT = "exception.resolved"


def resolution_event(
    record: ParkedRecord,
    *,
    action: str,
    actor: str,
    note: str,
    params: Mapping[str, str],
    now: datetime,
) -> Envelope:
    parked = record.event.envelope
    return Envelope(
        type=RESOLVED_EVENT,
        schema_version=1,
        source_system="distsync",
        partner=parked.partner,
        tenant=parked.tenant,
        correlation_id=parked.correlation_id,
        causation_id=parked.event_id,
        idempotency_key=f"exception:{record.id}:resolved",
        partition_key=parked.partition_key,
        occurred_at=now,
        received_at=now,
        payload={
            "exception_id": record.id,
            "subscription": record.subscription,
            "reason_code": record.reason_code,
            "document_ref": record.document_ref,
            "facts": dict(record.facts),
            "action": action,
            "params": dict(params),
            "actor": actor,
            "note": note,
            "parked_event_id": parked.event_id,
            "parked_event_type": parked.type,
        },
    )
