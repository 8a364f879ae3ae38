"""Customer credit and list prices from the ERP, cached for a short time.

Validating an order must answer in milliseconds (``POST /v1/orders/validate``),
so the ERP is not asked on every order: a customer's credit is kept for
``flows.orders.terms_ttl_seconds`` after it was read (an unknown customer
too, so a flood of bad orders does not reach the ERP), and the whole list
of sales prices is read once and kept for as long.

An order released within that time adds its amount to the customer's
cached exposure (:meth:`TermsCache.commit`), so two orders placed a second
apart cannot both use the last of the credit. The next read from the ERP
replaces the figure, and the commitments made before that read are dropped:
the ERP may not have the order yet if the outbox is still delivering it,
which can let an order through a few seconds early. The ERP is the system
of record for credit; this cache only spares it the traffic. When a figure
goes stale, one request reads it again and the others arriving meanwhile
wait for that read instead of each asking the ERP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from distsync.model.credit import CustomerCredit
from distsync.model.money import Money
from distsync.model.prices import Price

__all__ = ["SalesTermsSource", "TermsCache"]

Clock = Callable[[], datetime]


@runtime_checkable
class SalesTermsSource(Protocol):
    """The ERP's reads the validation needs (``TrytonConnector`` has them)."""

    async def read_customer_credit(self, party_ids: Sequence[str]) -> dict[str, CustomerCredit]: ...

    async def read_sales_prices(self, skus: Sequence[str] | None = None) -> list[Price]: ...


@dataclass
class _Credit:
    credit: CustomerCredit | None
    read_at: datetime
    committed: Decimal = Decimal(0)


class TermsCache:
    """Credit per customer and the list prices, each read at most once per ``ttl``."""

    def __init__(self, source: SalesTermsSource, clock: Clock, ttl: timedelta) -> None:
        self._source = source
        self._clock = clock
        self._ttl = ttl
        self._credits: dict[str, _Credit] = {}
        self._prices: dict[str, Decimal] = {}
        self._prices_read_at: datetime | None = None
        self._reading: dict[str, asyncio.Lock] = {}  # one ERP read per key at a time

    async def credit(self, party_id: str) -> CustomerCredit | None:
        """The customer's credit with what was committed since it was read (None: unknown)."""
        entry = self._credits.get(party_id)
        if entry is None or self._stale(entry.read_at):
            entry = await self._read_credit(party_id)
        if entry.credit is None or not entry.committed:
            return entry.credit
        exposure = entry.credit.exposure
        raised = Money(amount=exposure.amount + entry.committed, currency=exposure.currency)
        return entry.credit.model_copy(update={"exposure": raised})

    async def _read_credit(self, party_id: str) -> _Credit:
        """Read one customer's credit; requests arriving meanwhile wait for this read."""
        async with self._reading.setdefault(f"credit:{party_id}", asyncio.Lock()):
            entry = self._credits.get(party_id)
            if entry is None or self._stale(entry.read_at):
                read = await self._source.read_customer_credit([party_id])
                entry = self._credits[party_id] = _Credit(read.get(party_id), self._clock())
            return entry

    def commit(self, party_id: str, amount: Decimal) -> None:
        """Count a released order against the customer's cached credit until the next read."""
        entry = self._credits.get(party_id)
        if entry is not None:
            entry.committed += amount

    async def list_prices(self) -> dict[str, Decimal]:
        """Unit price per sellable SKU, from the ERP's price list."""
        if self._prices_read_at is None or self._stale(self._prices_read_at):
            async with self._reading.setdefault("prices", asyncio.Lock()):
                if self._prices_read_at is None or self._stale(self._prices_read_at):
                    prices = await self._source.read_sales_prices()
                    self._prices = {price.sku: price.unit_price.amount for price in prices}
                    self._prices_read_at = self._clock()
        return self._prices

    def forget(self) -> None:
        """Drop everything: the next question reads the ERP."""
        self._credits.clear()
        self._prices_read_at = None

    def _stale(self, read_at: datetime) -> bool:
        return self._clock() - read_at >= self._ttl
