"""A simulated X12 trading partner: a real HTTP server on 127.0.0.1 and an inbox folder.

Interchanges arrive as the raw body of ``POST /`` (any path), or as files
dropped into the inbox folder (write them under a name starting with ``.``
and rename them when complete: hidden files are not read). Each arrival is
read with distsync's own reader and maps (``partner_x12``) and answered
asynchronously: a 997/999 for every functional group (unless the behaviour
turns it off), then whatever the partner's subclass plans for each document
it understood, queued with its delay and sent by ``Schedule`` to the
delivery (``partner_delivery``). An HTTP arrival is answered at once:

- ``202`` with what was read (sets, whether each was accepted, the document);
- ``400`` when the body is no X12 interchange at all (no or broken ISA);
- ``500`` when answering failed (a bug, recorded with its message).

Inbox files are moved to ``processed/`` or, when refused, to ``rejected/``.
``GET /healthz`` answers 200; ``GET /log`` lists what was received and sent.
Everything is recorded (``received``, ``sent``) for tests and the demo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from distsync.config_x12 import X12Identity
from distsync.demo.partner_delivery import Delivery, delivery_from
from distsync.demo.partner_http import Answer, PartnerHttpServer, log_json
from distsync.demo.partner_log import PartnerLog, Received, Schedule, Sent, SetOutcome
from distsync.demo.partner_x12 import (
    ControlNumbers,
    Inbound,
    InboundSet,
    Outgoing,
    PartnerWriter,
    read_inbound,
)
from distsync.errors import PermanentError
from distsync.model.base import Document

__all__ = ["Clock", "PartnerSimulator", "utc_now"]

Clock = Callable[[], datetime]
POLL_SECONDS = 0.05


def utc_now() -> datetime:
    """Now in UTC, to the second (X12 carries no fractions)."""
    return datetime.now(UTC).replace(microsecond=0)


class PartnerSimulator:
    """The server, inbox, queue and records every simulated partner shares.

    Subclasses name the sets they act on (``takes``), whether to send the
    997 (``send_functional_ack``), and ``answer`` each mapped document.
    """

    role: ClassVar[str] = "partner"
    takes: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        profile: X12Identity,
        *,
        reply_to: Delivery | str | Path | dict[str, Any],
        inbox: Path | None = None,
        port: int = 0,
        first_control: int = 1,
        clock: Clock = utc_now,
    ) -> None:
        self.profile = profile
        self.delivery = delivery_from(reply_to)
        self.inbox = inbox
        self.clock = clock
        self.writer = PartnerWriter(profile, ControlNumbers(first_control))
        self._port = port
        self._log = PartnerLog()
        self._schedule = Schedule(self._send)
        self._taking = threading.Lock()
        self._sequence = 0
        self._server: PartnerHttpServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop_watching = threading.Event()

    # -- what subclasses provide ------------------------------------------------------

    def send_functional_ack(self) -> bool:
        return True

    def answer(self, found: InboundSet) -> list[Outgoing]:
        """The interchanges owed for one mapped document, each with its delay."""
        raise NotImplementedError

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port unless one was given), watch the inbox."""
        self._server = PartnerHttpServer(self._port, self.role, self.take, self._log_json)
        self._schedule.start(f"{self.role}-sends")
        self._stop_watching.clear()
        threads = [threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,))]
        if self.inbox is not None:
            threads.append(threading.Thread(target=self._watch, args=(self.inbox,)))
        for thread in threads:
            thread.daemon = True
            thread.start()
        self._threads = threads
        return self.url

    def stop(self) -> None:
        """Stop listening and watching; answers still queued are dropped."""
        self._stop_watching.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join()
        self._schedule.stop()
        self._server, self._threads = None, []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self.role} simulator is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- records ----------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Every message taken in, in arrival order, refused ones included."""
        return self._log.snapshot()[0]

    @property
    def sent(self) -> list[Sent]:
        """Every interchange handed to the delivery, in sending order."""
        return self._log.snapshot()[1]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued answer has been sent; False if ``timeout`` ran out."""
        return self._schedule.wait_idle(timeout)

    # -- taking messages in -----------------------------------------------------------

    def take(self, body: bytes, *, channel: str = "http", name: str = "/") -> Answer:
        """Read one message, queue its answers, record it; what the HTTP caller is told."""
        with self._taking:
            number, at = self._log.next_received(), self.clock()
            try:
                status, reply, sets = self._take(body, at)
            except PermanentError as exc:
                status, reply, sets = 400, {"error": str(exc)}, ()
            except Exception as exc:  # a bug: recorded and answered, the server lives on
                status, reply, sets = 500, {"error": f"answering failed: {exc!r}"}, ()
            error = reply.get("error")
            self._log.add_received(Received(number, channel, name, body, at, status, error, sets))
            return status, reply

    def _take(
        self, body: bytes, at: datetime
    ) -> tuple[int, dict[str, Any], tuple[SetOutcome, ...]]:
        inbound = read_inbound(body, self.profile, self.takes)
        outgoing = self._functional_acks(inbound, at) if self.send_functional_ack() else []
        for found in inbound.sets:
            if found.document is not None and not found.errors:
                outgoing += self.answer(found)
        base = time.monotonic()
        for item in outgoing:
            self._schedule.add(item, base)
        sets = tuple(_outcome(found) for found in inbound.sets)
        reply = {
            "sets": [
                {"set": s.set_id, "control": s.control, "accepted": s.accepted,
                 "document": s.reference, "errors": list(s.errors)}
                for s in sets
            ],
            "acknowledgements": len(inbound.acknowledgements),
            "answers": len(outgoing),
        }  # fmt: skip
        return 202, reply, sets

    def _functional_acks(self, inbound: Inbound, at: datetime) -> list[Outgoing]:
        kind = self.profile.acknowledgement
        replies = inbound.acknowledgement_replies(kind, self.writer.controls.take, at)
        return [
            Outgoing(kind, f"interchange {interchange.control}", body, numbers)
            for interchange, body, numbers in replies
        ]

    def _send(self, outgoing: Outgoing) -> None:
        for copy in range(1, outgoing.copies + 1):
            self._sequence += 1
            done = self.delivery.deliver(
                outgoing.body,
                sequence=self._sequence,
                set_id=outgoing.set_id,
                reference=outgoing.reference,
            )
            self._log.add_sent(Sent(
                self._sequence, outgoing.set_id, outgoing.reference, outgoing.controls,
                outgoing.body, self.delivery.describe(), done.ok, done.attempts, done.detail,
                copy, self.clock(),
            ))  # fmt: skip

    def _log_json(self) -> dict[str, Any]:
        return log_json(*self._log.snapshot())

    # -- the inbox --------------------------------------------------------------------

    def _watch(self, inbox: Path) -> None:
        while not self._stop_watching.wait(POLL_SECONDS):
            for path in _arrived(inbox):
                self._take_file(inbox, path)

    def _take_file(self, inbox: Path, path: Path) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            return  # gone or unreadable for now: the next poll tries again
        status, _ = self.take(body, channel="directory", name=path.name)
        folder = inbox / ("processed" if status == 202 else "rejected")
        folder.mkdir(exist_ok=True)
        path.replace(folder / path.name)


def _arrived(inbox: Path) -> Iterable[Path]:
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))


def _outcome(found: InboundSet) -> SetOutcome:
    transaction, document = found.transaction, found.document
    reference = document.document_number() if isinstance(document, Document) else None
    return SetOutcome(
        transaction.set_id,
        transaction.control,
        accepted=document is not None and not found.errors,
        reference=reference,
        errors=tuple(str(p) for p in found.errors),
    )
