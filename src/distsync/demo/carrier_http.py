"""The HTTP faces of the simulated carrier: its server, and where its tracking events go.

``CarrierHttpServer`` is a ``ThreadingHTTPServer`` on 127.0.0.1 (``POST
/rates``, ``POST /shipments``, ``GET /log``, ``GET /healthz``); the handler
knows nothing of carriers: it passes the path and raw body to ``take`` and
writes back the status and JSON it gets; ``route`` finds the operation
and reads its JSON (404, 400 and 422 when it cannot). ``delivery_for`` gives the
``HttpDelivery`` (or outbox folder) the events go to, with the content type
of the behaviour's format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsync.demo.partner_delivery import Delivery, delivery_from

__all__ = ["Answer", "CarrierHttpServer", "delivery_for", "route"]

Answer = tuple[int, dict[str, Any]]
Take = Callable[[str, bytes], Answer]
Operation = Callable[[Any], Answer]
CONTENT_TYPES = {"json": "application/json", "x12": "application/edi-x12"}


class CarrierHttpServer(ThreadingHTTPServer):
    """Serves one simulated carrier on 127.0.0.1 (``port`` 0: a free one)."""

    daemon_threads = True

    def __init__(self, port: int, take: Take, records: Callable[[], dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.take = take
        self.records = records

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-call (a rate caller past its deadline) is normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CarrierHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/healthz":
            self._reply(200, {"status": "ok", "role": "carrier"})
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
        self._reply(*self.server.take(self.path.split("?")[0], body))

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def route(path: str, body: bytes, operations: Mapping[str, Operation]) -> Answer:
    """The answer of the operation at ``path`` to the JSON ``body``: 404, 400, 422 when none."""
    operation = operations.get(path.rstrip("/"))
    if operation is None:
        return 404, {"error": f"no operation at {path!r}: POST to {', '.join(operations)}"}
    try:
        data = json.loads(body)
    except ValueError as exc:
        return 400, {"error": f"the body is not JSON: {exc}"}
    try:
        return operation(data)
    except ValidationError as exc:
        return 422, {"error": str(exc)}


def delivery_for(reply_to: Delivery | str | Path | Mapping[str, Any], format: str) -> Delivery:
    """Where events go: a URL, ``{"url", "headers", ...}``, a folder, or a ``Delivery``.

    Over HTTP each event is POSTed with the ``Content-Type`` of ``format``
    (unless the configured headers name one), retried as ``HttpDelivery`` does.
    """
    content_type = {"Content-Type": CONTENT_TYPES[format]}
    if isinstance(reply_to, str):
        return delivery_from({"url": reply_to, "headers": content_type})
    if isinstance(reply_to, Mapping) and "url" in reply_to:
        headers = dict(reply_to.get("headers") or {})
        return delivery_from({**reply_to, "headers": {**content_type, **headers}})
    return delivery_from(reply_to)
