"""The periodic jobs the services run beside the worker (``distsync serve``'s worker role).

- one per partner on a directory channel: receive the files it dropped, every second;
- with ``flows.inventory.feed_channels``: the availability feed
  (``feed_interval_seconds``); with ``reconcile_enabled``, the reconciliation
  of the ERP's stock with the warehouses' counts (``reconcile_minutes``);
- with ``flows.procure.enabled``: poll the ERP for confirmed purchase orders
  (``poll_seconds``) and master data (``master_data_minutes``), and watch for
  overdue acknowledgements (every minute).

Reads from the ERP go to its own connector, inside the delivery policy's
wrappers: the policy governs calls the outbox makes, and a failing job backs
off on its own (``runtime.scheduler``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from distsync.connectors.policy import innermost
from distsync.errors import ConfigError
from distsync.flows import reconcile
from distsync.flows.as2_certificates import CHECK_EVERY_SECONDS
from distsync.flows.master_data import MasterDataSource, refresh_master_data
from distsync.flows.ports import PurchaseOrderFeed
from distsync.flows.procure_alerts import OverdueWatch
from distsync.flows.procure_poll import poll_purchase_orders
from distsync.flows.reconcile import StockSource
from distsync.flows.reconcile_settings import ReconcileSettings
from distsync.partners.as2_acks import EVERY_SECONDS as ACK_EVERY_SECONDS
from distsync.partners.as2_acks import AckOutbox
from distsync.partners.inbox import FolderReceiver, directory_partners
from distsync.partners.json_in import JsonInbound
from distsync.partners.x12_in import X12Inbound
from distsync.runtime.scheduler import Job
from distsync.store.ports import ReferenceData

if TYPE_CHECKING:
    from distsync.bootstrap import Services

__all__ = ["jobs_of"]

INBOX_SECONDS = 1.0
INBOX_PAGE = 100
OVERDUE_SECONDS = 60.0


def jobs_of(services: Services) -> list[Job]:
    """Every job the landscape asks for."""
    return [
        *inbox_jobs(services),
        *procure_jobs(services),
        *feed_jobs(services),
        *reconcile_jobs(services),
        *certificate_jobs(services),
        *as2_ack_jobs(services),
    ]


def as2_ack_jobs(services: Services) -> list[Job]:
    """The 997s owed to AS2 partners, sent until they arrive (``partners/as2_acks.py``)."""
    landscape = services.landscape
    channels = [p.channel for p in landscape.partners.values() if p.channel is not None]
    if landscape.as2 is None or not any(c.transport == "as2" and c.url for c in channels):
        return []
    outbox = AckOutbox(landscape, services.backend, services.clock)
    return [Job("as2-acks", ACK_EVERY_SECONDS, outbox.send_pending)]


def certificate_jobs(services: Services) -> list[Job]:
    """AS2 certificates checked at start-up and daily: an expiry gauge and warnings."""
    watch = services.certificates
    return [] if watch is None else [Job("as2-certificates", CHECK_EVERY_SECONDS, watch.run)]


def feed_jobs(services: Services) -> list[Job]:
    """The availability feed: changed figures out every ``feed_interval_seconds``."""
    if services.feed is None:
        return []
    every = services.landscape.flows.inventory.feed_interval_seconds
    return [Job("feed:availability", every, services.feed.run)]


def reconcile_jobs(services: Services) -> list[Job]:
    """With ``flows.inventory.reconcile_enabled``: the ERP's stock against the counts."""
    policy = services.landscape.flows.inventory
    if not policy.reconcile_enabled:
        return []
    connector = services.connectors.get(policy.reconcile_erp)
    source = None if connector is None else innermost(connector)
    if not isinstance(source, StockSource):
        raise ConfigError(
            f"flows.inventory.reconcile_erp names {policy.reconcile_erp!r}, which is not a "
            "system that reports stock",
            location="flows.inventory.reconcile_erp",
        )
    settings = ReconcileSettings.from_policy(policy)
    run = reconcile.job(
        settings, stock=source, log=services.backend, sink=services.intake, clock=services.clock
    )
    return [run]


def procure_jobs(services: Services) -> list[Job]:
    """The procure flow's polls of its ERP: purchase orders, and master data."""
    policy = services.landscape.flows.procure
    if not policy.enabled:
        return []
    erp = services.connectors.get(policy.erp)
    if erp is None:
        raise ConfigError(
            f"flows.procure.erp names {policy.erp!r}, which is not among the systems",
            location="flows.procure.erp",
        )
    source = innermost(erp)
    watch = OverdueWatch(services.backend, services.metrics, services.clock)
    jobs = [Job("procure:overdue", OVERDUE_SECONDS, watch.run)]
    if isinstance(source, PurchaseOrderFeed):
        poll = partial(
            poll_purchase_orders, source, services.intake, services.backend, system=policy.erp
        )
        jobs.append(Job(f"poll:{policy.erp}:purchase_orders", policy.poll_seconds, poll))
    if isinstance(source, MasterDataSource):
        refresh = partial(
            _refresh,
            source,
            services.reference,
            system=policy.erp,
            clock=services.clock,
            ownership=services.landscape.ownership,
        )
        jobs.append(Job(f"poll:{policy.erp}:master_data", policy.master_data_minutes * 60, refresh))
    return jobs


async def _refresh(
    source: MasterDataSource,
    reference: ReferenceData,
    *,
    system: str,
    clock: Callable[[], datetime],
    ownership: Mapping[str, str],
) -> bool:
    await refresh_master_data(source, reference, system=system, clock=clock, ownership=ownership)
    return False


def inbox_jobs(services: Services) -> list[Job]:
    """One job per partner on a directory channel: receive what it dropped, every second."""
    landscape = services.landscape
    inbound = X12Inbound(
        landscape=landscape, log=services.backend, intake=services.intake, clock=services.clock
    )
    json_in = JsonInbound(landscape=landscape, intake=services.intake, clock=services.clock)
    return [
        Job(
            f"inbox:{name}",
            INBOX_SECONDS,
            partial(_receive, FolderReceiver(inbound, name, folder, json=json_in, x12=x12)),
        )
        for name, folder in directory_partners(landscape).items()
        for x12 in [landscape.partners[name].x12 is not None]
    ]


async def _receive(receiver: FolderReceiver) -> bool:
    outcomes = await receiver.receive(INBOX_PAGE)
    return len(outcomes) >= INBOX_PAGE
