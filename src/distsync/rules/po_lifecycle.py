"""The life of a purchase order as distsync tracks it, as data and one pure function.

::

    sent -> acknowledged -> partially_shipped -> shipped -> partially_received -> received
         -> invoiced -> matched -> closed
    sent | acknowledged -> cancelled        (the buyer cancels before anything ships)
    sent | acknowledged -> rejected         (the supplier refuses the whole order)

:data:`TRANSITIONS` says, per event, from which states it may happen and
where it leads. Shipping and receiving lead to the partial or the full state
by the quantities (:class:`PoProgress`): full when every line has shipped
(received) at least its ordered quantity. Real orders do not move in a
straight line, so the table allows what happens in practice: an order may
ship or be received without an acknowledgement or a ship notice; a late
acknowledgement or notice leaves a further state as it is; goods arriving
after an invoice reopen receiving. :func:`transition` refuses anything else
with ``po_transition_refused`` (an ASN for a cancelled order, a match
without an invoice), naming the order, the state and the allowed events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from distsync.rules.exceptions import PoTransitionRefused, discard, replay

__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "LineProgress",
    "PoEvent",
    "PoProgress",
    "PoState",
    "allowed_events",
    "transition",
]


class PoState(StrEnum):
    """Where a purchase order is."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    INVOICED = "invoiced"
    MATCHED = "matched"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class PoEvent(StrEnum):
    """What happens to a purchase order."""

    ACKNOWLEDGED = "acknowledged"
    SHIPPED = "shipped"
    RECEIVED = "received"
    INVOICED = "invoiced"
    MATCHED = "matched"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True)
class LineProgress:
    """One line's quantities so far, in one unit."""

    ordered: Decimal
    shipped: Decimal = Decimal(0)
    received: Decimal = Decimal(0)


@dataclass(frozen=True)
class PoProgress:
    """The quantities of every line of an order, which decide partial against full."""

    lines: tuple[LineProgress, ...]

    def fully_shipped(self) -> bool:
        """Every line has shipped (or been received) at least what was ordered."""
        return all(max(line.shipped, line.received) >= line.ordered for line in self.lines)

    def fully_received(self) -> bool:
        """Every line has been received at least as ordered."""
        return all(line.received >= line.ordered for line in self.lines)


S = PoState
_ACTIVE_BEFORE_RECEIPT = (S.SENT, S.ACKNOWLEDGED, S.PARTIALLY_SHIPPED, S.SHIPPED)
_AFTER_RECEIPT = (S.PARTIALLY_RECEIVED, S.RECEIVED, S.INVOICED, S.MATCHED)
# A state, or (partial, full) decided by the quantities; None keeps the current state.
Target = PoState | tuple[PoState, PoState] | None
_SHIPPING = (S.PARTIALLY_SHIPPED, S.SHIPPED)
_RECEIVING = (S.PARTIALLY_RECEIVED, S.RECEIVED)

TRANSITIONS: Mapping[PoEvent, Mapping[PoState, Target]] = MappingProxyType(
    {
        PoEvent.ACKNOWLEDGED: MappingProxyType(
            {S.SENT: S.ACKNOWLEDGED, S.ACKNOWLEDGED: None, S.PARTIALLY_SHIPPED: None,
             S.SHIPPED: None, **dict.fromkeys(_AFTER_RECEIPT)}
        ),
        PoEvent.SHIPPED: MappingProxyType(
            {**dict.fromkeys(_ACTIVE_BEFORE_RECEIPT, _SHIPPING), **dict.fromkeys(_AFTER_RECEIPT)}
        ),
        PoEvent.RECEIVED: MappingProxyType(
            {**dict.fromkeys(_ACTIVE_BEFORE_RECEIPT, _RECEIVING),
             **dict.fromkeys(_AFTER_RECEIPT, _RECEIVING)}
        ),
        PoEvent.INVOICED: MappingProxyType(dict.fromkeys(_AFTER_RECEIPT, S.INVOICED)),
        PoEvent.MATCHED: MappingProxyType({S.INVOICED: S.MATCHED}),
        PoEvent.CLOSED: MappingProxyType({S.MATCHED: S.CLOSED}),
        PoEvent.CANCELLED: MappingProxyType({S.SENT: S.CANCELLED, S.ACKNOWLEDGED: S.CANCELLED}),
        PoEvent.REJECTED: MappingProxyType({S.SENT: S.REJECTED, S.ACKNOWLEDGED: S.REJECTED}),
    }
)  # fmt: skip
"""Per event: the states it may happen in, and where it leads from each."""

TERMINAL = frozenset({S.CLOSED, S.CANCELLED, S.REJECTED})
"""States nothing leads out of."""


def allowed_events(state: PoState) -> tuple[PoEvent, ...]:
    """The events that may happen to an order in ``state``."""
    return tuple(event for event, sources in TRANSITIONS.items() if state in sources)


def transition(
    current: PoState,
    event: PoEvent,
    progress: PoProgress | None = None,
    *,
    po_number: str,
) -> PoState:
    """The state after ``event``; ``progress`` is needed for shipped and received.

    Raises PoTransitionRefused when ``event`` cannot happen in ``current``.
    """
    sources = TRANSITIONS[event]
    if current not in sources:
        raise _refused(current, event, po_number)
    target = sources[current]
    if target is None:
        return current
    if isinstance(target, PoState):
        return target
    if progress is None:
        raise ValueError(f"purchase order {po_number}: {event} needs the order's progress")
    partial, full = target
    done = progress.fully_shipped() if event is PoEvent.SHIPPED else progress.fully_received()
    return full if done else partial


def _refused(current: PoState, event: PoEvent, po_number: str) -> PoTransitionRefused:
    allowed = ", ".join(allowed_events(current)) or "none: the order is finished"
    return PoTransitionRefused(
        f"purchase order {po_number} is {current}; it cannot be {event} "
        f"(allowed: {allowed})",
        document_ref=f"purchase_order:{po_number}",
        resolutions=(replay("Run the document again once the order allows it"), discard()),
        facts={"po_number": po_number, "state": current, "event": event,
               "allowed_events": allowed,
               "problem_key": f"po_transition:{po_number}/{current}/{event}"},
    )  # fmt: skip
