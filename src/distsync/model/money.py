"""Money: an exact decimal amount in an ISO 4217 currency.

Amounts are :data:`~distsync.model.base.DecimalValue`: never binary floats.
Unit prices may carry more decimals than the currency's minor unit (``0.0125
USD`` per piece); totals are compared after rounding to the minor unit, see
:func:`minor_unit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated

from pydantic import StringConstraints

from distsync.model.base import Canonical, DecimalValue

__all__ = ["CurrencyCode", "Money", "minor_unit", "total_amount"]

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 alphabetic currency code: three upper-case letters (``USD``, ``EUR``)."""

# ISO 4217 currencies whose minor unit is not 1/100.
_MINOR_UNIT_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
    "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0,
    "TND": 3, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` that changes hands: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-_MINOR_UNIT_EXPONENTS.get(currency, 2))


class Money(Canonical):
    """An exact amount in one currency: ``Money(amount=Decimal("12.50"), currency="USD")``."""

    amount: DecimalValue
    currency: CurrencyCode

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total_amount(amounts: Iterable[Money]) -> Decimal:
    """The sum of the amounts, ignoring currency (callers check currencies first)."""
    return sum((money.amount for money in amounts), Decimal(0))
