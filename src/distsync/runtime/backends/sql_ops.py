"""Replay, resolution and the read side of the SQL backends (SQLAlchemy Core).

Replays and resolutions write an audit row in the same transaction as the
deliveries they create, so there is never a re-run without a who and a why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import INTEGER, ColumnElement, Connection, Select, and_, func, or_, select, update

from distsync.runtime.backends import sql_write
from distsync.runtime.backends.sql_rows import (
    attempt_record,
    audit_entry,
    dead_letter_record,
    iso,
    parked_record,
    parse_time,
    stored_event,
)
from distsync.runtime.ports import (
    AttemptRecord,
    AuditEntry,
    DeadLetterRecord,
    EventFilter,
    LogStats,
    ParkedRecord,
    RecordStatus,
    ReplaySelection,
    StoredDocument,
    StoredEvent,
    SubscriptionStats,
)
from distsync.runtime.records import check_resolution, selection_summary, summarise_stats
from distsync.store.tables import (
    attempts,
    audit,
    dead_letters,
    deliveries,
    documents,
    duplicates,
    events,
    exceptions,
    subscriptions,
)


def _like(pattern: str) -> str:
    escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def filter_clause(selection: EventFilter) -> ColumnElement[bool]:
    """The SQL form of an event filter (types are shell patterns, as in subscriptions)."""
    clauses: list[ColumnElement[bool]] = []
    if selection.types:
        clauses.append(or_(*(events.c.type.like(_like(t), escape="\\") for t in selection.types)))
    if selection.partner is not None:
        clauses.append(events.c.partner == selection.partner)
    if selection.since is not None:
        clauses.append(events.c.received_at >= iso(selection.since))
    if selection.until is not None:
        clauses.append(events.c.received_at < iso(selection.until))
    if selection.correlation_id is not None:
        clauses.append(events.c.correlation_id == selection.correlation_id)
    if selection.event_ids:
        clauses.append(events.c.event_id.in_(selection.event_ids))
    return and_(True, *clauses)


# -- replay and resolution ----------------------------------------------------


def requeue(
    conn: Connection, selection: ReplaySelection, actor: str, reason: str, now: datetime
) -> int:
    if selection.source == "events":
        targets = _event_targets(conn, selection)
    elif selection.source in ("dead_letters", "exceptions"):
        targets = _record_targets(conn, selection)
    else:
        raise ValueError(f"unknown replay source {selection.source!r}")
    sql_write.new_deliveries(conn, targets)
    write_audit(
        conn,
        actor,
        f"replay {selection.source}",
        reason,
        selection_summary(selection),
        len(targets),
        now,
    )
    return len(targets)


def _event_targets(conn: Connection, selection: ReplaySelection) -> list[tuple[str, int]]:
    chosen = selection.filter
    if selection.ids:
        chosen = EventFilter(**{**chosen.__dict__, "event_ids": selection.ids})
    specs = [
        s
        for s in sql_write.load_subscriptions(conn)
        if not selection.subscriptions or s.name in selection.subscriptions
    ]
    rows = conn.execute(
        select(events.c.seq, events.c.type).where(filter_clause(chosen)).order_by(events.c.seq)
    )
    return [
        (spec.name, seq) for seq, event_type in rows for spec in specs if spec.matches(event_type)
    ]


def _record_targets(conn: Connection, selection: ReplaySelection) -> list[tuple[str, int]]:
    table = dead_letters if selection.source == "dead_letters" else exceptions
    reason_column = table.c.error_class if table is dead_letters else table.c.reason_code
    query = (
        select(table.c.id, table.c.subscription, table.c.seq)
        .join(events, events.c.seq == table.c.seq)
        .where(table.c.status == RecordStatus.OPEN.value, filter_clause(selection.filter))
        .order_by(table.c.id)
    )
    if selection.ids:
        query = query.where(table.c.id.in_([int(i) for i in selection.ids]))
    if selection.reason_code is not None:
        query = query.where(reason_column == selection.reason_code)
    if selection.subscriptions:
        query = query.where(table.c.subscription.in_(selection.subscriptions))
    rows = conn.execute(query).all()
    if rows:
        conn.execute(
            update(table)
            .where(table.c.id.in_([r.id for r in rows]))
            .values(status=RecordStatus.REPLAYED.value)
        )
    return [(r.subscription, r.seq) for r in rows]


def resolve(
    conn: Connection, exception_id: int, action: str, actor: str, note: str, now: datetime
) -> ParkedRecord:
    record = _parked(conn, exception_id)
    status = check_resolution(record, exception_id, action)
    assert record is not None
    if action == "replay":
        sql_write.new_deliveries(conn, [(record.subscription, record.event.seq)])
    conn.execute(
        update(exceptions)
        .where(exceptions.c.id == exception_id)
        .values(
            status=status.value,
            resolved_by=actor,
            resolution=action,
            resolved_at=iso(now),
            note=note,
        )
    )
    write_audit(conn, actor, f"resolve {action}", note, f"exceptions ids={exception_id}", 1, now)
    resolved = _parked(conn, exception_id)
    assert resolved is not None
    return resolved


def write_audit(
    conn: Connection,
    actor: str,
    action: str,
    reason: str,
    selection: str,
    count: int,
    now: datetime,
) -> None:
    conn.execute(
        audit.insert().values(
            at=iso(now), actor=actor, action=action, reason=reason, selection=selection, count=count
        )
    )


# -- read side -----------------------------------------------------------------


def get_event(conn: Connection, event_id: str) -> StoredEvent | None:
    row = conn.execute(select(events).where(events.c.event_id == event_id)).mappings().first()
    return None if row is None else stored_event(row)


def list_events(
    conn: Connection, selection: EventFilter, limit: int, before_seq: int | None
) -> list[StoredEvent]:
    query = select(events).where(filter_clause(selection))
    if before_seq is not None:
        query = query.where(events.c.seq < before_seq)
    rows = conn.execute(query.order_by(events.c.seq.desc()).limit(limit)).mappings()
    return [stored_event(row) for row in rows]


def _with_event(table: Any) -> Select[Any]:
    return select(table, *[c for c in events.c if c.name != "seq"]).join(
        events, events.c.seq == table.c.seq
    )


def dead_letters_(
    conn: Connection, status: RecordStatus | None, limit: int
) -> list[DeadLetterRecord]:
    query = _with_event(dead_letters)
    if status is not None:
        query = query.where(dead_letters.c.status == status.value)
    rows = conn.execute(query.order_by(dead_letters.c.id.desc()).limit(limit)).mappings()
    return [dead_letter_record(row) for row in rows]


def dead_letter(conn: Connection, dead_letter_id: int) -> DeadLetterRecord | None:
    query = _with_event(dead_letters).where(dead_letters.c.id == dead_letter_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return dead_letter_record(row, attempts_for(conn, row["event_id"]))


def exceptions_(
    conn: Connection, status: RecordStatus | None, reason_code: str | None, limit: int
) -> list[ParkedRecord]:
    query = _with_event(exceptions)
    if status is not None:
        query = query.where(exceptions.c.status == status.value)
    if reason_code is not None:
        query = query.where(exceptions.c.reason_code == reason_code)
    rows = conn.execute(query.order_by(exceptions.c.id.desc()).limit(limit)).mappings()
    return [parked_record(row) for row in rows]


def _parked(conn: Connection, exception_id: int) -> ParkedRecord | None:
    row = (
        conn.execute(_with_event(exceptions).where(exceptions.c.id == exception_id))
        .mappings()
        .first()
    )
    return None if row is None else parked_record(row)


exception = _parked


def attempts_for(conn: Connection, event_id: str) -> list[AttemptRecord]:
    query = select(attempts).where(attempts.c.event_id == event_id).order_by(attempts.c.id)
    return [attempt_record(row) for row in conn.execute(query).mappings()]


def audit_entries(conn: Connection, limit: int) -> list[AuditEntry]:
    rows = conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings()
    return [audit_entry(row) for row in rows]


def duplicate_entries(conn: Connection, limit: int) -> list[tuple[str, str, datetime]]:
    query = select(duplicates.c.idempotency_key, duplicates.c.original_event_id, duplicates.c.at)
    rows = conn.execute(query.order_by(duplicates.c.id.desc()).limit(limit))
    return [(key, original, parse_time(at)) for key, original, at in rows]


def get_document(conn: Connection, kind: str, key: str) -> StoredDocument | None:
    query = select(documents).where(documents.c.kind == kind, documents.c.key == key)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return StoredDocument(
        row["kind"],
        row["key"],
        row["version"],
        orjson.loads(row["body"]),
        parse_time(row["updated_at"]),
        row["updated_by"],
    )


def stats(conn: Connection, now: float) -> LogStats:
    def count(table: Any, *where: ColumnElement[bool]) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return LogStats(
        events=int(conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()),
        duplicates=count(duplicates),
        dead_letters_open=count(dead_letters, dead_letters.c.status == RecordStatus.OPEN.value),
        exceptions_open=count(exceptions, exceptions.c.status == RecordStatus.OPEN.value),
        subscriptions=tuple(_subscription_stats(conn, now)),
    )


def _subscription_stats(conn: Connection, now: float) -> list[SubscriptionStats]:
    leased = deliveries.c.lease_expires > now
    waiting = and_(~leased, deliveries.c.available_at > now)
    per_sub = {
        row.subscription: row
        for row in conn.execute(
            select(
                deliveries.c.subscription,
                func.count().label("total"),
                func.sum(func.cast(leased, INTEGER)).label("in_flight"),
                func.sum(func.cast(waiting, INTEGER)).label("waiting"),
                func.min(deliveries.c.seq).label("oldest_seq"),
            ).group_by(deliveries.c.subscription)
        )
    }
    specs = {spec.name: spec for spec in sql_write.load_subscriptions(conn)}
    result = []
    for spec_row in conn.execute(select(subscriptions)).mappings():
        row = per_sub.get(spec_row["name"])
        spec = specs[spec_row["name"]]
        in_flight = int(row.in_flight or 0) if row else 0
        waiting_n = int(row.waiting or 0) if row else 0
        oldest = _received_at(conn, row.oldest_seq) if row else None
        result.append(
            summarise_stats(
                spec,
                pending=(int(row.total) - in_flight - waiting_n) if row else 0,
                in_flight=in_flight,
                waiting=waiting_n,
                oldest=oldest,
                acked=int(spec_row["acked"]),
                skipped=int(spec_row["skipped_stale"]),
            )
        )
    return result


def _received_at(conn: Connection, seq: int) -> datetime | None:
    value = conn.execute(
        select(events.c.received_at).where(events.c.seq == seq)
    ).scalar_one_or_none()
    return None if value is None else parse_time(value)
