"""Where the simulated supplier portal's answers go.

Its server is ``json_sim.JsonHttpServer`` (``POST /purchase_order``, ``GET
/log``, ``GET /healthz``). ``deliveries_for`` gives one ``HttpDelivery`` per
answer type, to distsync's
``/v1/inbound/{partner}/{document_type}``, as ``application/json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from distsync.config import NAME_PATTERN
from distsync.demo.partner_delivery import Delivery, delivery_from
from distsync.errors import ConfigError

__all__ = ["ANSWER_TYPES", "deliveries_for"]

ANSWER_TYPES = ("po_ack", "asn", "invoice")


def deliveries_for(partner: str, reply_to: str | Mapping[str, Any]) -> dict[str, Delivery]:
    """Per answer type, an ``HttpDelivery`` to distsync's JSON route for ``partner``.

    ``reply_to`` is distsync's base URL, or ``{"url", "headers", "timeout",
    "attempts", "backoff"}`` as for the X12 simulators.
    """
    if not re.fullmatch(NAME_PATTERN, partner):
        raise ConfigError(f"partner {partner!r}: should be a landscape partner name")
    settings = dict(reply_to) if isinstance(reply_to, Mapping) else {"url": reply_to}
    base, headers = str(settings.get("url", "")), settings.get("headers") or {}
    if not base.startswith(("http://", "https://")) or not isinstance(headers, Mapping):
        raise ConfigError(
            f"reply_to {reply_to!r}: give distsync's base URL (http://127.0.0.1:8080), "
            "or {'url': ..., 'headers': {...}}"
        )
    return {
        kind: delivery_from({
            **settings,
            "url": f"{base.rstrip('/')}/v1/inbound/{partner}/{kind}",
            "headers": {"Content-Type": "application/json", **headers},
        })
        for kind in ANSWER_TYPES
    }  # fmt: skip
