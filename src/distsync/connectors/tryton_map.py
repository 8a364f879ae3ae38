"""Small conversions between Tryton's values and the canonical model's.

Tryton stores quantities as floats in the line's unit and amounts as
Decimals; timestamps (``create_date``, ``write_date``) are naive UTC. The
canonical model wants exact decimals and aware datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity

__all__ = [
    "aware",
    "decimal",
    "item_ref",
    "line_numbers",
    "money",
    "party_ref",
    "quantity",
    "tryton_quantity",
    "x2many_create",
]


def decimal(value: object) -> Decimal:
    """A Tryton number (float, int or Decimal) as an exact Decimal, without float noise."""
    if isinstance(value, Decimal):
        return value
    if value is None:
        return Decimal(0)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return Decimal(int(number)) if number == number.to_integral_value() else number


def tryton_quantity(value: Decimal) -> float:
    """A canonical quantity as the float Tryton stores."""
    return float(value)


def aware(moment: datetime | None) -> datetime:
    """A naive UTC timestamp from Tryton as an aware datetime (now when Tryton has none)."""
    if moment is None:
        return datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def quantity(directory: TrytonDirectory, value: object, unit_id: int) -> Quantity:
    """A Tryton quantity in unit ``unit_id`` as a canonical Quantity."""
    return Quantity(value=decimal(value), uom=directory.unit_code(unit_id))


def money(value: object, currency: str) -> Money:
    """A Tryton amount as canonical Money."""
    return Money(amount=decimal(value), currency=currency)


def party_ref(row: Mapping[str, Any] | None) -> PartyRef:
    """A ``party.`` sub-record (code, name) as a canonical PartyRef."""
    if not row:
        raise ValueError("the Tryton record has no party")
    return PartyRef(party_id=row.get("code") or f"TRYTON-{row['id']}", name=row.get("name"))


def item_ref(product: Mapping[str, Any] | None, description: str | None = None) -> ItemRef:
    """A ``product.`` sub-record (code) as a canonical ItemRef."""
    if not product or not product.get("code"):
        raise ValueError("the Tryton line has no product with a code")
    return ItemRef(sku=product["code"], description=description or None)


def line_numbers(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Canonical line numbers: Tryton's ``sequence`` when every line has a distinct one."""
    sequences = [row.get("sequence") for row in rows]
    if all(isinstance(s, int) and s > 0 for s in sequences) and len(set(sequences)) == len(rows):
        return [int(s) for s in sequences if s is not None]
    return list(range(1, len(rows) + 1))


def x2many_create(values: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Tryton's one2many value creating ``values``."""
    return [["create", [dict(v) for v in values]]]
