"""Metrics and structured logs.

Metrics live in a ``Metrics`` object with its own Prometheus registry (no
global singletons: two services in one test process do not share counters).
Logs are JSON lines from structlog; every line carries a stable ``action``
key, and the correlation id of the business transaction when one is bound
(``bound_correlation``), so one grep follows a document through the system.

No secret reaches a log line (see ``distsync.redaction``): a field whose name
says it holds a secret (``password``, ``token``, ``authorization``, ...) is
written as ``[redacted]`` whatever its value, and every rendered line has the
registered secrets replaced. The second step costs nothing while no secret
is registered, and a few microseconds per line with tens registered (about
what rendering the JSON line costs; see ``tests/unit/test_redaction.py``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from distsync.redaction import REDACTED, looks_like_secret_key, redact

__all__ = [
    "Metrics",
    "bound_correlation",
    "configure_logging",
    "get_logger",
    "hide_secret_fields",
    "redact_line",
]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The runtime's Prometheus metrics, registered in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.appended = Counter(
            "distsync_events_appended", "Events stored in the log", ["type"], registry=r
        )
        self.duplicates = Counter(
            "distsync_events_duplicate",
            "Events refused as duplicates of a stored idempotency key",
            ["type"],
            registry=r,
        )
        self.delivered = Counter(
            "distsync_deliveries_acked",
            "Deliveries handled successfully",
            ["subscription"],
            registry=r,
        )
        self.retries = Counter(
            "distsync_deliveries_retried",
            "Deliveries scheduled for retry",
            ["subscription"],
            registry=r,
        )
        self.dead_letters = Counter(
            "distsync_dead_letters",
            "Deliveries moved to the dead-letter store",
            ["subscription"],
            registry=r,
        )
        self.parked = Counter(
            "distsync_exceptions_parked",
            "Deliveries parked as business exceptions",
            ["subscription", "reason_code"],
            registry=r,
        )
        self.lease_lost = Counter(
            "distsync_lease_lost",
            "Outcomes dropped because the lease expired and another consumer took the delivery",
            ["subscription"],
            registry=r,
        )
        self.skipped_stale = Gauge(
            "distsync_skipped_stale",
            "Stale updates skipped (source sequence not newer than the applied one)",
            ["subscription"],
            registry=r,
        )
        self.backlog = Gauge(
            "distsync_backlog", "Deliveries not yet handled", ["subscription"], registry=r
        )
        self.backlog_age = Gauge(
            "distsync_backlog_age_seconds",
            "Age of the oldest delivery not yet handled (lag)",
            ["subscription"],
            registry=r,
        )
        self.procure_overdue = Gauge(
            "distsync_procure_overdue",
            "Purchase orders waiting past their deadline for the supplier's 997 or 855",
            ["partner", "waiting_for"],
            registry=r,
        )
        self.handler_seconds = Histogram(
            "distsync_handler_seconds",
            "Time a handler took for one delivery",
            ["subscription"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes from ``/metrics``."""
        return generate_latest(self.registry)


def configure_logging(level: str = "info", stream: TextIO | None = None) -> None:
    """JSON lines on ``stream`` (stderr by default). Called once, at the CLI edge."""
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _require_action,
            structlog.processors.format_exc_info,
            hide_secret_fields,
            structlog.processors.JSONRenderer(),
            redact_line,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def _require_action(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event.setdefault("action", event.get("event", "log"))
    return event


def hide_secret_fields(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Write ``[redacted]`` for every field (nested ones too) named like a secret."""
    for key, value in event.items():
        if isinstance(key, str) and looks_like_secret_key(key):
            event[key] = REDACTED
        elif isinstance(value, Mapping):
            event[key] = hide_secret_fields(_logger, _method, dict(value))
    return event


def redact_line(_logger: Any, _method: str, rendered: Any) -> Any:
    """The rendered line with every registered secret replaced (see ``distsync.redaction``)."""
    return redact(rendered) if isinstance(rendered, str) else rendered


def get_logger(**bound: Any) -> Any:
    """A structlog logger; log with ``log.info("...", action="delivery.retry", ...)``."""
    return structlog.get_logger(**bound)


@contextmanager
def bound_correlation(correlation_id: str, **extra: Any) -> Iterator[None]:
    """Every log line inside the block carries this correlation id."""
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id, **extra):
        yield
