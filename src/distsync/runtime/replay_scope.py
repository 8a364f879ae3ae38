"""How much a replay would touch, counted without writing: shared by the CLI and the ops API.

``distsync replay --dry-run`` and ``POST /ops/replay`` with ``dry_run`` answer
the same question the same way: the events a filter selects (read page by
page), or the open dead letters or exceptions it selects (their ids, the
event filter, the reason code, the subscriptions).
"""

from __future__ import annotations

from distsync.runtime.ports import (
    DeadLetterRecord,
    EventFilter,
    LogInspector,
    ParkedRecord,
    RecordStatus,
    ReplaySelection,
    StoredEvent,
)
from distsync.runtime.records import reason_of
from distsync.runtime.selection import event_matches

__all__ = ["PAGE", "count_events", "count_selected", "record_selected"]

PAGE = 1000


async def count_events(backend: LogInspector, chosen: EventFilter) -> int:
    """How many stored events ``chosen`` selects, read page by page."""
    total, before = 0, None
    while True:
        page: list[StoredEvent] = await backend.list_events(chosen, limit=PAGE, before_seq=before)
        total += len(page)
        if len(page) < PAGE:
            return total
        before = page[-1].seq


async def count_selected(backend: LogInspector, selection: ReplaySelection, *, limit: int) -> int:
    """How many events, or open records among the newest ``limit``, ``selection`` takes."""
    if selection.source == "events":
        return await count_events(backend, selection.filter)
    partner = selection.filter.partner
    records: list[DeadLetterRecord] | list[ParkedRecord]
    if selection.source == "dead_letters":
        records = await backend.dead_letters(status=RecordStatus.OPEN, limit=limit, partner=partner)
    else:
        records = await backend.exceptions(status=RecordStatus.OPEN, limit=limit, partner=partner)
    return sum(1 for record in records if record_selected(record, selection))


def record_selected(record: DeadLetterRecord | ParkedRecord, selection: ReplaySelection) -> bool:
    """True when a replay of ``selection`` takes this dead letter or exception."""
    return (
        (not selection.ids or str(record.id) in selection.ids)
        and event_matches(record.event.envelope, selection.filter)
        and (selection.reason_code is None or reason_of(record) == selection.reason_code)
        and (not selection.subscriptions or record.subscription in selection.subscriptions)
    )
