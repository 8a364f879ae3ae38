"""Shipping rates from every carrier at once, within a deadline: what arrived, and who did not.

A checkout waits for its shipping options, so :func:`quote_rates` asks every
carrier concurrently (one task each), waits at most ``deadline_seconds``,
cancels whoever is still working and answers with what it has. Each
carrier's outcome is reported on its own: ``ok`` (with its quotes and how
long it took), ``timed_out`` (no answer before the deadline) or ``failed``
(the error it raised, in one line). One carrier's failure never fails the
answer; the quotes that did arrive are sorted cheapest first (by currency,
then amount, then transit days).

A carrier is a :class:`RateSource`: one async method. ``bootstrap`` builds
them (``connectors.carrier_rates``) and hands them over in a
:class:`RateQuoting`, which the API route calls and ``Services.close``
closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from distsync.errors import DistsyncError
from distsync.model.rates import CarrierOutcome, CarrierStatus, RateAnswer, RateQuote, RateRequest
from distsync.telemetry import get_logger

__all__ = [
    "DEFAULT_RATE_DEADLINE_MS",
    "RateQuoting",
    "RateSource",
    "ShippingSettings",
    "quote_rates",
]

DEFAULT_RATE_DEADLINE_MS = 800
CANCEL_GRACE_SECONDS = 0.1
MAX_REASON_CHARS = 300
log = get_logger(component="flows.shipping_rates")

_Asked = tuple[CarrierStatus, Sequence[RateQuote]]
_TIMED_OUT: _Asked = (CarrierStatus(status=CarrierOutcome.TIMED_OUT), ())


class RateSource(Protocol):
    """One carrier's rating service.

    ``quote`` returns the carrier's quotes for ``request`` (any order) or
    raises one of :mod:`distsync.errors`, its message naming the carrier and
    what went wrong. It must give up promptly when its task is cancelled:
    :func:`quote_rates` cancels it at the deadline.
    """

    async def quote(self, request: RateRequest) -> Sequence[RateQuote]: ...


@runtime_checkable
class _Closable(Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True)
class ShippingSettings:
    """The landscape's ``flows.shipping``: the carriers asked (system names) and the deadline."""

    carriers: tuple[str, ...] = ()
    rate_deadline_ms: int = DEFAULT_RATE_DEADLINE_MS

    @property
    def deadline_seconds(self) -> float:
        return self.rate_deadline_ms / 1000


@dataclass(frozen=True)
class RateQuoting:
    """The carriers to ask, by name, and how long a checkout waits for them."""

    sources: Mapping[str, RateSource] = field(default_factory=dict)
    deadline_seconds: float = DEFAULT_RATE_DEADLINE_MS / 1000

    async def quote(self, request: RateRequest) -> RateAnswer:
        return await quote_rates(self.sources, request, self.deadline_seconds)

    async def close(self) -> None:
        """Close the sources that hold a connection (``HttpCarrierRates`` holds a client)."""
        for source in self.sources.values():
            if isinstance(source, _Closable):
                await source.close()


async def quote_rates(
    carriers: Mapping[str, RateSource], request: RateRequest, deadline_seconds: float
) -> RateAnswer:
    """Ask every carrier at once; after ``deadline_seconds`` answer with what arrived."""
    started = asyncio.get_running_loop().time()
    tasks = {
        name: asyncio.create_task(_ask(name, source, request, started), name=f"rates:{name}")
        for name, source in carriers.items()
    }
    try:
        if tasks:
            await asyncio.wait(tasks.values(), timeout=deadline_seconds)
    finally:
        late = {name for name, task in tasks.items() if not task.done()}
        await _cancel([tasks[name] for name in late])
    asked = {name: _TIMED_OUT if name in late else task.result() for name, task in tasks.items()}
    _log_outcomes(asked, deadline_seconds)
    return RateAnswer(
        quotes=tuple(sorted((q for _, got in asked.values() for q in got), key=_cheapest)),
        carriers={name: status for name, (status, _) in asked.items()},
    )


async def _ask(name: str, source: RateSource, request: RateRequest, started: float) -> _Asked:
    try:
        quotes = tuple(await source.quote(request))
    except DistsyncError as exc:
        return _failed(started, str(exc)), ()
    except Exception as exc:  # a bug in one carrier's source must not lose the others' quotes
        log.exception("rate source raised", action="shipping.rates_bug", carrier=name)
        return _failed(started, f"unexpected {type(exc).__name__}: {exc}"), ()
    return CarrierStatus(status=CarrierOutcome.OK, elapsed_ms=_ms_since(started)), quotes


async def _cancel(late: Sequence[asyncio.Task[_Asked]]) -> None:
    """Cancel the late tasks and give them a moment to let go of their connections."""
    for task in late:
        task.cancel()
    if late:
        await asyncio.wait(late, timeout=CANCEL_GRACE_SECONDS)


def _failed(started: float, reason: str) -> CarrierStatus:
    line = " ".join(reason.split()) or "no reason given"
    if len(line) > MAX_REASON_CHARS:
        line = line[: MAX_REASON_CHARS - 3] + "..."
    return CarrierStatus(status=CarrierOutcome.FAILED, elapsed_ms=_ms_since(started), reason=line)


def _ms_since(started: float) -> int:
    return max(0, round((asyncio.get_running_loop().time() - started) * 1000))


def _cheapest(quote: RateQuote) -> tuple[str, Decimal, int, str, str]:
    days = quote.transit_days if quote.transit_days is not None else 10_000
    return quote.amount.currency, quote.amount.amount, days, quote.carrier, quote.service


def _log_outcomes(asked: Mapping[str, _Asked], deadline_seconds: float) -> None:
    for name, (status, _) in asked.items():
        if status.status is CarrierOutcome.TIMED_OUT:
            log.warning(
                "carrier gave no rates in time",
                action="shipping.rates_timed_out",
                carrier=name,
                deadline_seconds=deadline_seconds,
            )
        elif status.status is CarrierOutcome.FAILED:
            log.warning(
                "carrier gave no rates",
                action="shipping.rates_failed",
                carrier=name,
                reason=status.reason,
            )
