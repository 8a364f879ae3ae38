"""Inventory reconciliation: the ERP's stock against each warehouse's latest snapshot.

The warehouse is the system of record for what is on hand.
:func:`reconcile_inventory` takes, per warehouse, the snapshot with the
latest ``as_of`` among the ``inventory.snapshot_received`` events of the
log (a late copy of an older count does not replace a newer one), reads the
ERP's stock of that warehouse (``StockSource.read_stock``) and compares the
two with :func:`distsync.rules.reconcile.reconcile`, explained by what
timing alone makes them differ (``reconcile_inflight``: receipts and
shipments whose posting to the ERP stands on the other side of the count,
logged since ``in_flight_days`` before it). It writes the report
(``reconcile_report``) and appends one ``inventory.variance_found`` event per
variance above threshold that is not explained, keyed ``<sku>@<warehouse>``.

The subscription ``inventory.variances`` parks each such event as an
``inventory_variance`` exception for a person. The event's idempotency key
names the SKU, the warehouse and the snapshot's event, so running again
over the same snapshot opens nothing new; a new snapshot that still differs
opens a new exception.

:func:`job` runs it periodically beside the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from distsync.flows.ports import EventSink
from distsync.flows.reconcile_inflight import timing_differences
from distsync.flows.reconcile_report import CountSeen, run_folder, variance_row, write_report
from distsync.flows.reconcile_settings import ReconcileSettings
from distsync.model.envelope import Envelope
from distsync.model.inventory import InventorySnapshot
from distsync.rules.reconcile import (
    InFlight,
    Variance,
    VarianceStatus,
    reconcile,
    variance_exception,
)
from distsync.runtime.context import HandlerContext
from distsync.runtime.operations import EventFilter
from distsync.runtime.ports import LogInspector, SubscriptionSpec
from distsync.runtime.scheduler import Job
from distsync.runtime.worker import Subscription

__all__ = [
    "VARIANCES",
    "VARIANCE_EVENT",
    "ReconcileSettings",
    "Reconciliation",
    "StockSource",
    "job",
    "reconcile_inventory",
    "subscriptions",
]

SNAPSHOT_EVENT = "inventory.snapshot_received"
VARIANCE_EVENT = "inventory.variance_found"
VARIANCES = SubscriptionSpec("inventory.variances", (VARIANCE_EVENT,), ordered=True)
PAGE = 200

Clock = Callable[[], datetime]


@runtime_checkable
class StockSource(Protocol):
    """An ERP's stock of one warehouse (``TrytonConnector.read_stock``); all SKUs by default."""

    async def read_stock(
        self, warehouse_id: str, skus: Sequence[str] | None = None
    ) -> InventorySnapshot: ...


@dataclass(frozen=True)
class Reconciliation:
    """One run: the snapshots compared, every SKU that differs, and the report written."""

    run_at: datetime
    counts: tuple[CountSeen, ...]
    variances: tuple[Variance, ...]
    missing: tuple[str, ...]
    csv_path: Path
    json_path: Path
    raised: int

    @property
    def unexplained(self) -> list[Variance]:
        """Variances above threshold that nothing in flight explains: each is an exception."""
        return [v for v in self.variances if v.needs_person]


async def reconcile_inventory(
    *,
    stock: StockSource,
    log: LogInspector,
    sink: EventSink,
    settings: ReconcileSettings,
    clock: Clock,
    explained_by: Iterable[InFlight] = (),
) -> Reconciliation:
    """Compare, report, and raise every unexplained variance (see the module docstring)."""
    run_at = clock()
    latest = await latest_snapshots(log, settings.warehouses)
    counts = {w: CountSeen(w, s.snapshot_id, s.as_of, ref) for w, (ref, s) in latest.items()}
    counted_at = {warehouse: count.as_of for warehouse, count in counts.items()}
    lookback = timedelta(days=settings.in_flight_days)
    timing = await timing_differences(
        log, erp=settings.erp, counted_at=counted_at, lookback=lookback
    )
    flights = (*explained_by, *timing)
    found: list[tuple[Variance, CountSeen]] = []
    for warehouse, (_, snapshot) in latest.items():
        erp = await stock.read_stock(warehouse)
        rows = reconcile(erp, snapshot, settings.thresholds, flights)
        found += [(v, counts[warehouse]) for v in rows if v.status is not VarianceStatus.MATCHED]
    missing = tuple(w for w in settings.warehouses if w not in latest)
    report = await asyncio.to_thread(_report, settings, run_at, counts, found, missing)
    events = [_event(v, seen, run_at, report[1]) for v, seen in found if v.needs_person]
    result = await sink.accept(events) if events else None
    raised = len(events) - (0 if result is None else len(result.duplicates))
    return Reconciliation(
        run_at, tuple(counts.values()), tuple(v for v, _ in found), missing, *report, raised
    )


async def latest_snapshots(
    log: LogInspector, warehouses: Sequence[str] = (), page: int = PAGE
) -> dict[str, tuple[str, InventorySnapshot]]:
    """Warehouse → (event id, snapshot) with the latest ``as_of``; only ``warehouses`` if given."""
    best: dict[str, tuple[datetime, Envelope]] = {}
    before: int | None = None
    while True:
        batch = await log.list_events(
            EventFilter(types=(SNAPSHOT_EVENT,)), limit=page, before_seq=before
        )
        for stored in batch:
            payload = stored.envelope.payload
            warehouse, as_of = str(payload["warehouse_id"]), _moment(payload["as_of"])
            if warehouses and warehouse not in warehouses:
                continue
            if warehouse not in best or as_of > best[warehouse][0]:
                best[warehouse] = (as_of, stored.envelope)
        if len(batch) < page:
            break
        before = batch[-1].seq
    return {
        warehouse: (envelope.event_id, envelope.document(InventorySnapshot))
        for warehouse, (_, envelope) in sorted(best.items())
    }


def subscriptions() -> list[Subscription]:
    """``inventory.variances``: each unexplained variance parked for a person."""
    return [Subscription(VARIANCES, handler=handle_variance)]


async def handle_variance(ctx: HandlerContext) -> None:
    """Park the variance as an ``inventory_variance`` exception."""
    raise variance_exception(ctx.envelope.payload)


def job(settings: ReconcileSettings, *, stock: StockSource, log: LogInspector,
        sink: EventSink, clock: Clock) -> Job:  # fmt: skip
    """The periodic run, every ``settings.every_minutes``."""

    async def run() -> bool:
        await reconcile_inventory(stock=stock, log=log, sink=sink, settings=settings, clock=clock)
        return False

    return Job(f"reconcile:{settings.erp}:inventory", settings.every_minutes * 60, run)


def _report(
    settings: ReconcileSettings,
    run_at: datetime,
    counts: dict[str, CountSeen],
    found: list[tuple[Variance, CountSeen]],
    missing: tuple[str, ...],
) -> tuple[Path, Path]:
    folder = run_folder(settings.report_dir, run_at)
    return write_report(
        folder, run_at=run_at, thresholds=settings.thresholds, counts=list(counts.values()),
        rows=[variance_row(v, seen) for v, seen in found], missing=missing,
    )  # fmt: skip


def _event(variance: Variance, seen: CountSeen, run_at: datetime, report: Path) -> Envelope:
    key = variance.key
    return Envelope(
        type=VARIANCE_EVENT,
        schema_version=1,
        source_system="distsync",
        correlation_id=f"inventory:{key}",
        idempotency_key=f"inventory_variance:{key}:{seen.event_id}",
        partition_key=key,
        occurred_at=run_at,
        payload=variance_row(variance, seen) | {"report": str(report)},
    )


def _moment(value: object) -> datetime:
    return datetime.fromisoformat(str(value))
