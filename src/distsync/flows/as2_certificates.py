"""How long the AS2 certificates have left: a Prometheus gauge, warnings in the log, KPIs.

The certificates watched are ours (``as2.certificate_file``, owner ``us``)
and each AS2 partner's (``partners.<name>.channel.certificate_file``, owner
the partner's name). :meth:`CertificateWatch.check` reads them now and:

- sets ``distsync_certificate_expiry_seconds{owner,subject}`` to the seconds
  until each one's ``not_valid_after`` (negative once expired);
- logs ``action="as2.certificate_expiring"`` (warning) for each one with less
  than ``as2.certificate_warning_days`` left, ``as2.certificate_expired``
  (error) for each one past its end, and ``as2.certificate_unreadable``
  (error, naming the file) for a file that cannot be read;
- returns :class:`CertificateStatus` for each, for the ops KPIs.

:meth:`CertificateWatch.run` is the daily ``Job``'s body (a job runs first
at start-up); :meth:`CertificateWatch.latest` gives the statuses of the last
check (checking now if there was none) for the ops KPIs. Reading a few PEM
files is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Gauge

from distsync.config import Landscape
from distsync.errors import ConfigError
from distsync.telemetry import get_logger
from distsync.transports.as2_certs import CertificateExpiry, expiry, read_pem

__all__ = [
    "CHECK_EVERY_SECONDS",
    "GAUGE_NAME",
    "CertificateStatus",
    "CertificateWatch",
    "watched_certificates",
]

GAUGE_NAME = "distsync_certificate_expiry_seconds"
CHECK_EVERY_SECONDS = 86_400.0
DEFAULT_WARNING_DAYS = 30
DAY_SECONDS = 86_400.0
log = get_logger(component="as2")

State = Literal["ok", "expiring", "expired", "unreadable"]


@dataclass(frozen=True)
class CertificateStatus:
    """One watched certificate: whose, which file, and its state (``ok``, ``expiring``, ...)."""

    owner: str
    path: str
    state: State
    subject: str | None = None
    not_valid_after: datetime | None = None
    seconds_left: float | None = None
    error: str | None = None

    def as_kpi(self) -> dict[str, Any]:
        ends = None if self.not_valid_after is None else self.not_valid_after.isoformat()
        days = None if self.seconds_left is None else round(self.seconds_left / DAY_SECONDS, 1)
        return {"owner": self.owner, "subject": self.subject, "path": self.path,
                "state": self.state, "not_valid_after": ends, "days_left": days,
                "error": self.error}  # fmt: skip


def watched_certificates(landscape: Landscape) -> list[tuple[str, str]]:
    """``(owner, path)`` of our AS2 certificate and of every AS2 partner's."""
    watched: list[tuple[str, str]] = []
    ours = landscape.as2
    if ours is not None:
        watched.append(("us", ours.certificate_file))
    for name, partner in landscape.partners.items():
        channel = partner.channel
        path = None if channel is None else channel.secret_files.get("certificate_file")
        if channel is not None and channel.transport == "as2" and path is not None:
            watched.append((name, path))
    return watched


class CertificateWatch:
    """Checks the AS2 certificates of a landscape (module docstring). One per registry."""

    def __init__(
        self,
        landscape: Landscape,
        *,
        registry: CollectorRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self._landscape = landscape
        self._clock = clock
        settings = landscape.as2
        days = getattr(settings, "certificate_warning_days", DEFAULT_WARNING_DAYS)
        self._warning_seconds = float(days) * DAY_SECONDS
        self._gauge = Gauge(
            GAUGE_NAME,
            "Seconds until an AS2 certificate expires (negative: expired)",
            ["owner", "subject"],
            registry=registry,
        )
        self._latest: list[CertificateStatus] | None = None

    def check(self) -> list[CertificateStatus]:
        """Read every watched certificate now: gauge, log lines, and the statuses."""
        now = self._clock()
        self._latest = [self._check_one(owner, path, now) for owner, path in self._watched()]
        return self._latest

    def latest(self) -> list[CertificateStatus]:
        """The statuses of the last check; checks now when there was none."""
        return self.check() if self._latest is None else self._latest

    async def run(self) -> bool:
        """A daily ``Job``'s body: ``Job("as2-certificates", CHECK_EVERY_SECONDS, watch.run)``."""
        self.check()
        return False

    def _watched(self) -> list[tuple[str, str]]:
        return watched_certificates(self._landscape)

    def _check_one(self, owner: str, path: str, now: datetime) -> CertificateStatus:
        try:
            found = expiry(read_pem(path, what=f"{owner} certificate"), owner=owner, path=path,
                           now=now)  # fmt: skip
        except ConfigError as exc:
            log.error("as2 certificate unreadable", action="as2.certificate_unreadable",
                      owner=owner, path=path, error=str(exc))  # fmt: skip
            return CertificateStatus(owner, path, "unreadable", error=str(exc))
        self._gauge.labels(owner=owner, subject=found.subject).set(found.seconds_left)
        state = self._state(found)
        self._log(found, path, state)
        return CertificateStatus(
            owner, path, state, found.subject, found.not_valid_after, found.seconds_left
        )

    def _state(self, found: CertificateExpiry) -> State:
        if found.expired:
            return "expired"
        return "expiring" if found.seconds_left < self._warning_seconds else "ok"

    def _log(self, found: CertificateExpiry, path: str, state: State) -> None:
        if state == "ok":
            return
        days = round(found.seconds_left / DAY_SECONDS, 1)
        fields = {"owner": found.owner, "subject": found.subject, "path": path, "days_left": days,
                  "not_valid_after": found.not_valid_after.isoformat()}  # fmt: skip
        if state == "expired":
            log.error("as2 certificate expired", action="as2.certificate_expired", **fields)
        else:
            log.warning("as2 certificate expiring", action="as2.certificate_expiring", **fields)
