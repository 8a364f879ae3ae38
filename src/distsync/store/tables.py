"""The tables of the event log, the document store and the ops records.

The log is read like a partitioned stream: every event falls into one of
``SLOTS`` slots by a stable hash of its partition key, and each subscription
keeps a cursor per slot (``subscription_slots``). Consuming costs no write
per event; only the exceptions to the stream (an event waiting for a retry,
the events of its key queued behind it, replays) are rows in ``held``.

Times that the runtime compares on every claim (``available_at``,
``lease_expires``) are epoch seconds as floats; business times are ISO-8601
text in UTC with a fixed width, so they sort and compare as text on every
backend. Payloads are JSON text so operators can query them with ``json_extract``.

The Alembic migrations in ``store/migrations`` create exactly these tables;
``tests/integration/test_sqlite_store.py`` fails when the two drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

SLOTS = 32
"""How many slots the log is split into: the unit of ordering and of leases.
Changing it needs a migration that rehashes events and cursors."""

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("slot", Integer, nullable=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("type", String(128), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("source_system", String(128), nullable=False),
    Column("partner", String(128)),
    Column("tenant", String(128), nullable=False),
    Column("correlation_id", String(512), nullable=False),
    Column("causation_id", String(512)),
    Column("idempotency_key", String(512), nullable=False, unique=True),
    Column("partition_key", String(512), nullable=False),
    Column("source_sequence", BigInteger),
    Column("source_timestamp", String(32)),
    Column("occurred_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_slot_seq", "slot", "seq"),
    Index("ix_events_correlation", "correlation_id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("event_types", Text, nullable=False),
    Column("ordered", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("registered_after", Integer, nullable=False, server_default="0"),
    Column("acked", BigInteger, nullable=False, server_default="0"),
    Column("skipped_stale", BigInteger, nullable=False, server_default="0"),
)

slot_heads = Table(
    "slot_heads",
    metadata,
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("max_seq", Integer, nullable=False),
)

subscription_slots = Table(
    "subscription_slots",
    metadata,
    Column("subscription", String(128), primary_key=True),
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("cursor", Integer, nullable=False),
    Column("lease_token", String(128)),
    Column("lease_expires", Float, nullable=False, server_default="0"),
    Column("claimed_to", Integer),
    Column("claimed_count", Integer, nullable=False, server_default="0"),
    Column("redeliveries", Integer, nullable=False, server_default="0"),
    Column("isolate_to", Integer, nullable=False, server_default="0"),
)

held = Table(
    "held",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription", String(128), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("partition_key", String(512), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", Float, nullable=False, server_default="0"),
    Index("ix_held_sub_slot_id", "subscription", "slot", "id"),
    Index("ix_held_sub_key_id", "subscription", "partition_key", "id"),
    sqlite_autoincrement=True,
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("subscription", String(128), primary_key=True),
    Column("partition_key", String(512), primary_key=True),
    Column("source_sequence", BigInteger, nullable=False),
)

duplicates = Table(
    "duplicates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(512), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("original_event_id", String(64), nullable=False),
    Column("at", String(32), nullable=False),
    sqlite_autoincrement=True,
)

documents = Table(
    "documents",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(64)),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("subscription", String(128), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("error_class", String(256), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_attempts_event", "event_id"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("error_class", String(256), nullable=False),
    Column("message", Text, nullable=False),
    Column("traceback", Text),
    Column("retryable", Boolean, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("dead_at", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Index("ix_dead_letters_status", "status", "id"),
    sqlite_autoincrement=True,
)

exceptions = Table(
    "exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("reason_code", String(128), nullable=False),
    Column("document_ref", String(512), nullable=False),
    Column("message", Text, nullable=False),
    Column("resolutions", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("parked_at", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("resolved_by", String(128)),
    Column("resolution", String(64)),
    Column("resolved_at", String(32)),
    Column("note", Text),
    Index("ix_exceptions_status_reason", "status", "reason_code", "id"),
    sqlite_autoincrement=True,
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("selection", Text, nullable=False),
    Column("count", Integer, nullable=False),
    sqlite_autoincrement=True,
)

__all__ = [
    "attempts",
    "audit",
    "dead_letters",
    "documents",
    "duplicates",
    "events",
    "exceptions",
    "held",
    "metadata",
    "slot_heads",
    "subscription_slots",
    "subscriptions",
    "watermarks",
]

# -- control numbers of outbound X12 (runtime/ports.py ControlNumbers) ---------------

control_counters = Table(
    "control_counters",
    metadata,
    Column("partner", String(128), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
)

control_assignments = Table(
    "control_assignments",
    metadata,
    Column("partner", String(128), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("first", Integer, nullable=False),
    Column("count", Integer, nullable=False),
)

__all__ += ["control_assignments", "control_counters"]

# -- partner cross-references (store/ports.py CrossReferences) ------------------------
# One row per (partner, kind, partner value); every change also writes a row of
# ``xref_history`` (the entry before and after, as JSON). The newest history id of a
# partner is its revision: other processes compare it to tell that their cached copy is stale.

xrefs = Table(
    "xrefs",
    metadata,
    Column("partner", String(128), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("partner_value", String(128), primary_key=True),
    Column("our_value", String(128), nullable=False),
    Column("partner_uom", String(16)),
    Column("factor", String(40)),
    Column("changed_by", String(128), nullable=False),
    Column("changed_at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
)

xref_history = Table(
    "xref_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("partner_value", String(128), nullable=False),
    Column("action", String(16), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("changed_by", String(128), nullable=False),
    Column("changed_at", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_xref_history_partner_id", "partner", "id"),
    Index("ix_xref_history_key_id", "partner", "kind", "partner_value", "id"),
    sqlite_autoincrement=True,
)

# -- the reference cache of master data (store/ports.py ReferenceData) ------------------

reference_records = Table(
    "reference_records",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("source_system", String(128), nullable=False),
    Column("fetched_at", String(32), nullable=False),
    Column("changed_at", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_reference_records_source", "kind", "source_system"),
)

__all__ += ["reference_records", "xref_history", "xrefs"]
