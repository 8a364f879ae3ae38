"""A carrier's rating service over HTTP: ``POST {url}/rates``, answered with its quotes.

::

    POST {url}/rates   {"ship_from": {"postal_code", "country"}, "ship_to": {...},
                        "packages": [{"weight_kg": "2.5"}, ...]}
    200                {"carrier", "quotes": [{"service", "amount": "13.30",
                                               "currency", "transit_days"}, ...]}

That is the shape the carrier simulator (``demo/carrier_sim.py``) speaks.
:class:`HttpCarrierRates` is a ``flows.shipping_rates.RateSource``: each
quote names the carrier by its landscape name. HTTP goes through
``transports.http.HttpTransport``, so one client per carrier is made on
first use and reused, and every failure is already in the taxonomy (5xx →
``RetryableError``, refused connection → ``NotConnected``, 4xx →
``Rejected``); an answer of another shape is ``MalformedDocument``.

:func:`carrier_rate_sources` builds one per carrier the landscape names
from its declared system (``systems.<name>``: ``url``, ``timeout_seconds``,
``token_env`` or ``token_file``, read on the first call). The system's own
``type`` (``http-json``) is what ``distsync check`` validates it as.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from pydantic import BaseModel, ConfigDict, ValidationError

from distsync.config import SystemConfig
from distsync.config_policy import DEFAULT_TIMEOUT_SECONDS
from distsync.errors import ConfigError, MalformedDocument
from distsync.model.base import DecimalValue
from distsync.model.money import Money
from distsync.model.rates import RateQuote, RateRequest
from distsync.transports.http import HttpTransport

__all__ = ["HttpCarrierRates", "carrier_rate_sources"]

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class _WireQuote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    service: str
    amount: DecimalValue
    currency: str
    transit_days: int | None = None


class _WireAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    quotes: list[_WireQuote]


class HttpCarrierRates:
    """Quotes from one carrier's ``POST {url}/rates`` (see the module docstring)."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.name = name
        self.url = url.rstrip("/") + "/rates"
        self._timeout_seconds = timeout_seconds
        self._token = token
        self._transport: HttpTransport | None = None

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        action = f"quoting rates at {self.name}"
        answer = await self._connected().post(
            request.model_dump_json().encode(), headers=JSON_HEADERS, action=action
        )
        return self._quotes(action, answer.body)

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.close()

    def _connected(self) -> HttpTransport:
        if self._transport is None:
            token = self._token() if self._token is not None else None
            self._transport = HttpTransport(
                self.url, timeout_seconds=self._timeout_seconds, token=token
            )
        return self._transport

    def _quotes(self, action: str, body: bytes) -> list[RateQuote]:
        try:
            wire = _WireAnswer.model_validate_json(body)
            return [
                RateQuote(
                    carrier=self.name,
                    service=q.service,
                    amount=Money(amount=q.amount, currency=q.currency),
                    transit_days=q.transit_days,
                )
                for q in wire.quotes
            ]
        except ValidationError as exc:
            raise MalformedDocument(f"{action}: not a rate answer: {_first_error(exc)}") from exc


def carrier_rate_sources(
    systems: Mapping[str, SystemConfig], carriers: Sequence[str]
) -> dict[str, HttpCarrierRates]:
    """One rate source per carrier named, from its declared system; ``ConfigError`` if unusable."""
    return {name: _source(name, systems.get(name)) for name in carriers}


def _source(name: str, system: SystemConfig | None) -> HttpCarrierRates:
    if system is None:
        raise ConfigError(f"flows.shipping.carriers names {name}, which systems does not declare")
    if system.url is None:
        raise ConfigError(f"systems.{name} needs a url: flows.shipping asks it for rates")
    has_token = "token_env" in system.secret_env or "token_file" in system.secret_files
    return HttpCarrierRates(
        name,
        system.url,
        timeout_seconds=system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
        token=partial(system.secret, "token") if has_token else None,
    )


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(answer)"
    return f"{where}: {first['msg']}"
