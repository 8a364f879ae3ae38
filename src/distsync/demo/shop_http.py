"""Where the simulated web shop's webhooks go: distsync's ``/v1/webhooks/shopify/{partner}``.

Its admin API is served by ``json_sim.JsonHttpServer``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from distsync.config import NAME_PATTERN
from distsync.demo.partner_delivery import delivery_from
from distsync.errors import ConfigError

__all__ = ["webhook_target"]


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
