"""The HTTP faces of the simulated carrier: its routes, and where its tracking events go.

The server is ``json_sim.JsonHttpServer`` (``POST /rates``, ``POST
/shipments``, ``GET /log``, ``GET /healthz``); ``route`` finds the operation
and reads its JSON (404, 400 and 422 when it cannot). ``delivery_for`` gives the
``HttpDelivery`` (or outbox folder) the events go to, with the content type
of the behaviour's format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from distsync.demo.json_sim import Answer
from distsync.demo.partner_delivery import Delivery, delivery_from

__all__ = ["delivery_for", "route"]

Operation = Callable[[Any], Answer]
CONTENT_TYPES = {"json": "application/json", "x12": "application/edi-x12"}


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
