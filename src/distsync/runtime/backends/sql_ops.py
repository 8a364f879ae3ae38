"""Replay, resolution and the read side of the SQL backends (SQLAlchemy Core).

Replays and resolutions write an audit row in the same transaction as the
deliveries they create, so there is never a re-run without a who and a why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, or_, select, update

from distsync.runtime.backends.sql_append import InsertFactory, append, load_subscriptions, slot_of
from distsync.runtime.backends.sql_claim import like_pattern, type_clause
from distsync.runtime.backends.sql_held import hold
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
from distsync.runtime.records import (
    check_resolution,
    record_ids,
    selection_summary,
    summarise_stats,
)
from distsync.runtime.resolution import resolution_event
from distsync.store.tables import (
    attempts,
    audit,
    dead_letters,
    documents,
    duplicates,
    events,
    exceptions,
    held,
    subscription_slots,
    subscriptions,
)


def filter_clause(selection: EventFilter) -> ColumnElement[bool]:
    """The SQL form of an event filter (types are shell patterns, as in subscriptions)."""
    clauses: list[ColumnElement[bool]] = []
    if selection.types:
        clauses.append(
            or_(*(events.c.type.like(like_pattern(t), escape="\\") for t in selection.types))
        )
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
    hold_for_replay(conn, targets)
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
        for s in load_subscriptions(conn)
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
        query = query.where(table.c.id.in_(record_ids(selection)))
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


def hold_for_replay(conn: Connection, targets: list[tuple[str, int]]) -> None:
    """Queue stored events for subscriptions again (``held``, reason ``replay``)."""
    if not targets:
        return
    seqs = list({seq for _, seq in targets})
    keys = dict(
        conn.execute(
            select(events.c.seq, events.c.partition_key).where(events.c.seq.in_(seqs))
        ).all()
    )
    hold(
        conn,
        [
            {
                "subscription": sub,
                "slot": slot_of(keys[seq]),
                "seq": seq,
                "partition_key": keys[seq],
                "reason": "replay",
            }
            for sub, seq in targets
        ],
    )


def resolve(
    conn: Connection,
    exception_id: int,
    chosen: tuple[str, str, str, dict[str, str]],
    now: datetime,
    insert: InsertFactory,
) -> ParkedRecord:
    """Close the exception, audit it, and append its ``exception.resolved`` event."""
    action, actor, note, params = chosen
    record = _parked(conn, exception_id)
    status = check_resolution(record, exception_id, action)
    assert record is not None
    event = resolution_event(record, action=action, actor=actor, note=note, params=params, now=now)
    append(conn, [event], now, insert)
    if action == "replay":
        hold_for_replay(conn, [(record.subscription, record.event.seq)])
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
    conn: Connection, status: RecordStatus | None, limit: int, partner: str | None = None
) -> list[DeadLetterRecord]:
    query = _with_event(dead_letters)
    if status is not None:
        query = query.where(dead_letters.c.status == status.value)
    if partner is not None:
        query = query.where(events.c.partner == partner)
    rows = conn.execute(query.order_by(dead_letters.c.id.desc()).limit(limit)).mappings()
    return [dead_letter_record(row) for row in rows]


def dead_letter(conn: Connection, dead_letter_id: int) -> DeadLetterRecord | None:
    query = _with_event(dead_letters).where(dead_letters.c.id == dead_letter_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return dead_letter_record(row, attempts_for(conn, row["event_id"], row["subscription"]))


def exceptions_(
    conn: Connection,
    status: RecordStatus | None,
    reason_code: str | None,
    limit: int,
    partner: str | None = None,
) -> list[ParkedRecord]:
    query = _with_event(exceptions)
    if partner is not None:
        query = query.where(events.c.partner == partner)
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


def attempts_for(
    conn: Connection, event_id: str, subscription: str | None = None
) -> list[AttemptRecord]:
    query = select(attempts).where(attempts.c.event_id == event_id).order_by(attempts.c.id)
    if subscription is not None:
        query = query.where(attempts.c.subscription == subscription)
    return [attempt_record(row) for row in conn.execute(query).mappings()]


def ping(conn: Connection) -> None:
    conn.execute(select(1)).scalar_one()


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
    counters = {
        row.name: row
        for row in conn.execute(
            select(subscriptions.c.name, subscriptions.c.acked, subscriptions.c.skipped_stale)
        )
    }
    return [
        _one_subscription(conn, spec, counters[spec.name], now) for spec in load_subscriptions(conn)
    ]


def _one_subscription(conn: Connection, spec: Any, counters: Any, now: float) -> SubscriptionStats:
    ss = subscription_slots
    unread = (
        select(func.count(), func.min(events.c.seq))
        .select_from(events.join(ss, and_(ss.c.slot == events.c.slot, events.c.seq > ss.c.cursor)))
        .where(ss.c.subscription == spec.name, type_clause(spec))
    )
    backlog, oldest_unread = conn.execute(unread).one()
    in_flight = conn.execute(
        select(func.coalesce(func.sum(ss.c.claimed_count), 0)).where(
            ss.c.subscription == spec.name, ss.c.lease_expires > now
        )
    ).scalar_one()
    held_total, waiting, oldest_held = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((held.c.available_at > now, 1), else_=0)), 0),
            func.min(held.c.seq),
        ).where(held.c.subscription == spec.name)
    ).one()
    oldest = min((s for s in (oldest_unread, oldest_held) if s is not None), default=None)
    return summarise_stats(
        spec,
        pending=max(backlog + held_total - in_flight - waiting, 0),
        in_flight=int(in_flight),
        waiting=int(waiting),
        oldest=None if oldest is None else _received_at(conn, oldest),
        acked=int(counters.acked),
        skipped=int(counters.skipped_stale),
    )


def _received_at(conn: Connection, seq: int) -> datetime | None:
    value = conn.execute(
        select(events.c.received_at).where(events.c.seq == seq)
    ).scalar_one_or_none()
    return None if value is None else parse_time(value)
