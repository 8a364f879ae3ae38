"""The overdue-acknowledgement KPI and alert: 850s without a 997, orders without an 855.

A job (``procure:overdue``, every minute in the worker role) asks
``procure_queries.overdue`` what is late, sets the gauge
``distsync_procure_overdue{partner, waiting_for="997"|"855"}`` for
Prometheus (alert on it being above 0; an 855 parked for a buyer counts as
answered), and logs one warning,
``procure.ack_overdue``, the first time each group or order is seen late:
an alert in the logs that names the partner, the order numbers and how late.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from distsync.flows.procure_queries import (
    Overdue,
    ProcureReads,
    UnacknowledgedOrder,
    overdue,
)
from distsync.telemetry import Metrics, get_logger

__all__ = ["OverdueWatch"]

log = get_logger(component="procure")


@dataclass
class OverdueWatch:
    """Keeps the gauge current and warns once per late group or order."""

    reads: ProcureReads
    metrics: Metrics
    clock: Callable[[], datetime]
    warned: set[str] = field(default_factory=set)

    async def run(self) -> bool:
        late = await overdue(self.reads, now=self.clock())
        self._gauge(late)
        self._warn(late)
        return False

    def _gauge(self, late: Overdue) -> None:
        counts: Counter[tuple[str, str]] = Counter()
        for group in late.groups:
            counts[(group.partner, "997")] += 1
        for order in _unanswered(late):
            counts[(order.partner or "-", "855")] += 1
        gauge = self.metrics.procure_overdue
        gauge.clear()
        for (partner, waiting_for), count in counts.items():
            gauge.labels(partner, waiting_for).set(count)

    def _warn(self, late: Overdue) -> None:
        for group in late.groups:
            key = f"997:{group.partner}:{group.group_control}"
            if key not in self.warned:
                self.warned.add(key)
                log.warning(
                    "no 997 from the partner past its deadline",
                    action="procure.ack_overdue",
                    waiting_for="997",
                    partner=group.partner,
                    group_control=group.group_control,
                    po_numbers=list(group.po_numbers),
                    late_seconds=round(group.late_seconds),
                )
        for order in _unanswered(late):
            key = f"855:{order.po_number}"
            if key not in self.warned:
                self.warned.add(key)
                log.warning(
                    "no acknowledgement from the supplier past its deadline",
                    action="procure.ack_overdue",
                    waiting_for="855",
                    partner=order.partner,
                    po_number=order.po_number,
                    late_seconds=round(order.late_seconds),
                    correlation_id=f"po:{order.po_number}",
                )


def _unanswered(late: Overdue) -> list[UnacknowledgedOrder]:
    """Late orders the supplier has not answered (an 855 parked for a buyer is an answer)."""
    return [order for order in late.orders if order.parked_ack is None]
