"""What a simulated partner received and sent, and the queue of answers it still owes.

``PartnerLog`` keeps every received message (accepted or refused) and every
delivery attempt's outcome, for tests and the demo to assert on. ``Schedule``
is one thread that sends queued ``Outgoing`` interchanges when they fall due,
in due order (ties in the order they were queued), one at a time, so a 997
always goes before the 855 it precedes and a duplicate right after its
original.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from distsync.demo.partner_x12 import Outgoing

__all__ = ["PartnerLog", "Received", "Schedule", "Sent", "SetOutcome"]


@dataclass(frozen=True)
class SetOutcome:
    """One received transaction set: accepted or not, the document it carried, its errors."""

    set_id: str
    control: str
    accepted: bool
    reference: str | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Received:
    """One message taken in (HTTP POST or inbox file) and how it was answered."""

    number: int
    channel: str  # "http" or "directory"
    name: str  # request path or file name
    body: bytes
    at: datetime
    status: int  # 202 taken, 400 refused as malformed, 500 failed while answering
    error: str | None = None
    sets: tuple[SetOutcome, ...] = ()


@dataclass(frozen=True)
class Sent:
    """One interchange handed to the delivery (each copy of a duplicate is one)."""

    sequence: int
    set_id: str
    reference: str
    controls: tuple[int, int, int]
    body: bytes
    destination: str
    delivered: bool
    attempts: int
    detail: str
    copy: int
    at: datetime


@dataclass
class PartnerLog:
    """Thread-safe lists of what came in and what went out."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[Received] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def next_received(self) -> int:
        with self.lock:
            return len(self.received) + 1

    def add_received(self, entry: Received) -> None:
        with self.lock:
            self.received.append(entry)

    def add_sent(self, entry: Sent) -> None:
        with self.lock:
            self.sent.append(entry)

    def snapshot(self) -> tuple[list[Received], list[Sent]]:
        with self.lock:
            return list(self.received), list(self.sent)


Send = Callable[[Outgoing], None]


@dataclass(order=True)
class _Due:
    at: float
    order: int
    outgoing: Outgoing = field(compare=False)


class Schedule:
    """Sends queued interchanges when due, from one background thread."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._heap: list[_Due] = []
        self._queued = 0
        self._busy = 0
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    def add(self, outgoing: Outgoing, base: float) -> None:
        """Queue ``outgoing`` for ``base + outgoing.delay`` (``time.monotonic`` seconds)."""
        with self._cond:
            self._queued += 1
            heapq.heappush(self._heap, _Due(base + outgoing.delay, self._queued, outgoing))
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Interchanges queued or being sent."""
        with self._cond:
            return len(self._heap) + self._busy

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being sent; False when ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            due = self._next()
            if due is None:
                return
            try:
                self._send(due.outgoing)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _next(self) -> _Due | None:
        with self._cond:
            while not self._stopping:
                wait = self._heap[0].at - time.monotonic() if self._heap else None
                if wait is not None and wait <= 0:
                    self._busy += 1
                    return heapq.heappop(self._heap)
                self._cond.wait(wait)
            return None
