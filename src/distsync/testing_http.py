"""A fault-injecting HTTP endpoint on 127.0.0.1, for testing connectors and the delivery policy.

::

    with HttpEndpointSimulator() as endpoint:           # a free port, served from a thread
        endpoint.script(Reply.error(503), Reply.too_many(retry_after=2), Reply.ok({"id": "A-1"}))
        ...                                             # point a connector at endpoint.url
        endpoint.requests                               # every request, in arrival order

Every request is recorded (:class:`RecordedRequest`: wall-clock and
monotonic time, method, path, headers, body) before it is answered. Requests
are answered by the scripted replies in arrival order, then by ``default``
(201 with a fresh ``{"id": "S-<n>"}``). A :class:`Reply` can be any status
with a JSON body and headers, ``Retry-After`` in seconds or as an HTTP date,
slow (``delay``), hanging until the client gives up or the simulator stops,
malformed (a body that is not JSON), truncated (shorter than its
``Content-Length``), or a connection closed without an answer.
:meth:`HttpEndpointSimulator.refuse` stops listening (connections are
refused) and :meth:`HttpEndpointSimulator.accept` listens again on the same
port.

Repeated idempotency keys are absorbed like a well-behaved endpoint does: the
first 2xx answer given to an ``Idempotency-Key`` is stored, and a later request
with that key gets it again with ``Idempotent-Replayed: true``, without
taking a scripted reply.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["HttpEndpointSimulator", "RecordedRequest", "Reply", "loopback_listener"]


def loopback_listener() -> socket.socket:
    """A listening socket on 127.0.0.1, a free port, for uvicorn's ``sockets=``.

    With ``TCP_NODELAY``, as ``distsync serve`` sets it: without it each
    response waits about 40 ms for the client's delayed acknowledgement.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


HANG_LIMIT_SECONDS = 120.0
MALFORMED_BODY = b'{"id": "S-1", "lines": [1, 2,'


@dataclass(frozen=True)
class Reply:
    """How the simulator answers one request.

    ``body`` is sent as JSON; ``raw`` (bytes) instead of it is sent as is.
    A 2xx without either gets ``{"id": "S-<n>"}``. ``delay`` waits before
    answering; ``hang`` never answers; ``truncate`` sends half the body it
    announces and closes; ``close`` closes the connection without a word.
    """

    status: int = 201
    body: Any = None
    raw: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: bool = False
    truncate: bool = False
    close: bool = False

    @classmethod
    def ok(cls, body: Any = None, *, status: int = 201) -> Reply:
        """A success; without a body, one with a fresh id."""
        return cls(status=status, body=body)

    @classmethod
    def error(
        cls, status: int, body: Any = None, *, retry_after: float | datetime | None = None
    ) -> Reply:
        """An error status, with ``Retry-After`` (seconds, or an HTTP date from a datetime)."""
        headers = {} if retry_after is None else {"Retry-After": _retry_after(retry_after)}
        return cls(status=status, body=body or {"error": f"status {status}"}, headers=headers)

    @classmethod
    def too_many(cls, *, retry_after: float | datetime | None = None) -> Reply:
        """429 Too Many Requests, with ``Retry-After`` when given."""
        return cls.error(429, {"error": "slow down"}, retry_after=retry_after)

    @classmethod
    def slow(cls, delay: float, body: Any = None) -> Reply:
        """A success after ``delay`` seconds."""
        return cls(body=body, delay=delay)

    @classmethod
    def hanging(cls) -> Reply:
        """No answer at all, until the client gives up or the simulator stops."""
        return cls(hang=True)

    @classmethod
    def malformed(cls, status: int = 200) -> Reply:
        """A complete answer whose body claims to be JSON and is not."""
        return cls(status=status, raw=MALFORMED_BODY)

    @classmethod
    def truncated(cls) -> Reply:
        """An answer cut off halfway through its body."""
        return cls(status=200, body={"id": "S-cut", "note": "x" * 64}, truncate=True)

    @classmethod
    def hangup(cls) -> Reply:
        """The connection closed without an answer."""
        return cls(close=True)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator received it."""

    at: float
    monotonic: float
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def idempotency_key(self) -> str | None:
        return self.header("Idempotency-Key")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    payload: bytes
    reply: Reply


class HttpEndpointSimulator:
    """A scripted HTTP endpoint (see the module docstring). Start and stop it with ``with``."""

    def __init__(self, *, default: Reply | None = None, host: str = "127.0.0.1") -> None:
        self.default = default or Reply()
        self._host = host
        self._port = 0
        self._lock = threading.Lock()
        self._script: list[Reply] = []
        self._requests: list[RecordedRequest] = []
        self._answered: dict[str, _Answer] = {}
        self._created = 0
        self._in_flight = 0
        self.max_in_flight = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> HttpEndpointSimulator:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on a free port (the same one again after :meth:`refuse`) and serve."""
        if self._server is not None:
            return
        self._release = threading.Event()
        server = _Server((self._host, self._port), self)
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"simulator:{self._port}", daemon=True
        )
        self._server = server
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, drop open connections and release hanging answers."""
        server, self._server = self._server, None
        if server is None:
            return
        self._release.set()
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join()

    def refuse(self) -> None:
        """From now on connections are refused (the port is closed); :meth:`accept` reopens it."""
        self.stop()

    def accept(self) -> None:
        """Listen again, on the same port."""
        self.start()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    # -- scripting and records -----------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (after those scripted before)."""
        with self._lock:
            self._script.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def clear(self) -> None:
        """Forget the requests, the script, the absorbed keys and the in-flight maximum."""
        with self._lock:
            self._requests.clear()
            self._script.clear()
            self._answered.clear()
            self.max_in_flight = self._in_flight

    # -- used by the handler threads -------------------------------------------------------

    def _arrived(self, request: RecordedRequest) -> _Answer:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            key = request.idempotency_key
            if key is not None and key in self._answered:
                return _replayed(self._answered[key])
            answer = self._answer(self._script.pop(0) if self._script else self.default)
            if key is not None and 200 <= answer.status < 300 and _complete(answer.reply):
                self._answered[key] = answer
            return answer

    def _answer(self, reply: Reply) -> _Answer:
        body = reply.body
        if body is None and reply.raw is None and 200 <= reply.status < 300 and _complete(reply):
            self._created += 1
            body = {"id": f"S-{self._created}"}
        payload = reply.raw if reply.raw is not None else json.dumps(body or {}).encode()
        return _Answer(reply.status, dict(reply.headers), payload, reply)

    def _left(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the simulator is stopping meanwhile."""
        return self._release.wait(seconds)


def _retry_after(value: float | datetime) -> str:
    if isinstance(value, datetime):
        return format_datetime(value, usegmt=True)
    return f"{value:g}"


def _complete(reply: Reply) -> bool:
    return not (reply.hang or reply.truncate or reply.close)


def _replayed(answer: _Answer) -> _Answer:
    headers = {**answer.headers, "Idempotent-Replayed": "true"}
    return replace(answer, headers=headers, reply=replace(answer.reply, delay=0.0))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], simulator: HttpEndpointSimulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up and left is what this endpoint is for, not an error."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        simulator = self.server.simulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(
            time.time(), time.monotonic(), self.command, self.path, dict(self.headers), body
        )
        answer = simulator._arrived(request)
        try:
            self._respond(simulator, answer)
        finally:
            simulator._left()

    def _respond(self, simulator: HttpEndpointSimulator, answer: _Answer) -> None:
        reply = answer.reply
        if reply.hang:
            simulator._wait(HANG_LIMIT_SECONDS)
        if reply.hang or reply.close or (reply.delay and simulator._wait(reply.delay)):
            self.close_connection = True
            return
        payload = answer.payload
        self.send_response(answer.status)
        for name, value in {"Content-Type": "application/json", **answer.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if reply.truncate:
            payload = payload[: len(payload) // 2]
            self.close_connection = True
        self.wfile.write(payload)
