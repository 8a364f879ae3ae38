"""The error taxonomy every layer speaks.

Three kinds of failure take three paths through the runtime (see
``runtime/retry.py``): a retryable error is retried with backoff and then
dead-lettered, a permanent error is dead-lettered at once, a business
exception is parked for a person with the actions that resolve it.

::

    DistsyncError
    ├── ConfigError                       bad landscape file or settings; fail fast at start-up
    ├── RetryableError(retry_after)       the call may succeed later
    │   ├── RateLimited                   the endpoint said 429 / slow down
    │   └── NotConnected                  connection refused, reset, DNS, endpoint down
    ├── PermanentError                    the same input will fail the same way
    │   ├── MalformedDocument             bytes that do not parse
    │   ├── SchemaViolation               parsed, but breaks the canonical model
    │   ├── Rejected                      the endpoint refused the document (4xx)
    │   └── AuthenticationFailed          credentials refused after one re-login
    └── BusinessException(reason_code, document_ref, resolutions)
        ├── UnknownSku
        ├── QuantityMismatch
        ├── PurchaseOrderNotFound
        ├── PriceOutOfTolerance
        └── NotSystemOfRecord

Adapters translate their library's exceptions into these classes once, in a
``map_errors()`` context manager; nothing else of a driver escapes. Messages
name the action and the object ("sending ASN 123 to wms-east: ...").

This module imports nothing of distsync and nothing outside the standard
library, so every layer may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "AuthenticationFailed",
    "BusinessException",
    "ConfigError",
    "DistsyncError",
    "MalformedDocument",
    "NotConnected",
    "NotSystemOfRecord",
    "PermanentError",
    "PriceOutOfTolerance",
    "PurchaseOrderNotFound",
    "QuantityMismatch",
    "RateLimited",
    "Rejected",
    "Resolution",
    "RetryableError",
    "SchemaViolation",
    "UnknownSku",
]


class DistsyncError(Exception):
    """Base of every error distsync raises on purpose."""


class ConfigError(DistsyncError):
    """The landscape file or the settings are wrong; raised before anything connects.

    ``location`` names the file and line where the problem is, when known.
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location


class RetryableError(DistsyncError):
    """A failure that may go away: timeout, connection error, 5xx, 408, 429.

    ``retry_after`` (seconds) is the earliest moment the other side asked us
    to come back; the retry policy never retries sooner.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The endpoint asked us to slow down (HTTP 429 or a quota message)."""


class NotConnected(RetryableError):
    """The endpoint could not be reached: refused, reset, unknown host, closed."""


class PermanentError(DistsyncError):
    """The same input will fail the same way: dead-lettered without retrying."""


class MalformedDocument(PermanentError):
    """Bytes that do not parse as the format they claim to be."""


class SchemaViolation(PermanentError):
    """A parsed document that breaks the canonical model; names document and field."""


class Rejected(PermanentError):
    """The endpoint refused the document (a 4xx other than 401, 408 and 429)."""


class AuthenticationFailed(PermanentError):
    """Credentials were refused even after one fresh login."""


@dataclass(frozen=True)
class Resolution:
    """An action a person may take to resolve a business exception.

    ``action`` is a stable machine name (``map_sku``, ``accept_variance``,
    ``reject``, ``discard``, ``replay``); ``label`` is what the console shows.
    """

    action: str
    label: str
    params: Sequence[str] = field(default_factory=tuple)


DEFAULT_RESOLUTIONS: tuple[Resolution, ...] = (
    Resolution("replay", "Fix the cause, then run the message again"),
    Resolution("discard", "Discard the message, with a reason", ("reason",)),
)


class BusinessException(DistsyncError):
    """A case the flow cannot decide alone: parked in the exceptions work queue.

    ``reason_code`` is stable (``unknown_sku``) so queues can be filtered and
    counted; ``document_ref`` names the business document (``asn:ACME/8812``);
    ``resolutions`` are the actions offered to whoever resolves it.
    """

    reason_code: str = "business_exception"

    def __init__(
        self,
        message: str,
        *,
        document_ref: str,
        reason_code: str | None = None,
        resolutions: Sequence[Resolution] = DEFAULT_RESOLUTIONS,
        facts: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if reason_code is not None:
            self.reason_code = reason_code
        self.document_ref = document_ref
        self.resolutions = tuple(resolutions)
        self.facts = dict(facts or {})


class UnknownSku(BusinessException):
    """A partner's item number maps to no item we know."""

    reason_code = "unknown_sku"


class QuantityMismatch(BusinessException):
    """A quantity differs from what was ordered or shipped beyond tolerance."""

    reason_code = "quantity_mismatch"


class PurchaseOrderNotFound(BusinessException):
    """A document refers to a purchase order we do not know (yet)."""

    reason_code = "purchase_order_not_found"


class PriceOutOfTolerance(BusinessException):
    """A price differs from the agreed one beyond tolerance."""

    reason_code = "price_out_of_tolerance"


class NotSystemOfRecord(BusinessException):
    """An update came from a system that does not own the field it changes."""

    reason_code = "not_system_of_record"
