"""The composition root: the one place that chooses implementations for ports.

``build(landscape, overrides=...)`` opens the backend the landscape's profile
asks for (and migrates it), builds a connector for each declared system from
the connector registry, wrapped in the system's delivery policy (and one for
each partner channel, ``partner:<name>``), wires
intake, the outbox and the subscriptions of the flows, and applies the
landscape's per-subscription policies. Tests pass ``Overrides`` to swap in
the in-memory backend, recording connectors (used as given, without a
policy) or a frozen clock.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from distsync.bootstrap_jobs import jobs_of
from distsync.config import Landscape
from distsync.connectors.carrier_rates import carrier_rate_sources
from distsync.connectors.metrics import ConnectorMetrics
from distsync.connectors.policy import innermost, with_policy
from distsync.connectors.registry import build_connector, connector_types
from distsync.errors import ConfigError
from distsync.flows import (
    inventory_adjustments,
    logistics,
    master_data_updates,
    order_to_cash,
    procure,
    reconcile,
)
from distsync.flows.as2_certificates import CertificateWatch, watched_certificates
from distsync.flows.inventory import InventoryFlow
from distsync.flows.inventory_feed import AvailabilityFeed, feed_targets
from distsync.flows.order_deps import OrderDeps
from distsync.flows.order_terms import SalesTermsSource, TermsCache
from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.shipping_rates import RateQuoting, RateSource, ShippingSettings
from distsync.model.envelope import utcnow
from distsync.partners.channel import build_channels
from distsync.runtime.backends.sqlite import SqliteMessageLog
from distsync.runtime.intake import Intake, IntakeSettings
from distsync.runtime.outbox import OutboxDispatcher
from distsync.runtime.ports import Backend, Connector
from distsync.runtime.retry import RetryPolicy
from distsync.runtime.scheduler import Job
from distsync.runtime.worker import Subscription, Worker, WorkerSettings
from distsync.store.ports import CrossReferences, ReferenceData
from distsync.store.reference import SqlReferenceData
from distsync.store.xref import SqlCrossReferences
from distsync.telemetry import Metrics

OUTBOX_MIN_ATTEMPTS = 50


@dataclass(frozen=True)
class Overrides:
    """Implementations to use instead of what the landscape names (tests, demo)."""

    backend: Backend | None = None
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    subscriptions: Sequence[Subscription] = ()
    clock: Callable[[], datetime] | None = None
    xrefs: CrossReferences | None = None
    reference: ReferenceData | None = None
    inventory: InventoryFlow | None = None
    rate_sources: Mapping[str, RateSource] | None = None
    sales_terms: SalesTermsSource | None = None


@dataclass
class Services:
    """Everything a command or the server needs, built once per process."""

    landscape: Landscape
    backend: Backend
    metrics: Metrics
    intake: Intake
    connectors: dict[str, Connector]
    subscriptions: list[Subscription]
    clock: Callable[[], datetime]
    xrefs: CrossReferences
    reference: ReferenceData
    jobs: list[Job] = field(default_factory=list)
    inventory: InventoryFlow | None = None
    shipping_rates: RateQuoting | None = None
    orders: OrderDeps | None = None
    feed: AvailabilityFeed | None = None
    certificates: CertificateWatch | None = None

    def worker(self, consumer: str | None = None) -> Worker:
        runtime = self.landscape.runtime
        settings = WorkerSettings(
            consumer=consumer or default_consumer(),
            batch_size=runtime.batch_size,
            concurrency=runtime.concurrency,
            lease_seconds=float(runtime.lease_seconds),
            poll_interval=runtime.poll_interval_ms / 1000,
        )
        return Worker(
            log=self.backend,
            documents=self.backend,
            subscriptions=self.subscriptions,
            settings=settings,
            metrics=self.metrics,
            clock=self.clock,
        )

    async def close(self) -> None:
        for connector in self.connectors.values():
            await connector.close()
        await self.backend.close()
        await self.xrefs.close()
        await self.reference.close()
        if self.shipping_rates is not None:
            await self.shipping_rates.close()


def default_consumer() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def open_backend(landscape: Landscape, clock: Callable[[], datetime] = utcnow) -> Backend:
    """The backend the profile names, opened and migrated."""
    runtime = landscape.runtime
    if runtime.profile == "embedded":
        synchronous = runtime.durability.upper()
        return SqliteMessageLog.open(runtime.database_url, clock=clock, synchronous=synchronous)
    raise ConfigError(
        f"profile {runtime.profile!r} is not available yet: this version runs the embedded "
        "profile (SQLite); set runtime.profile: embedded"
    )


def build(landscape: Landscape, *, overrides: Overrides | None = None) -> Services:
    chosen = overrides or Overrides()
    clock = chosen.clock or utcnow
    backend = chosen.backend or open_backend(landscape, clock)
    url = landscape.runtime.database_url
    xrefs = chosen.xrefs or SqlCrossReferences.open(url)
    reference = chosen.reference or SqlReferenceData.open(url)
    metrics = Metrics()
    connectors = _connectors(landscape, chosen.connectors, metrics, backend, clock)
    outbox = OutboxDispatcher(connectors).subscription(policy=outbox_policy(landscape))
    flows = _flow_subscriptions(landscape, xrefs, reference, backend, clock)
    inventory = chosen.inventory or InventoryFlow(clock)
    orders = _order_deps(landscape, chosen, connectors, inventory, backend, clock)
    enabled = orders is not None and landscape.flows.orders.enabled
    order_subs = order_to_cash.subscriptions(orders) if orders and enabled else []
    subscriptions = [
        _apply_policy(landscape, sub)
        for sub in (*chosen.subscriptions, *flows, *order_subs, *inventory.subscriptions(), outbox)
    ]
    intake = Intake(
        backend,
        settings=IntakeSettings(max_payload_bytes=landscape.runtime.max_payload_bytes),
        metrics=metrics,
        subscriptions=[sub.spec for sub in subscriptions],
    )
    services = Services(
        landscape, backend, metrics, intake, connectors, subscriptions, clock, xrefs, reference
    )
    services.inventory = inventory
    services.shipping_rates = shipping_rates(landscape, chosen.rate_sources)
    services.orders = orders
    if watched_certificates(landscape):
        services.certificates = CertificateWatch(landscape, registry=metrics.registry, clock=clock)
    services.jobs.extend(jobs_of(services))
    return services


def shipping_rates(
    landscape: Landscape, overrides: Mapping[str, RateSource] | None = None
) -> RateQuoting | None:
    """The carriers ``flows.shipping`` names, asked over HTTP (``overrides`` instead, in tests);
    ``None`` when there are none, and the rates route is not served."""
    policy = landscape.flows.shipping
    settings = ShippingSettings(policy.carriers, policy.rate_deadline_ms)
    sources = overrides
    if sources is None:
        sources = carrier_rate_sources(landscape.systems, settings.carriers)
    return RateQuoting(sources, settings.deadline_seconds) if sources else None


def outbox_policy(landscape: Landscape) -> RetryPolicy:
    """``runtime.retry``, with at least :data:`OUTBOX_MIN_ATTEMPTS` attempts.

    A call the outbox holds is waiting for an endpoint to come back; with the
    default backoff (up to 300 s apart) 50 attempts ride out an outage of
    about two hours — an ERP's maintenance window — before a dead letter.
    ``runtime.subscriptions.outbox.retry`` sets it outright.
    """
    retry = landscape.runtime.retry
    attempts = max(retry.max_attempts, OUTBOX_MIN_ATTEMPTS)
    return RetryPolicy(attempts, retry.base_seconds, retry.cap_seconds)


def _flow_subscriptions(
    landscape: Landscape,
    xrefs: CrossReferences,
    reference: ReferenceData,
    backend: Backend,
    clock: Callable[[], datetime],
) -> list[Subscription]:
    """The business flows: master-data governance, shipment status and inventory variances
    always, procure when it is enabled."""
    updates = [
        *master_data_updates.subscriptions(landscape, reference, clock),
        *logistics.subscriptions(clock),
        *reconcile.subscriptions(),
        *inventory_adjustments.subscriptions(landscape.flows.inventory.adjustments_erp),
    ]
    if not landscape.flows.procure.enabled:
        return updates
    deps = ProcureDeps(landscape, xrefs, reference, backend, clock)
    return [*procure.subscriptions(deps), *updates]


def _availability_feed(
    landscape: Landscape,
    inventory: InventoryFlow,
    backend: Backend,
    intake: Intake,
    clock: Callable[[], datetime],
) -> AvailabilityFeed | None:
    """The feed to ``flows.inventory.feed_channels``, told of every change to the book."""
    targets = feed_targets(landscape.flows.inventory, landscape.systems)
    if not targets:
        return None
    feed = AvailabilityFeed(
        book=inventory, targets=targets, store=backend, sink=intake, clock=clock
    )
    inventory.on_change = feed.mark
    return feed


def _order_deps(
    landscape: Landscape,
    chosen: Overrides,
    connectors: Mapping[str, Connector],
    inventory: InventoryFlow,
    backend: Backend,
    clock: Callable[[], datetime],
) -> OrderDeps | None:
    """What order release needs: the ERP's credit and prices, cached; the stock book.

    None when the ERP the ``flows.orders`` section names cannot be read for them.
    """
    policy = landscape.flows.orders
    source = chosen.sales_terms
    if source is None:
        erp = connectors.get(policy.erp)
        inner = None if erp is None else innermost(erp)
        source = inner if isinstance(inner, SalesTermsSource) else None
    if source is None:
        if policy.enabled:
            raise ConfigError(
                f"flows.orders.erp: system {policy.erp!r} cannot tell customer credit and "
                "sales prices (it needs a tryton system)",
                location="flows.orders.erp",
            )
        return None
    ttl = timedelta(seconds=policy.terms_ttl_seconds)
    return OrderDeps(landscape, TermsCache(source, clock, ttl), inventory, backend, clock)


def _connectors(
    landscape: Landscape,
    overrides: Mapping[str, Connector],
    metrics: Metrics,
    backend: Backend,
    clock: Callable[[], datetime],
) -> dict[str, Connector]:
    """One connector per declared system, from the registry, in its delivery policy;
    and one per partner channel (destination ``partner:<name>``), in the default policy.

    ``overrides`` win: a system or destination they name is not built (and not wrapped).
    """
    wanted = {name: system for name, system in landscape.systems.items() if name not in overrides}
    types = connector_types() if wanted else {}
    observed = ConnectorMetrics(metrics.registry)
    built: dict[str, Connector] = {
        name: with_policy(
            name, build_connector(name, system, types=types), system, metrics=observed
        )
        for name, system in wanted.items()
    }
    channels = build_channels(
        landscape, backend, clock=clock, skip=overrides,
        wrap=lambda name, connector, system: with_policy(name, connector, system, metrics=observed),
    )  # fmt: skip
    return {**built, **channels, **overrides}


def _apply_policy(landscape: Landscape, sub: Subscription) -> Subscription:
    """The flow's own settings, under the landscape's ``runtime.subscriptions.<name>``.

    Retry: the flow's policy if it declares one, else ``runtime.retry``; the
    keys given under ``runtime.subscriptions.<name>.retry`` override either.
    """
    runtime = landscape.runtime
    own = runtime.subscriptions.get(sub.spec.name)
    spec = sub.spec
    if own is not None and "ordered" in own.model_fields_set:
        spec = replace(spec, ordered=own.ordered)
    base = sub.policy or RetryPolicy(
        runtime.retry.max_attempts, runtime.retry.base_seconds, runtime.retry.cap_seconds
    )
    changes = own.retry.model_dump(exclude_none=True) if own and own.retry else {}
    retry = replace(base, **changes)
    retry = replace(retry, cap_seconds=max(retry.cap_seconds, retry.base_seconds))
    concurrency = own.concurrency if own is not None and own.concurrency else sub.concurrency
    return replace(sub, spec=spec, policy=retry, concurrency=concurrency)
