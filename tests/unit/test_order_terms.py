"""The ERP terms cache: read once per TTL, and once for many requests arriving during a read.

The ERP here is a stand-in that takes 50 ms per read and counts them: what
is tested is the cache's concurrency, not the ERP (the Tryton tests read
real credit and prices).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from distsync.flows.order_terms import TermsCache
from distsync.model.credit import CustomerCredit
from distsync.model.money import Money
from distsync.model.prices import Price
from distsync.testing import FrozenClock


class SlowErp:
    def __init__(self) -> None:
        self.credit_reads = 0
        self.price_reads = 0

    async def read_customer_credit(self, party_ids: Sequence[str]) -> dict[str, CustomerCredit]:
        self.credit_reads += 1
        await asyncio.sleep(0.05)
        usd = Money(amount=Decimal(0), currency="USD")
        return {p: CustomerCredit(party_id=p, currency="USD", exposure=usd) for p in party_ids}

    async def read_sales_prices(self, skus: Sequence[str] | None = None) -> list[Price]:
        self.price_reads += 1
        await asyncio.sleep(0.05)
        price = Money(amount=Decimal("5"), currency="USD")
        return [Price(price_id="list:A", sku="A", price_list="list", unit_price=price,
                      uom="EA", valid_from=date(2026, 1, 1))]  # fmt: skip


async def test_many_requests_during_one_read_share_it_and_the_ttl_renews_it() -> None:
    erp, clock = SlowErp(), FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))
    cache = TermsCache(erp, clock, timedelta(seconds=60))

    await asyncio.gather(*(cache.credit("CUS-1") for _ in range(20)))
    await asyncio.gather(*(cache.list_prices() for _ in range(20)))
    assert (erp.credit_reads, erp.price_reads) == (1, 1)

    clock.advance(61)
    prices = await asyncio.gather(*(cache.list_prices() for _ in range(20)))
    assert erp.price_reads == 2
    assert all(p == {"A": Decimal(5)} for p in prices)


async def test_a_released_order_counts_against_the_cached_exposure_until_the_next_read() -> None:
    erp, clock = SlowErp(), FrozenClock(datetime(2026, 3, 2, tzinfo=UTC))
    cache = TermsCache(erp, clock, timedelta(seconds=60))
    await cache.credit("CUS-1")
    cache.commit("CUS-1", Decimal("40"))
    credit = await cache.credit("CUS-1")
    assert credit is not None
    assert credit.exposure.amount == 40
    clock.advance(61)
    fresh = await cache.credit("CUS-1")
    assert fresh is not None
    assert fresh.exposure.amount == 0
