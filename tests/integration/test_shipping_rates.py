"""``POST /v1/shipping/rates`` over real HTTP, against carrier simulators on 127.0.0.1.

Each carrier is a real ``CarrierSimulator`` (its own HTTP server, in this
process so the test starts in milliseconds), declared as a system of a real
landscape and asked through ``connectors.carrier_rates``. The route is
mounted on its own FastAPI app (``api/app.py`` does not include it yet) and
served by uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from distsync.api.auth import OpenAuthenticator
from distsync.api.shipping_rates import shipping_rates_router
from distsync.config import build_landscape
from distsync.connectors.carrier_rates import carrier_rate_sources
from distsync.demo import carrier_behaviour
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.errors import ConfigError
from distsync.flows.shipping_rates import RateQuoting, ShippingSettings
from distsync.model.rates import RateRequest
from distsync.testing_http import HttpEndpointSimulator, Reply, loopback_listener

NOWHERE = "http://127.0.0.1:9/tracking"  # the carriers send no tracking events here
REQUEST = {
    "ship_from": {"postal_code": "38118", "country": "US"},
    "ship_to": {"postal_code": "10001", "country": "US"},
    "packages": [{"weight_kg": "2.5"}, {"weight_kg": "1.5"}],
}
MARGIN_SECONDS = 0.5


@contextmanager
def carriers(**behaviours: dict[str, Any]) -> Iterator[dict[str, CarrierSimulator]]:
    """One carrier simulator per name, each behaving as given."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(
                CarrierSimulator(name, CarrierBehaviour.from_dict(b), reply_to=NOWHERE)
            )
            for name, b in behaviours.items()
        }


@asynccontextmanager
async def served(urls: Mapping[str, str], deadline_ms: int) -> AsyncIterator[httpx.AsyncClient]:
    """The rates route on 127.0.0.1, asking the carriers at ``urls`` as declared systems."""
    systems = {name: {"type": "http-json", "url": url} for name, url in urls.items()}
    landscape = build_landscape({"systems": systems}, base_dir=Path.cwd())
    settings = ShippingSettings(carriers=tuple(urls), rate_deadline_ms=deadline_ms)
    sources = carrier_rate_sources(landscape.systems, settings.carriers)
    quoting = RateQuoting(sources, settings.deadline_seconds)
    app = FastAPI()
    app.state.authenticator = OpenAuthenticator()  # no security section: open
    app.include_router(shipping_rates_router(quoting))
    listener = loopback_listener()  # listening before uvicorn runs
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await quoting.close()


def priced(sim: CarrierSimulator) -> list[tuple[str, str, Decimal, str, int]]:
    """What the simulator prices the request at, as the route reports it."""
    wire = carrier_behaviour.RateRequest.model_validate(REQUEST)
    return [
        (sim.name, q["service"], Decimal(q["amount"]), q["currency"], q["transit_days"])
        for q in carrier_behaviour.quote(wire, sim.behaviour)
    ]


def reported(body: dict[str, Any]) -> list[tuple[str, str, Decimal, str, int]]:
    return [
        (q["carrier"], q["service"], Decimal(q["amount"]["amount"]), q["amount"]["currency"],
         q["transit_days"])
        for q in body["quotes"]
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_fast_carrier_answers_the_slow_times_out_and_the_down_one_fails() -> None:
    with carriers(
        ups={"rate_latency": 0.02},
        fedex={"rate_latency": 5},
        dhl={"rate_failure": "unavailable"},
    ) as sims:
        async with served({n: s.url for n, s in sims.items()}, deadline_ms=500) as client:
            began = time.monotonic()
            answer = await client.post("/v1/shipping/rates", json=REQUEST)
            took = time.monotonic() - began

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert reported(body) == priced(sims["ups"])
    assert body["carriers"]["ups"]["status"] == "ok"
    assert 19 <= body["carriers"]["ups"]["elapsed_ms"] < 500
    assert body["carriers"]["fedex"] == {"status": "timed_out"}
    assert body["carriers"]["dhl"]["status"] == "failed"
    assert "503" in body["carriers"]["dhl"]["reason"]
    assert "unavailable" in body["carriers"]["dhl"]["reason"]
    assert 0.49 <= took < 0.5 + MARGIN_SECONDS
    assert [len(sims[name].received) for name in ("ups", "dhl")] == [1, 1]  # asked once each


async def test_when_every_carrier_answers_the_quotes_come_cheapest_first_without_waiting() -> None:
    saver = {"saver": {"base": "7.00", "per_kg": "1.00", "transit_days": 3}}
    with carriers(ups={}, fedex={"services": saver, "rate_latency": 0.05}) as sims:
        async with served({n: s.url for n, s in sims.items()}, deadline_ms=3000) as client:
            began = time.monotonic()
            answer = await client.post("/v1/shipping/rates", json=REQUEST)
            took = time.monotonic() - began

    assert answer.status_code == 200, answer.text
    body = answer.json()
    everything = priced(sims["ups"]) + priced(sims["fedex"])
    assert reported(body) == sorted(everything, key=lambda q: (q[3], q[2], q[4]))
    assert {q["carrier"] for q in body["quotes"]} == {"ups", "fedex"}
    assert {name: c["status"] for name, c in body["carriers"].items()} == {
        "ups": "ok",
        "fedex": "ok",
    }
    assert took < 2.0  # well before the 3 s deadline


async def test_a_carrier_that_answers_nonsense_or_does_not_listen_is_failed() -> None:
    with (
        carriers(ups={}) as sims,
        HttpEndpointSimulator(default=Reply.ok({"quotes": "none"}, status=200)) as odd,
    ):
        urls = {"ups": sims["ups"].url, "odd": odd.url, "gone": f"http://127.0.0.1:{free_port()}"}
        async with served(urls, deadline_ms=2000) as client:
            answer = await client.post("/v1/shipping/rates", json=REQUEST)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert reported(body) == priced(sims["ups"])
    assert body["carriers"]["odd"]["status"] == "failed"
    assert "not a rate answer" in body["carriers"]["odd"]["reason"]
    assert odd.requests[0].path == "/rates"
    assert body["carriers"]["gone"]["status"] == "failed"
    assert "gone" in body["carriers"]["gone"]["reason"]


async def test_a_bad_request_is_422_naming_the_field_and_no_carrier_is_asked() -> None:
    float_weight = {**REQUEST, "packages": [{"weight_kg": 2.5}]}
    no_ship_to = {key: value for key, value in REQUEST.items() if key != "ship_to"}
    bad_country = {**REQUEST, "ship_to": {"postal_code": "10001", "country": "usa"}}
    no_parcels = {**REQUEST, "packages": []}
    with carriers(ups={}) as sims:
        async with served({"ups": sims["ups"].url}, deadline_ms=500) as client:
            answers = [
                await client.post("/v1/shipping/rates", json=body)
                for body in (float_weight, no_ship_to, bad_country, no_parcels)
            ]

    assert [a.status_code for a in answers] == [422] * 4
    places = [[item["loc"] for item in a.json()["detail"]] for a in answers]
    assert places == [
        [["body", "packages", 0, "weight_kg"]],
        [["body", "ship_to"]],
        [["body", "ship_to", "country"]],
        [["body", "packages"]],
    ]
    assert "float" in answers[0].json()["detail"][0]["msg"]
    assert sims["ups"].received == []


async def test_the_carrier_gets_the_request_as_sent_with_its_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACME_RATES_TOKEN", "s3cret")
    quotes = [{"service": "next-day", "amount": "41.50", "currency": "EUR", "transit_days": 1}]
    systems = {"acme": {"type": "http-json", "url": "", "token_env": "ACME_RATES_TOKEN"}}
    with HttpEndpointSimulator(default=Reply.ok({"quotes": quotes}, status=200)) as acme:
        systems["acme"]["url"] = acme.url
        landscape = build_landscape({"systems": systems}, base_dir=Path.cwd())
        (source,) = carrier_rate_sources(landscape.systems, ["acme"]).values()
        try:
            (quote,) = await source.quote(RateRequest.model_validate(REQUEST))
        finally:
            await source.close()

    (received,) = acme.requests
    assert (received.method, received.path) == ("POST", "/rates")
    assert received.header("Authorization") == "Bearer s3cret"
    assert json.loads(received.body) == REQUEST
    assert (quote.carrier, quote.service, str(quote.amount)) == ("acme", "next-day", "41.50 EUR")


def test_a_carrier_that_is_no_declared_system_or_has_no_url_is_a_config_error() -> None:
    systems = {"ups": {"type": "http-json", "url": "http://127.0.0.1:9101"}, "fedex": {"type": "x"}}
    landscape = build_landscape({"systems": systems}, base_dir=Path.cwd())

    with pytest.raises(ConfigError, match="dhl"):
        carrier_rate_sources(landscape.systems, ["ups", "dhl"])
    with pytest.raises(ConfigError, match=r"systems\.fedex needs a url"):
        carrier_rate_sources(landscape.systems, ["fedex"])
