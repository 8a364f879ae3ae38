"""What reading one 856 keeps: the problems, and where each canonical value came from.

Every value taken from a segment is noted under its canonical field path
(``orders.0.packs.1.sscc``) with the segment and element it came from, so a
value the canonical model refuses is reported where it stands in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, x12_date, x12_decimal, x12_time
from distsync.formats.x12.maps.hl import Placed, segment_location
from distsync.formats.x12.maps.m856_codes import zone
from distsync.formats.x12.problems import Problem, Severity

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

PREFIX = re.compile(r"^(Value error, )?advance ship notice .*?: ")


class ReadContext:
    """The transaction being read, the partner's options, problems and value sources."""

    def __init__(self, transaction: TransactionSet, options: MapOptions) -> None:
        self.transaction = transaction
        self.options = options
        self.zone = zone(options.qualifier("time_code", "UT"))
        self.problems: list[Problem] = []
        self.sources: dict[str, tuple[int, int | None]] = {"": (0, None)}
        self.keys: dict[str, str] = {}  # path → value that must be unique (labels, serials)
        self.failed: set[str] = set()

    def note(self, path: str, index: int, element: int | None = None) -> None:
        self.sources[path] = (index, element)

    def problem(
        self,
        message: str,
        index: int,
        element: int | None = None,
        *,
        code: str = "mapping_error",
        warning: bool = False,
    ) -> None:
        where = segment_location(self.transaction, index, element)
        severity = Severity.WARNING if warning else Severity.ERROR
        ack = None if warning else "8"
        self.problems.append(Problem(code, f"{where.segment_tag}: {message}", where, severity, ack))

    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)

    # -- values ---------------------------------------------------------------------

    def text(self, path: str, placed: Placed | None, element: int) -> str | None:
        """An element's text, stripped; None when empty or absent."""
        if placed is None:
            return None
        index, segment = placed
        value = segment.element(element).strip()
        if value:
            self.note(path, index, element)
        return value or None

    def convert(
        self, path: str, placed: Placed, element: int, parse: Callable[[str, str], T]
    ) -> T | None:
        """An element parsed by ``parse(value, what)``; a located problem when it refuses."""
        index, segment = placed
        value = segment.element(element).strip()
        if not value:
            return None
        self.note(path, index, element)
        try:
            return parse(value, f"{segment.tag}{element:02d}")
        except SchemaViolation as exc:
            self.failed.add(path)
            self.problem(str(exc), index, element)
            return None

    def decimal(self, path: str, placed: Placed, element: int) -> Decimal | None:
        return self.convert(path, placed, element, x12_decimal)

    def day(self, path: str, placed: Placed, element: int) -> date | None:
        return self.convert(path, placed, element, x12_date)

    def moment(self, path: str, placed: Placed, day: int, clock: int) -> datetime | None:
        """A date and time element as an aware datetime in the segment's or partner's zone."""
        segment = placed[1]
        tz = zone(segment.element(4)) if segment.tag == "DTM" and segment.element(4) else self.zone
        when = self.day(path, placed, day)
        hour = self.convert(path, placed, clock, x12_time)
        if when is None:
            return None
        return _combine(when, hour, tz)

    # -- canonical model -------------------------------------------------------------

    def validated(self, model: type[M], data: dict[str, Any]) -> M | None:
        """``model`` built from ``data``; each refusal becomes a located problem."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in _deepest(exc.errors()):
                self.refused(error)
            return None

    def refused(self, error: ErrorDetails) -> None:
        path = ".".join(str(part) for part in error["loc"])
        if any(path == f or path.startswith(f + ".") for f in self.failed):
            return  # already reported when the element was converted
        message = PREFIX.sub("", error["msg"])
        index, element = self.locate(path, message)
        self.problem(f"{path or 'notice'}: {message}" if path else message, index, element)

    def locate(self, path: str, message: str) -> tuple[int, int | None]:
        """The source of ``path``, or of the nearest field above it, or one the message names."""
        if not path:
            named = [p for p in self.sources if p and p in message]
            repeated = [p for p, v in self.keys.items() if v in message]
            found = max(named, key=len, default=None) or (repeated[-1] if repeated else "")
            return self.sources[found]
        while path not in self.sources:
            path = path.rpartition(".")[0]
        return self.sources[path]


def _combine(when: date, hour: time | None, tz: tzinfo) -> datetime:
    return datetime.combine(when, hour or time(), tzinfo=tz)


def _deepest(errors: Sequence[ErrorDetails]) -> list[ErrorDetails]:
    """Errors without those that only repeat a deeper one (a tuple emptied by a bad item)."""
    locs = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e, loc in zip(errors, locs, strict=True)
        if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)
    ]
