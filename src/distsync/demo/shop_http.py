"""The simulated web shop's HTTP server: its admin API, ``GET /log`` and ``GET /healthz``.

``ShopHttpServer`` is a ``ThreadingHTTPServer`` on 127.0.0.1. The handler
knows nothing of fulfilments: it passes every POST's path, ``Idempotency-Key``
and raw body to ``take`` and writes back the status and JSON it gets (as
``portal_http`` does for the supplier portal). ``webhook_target`` is where
the shop's webhooks go: distsync's ``/v1/webhooks/shopify/{partner}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from distsync.config import NAME_PATTERN
from distsync.demo.partner_delivery import delivery_from
from distsync.errors import ConfigError

__all__ = ["ShopHttpServer", "webhook_target"]

Answer = tuple[int, dict[str, Any]]


class Take(Protocol):
    def __call__(self, body: bytes, *, path: str, idempotency_key: str | None) -> Answer: ...


class ShopHttpServer(ThreadingHTTPServer):
    """Serves one simulated shop on 127.0.0.1 (``port`` 0: a free one)."""

    daemon_threads = True

    def __init__(self, port: int, take: Take, records: Callable[[], dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.take = take
        self.records = records

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-call is normal here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ShopHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/healthz":
            self._reply(200, {"status": "ok", "role": "shop"})
        elif path == "/log":
            self._reply(200, self.server.records())
        else:
            self._reply(404, {"errors": f"no page {self.path!r} here: try /log or /healthz"})

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._reply(411, {"errors": "a POST needs a Content-Length header"})
            return
        body = self.rfile.read(int(length))
        key = self.headers.get("Idempotency-Key")
        self._reply(*self.server.take(body, path=self.path, idempotency_key=key))

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def webhook_target(partner: str, reply_to: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """distsync's webhook URL for ``partner``, and the delivery settings of ``reply_to``."""
    if not re.fullmatch(NAME_PATTERN, partner):
        raise ConfigError(f"partner {partner!r}: should be a landscape partner name")
    settings = dict(reply_to) if isinstance(reply_to, Mapping) else {"url": reply_to}
    base, headers = str(settings.get("url", "")), settings.get("headers") or {}
    if not base.startswith(("http://", "https://")) or not isinstance(headers, Mapping):
        raise ConfigError(
            f"reply_to {reply_to!r}: give distsync's base URL (http://127.0.0.1:8080), "
            "or {'url': ..., 'headers': {...}}"
        )
    target = f"{base.rstrip('/')}/v1/webhooks/shopify/{partner}"
    delivery_from({**settings, "url": target})  # refuses unknown settings now, not when sending
    return target, {**settings, "headers": dict(headers)}
