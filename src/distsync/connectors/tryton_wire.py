"""Tryton's JSON-RPC wire format: tagged values, request envelopes and faults.

Tryton sends values JSON has no type for as tagged objects, in both
directions::

    Decimal    {"__class__": "Decimal", "decimal": "5.00"}
    date       {"__class__": "date", "year": 2026, "month": 11, "day": 27}
    datetime   the date's keys plus hour, minute, second, microsecond (naive, UTC)
    time       hour, minute, second, microsecond
    timedelta  {"__class__": "timedelta", "seconds": 90.0}
    bytes      {"__class__": "bytes", "base64": "..."}

A request carrying ``id``, ``method`` and ``params`` is answered with
``{"id", "result"}`` or ``{"id", "error"}``, even when the call fails (HTTP
200). The error of a Tryton exception is ``[name, args]`` (``["UserError",
[message, description, domain]]``); any other server exception comes back as
``[str(exception), traceback]``. :class:`TrytonFault` keeps both shapes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

__all__ = ["TRYTON_EXCEPTIONS", "TrytonFault", "decode", "encode_request", "fault_from"]

TRYTON_EXCEPTIONS = frozenset(
    {
        "UserError",
        "UserWarning",
        "LoginException",
        "ConcurrencyException",
        "RateLimitException",
        "TimeOutException",
        "MissingDependenciesException",
    }
)
"""The exception names Tryton itself reports (every ``UserError`` subclass says ``UserError``)."""


class TrytonFault(Exception):
    """The ``error`` member of a JSON-RPC answer.

    ``name`` is one of :data:`TRYTON_EXCEPTIONS` for an exception Tryton
    raised on purpose, else the text of an unexpected server exception;
    ``message`` is what a person should read.
    """

    def __init__(self, name: str, message: str, detail: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message
        self.detail = detail

    @property
    def expected(self) -> bool:
        """Whether Tryton raised it on purpose (a user error), not a crash."""
        return self.name in TRYTON_EXCEPTIONS


def fault_from(error: object) -> TrytonFault:
    """A :class:`TrytonFault` from an answer's ``error`` member, whatever its shape."""
    if not isinstance(error, list | tuple) or not error:
        return TrytonFault(str(error), "")
    name, args = str(error[0]), error[1] if len(error) > 1 else ""
    if name not in TRYTON_EXCEPTIONS:
        return TrytonFault(name, name, detail=str(args))
    if isinstance(args, list | tuple):
        texts = [str(arg) for arg in args if isinstance(arg, str) and arg]
        if name == "UserWarning" and len(texts) > 1:
            texts = texts[1:]  # the first one is the warning's key
        return TrytonFault(name, ": ".join(texts))
    return TrytonFault(name, str(args))


def _encode_value(value: object) -> object:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            **_date_parts(value),
            **_time_parts(value.time()),
        }
    if isinstance(value, date):
        return {"__class__": "date", **_date_parts(value)}
    if isinstance(value, time):
        return {"__class__": "time", **_time_parts(value)}
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot travel to Tryton")


def _date_parts(value: date) -> dict[str, int]:
    return {"year": value.year, "month": value.month, "day": value.day}


def _time_parts(value: time) -> dict[str, int]:
    return {
        "hour": value.hour,
        "minute": value.minute,
        "second": value.second,
        "microsecond": value.microsecond,
    }


_DECODERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "Decimal": lambda d: Decimal(d["decimal"]),
    "date": lambda d: date(d["year"], d["month"], d["day"]),
    "datetime": lambda d: datetime(
        d["year"], d["month"], d["day"], d["hour"], d["minute"], d["second"], d["microsecond"]
    ),
    "time": lambda d: time(d["hour"], d["minute"], d["second"], d["microsecond"]),
    "timedelta": lambda d: timedelta(seconds=d["seconds"]),
    "bytes": lambda d: base64.b64decode(d["base64"]),
}


def _decode_object(value: dict[str, Any]) -> object:
    decoder = _DECODERS.get(value.get("__class__", ""))
    return value if decoder is None else decoder(value)


def encode_request(call_id: int, method: str, params: list[Any]) -> bytes:
    """The JSON body of one call, with Tryton's tags for Decimal, dates and bytes."""
    envelope = {"id": call_id, "method": method, "params": params}
    return json.dumps(envelope, default=_encode_value, separators=(",", ":")).encode()


def decode(body: bytes) -> Any:
    """A JSON answer with Tryton's tagged values turned back into Python values."""
    return json.loads(body, object_hook=_decode_object)
