"""Correlation and W3C trace context of one request: taken when usable, made when not.

``X-Correlation-ID`` is taken when it is 1-128 characters of
``A-Z a-z 0-9 . _ : -`` and replaced otherwise (never refused). W3C
``traceparent`` is taken when well formed (version not ``ff``, ids not all
zero): the trace id is kept and our answer gets a new span id; a bad or
missing one starts a new trace. With no usable correlation id, the trace id
is the correlation id. The gateway middleware (``api/middleware.py``) calls
:func:`trace_state` once per request.
"""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["parse_traceparent", "trace_state"]

_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


def parse_traceparent(value: str) -> tuple[str, str, str] | None:
    """``(trace_id, parent_span_id, flags)`` of a valid W3C ``traceparent``, else None."""
    match = _TRACEPARENT.fullmatch(value)
    if match is None:
        return None
    version, trace_id, parent, flags, rest = match.groups()
    if (
        version == "ff"
        or (version == "00" and rest)
        or not int(trace_id, 16)
        or not int(parent, 16)
    ):
        return None
    return trace_id, parent, flags


def trace_state(
    state: dict[str, Any], correlation: str | None, traceparent: str | None
) -> dict[str, Any]:
    """Fill ``state`` with the request's correlation id, trace id, span ids and traceparent."""
    parsed = parse_traceparent(traceparent) if traceparent else None
    trace_id, parent, flags = parsed or (os.urandom(16).hex(), None, "00")
    span_id = os.urandom(8).hex()
    if correlation is None or not _CORRELATION.fullmatch(correlation):
        correlation = trace_id
    state["correlation_id"] = correlation
    state["trace_id"], state["span_id"], state["parent_span_id"] = trace_id, span_id, parent
    state["traceparent"] = f"00-{trace_id}-{span_id}-{flags}"
    return state
