"""Customer credit: how much a customer may owe, and how much it owes or has on order.

``exposure`` is what the ERP counts against the limit (open receivables and
orders confirmed but not yet invoiced, where the ERP tracks them). A
customer without a limit has ``credit_limit=None``: no credit check applies.
"""

from __future__ import annotations

from typing import Self

from pydantic import model_validator

from distsync.model.base import Canonical, Code
from distsync.model.money import CurrencyCode, Money

__all__ = ["CustomerCredit"]


class CustomerCredit(Canonical):
    """A customer's credit limit and exposure in one currency, as the ERP holds them."""

    party_id: Code
    currency: CurrencyCode
    credit_limit: Money | None = None
    exposure: Money
    active: bool = True

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        for name, amount in (("credit_limit", self.credit_limit), ("exposure", self.exposure)):
            if amount is not None and amount.currency != self.currency:
                raise ValueError(
                    f"credit of {self.party_id}: {name} is in {amount.currency}, "
                    f"not {self.currency}"
                )
        return self

    def available(self) -> Money | None:
        """What the customer may still order on credit (limit - exposure); None without a limit."""
        if self.credit_limit is None:
            return None
        remaining = self.credit_limit.amount - self.exposure.amount
        return Money(amount=remaining, currency=self.currency)
