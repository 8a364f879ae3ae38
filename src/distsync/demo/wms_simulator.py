"""A warehouse system's inbound API, simulated: a real HTTP server on 127.0.0.1.

It takes documents the way a WMS REST API does: ``POST /<operation>`` with a
JSON body and an ``Idempotency-Key`` header, or ``POST /<operation>:batch``
with ``{"requests": [{"idempotency_key", "correlation_id", "body"}, ...]}``.
A key it has seen already is absorbed: it answers 200 with
``Idempotent-Replayed: true`` (``"duplicate": true`` in a batch) and records
nothing new, so :attr:`WmsSimulator.effects` holds exactly one entry per key
however often a document is sent. The first ``fail_first`` calls are
answered with 503, to show retries. ``GET /<operation>`` lists what was
received, for a curious ``curl``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["Received", "WmsSimulator"]

Answer = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Received:
    """A document the simulated WMS took in, and the id it gave it."""

    remote_id: str
    operation: str
    body: Mapping[str, Any]
    correlation_id: str | None


@dataclass
class _Books:
    """What the simulator has seen; guarded by ``lock`` (handlers run on many threads)."""

    fail_first: int
    retry_after: int | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    effects: dict[str, Received] = field(default_factory=dict)
    calls: int = 0
    deliveries: int = 0
    repeats: int = 0
    failures: int = 0

    def fail_now(self) -> bool:
        with self.lock:
            self.calls += 1
            if self.failures < self.fail_first:
                self.failures += 1
                return True
            return False

    def take(self, operation: str, key: str, body: Any, correlation_id: str | None) -> Answer:
        with self.lock:
            self.deliveries += 1
            known = self.effects.get(key)
            if known is not None:
                self.repeats += 1
                answer = {"id": known.remote_id, "duplicate": True}
                return 200, {"Idempotent-Replayed": "true"}, answer
            remote_id = f"ER-{len(self.effects) + 1:06d}"
            self.effects[key] = Received(remote_id, operation, body, correlation_id)
        return 201, {}, {"id": remote_id, "duplicate": False}


class WmsSimulator:
    """The simulated WMS; use as a context manager or call ``start()`` and ``stop()``."""

    def __init__(self, *, fail_first: int = 0, retry_after: int | None = None) -> None:
        self._books = _Books(fail_first=fail_first, retry_after=retry_after)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the base URL."""
        self._server = _Server(self._books)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="wms-simulator", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> WmsSimulator:
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
            raise RuntimeError("the WMS simulator is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def effects(self) -> dict[str, Received]:
        """One entry per idempotency key the WMS acted on."""
        with self._books.lock:
            return dict(self._books.effects)

    @property
    def effect_count(self) -> int:
        """How many idempotency keys the WMS acted on (``len(effects)`` without the copy)."""
        return len(self._books.effects)

    @property
    def calls(self) -> int:
        """HTTP calls received, batches counting once, failed ones included."""
        return self._books.calls

    @property
    def deliveries(self) -> int:
        """Documents offered (each item of a batch counts), repeats included."""
        return self._books.deliveries

    @property
    def repeats(self) -> int:
        """Documents offered again under a key already acted on (absorbed)."""
        return self._books.repeats

    @property
    def failures(self) -> int:
        """Calls answered with 503 on purpose."""
        return self._books.failures


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, books: _Books) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.books = books

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-call (killed, timed out) is normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        operation = self.path.strip("/")
        with self.server.books.lock:
            received = list(self.server.books.effects.items())
        listing = [
            {"idempotency_key": key, "id": r.remote_id, "body": r.body}
            for key, r in received
            if r.operation == operation
        ]
        self._reply((200, {}, listing))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        books = self.server.books
        if books.fail_now():
            extra = {} if books.retry_after is None else {"Retry-After": str(books.retry_after)}
            self._reply((503, extra, {"error": "WMS busy: receiving queue is being rebuilt"}))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._reply((400, {}, {"error": "the body is not JSON"}))
            return
        operation = self.path.strip("/")
        if operation.endswith(":batch"):
            self._reply(self._take_batch(operation.removesuffix(":batch"), body))
        else:
            self._reply(self._take_one(operation, body))

    def _take_one(self, operation: str, body: Any) -> Answer:
        key = self.headers.get("Idempotency-Key")
        if not key:
            return 400, {}, {"error": "the Idempotency-Key header is required"}
        correlation_id = self.headers.get("X-Correlation-ID")
        return self.server.books.take(operation, key, body, correlation_id)

    def _take_batch(self, operation: str, body: Any) -> Answer:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list):
            return 400, {}, {"error": 'a batch is {"requests": [...]}'}
        return 200, {}, {"results": [self._batch_item(operation, item) for item in requests]}

    def _batch_item(self, operation: str, item: Any) -> dict[str, Any]:
        key = item.get("idempotency_key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key:
            return {"status": 400, "error": "idempotency_key is required"}
        books = self.server.books
        _, _, answer = books.take(operation, key, item.get("body"), item.get("correlation_id"))
        return dict(answer)

    def _reply(self, answer: Answer) -> None:
        status, headers, body = answer
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
