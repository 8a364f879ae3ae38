"""What the JSON simulators (supplier portal, carrier, web shop) share: the server and its life.

:class:`JsonHttpServer` is a ``ThreadingHTTPServer`` on 127.0.0.1 that
knows nothing of the simulator behind it: ``GET /healthz`` (with the
simulator's role) and ``GET /log`` (its records), and every ``POST`` handed
to ``take(body, path=..., idempotency_key=...)`` (the path without its query),
whose status and JSON are written back.

:class:`ServedSimulator` runs one: ``start`` (listen on a free port unless one
was given, start the send schedule), ``stop``, ``with``, ``url`` and
``wait_idle``. A simulator sets ``role``, builds ``_log`` (``as_json``) and
``_schedule`` (a ``partner_log.Schedule``), and defines ``take``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

from distsync.demo.partner_log import Schedule

__all__ = ["Answer", "JsonHttpServer", "ServedSimulator", "Take"]

Answer = tuple[int, dict[str, Any]]
POLL_SECONDS = 0.05


class Take(Protocol):
    def __call__(self, body: bytes, *, path: str, idempotency_key: str | None) -> Answer: ...


class JsonHttpServer(ThreadingHTTPServer):
    """Serves one simulator on 127.0.0.1 (``port`` 0: a free one)."""

    daemon_threads = True

    def __init__(
        self, port: int, take: Take, records: Callable[[], dict[str, Any]], *, role: str
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.take = take
        self.records = records
        self.role = role

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-call (a caller past its deadline) is normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: JsonHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/healthz":
            self._reply(200, {"status": "ok", "role": self.server.role})
        elif path == "/log":
            self._reply(200, self.server.records())
        else:
            self._reply(404, {"error": f"no page {self.path!r} here: try /log or /healthz"})

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._reply(411, {"error": "a POST needs a Content-Length header"})
            return
        body = self.rfile.read(int(length))
        path = self.path.split("?")[0]
        key = self.headers.get("Idempotency-Key")
        self._reply(*self.server.take(body, path=path, idempotency_key=key))

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class ServedSimulator:
    """The life of a JSON simulator (see the module docstring)."""

    role: ClassVar[str]
    _port: int
    _schedule: Schedule
    _log: Any
    _server: JsonHttpServer | None = None
    _thread: threading.Thread | None = None

    def take(self, body: bytes, *, path: str, idempotency_key: str | None) -> Answer:
        raise NotImplementedError

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port unless one was given)."""
        self._server = JsonHttpServer(self._port, self.take, self._log.as_json, role=self.role)
        self._schedule.start(f"{self.role}-sends")
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop listening; what is still queued to send is dropped."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._schedule.stop()
        self._server, self._thread = None, None

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

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued has been sent; False if ``timeout`` ran out."""
        return self._schedule.wait_idle(timeout)
