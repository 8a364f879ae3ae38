"""Shipment status as a pure fold: ``apply(state, event) -> (state, changes)``.

Carrier events arrive late, twice and out of order. :class:`ShipmentTracking`
holds one shipment's de-duplicated history in event-time order
(:mod:`distsync.rules.tracking_history`) and what follows from it:

- ``current``: the event the shipment stands at. It is the latest by event
  time, except that delivered and returned are final: delivered is left only
  by a later delivery, exception or return (a refused or damaged parcel
  reopens it); returned only by a later return or delivery. A late old event
  joins the history and changes nothing.
- ``proof_of_delivery``: from the latest delivered event that carries one.
- ``order_complete``: true once the history holds a delivered event. The
  change ``order_complete`` is given exactly once per shipment, when it
  becomes true; it is the flow's cue to complete the order and trigger the
  invoice. A later exception does not take it back: it comes as
  ``reopened`` for a person to look at.

The state depends only on the set of events, never on their arrival order:
any permutation of a shipment's events, with copies, ends in the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent
from distsync.rules.tracking_history import Entry, current_of, merge, order_key, step

__all__ = ["ChangeKind", "ShipmentTracking", "TrackingChange", "apply", "apply_all"]


class ChangeKind(StrEnum):
    """What an event did to a shipment."""

    RECORDED = "recorded"
    """A new event joined the history."""
    DUPLICATE = "duplicate"
    """The event was already known (same event id, or milestone+time+location)."""
    LATE = "late"
    """Recorded, but older than the current event: the milestone stays."""
    HELD_FINAL = "held_final"
    """Recorded and newer, but the shipment is delivered or returned and stays so."""
    MILESTONE_CHANGED = "milestone_changed"
    REOPENED = "reopened"
    """The shipment was delivered and no longer is (a later exception or return)."""
    PROOF_OF_DELIVERY = "proof_of_delivery"
    ORDER_COMPLETE = "order_complete"
    """The shipment is delivered for the first time: complete the order, once."""


@dataclass(frozen=True)
class TrackingChange:
    """One thing that changed; ``previous`` and ``milestone`` for milestone moves."""

    kind: ChangeKind
    milestone: Milestone | None = None
    previous: Milestone | None = None


@dataclass(frozen=True)
class ShipmentTracking:
    """Everything known about one tracked shipment (start with ``ShipmentTracking(number)``)."""

    tracking_number: str
    history: tuple[Entry, ...] = ()
    current: TrackingEvent | None = None
    proof_of_delivery: ProofOfDelivery | None = None
    order_complete: bool = False

    @property
    def milestone(self) -> Milestone | None:
        """The milestone the shipment stands at; None before any event."""
        return None if self.current is None else self.current.milestone

    @property
    def delivered_at(self) -> datetime | None:
        """When the latest delivered event says the parcel was delivered."""
        delivered = _delivered(self.history)
        return delivered[-1].occurred_at if delivered else None

    @property
    def events(self) -> tuple[TrackingEvent, ...]:
        """The distinct events, in event-time order."""
        return tuple(entry.event for entry in self.history)


def apply(
    state: ShipmentTracking, event: TrackingEvent, event_id: str | None = None
) -> tuple[ShipmentTracking, tuple[TrackingChange, ...]]:
    """The shipment after ``event`` (``event_id``: the carrier's id for it, if it has one).

    Raises ValueError for an event of another tracking number (a caller's mistake).
    """
    if event.tracking_number != state.tracking_number:
        raise ValueError(
            f"tracking {state.tracking_number}: got an event of tracking {event.tracking_number}"
        )
    history, duplicate = merge(state.history, event, event_id)
    appended = not duplicate and history[-1].event is event
    current = step(state.current, event) if appended else current_of(history)
    delivered = _delivered(history)
    after = ShipmentTracking(
        tracking_number=state.tracking_number,
        history=history,
        current=current,
        proof_of_delivery=_proof(delivered),
        order_complete=bool(delivered),
    )
    return after, _changes(state, after, event, duplicate)


def apply_all(
    state: ShipmentTracking, events: Iterable[tuple[TrackingEvent, str | None]]
) -> tuple[ShipmentTracking, tuple[TrackingChange, ...]]:
    """Apply ``(event, event_id)`` pairs in the order given, gathering every change."""
    changes: list[TrackingChange] = []
    for event, event_id in events:
        state, more = apply(state, event, event_id)
        changes.extend(more)
    return state, tuple(changes)


def _delivered(history: tuple[Entry, ...]) -> list[TrackingEvent]:
    return [e.event for e in history if e.event.milestone is Milestone.DELIVERED]


def _proof(delivered: list[TrackingEvent]) -> ProofOfDelivery | None:
    signed = [event.proof_of_delivery for event in delivered if event.proof_of_delivery]
    return signed[-1] if signed else None


def _changes(
    before: ShipmentTracking, after: ShipmentTracking, event: TrackingEvent, duplicate: bool
) -> tuple[TrackingChange, ...]:
    changes = [TrackingChange(ChangeKind.DUPLICATE if duplicate else ChangeKind.RECORDED)]
    if not duplicate and after.current is not event and after.current is not None:
        older = order_key(event) < order_key(after.current)
        changes.append(TrackingChange(ChangeKind.LATE if older else ChangeKind.HELD_FINAL))
    if before.milestone != after.milestone:
        changes.append(
            TrackingChange(ChangeKind.MILESTONE_CHANGED, after.milestone, before.milestone)
        )
    if before.milestone is Milestone.DELIVERED and after.milestone is not Milestone.DELIVERED:
        changes.append(TrackingChange(ChangeKind.REOPENED, after.milestone, before.milestone))
    if after.proof_of_delivery is not None and after.proof_of_delivery != before.proof_of_delivery:
        changes.append(TrackingChange(ChangeKind.PROOF_OF_DELIVERY, Milestone.DELIVERED))
    if after.order_complete and not before.order_complete:
        changes.append(TrackingChange(ChangeKind.ORDER_COMPLETE, Milestone.DELIVERED))
    return tuple(changes)
