"""The HTTP application: health probes, Prometheus metrics, inbound X12, cross-references.

``create_app(services)`` takes what ``bootstrap.build`` made (anything with a
``backend``, ``metrics`` and a ``clock``; ``api`` sits below ``bootstrap`` and
does not import it). The backlog gauges are refreshed from the backend's
stats at every scrape, so they are right whichever process does the work.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from distsync.api.availability import availability_router
from distsync.api.health import PROBE_TIMEOUT_SECONDS, health_router
from distsync.api.inbound import InboundServices, inbound_router
from distsync.api.inbound_json import inbound_json_router
from distsync.api.orders import orders_router
from distsync.api.procure import ProcureBackend, procure_router
from distsync.api.shipping_rates import RateQuoter, shipping_rates_router
from distsync.api.webhooks_carrier import carrier_webhook_router
from distsync.api.webhooks_shopify import shopify_router
from distsync.api.xref import xref_router
from distsync.flows.inventory import InventoryFlow
from distsync.flows.order_deps import OrderDeps
from distsync.runtime.ports import SubscriptionStats
from distsync.store.ports import CrossReferences
from distsync.telemetry import Metrics, get_logger

log = get_logger(component="api")


class AppServices(InboundServices, Protocol):
    """What the app needs of the services (``bootstrap.Services`` fits)."""

    @property
    def backend(self) -> ProcureBackend: ...

    @property
    def metrics(self) -> Metrics: ...

    @property
    def xrefs(self) -> CrossReferences: ...

    @property
    def inventory(self) -> InventoryFlow | None: ...

    @property
    def shipping_rates(self) -> RateQuoter | None: ...

    @property
    def orders(self) -> OrderDeps | None: ...


def create_app(services: AppServices, *, stopping: asyncio.Event | None = None) -> FastAPI:
    """The FastAPI app; ``stopping`` set means shutdown has begun (``/readyz`` turns 503)."""
    app = FastAPI(
        title="distsync",
        summary="Distribution middleware: ops and health endpoints",
        version="0.1.0",
    )
    app.include_router(health_router(services.backend, stopping))
    app.include_router(inbound_router(services))
    app.include_router(inbound_json_router(services))
    app.include_router(shopify_router(services))
    app.include_router(carrier_webhook_router(services))
    if services.inventory is not None:
        app.include_router(availability_router(services.inventory))
    if services.shipping_rates is not None:
        app.include_router(shipping_rates_router(services.shipping_rates))
    if services.orders is not None:
        app.include_router(orders_router(services.orders))
    app.include_router(xref_router(services.xrefs, services.landscape.partners))
    app.include_router(procure_router(services.backend, services.clock))

    @app.get(
        "/metrics",
        operation_id="metrics",
        tags=["health"],
        summary="Prometheus metrics, backlog gauges refreshed at each scrape",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
    )
    async def metrics() -> Response:
        await refresh_backlog(services)
        return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


async def refresh_backlog(services: AppServices) -> None:
    """Set the backlog, lag and stale-skip gauges from the backend; keep them on failure."""
    try:
        stats = await asyncio.wait_for(services.backend.stats(), PROBE_TIMEOUT_SECONDS)
    except Exception as exc:  # the counters are still worth serving
        log.warning("backlog gauges not refreshed", action="api.metrics_stale", error=repr(exc))
        return
    set_backlog(services.metrics, stats.subscriptions, services.clock())


def set_backlog(
    metrics: Metrics, subscriptions: tuple[SubscriptionStats, ...], now: datetime
) -> None:
    for gauge in (metrics.backlog, metrics.backlog_age, metrics.skipped_stale):
        gauge.clear()  # a subscription that is gone leaves no stale series behind
    for sub in subscriptions:
        oldest = sub.oldest_pending_at
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        metrics.backlog.labels(sub.name).set(sub.pending + sub.in_flight + sub.waiting_retry)
        metrics.backlog_age.labels(sub.name).set(lag)
        metrics.skipped_stale.labels(sub.name).set(sub.skipped_stale)
