"""Prices: what one unit of an item costs on a price list or for one customer.

A price applies from ``valid_from`` up to and including ``valid_to`` (open
ended when absent) to orders of at least ``min_quantity`` in ``uom``; quantity
breaks are several prices of one item and list with different minimums.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Self

from pydantic import model_validator

from distsync.model.base import Code, DecimalValue, Document, DocumentNumber
from distsync.model.checks import require_not_before
from distsync.model.items import Sku
from distsync.model.money import Money
from distsync.model.units import UnitOfMeasure

__all__ = ["Price"]


class Price(Document):
    """A unit price of an item on a price list or for a customer (event ``price.changed``)."""

    number_field: ClassVar[str] = "price_id"
    kind: ClassVar[str] = "price"

    price_id: DocumentNumber
    sku: Sku
    price_list: Code | None = None
    customer_id: Code | None = None
    unit_price: Money
    uom: UnitOfMeasure
    min_quantity: DecimalValue = Decimal(1)
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def _applies_to_someone_sometime(self) -> Self:
        if self.price_list is None and self.customer_id is None:
            raise ValueError(f"{self.describe()}: set price_list or customer_id (or both)")
        if self.unit_price.amount < 0:
            raise ValueError(f"{self.describe()}: unit_price is negative")
        if self.min_quantity < 0:
            raise ValueError(f"{self.describe()}: min_quantity is negative")
        require_not_before(self, ("valid_to", self.valid_to), ("valid_from", self.valid_from))
        return self

    def applies(self, on: date, quantity: Decimal) -> bool:
        """Whether this price holds on day ``on`` for ``quantity`` (in ``uom``)."""
        started = self.valid_from <= on
        not_ended = self.valid_to is None or on <= self.valid_to
        return started and not_ended and quantity >= self.min_quantity
