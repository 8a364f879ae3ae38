"""A shipment's tracking history: de-duplicated, in event-time order, and its current event.

Two events are the same event when they share a carrier event id, or when
they have the same milestone, the same instant and the same location. The
copies merge into one entry that keeps every id and every
milestone+time+location seen (an event joining two entries merges them);
if their contents differ, the entry keeps the smallest by canonical JSON, so
that the result does not depend on which copy came first.

Entries are ordered by event time; at the same instant by the milestone's
place in the journey (``RANK``), then by content, so any arrival order gives
the same history. The current event is found by walking the history in
order: each event becomes current unless the current one is final and may
not be left that way (:func:`may_follow`).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from distsync.model.tracking import Milestone, TrackingEvent, TrackingLocation

__all__ = [
    "RANK",
    "Entry",
    "Fingerprint",
    "current_of",
    "fingerprint_of",
    "may_follow",
    "merge",
    "order_key",
    "step",
]

M = Milestone
RANK: Mapping[Milestone, int] = MappingProxyType({
    M.LABEL_CREATED: 0, M.PICKED_UP: 1, M.IN_TRANSIT: 2, M.OUT_FOR_DELIVERY: 3,
    M.EXCEPTION: 4, M.DELIVERED: 5, M.RETURNED: 6,
})  # fmt: skip
"""A milestone's place in the journey: breaks ties between events of the same instant."""

_LEAVES_FINAL: Mapping[Milestone, frozenset[Milestone]] = MappingProxyType({
    M.DELIVERED: frozenset({M.DELIVERED, M.EXCEPTION, M.RETURNED}),
    M.RETURNED: frozenset({M.RETURNED, M.DELIVERED}),
})  # fmt: skip


def may_follow(current: Milestone, later: Milestone) -> bool:
    """Whether an event of ``later`` (newer by event time) replaces a current ``current``.

    Delivered is left only by a delivery, an exception (refused, damaged) or a
    return; returned only by another return or a delivery. Anything else
    follows anything.
    """
    allowed = _LEAVES_FINAL.get(current)
    return allowed is None or later in allowed


OrderKey = tuple[datetime, int, str]


def order_key(event: TrackingEvent) -> OrderKey:
    """Event time, then the milestone's rank, then content: a total, arrival-free order."""
    return (event.occurred_at, RANK[event.milestone], event.model_dump_json())


Fingerprint = tuple[Milestone, datetime, TrackingLocation | None]


@dataclass(frozen=True, order=True)
class Entry:
    """One event of the history, with every carrier id and fingerprint it arrived under."""

    key: OrderKey
    event: TrackingEvent
    event_ids: frozenset[str] = frozenset()
    fingerprints: frozenset[Fingerprint] = frozenset()

    def same_as(self, event_id: str | None, fingerprint: Fingerprint) -> bool:
        """Whether an event with this id or fingerprint is a copy of this entry."""
        return event_id in self.event_ids or fingerprint in self.fingerprints


def fingerprint_of(event: TrackingEvent) -> Fingerprint:
    """What makes two events without a shared id the same: milestone, instant, place."""
    return (event.milestone, event.occurred_at, event.location)


def merge(
    history: tuple[Entry, ...], event: TrackingEvent, event_id: str | None
) -> tuple[tuple[Entry, ...], bool]:
    """The history with ``event`` in it, and whether it was a copy of an entry already there."""
    ids = frozenset({event_id}) if event_id is not None else frozenset()
    fingerprint = fingerprint_of(event)
    copies = [entry for entry in history if entry.same_as(event_id, fingerprint)]
    kept = min([event, *(entry.event for entry in copies)], key=TrackingEvent.model_dump_json)
    merged = Entry(
        order_key(kept),
        kept,
        ids.union(*(entry.event_ids for entry in copies)),
        frozenset({fingerprint}).union(*(entry.fingerprints for entry in copies)),
    )
    entries = [entry for entry in history if entry not in copies]
    insort(entries, merged)
    return tuple(entries), bool(copies)


def current_of(history: tuple[Entry, ...]) -> TrackingEvent | None:
    """The event the shipment stands at after walking its history in event-time order."""
    current: TrackingEvent | None = None
    for entry in history:
        current = step(current, entry.event)
    return current


def step(current: TrackingEvent | None, later: TrackingEvent) -> TrackingEvent | None:
    """The current event once ``later`` (the newest so far) is taken into account."""
    if current is None or may_follow(current.milestone, later.milestone):
        return later
    return current
