"""Checks shared by document validators.

Each raises ``ValueError`` with a message that starts with the document
(``purchase order PO-1001``) and names the field path (``lines[2].quantity``),
which pydantic turns into a validation error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from distsync.model.base import Document, duplicates
from distsync.model.money import Money
from distsync.model.units import Quantity

__all__ = [
    "NumberedLine",
    "line_path",
    "require_currency",
    "require_distinct_line_numbers",
    "require_not_before",
    "require_positive",
    "require_same_unit",
]


class NumberedLine(Protocol):
    """A document line with a line number."""

    @property
    def line_number(self) -> int: ...


def require_distinct_line_numbers(
    document: Document, lines: Sequence[NumberedLine], field: str = "lines"
) -> None:
    """Refuse two lines with one line number."""
    repeated = duplicates([line.line_number for line in lines])
    if repeated:
        raise ValueError(f"{document.describe()}: {field} has line number {repeated[0]} twice")


def require_currency(
    document: Document, currency: str, amounts: Iterable[tuple[str, Money]]
) -> None:
    """Refuse any amount (given as ``(field path, money)``) not in ``currency``."""
    for path, money in amounts:
        if money.currency != currency:
            raise ValueError(
                f"{document.describe()}: {path} is in {money.currency}, "
                f"the document is in {currency}"
            )


def require_positive(document: Document, path: str, quantity: Quantity) -> None:
    """Refuse a quantity of zero or less."""
    if not quantity.is_positive():
        raise ValueError(f"{document.describe()}: {path} must be positive, got {quantity}")


def require_same_unit(document: Document, path: str, quantity: Quantity, unit: str) -> None:
    """Refuse a quantity that is not in ``unit``."""
    if quantity.uom != unit:
        raise ValueError(f"{document.describe()}: {path} is in {quantity.uom}, expected {unit}")


def require_not_before(
    document: Document,
    later: tuple[str, date | datetime | None],
    earlier: tuple[str, date | datetime | None],
) -> None:
    """Refuse ``later`` (field path, value) when it comes before ``earlier``."""
    (later_path, later_value), (earlier_path, earlier_value) = later, earlier
    if later_value is None or earlier_value is None:
        return
    if _day(later_value, earlier_value) < _day(earlier_value, later_value):
        raise ValueError(
            f"{document.describe()}: {later_path} ({later_value.isoformat()}) is before "
            f"{earlier_path} ({earlier_value.isoformat()})"
        )


def _day(value: date | datetime, other: date | datetime) -> date | datetime:
    """Compare a date with a datetime by the datetime's date, two datetimes as they are."""
    if isinstance(value, datetime) and not isinstance(other, datetime):
        return value.date()
    return value


def line_path(index: int, line: NumberedLine, field: str = "", collection: str = "lines") -> str:
    """A field path as pydantic prints it, plus the line number people use.

    ``line_path(2, line, "unit_price")`` gives ``lines.2.unit_price (line 3)``.
    """
    path = f"{collection}.{index}" + (f".{field}" if field else "")
    return f"{path} (line {line.line_number})"
