"""Sales orders from any channel: web shop, marketplace, EDI (X12 850 in), B2B portal.

``order_number`` is ours and unique; ``external_order_id`` is the channel's
own number, unique within the channel, and is what the channel knows the order
by when it asks about it or sends it twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from distsync.model.base import (
    AwareDatetime,
    Canonical,
    Code,
    Document,
    DocumentNumber,
    LineNumber,
    Many,
    Name,
    SystemName,
    Text,
)
from distsync.model.checks import (
    line_path,
    require_currency,
    require_distinct_line_numbers,
    require_not_before,
    require_positive,
)
from distsync.model.items import ItemRef
from distsync.model.money import CurrencyCode, Money
from distsync.model.parties import Address, CarrierRef, PartyRef
from distsync.model.units import Quantity

__all__ = ["SalesOrder", "SalesOrderLine", "SalesOrderStatus"]


class SalesOrderStatus(StrEnum):
    """Where a sales order is in its life."""

    RECEIVED = "received"
    CONFIRMED = "confirmed"
    ALLOCATED = "allocated"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class SalesOrderLine(Canonical):
    """One ordered item at its price; ``discount`` is the line's total discount."""

    line_number: LineNumber
    item: ItemRef
    quantity: Quantity
    unit_price: Money
    discount: Money | None = None
    external_line_id: DocumentNumber | None = None

    def amount(self) -> Decimal:
        """Quantity times unit price less the discount, exact."""
        discount = self.discount.amount if self.discount else Decimal(0)
        return self.quantity.value * self.unit_price.amount - discount


class SalesOrder(Document):
    """A customer order from a channel (events ``sales_order.*``)."""

    number_field: ClassVar[str] = "order_number"
    kind: ClassVar[str] = "sales order"

    order_number: DocumentNumber
    external_order_id: DocumentNumber
    channel: SystemName
    status: SalesOrderStatus = SalesOrderStatus.RECEIVED
    ordered_at: AwareDatetime
    customer: PartyRef
    customer_po_number: DocumentNumber | None = None
    ship_to: Address
    bill_to: Address | None = None
    requested_ship_date: date
    ship_from_warehouse_id: Code | None = None
    carrier: CarrierRef | None = None
    currency: CurrencyCode
    shipping_charge: Money | None = None
    note: Text | None = None
    payment_reference: Name | None = None
    lines: Many[SalesOrderLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_are_consistent(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        amounts = [
            (line_path(i, ln, "unit_price"), ln.unit_price) for i, ln in enumerate(self.lines)
        ]
        amounts += [
            (line_path(i, ln, "discount"), ln.discount)
            for i, ln in enumerate(self.lines)
            if ln.discount is not None
        ]
        if self.shipping_charge is not None:
            amounts.append(("shipping_charge", self.shipping_charge))
        require_currency(self, self.currency, amounts)
        for index, line in enumerate(self.lines):
            require_positive(self, line_path(index, line, "quantity"), line.quantity)
        require_not_before(
            self, ("requested_ship_date", self.requested_ship_date), ("ordered_at", self.ordered_at)
        )
        return self

    def line(self, line_number: int) -> SalesOrderLine | None:
        """The line with this number, if the order has it."""
        return next((line for line in self.lines if line.line_number == line_number), None)

    def total(self) -> Money:
        """Lines plus shipping, exact (before tax)."""
        amount = sum((line.amount() for line in self.lines), Decimal(0))
        if self.shipping_charge is not None:
            amount += self.shipping_charge.amount
        return Money(amount=amount, currency=self.currency)
