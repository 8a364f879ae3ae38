"""What the simulated web shop sent and received, for tests, the demo and ``GET /log``.

``ShopLog`` keeps every webhook handed to distsync with its delivery's
outcome, and every admin API request taken in (new, repeated or refused),
behind one lock: the HTTP threads add requests, the sending thread webhooks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["AdminReceived", "ShopLog", "WebhookSent"]


@dataclass(frozen=True)
class WebhookSent:
    """One webhook POSTed to distsync (each copy of a resend is one)."""

    sequence: int
    topic: str  # orders/create, orders/updated
    webhook_id: str
    order_id: int
    kind: str  # order, resend, stale, forged
    body: bytes
    destination: str
    delivered: bool
    attempts: int
    detail: str  # the last HTTP status or error
    at: datetime


@dataclass(frozen=True)
class AdminReceived:
    """One admin API request taken in, and how it was answered."""

    number: int
    method: str
    path: str
    idempotency_key: str | None
    body: bytes
    at: datetime
    status: int
    answer: dict[str, Any]
    repeated: bool = False  # the answer given before to the same Idempotency-Key


@dataclass
class ShopLog:
    """Thread-safe lists of what came in and what went out."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[AdminReceived] = field(default_factory=list)
    sent: list[WebhookSent] = field(default_factory=list)

    def next_received(self) -> int:
        with self.lock:
            return len(self.received) + 1

    def add_received(self, entry: AdminReceived) -> None:
        with self.lock:
            self.received.append(entry)

    def add_sent(self, entry: WebhookSent) -> None:
        with self.lock:
            self.sent.append(entry)

    def snapshot(self) -> tuple[list[AdminReceived], list[WebhookSent]]:
        with self.lock:
            return list(self.received), list(self.sent)

    def as_json(self) -> dict[str, Any]:
        """The records without their bodies, as ``GET /log`` lists them."""
        received, sent = self.snapshot()
        return {
            "received": [
                {"number": r.number, "method": r.method, "path": r.path,
                 "idempotency_key": r.idempotency_key, "status": r.status,
                 "repeated": r.repeated, "answer": r.answer}
                for r in received
            ],
            "sent": [
                {"sequence": s.sequence, "topic": s.topic, "webhook_id": s.webhook_id,
                 "order_id": s.order_id, "kind": s.kind, "destination": s.destination,
                 "delivered": s.delivered, "attempts": s.attempts, "detail": s.detail}
                for s in sent
            ],
        }  # fmt: skip
