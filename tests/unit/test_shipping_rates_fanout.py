"""The rate fan-out's timing and outcomes, with fake carriers (only the asyncio logic is tested).

The carriers here are fakes on purpose: the subject is when ``quote_rates``
stops waiting, whom it cancels and how it reports each carrier. Real
carriers over HTTP are ``tests/integration/test_shipping_rates.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from decimal import Decimal

from distsync.errors import RetryableError
from distsync.flows.shipping_rates import quote_rates
from distsync.model.money import Money
from distsync.model.rates import CarrierOutcome, RateQuote, RateRequest

REQUEST = RateRequest.model_validate(
    {
        "ship_from": {"postal_code": "38118", "country": "US"},
        "ship_to": {"postal_code": "10001", "country": "US"},
        "packages": [{"weight_kg": "2.5"}],
    }
)


class FakeCarrier:
    """Answers ``prices`` (service -> amount) after ``delay`` seconds, or raises ``error``."""

    def __init__(
        self,
        name: str,
        prices: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
        error: Exception | None = None,
    ) -> None:
        self.name, self.prices, self.delay, self.error = name, prices or {}, delay, error
        self.cancelled = False

    async def quote(self, request: RateRequest) -> Sequence[RateQuote]:
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        if self.error is not None:
            raise self.error
        return [
            RateQuote(
                carrier=self.name,
                service=service,
                amount=Money(amount=Decimal(amount), currency="USD"),
                transit_days=2,
            )
            for service, amount in self.prices.items()
        ]


async def test_quotes_of_every_carrier_come_back_cheapest_first() -> None:
    ups = FakeCarrier("ups", {"ground": "13.30", "express": "28.00"})
    fedex = FakeCarrier("fedex", {"saver": "11.90", "priority": "31.00"}, delay=0.02)

    answer = await quote_rates({"ups": ups, "fedex": fedex}, REQUEST, deadline_seconds=2)

    assert [(q.carrier, q.service, q.amount.amount) for q in answer.quotes] == [
        ("fedex", "saver", Decimal("11.90")),
        ("ups", "ground", Decimal("13.30")),
        ("ups", "express", Decimal("28.00")),
        ("fedex", "priority", Decimal("31.00")),
    ]
    assert {name: s.status for name, s in answer.carriers.items()} == {
        "ups": CarrierOutcome.OK,
        "fedex": CarrierOutcome.OK,
    }
    assert answer.carriers["fedex"].elapsed_ms is not None
    assert answer.carriers["fedex"].elapsed_ms >= 15


async def test_a_slow_carrier_is_cancelled_at_the_deadline_and_named_timed_out() -> None:
    fast = FakeCarrier("ups", {"ground": "13.30"})
    slow = FakeCarrier("fedex", {"ground": "9.00"}, delay=30)

    began = time.monotonic()
    answer = await quote_rates({"ups": fast, "fedex": slow}, REQUEST, deadline_seconds=0.2)
    took = time.monotonic() - began

    assert 0.19 <= took < 0.7
    assert [q.carrier for q in answer.quotes] == ["ups"]
    assert answer.carriers["fedex"].status is CarrierOutcome.TIMED_OUT
    assert slow.cancelled


async def test_a_failing_carrier_is_named_with_its_reason_and_the_others_still_answer() -> None:
    carriers = {
        "ups": FakeCarrier("ups", {"ground": "13.30"}),
        "fedex": FakeCarrier("fedex", error=RetryableError("quoting rates at fedex: HTTP 503")),
        "dhl": FakeCarrier("dhl", error=KeyError("service")),
    }

    answer = await quote_rates(carriers, REQUEST, deadline_seconds=2)

    assert [q.carrier for q in answer.quotes] == ["ups"]
    fedex, dhl = answer.carriers["fedex"], answer.carriers["dhl"]
    assert (fedex.status, fedex.reason) == (
        CarrierOutcome.FAILED,
        "quoting rates at fedex: HTTP 503",
    )
    assert dhl.status is CarrierOutcome.FAILED
    assert dhl.reason is not None
    assert "KeyError" in dhl.reason


async def test_a_caller_that_gives_up_cancels_every_carrier() -> None:
    slow = [FakeCarrier(name, delay=30) for name in ("ups", "fedex")]
    asking = asyncio.create_task(
        quote_rates({c.name: c for c in slow}, REQUEST, deadline_seconds=10)
    )
    await asyncio.sleep(0.05)

    asking.cancel()
    await asyncio.gather(asking, return_exceptions=True)

    assert [c.cancelled for c in slow] == [True, True]


async def test_no_carriers_give_an_empty_answer_at_once() -> None:
    began = time.monotonic()
    answer = await quote_rates({}, REQUEST, deadline_seconds=5)

    assert time.monotonic() - began < 1
    assert (answer.quotes, answer.carriers) == ((), {})
