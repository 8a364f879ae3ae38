"""The HTTP application: inbound documents, synchronous APIs, the operations API, health.

``create_app(services)`` takes what ``bootstrap.build`` made (anything with a
``backend``, ``metrics`` and a ``clock``; ``api`` sits below ``bootstrap`` and
does not import it) and assembles, in this order:

1. the authenticator (``api/auth.py``) from the landscape's ``security``
   section, kept in ``app.state.authenticator`` for ``principal.require``;
   without that section the API is open, and may listen on loopback only;
2. the problem handlers (``api/problems.py``): every error, from every route,
   answers ``application/problem+json``, mapped once from the taxonomy;
3. the gateway middleware (``api/middleware.py``): correlation id and
   ``traceparent``, request size limits, rate limits per client and route group;
4. the routers: the token endpoint and JWKS (with ``security``), inbound
   (X12, JSON, AS2, webhooks), the synchronous APIs, cross-references,
   procurement views, the operations API, ``/metrics`` and the probes.

The backlog gauges are refreshed from the backend's stats at every scrape,
so they are right whichever process does the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, Depends, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from distsync.api.as2 import As2Backend, as2_router
from distsync.api.auth import CredentialAuthenticator, OpenAuthenticator, build_authenticator
from distsync.api.availability import availability_router
from distsync.api.health import PROBE_TIMEOUT_SECONDS, health_router
from distsync.api.inbound import InboundServices, inbound_router
from distsync.api.inbound_json import inbound_json_router
from distsync.api.middleware import install_gateway
from distsync.api.openapi_security import document_security
from distsync.api.ops import ops_router
from distsync.api.ops_common import OpsBackend, OpsServices
from distsync.api.orders import orders_router
from distsync.api.principal import OPS_READ, require
from distsync.api.problems import install_problem_handlers
from distsync.api.procure import ProcureBackend, procure_router
from distsync.api.shipping_rates import RateQuoter, shipping_rates_router
from distsync.api.token import token_router
from distsync.api.webhooks_carrier import carrier_webhook_router
from distsync.api.webhooks_shopify import shopify_router
from distsync.api.xref import xref_router
from distsync.flows.inventory import InventoryFlow
from distsync.flows.order_deps import OrderDeps
from distsync.runtime.ports import DocumentWriter, SubscriptionStats
from distsync.store.ports import CrossReferences
from distsync.telemetry import Metrics, get_logger

log = get_logger(component="api")


class AppBackend(ProcureBackend, OpsBackend, As2Backend, DocumentWriter, Protocol):
    """What the routes need of the backend: the procurement views and the operations."""


class AppServices(InboundServices, OpsServices, Protocol):
    """What the app needs of the services (``bootstrap.Services`` fits)."""

    @property
    def backend(self) -> AppBackend: ...

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


def create_app(
    services: AppServices,
    *,
    stopping: asyncio.Event | None = None,
    listen_host: str | None = None,
) -> FastAPI:
    """The FastAPI app; ``stopping`` set means shutdown has begun (``/readyz`` turns 503).

    ``listen_host`` is where it will listen (``runtime.http.host`` when not
    given): without a ``security`` section, only a loopback host is allowed.
    """
    landscape = services.landscape
    authenticator = build_authenticator(
        landscape.security,
        documents=services.backend,
        writer=services.backend,
        clock=services.clock,
        listen_host=listen_host or landscape.runtime.http.host,
    )
    app = FastAPI(
        title="distsync",
        summary="Distribution middleware: inbound documents, synchronous APIs, operations",
        version="0.1.0",
        lifespan=_closing(authenticator),
    )
    app.state.authenticator = authenticator
    install_problem_handlers(app)
    install_gateway(
        app, landscape.api, services.metrics, max_payload_bytes=landscape.runtime.max_payload_bytes
    )
    _include_routers(app, services, authenticator, stopping)
    document_security(app)

    @app.get(
        "/metrics",
        operation_id="metrics",
        tags=["health"],
        summary="Prometheus metrics, backlog gauges refreshed at each scrape",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
        dependencies=[Depends(require(OPS_READ))],
    )
    async def metrics() -> Response:
        await refresh_backlog(services)
        return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


def _include_routers(
    app: FastAPI,
    services: AppServices,
    authenticator: OpenAuthenticator | CredentialAuthenticator,
    stopping: asyncio.Event | None,
) -> None:
    landscape = services.landscape
    _mount(app, health_router(services.backend, stopping))
    if isinstance(authenticator, CredentialAuthenticator) and landscape.security is not None:
        _mount(app, token_router(landscape.security, authenticator.tokens))
    _mount(app, inbound_router(services))
    _mount(app, inbound_json_router(services))
    if landscape.as2 is not None:
        _mount(app, as2_router(services))
    _mount(app, shopify_router(services))
    _mount(app, carrier_webhook_router(services))
    if services.inventory is not None:
        _mount(app, availability_router(services.inventory))
    if services.shipping_rates is not None:
        _mount(app, shipping_rates_router(services.shipping_rates))
    if services.orders is not None:
        _mount(app, orders_router(services.orders))
    _mount(app, xref_router(services.xrefs, landscape.partners))
    _mount(app, procure_router(services.backend, services.clock))
    _mount(app, ops_router(services))


def _mount(app: FastAPI, router: APIRouter) -> None:
    """Add ``router``'s routes to the app itself, flat.

    FastAPI's ``include_router`` (0.16x) keeps each router as a nested node
    and, on every request, recomputes a version over the nested routes of
    each node it passes: with this app's routers that was about 260 µs of
    routing per request, measured with ``bench/api.py``. Our routers apply
    their prefix, tags and dependencies route by route, so nothing is lost
    by mounting the routes directly.
    """
    app.router.routes.extend(router.routes)


def _closing(
    authenticator: OpenAuthenticator | CredentialAuthenticator,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await authenticator.close()

    return lifespan


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
