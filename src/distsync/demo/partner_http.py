"""The HTTP face of a simulated partner: ``POST`` an interchange, ``GET /log`` for the records.

A ``ThreadingHTTPServer`` on 127.0.0.1; the handler knows nothing of X12: it
passes the raw body to ``take`` and writes back the status and JSON it gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from distsync.demo.partner_log import Received, Sent

__all__ = ["Answer", "PartnerHttpServer", "log_json"]

Answer = tuple[int, dict[str, Any]]


class Take(Protocol):
    def __call__(self, body: bytes, *, channel: str, name: str) -> Answer: ...


class PartnerHttpServer(ThreadingHTTPServer):
    """Serves one simulated partner on 127.0.0.1 (``port`` 0: a free one)."""

    daemon_threads = True

    def __init__(
        self, port: int, role: str, take: Take, records: Callable[[], dict[str, Any]]
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.role = role
        self.take = take
        self.records = records

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-call is normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PartnerHttpServer

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
        self._reply(*self.server.take(body, channel="http", name=self.path))

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def log_json(received: Sequence[Received], sent: Sequence[Sent]) -> dict[str, Any]:
    """The records without their bodies, as ``GET /log`` lists them."""
    return {
        "received": [
            {"number": r.number, "channel": r.channel, "name": r.name, "status": r.status,
             "error": r.error, "sets": [asdict(s) for s in r.sets]}
            for r in received
        ],
        "sent": [
            {"sequence": s.sequence, "set": s.set_id, "reference": s.reference,
             "controls": list(s.controls), "delivered": s.delivered, "attempts": s.attempts,
             "detail": s.detail, "copy": s.copy}
            for s in sent
        ],
    }  # fmt: skip
