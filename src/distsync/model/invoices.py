"""Invoices (X12 810, ERP invoices) with charges and allowances.

Charges and allowances follow the X12 SAC segment: a four-character code from
SAC02 (``D240`` freight, ``C310`` discount, ``H850`` tax, ...), an amount that
is never negative, and an indicator saying whether it adds to the invoice
(charge) or takes away (allowance). A charge with a ``line_number`` belongs to
that line; without one it belongs to the whole invoice.

The stated figures must add up: each line's ``amount`` is its quantity times
its unit price rounded to the currency's minor unit, and the ``total`` is the
lines plus charges less allowances, to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from distsync.model.base import (
    Canonical,
    Document,
    DocumentNumber,
    LineNumber,
    Many,
    Name,
    Text,
)
from distsync.model.checks import (
    line_path,
    require_currency,
    require_distinct_line_numbers,
    require_not_before,
)
from distsync.model.items import ItemRef
from distsync.model.money import CurrencyCode, Money, minor_unit, total_amount
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity

__all__ = ["ChargeAllowance", "ChargeIndicator", "Invoice", "InvoiceLine", "SacCode"]

SacCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4}$")]
"""An X12 SAC02 service, promotion, allowance or charge code (``D240`` freight)."""


class ChargeIndicator(StrEnum):
    """Whether an amount adds to the invoice or takes away from it (X12 SAC01)."""

    CHARGE = "charge"
    ALLOWANCE = "allowance"


class ChargeAllowance(Canonical):
    """A charge or an allowance; ``amount`` is never negative, the indicator gives the sign."""

    indicator: ChargeIndicator
    code: SacCode
    amount: Money
    description: Text | None = None
    line_number: LineNumber | None = None

    def signed_amount(self) -> Decimal:
        """The amount as it counts towards the total: minus for an allowance."""
        if self.indicator is ChargeIndicator.ALLOWANCE:
            return -self.amount.amount
        return self.amount.amount


class InvoiceLine(Canonical):
    """One invoiced item; ``amount`` is quantity times unit price in the currency's minor unit."""

    line_number: LineNumber
    po_line_number: LineNumber | None = None
    item: ItemRef
    quantity: Quantity
    unit_price: Money
    amount: Money


class Invoice(Document):
    """An invoice from a supplier or to a customer.

    Events ``invoice.received`` (from a supplier) and ``invoice.issued`` (to a customer).
    """

    number_field: ClassVar[str] = "invoice_number"
    kind: ClassVar[str] = "invoice"

    invoice_number: DocumentNumber
    invoice_date: date
    due_date: date | None = None
    seller: PartyRef
    buyer: PartyRef
    po_number: DocumentNumber | None = None
    sales_order_number: DocumentNumber | None = None
    asn_number: DocumentNumber | None = None
    currency: CurrencyCode
    payment_terms: Name | None = None
    lines: Many[InvoiceLine] = Field(min_length=1)
    charges: Many[ChargeAllowance] = ()
    total: Money

    @model_validator(mode="after")
    def _amounts_are_in_the_invoice_currency(self) -> Self:
        amounts = [("total", self.total)]
        for i, line in enumerate(self.lines):
            amounts += [(line_path(i, line, "unit_price"), line.unit_price)]
            amounts += [(line_path(i, line, "amount"), line.amount)]
        amounts += [(f"charges.{i}.amount", charge.amount) for i, charge in enumerate(self.charges)]
        require_currency(self, self.currency, amounts)
        require_not_before(self, ("due_date", self.due_date), ("invoice_date", self.invoice_date))
        return self

    @model_validator(mode="after")
    def _lines_and_charges_are_sound(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        for index, line in enumerate(self.lines):
            self._check_line_amount(index, line)
        line_numbers = {line.line_number for line in self.lines}
        for index, charge in enumerate(self.charges):
            if charge.amount.amount < 0:
                raise ValueError(
                    f"{self.describe()}: charges.{index}.amount is negative; "
                    "use indicator allowance instead"
                )
            if charge.line_number is not None and charge.line_number not in line_numbers:
                raise ValueError(
                    f"{self.describe()}: charges.{index}.line_number {charge.line_number} "
                    "is not a line of this invoice"
                )
        return self

    @model_validator(mode="after")
    def _total_is_lines_plus_charges_minus_allowances(self) -> Self:
        expected = self.expected_total()
        if self.total.amount != expected:
            raise ValueError(
                f"{self.describe()}: total is {self.total} but lines ({self.lines_total()}) "
                f"+ charges ({self.charges_total(ChargeIndicator.CHARGE)}) "
                f"- allowances ({self.charges_total(ChargeIndicator.ALLOWANCE)}) "
                f"= {expected} {self.currency}"
            )
        return self

    def _check_line_amount(self, index: int, line: InvoiceLine) -> None:
        # Either rounding rule (half-up, half-even) is fine: within half a minor unit.
        exact = line.quantity.value * line.unit_price.amount
        if abs(line.amount.amount - exact) > minor_unit(self.currency) / 2:
            raise ValueError(
                f"{self.describe()}: {line_path(index, line, 'amount')} is {line.amount} "
                f"but quantity {line.quantity} x unit price {line.unit_price} is {exact}"
            )

    def lines_total(self) -> Decimal:
        """The sum of the line amounts."""
        return total_amount(line.amount for line in self.lines)

    def charges_total(self, indicator: ChargeIndicator) -> Decimal:
        """The sum of the charges, or of the allowances."""
        return total_amount(c.amount for c in self.charges if c.indicator is indicator)

    def expected_total(self) -> Decimal:
        """Lines plus charges minus allowances."""
        return self.lines_total() + sum((c.signed_amount() for c in self.charges), Decimal(0))
