"""What the operations routes share: their services, problem answers and partner scoping.

Every ``/ops`` route reads the backend's ops records (``runtime/ports.py``
``LogInspector``) and, to replay or resolve, its ``MessageLog``. Who may see
what is decided here once:

- an internal principal (``partner`` None) sees every partner's records;
- a partner principal sees only records whose event is its own: a record of
  another partner (or of none) is answered **404 exactly like a missing
  one**, and a list asked for another partner is empty, so nobody learns what
  exists outside their own documents.

Refusals are ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and ``error`` (a stable code), as
``api/inbound_json.py`` answers them. Error texts taken from stored records
go through :func:`distsync.redaction.redact` before they leave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from fastapi import Path
from fastapi.responses import JSONResponse

from distsync.api.principal import Principal
from distsync.api.problems import problem_body
from distsync.config import Landscape
from distsync.flows.as2_certificates import CertificateWatch
from distsync.model.envelope import Envelope
from distsync.redaction import redact
from distsync.runtime.ports import LogInspector, MessageLog
from distsync.runtime.replay_scope import count_events

__all__ = [
    "PROBLEM_TYPE",
    "SCAN_LIMIT",
    "OpsBackend",
    "OpsServices",
    "asks_for_other",
    "count_events",
    "not_found",
    "not_found_doc",
    "owns",
    "problem",
    "redacted",
    "safe_url",
    "scoped_partner",
    "tally",
]

PROBLEM_TYPE = "application/problem+json"
SCAN_LIMIT = 10_000
"""Records read to filter one partner's out of the backend's lists (which take no partner)."""

RecordId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The record's id, as listed")]
"""A dead letter's or an exception's id: a positive 64-bit integer, as the store keeps it."""


class OpsBackend(MessageLog, LogInspector, Protocol):
    """The backend as the ops routes use it: its ops reads, replay and resolution."""


class OpsServices(Protocol):
    """What the ops routes need of the services (``bootstrap.Services`` fits)."""

    @property
    def landscape(self) -> Landscape: ...

    @property
    def backend(self) -> OpsBackend: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def certificates(self) -> CertificateWatch | None: ...


def owns(principal: Principal, envelope: Envelope) -> bool:
    """True when ``principal`` may see the record of ``envelope`` (else: answer 404)."""
    return principal.may_act_for(envelope.partner)


def asks_for_other(principal: Principal, partner: str | None) -> bool:
    """True when a partner principal filters a list by another partner (the answer is empty)."""
    return principal.partner is not None and partner not in (None, principal.partner)


def scoped_partner(principal: Principal, partner: str | None) -> str | None:
    """The partner a list is filtered by: a partner principal's own, whatever it asked."""
    return principal.partner if principal.partner is not None else partner


def problem(status: int, error: str, detail: str, **extra: Any) -> JSONResponse:
    """A refusal as ``application/problem+json``."""
    body = problem_body(status, error, detail, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE)


def not_found(what: str) -> JSONResponse:
    """The 404 for a record that does not exist, or that the caller may not see."""
    return problem(404, "not_found", f"{what}: no such record")


def not_found_doc(what: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of that 404."""
    return {404: {"description": f"No such {what} (or not the caller's partner's)"}}


def redacted(text: str | None) -> str | None:
    return None if text is None else redact(text)


def safe_url(url: str | None) -> str | None:
    """``url`` without a user or password in it (those are never shown)."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def tally(values: list[str]) -> Mapping[str, int]:
    """How often each value occurs, most frequent first."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
