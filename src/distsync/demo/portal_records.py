"""What the simulated supplier portal received and sent, for tests, the demo and ``GET /log``.

``PortalLog`` keeps every request taken in (accepted, duplicate or refused)
and every answer handed to distsync with its delivery's outcome, behind one
lock: the HTTP threads add requests, the sending thread adds answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["PortalLog", "PortalReceived", "PortalSent"]


@dataclass(frozen=True)
class PortalReceived:
    """One request taken in, and how it was answered."""

    number: int
    path: str
    idempotency_key: str | None
    body: bytes
    at: datetime
    status: int  # 201 new order, 200 repeated key, 400/404/422 refused, 500 failed
    error: str | None = None
    order_id: str | None = None
    po_number: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class PortalSent:
    """One document POSTed to distsync (each copy of a duplicate is one)."""

    sequence: int
    document_type: str  # po_ack, asn, invoice
    reference: str  # the document's number: PO (for an ack), ASN, invoice
    body: bytes
    destination: str
    delivered: bool
    attempts: int
    detail: str
    copy: int
    at: datetime


@dataclass
class PortalLog:
    """Thread-safe lists of what came in and what went out."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[PortalReceived] = field(default_factory=list)
    sent: list[PortalSent] = field(default_factory=list)

    def next_received(self) -> int:
        with self.lock:
            return len(self.received) + 1

    def add_received(self, entry: PortalReceived) -> None:
        with self.lock:
            self.received.append(entry)

    def add_sent(self, entry: PortalSent) -> None:
        with self.lock:
            self.sent.append(entry)

    def snapshot(self) -> tuple[list[PortalReceived], list[PortalSent]]:
        with self.lock:
            return list(self.received), list(self.sent)

    def as_json(self) -> dict[str, Any]:
        """The records without their bodies, as ``GET /log`` lists them."""
        received, sent = self.snapshot()
        return {
            "received": [
                {"number": r.number, "path": r.path, "idempotency_key": r.idempotency_key,
                 "status": r.status, "error": r.error, "order_id": r.order_id,
                 "po_number": r.po_number, "duplicate": r.duplicate}
                for r in received
            ],
            "sent": [
                {"sequence": s.sequence, "document_type": s.document_type,
                 "reference": s.reference, "destination": s.destination,
                 "delivered": s.delivered, "attempts": s.attempts, "detail": s.detail,
                 "copy": s.copy}
                for s in sent
            ],
        }  # fmt: skip
