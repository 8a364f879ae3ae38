"""``POST /v1/orders/validate`` over real HTTP through the whole app: the verdict, nothing kept.

The app is ``create_app`` of an order-to-cash landscape on SQLite
(``orders_world.py``; the ERP's credit and price reads are its stand-in),
served by uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from distsync.api.app import create_app
from distsync.testing_http import loopback_listener
from tests.integration.orders_world import EAST, OrdersWorld, order

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[OrdersWorld, httpx.AsyncClient]]:
    world = OrdersWorld.open(tmp_path)
    await world.stock(EAST, {"FAS-100": 10, "FAS-200": 1})
    listener = loopback_listener()
    port = listener.getsockname()[1]
    app = create_app(world.services)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield world, client
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await world.close()


async def validate(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    return await client.post("/v1/orders/validate", json=body)


async def test_a_good_order_is_accepted_and_nothing_is_reserved_or_stored(
    served: tuple[OrdersWorld, httpx.AsyncClient],
) -> None:
    world, client = served
    response = await validate(client, order("SO-V1", [("FAS-100", 4)]).model_dump(mode="json"))
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["decision"] == "accept"
    assert verdict["lines"] == [
        {"line_number": 1, "sku": "FAS-100", "decision": "accept", "reasons": []}
    ]
    assert world.available("FAS-100", EAST) == 10
    assert await world.events("sales_order.received") == []


async def test_the_answer_gives_every_reason_line_by_line(
    served: tuple[OrdersWorld, httpx.AsyncClient],
) -> None:
    world, client = served
    world.terms.customer("CUS-2077", limit="30", exposure="0")
    body = order("SO-V2", [("FAS-100", 4), ("FAS-200", 2)], price={"FAS-100": "6.00"}).model_dump(
        mode="json"
    )
    verdict = (await validate(client, body)).json()
    assert verdict["decision"] == "hold"
    assert [r["code"] for r in verdict["reasons"]] == ["credit_limit"]
    assert [[r["code"] for r in line["reasons"]] for line in verdict["lines"]] == [
        ["price_mismatch"], ["insufficient_stock"],
    ]  # fmt: skip
    assert verdict["lines"][1]["reasons"][0]["figures"] == {"wanted": "2", "available": "1"}


async def test_an_unknown_customer_is_rejected(
    served: tuple[OrdersWorld, httpx.AsyncClient],
) -> None:
    _, client = served
    body = order("SO-V3", [("FAS-100", 1)], customer="CUS-0000").model_dump(mode="json")
    verdict = (await validate(client, body)).json()
    assert verdict["decision"] == "reject"
    assert verdict["reasons"][0]["code"] == "customer_unknown"


async def test_a_malformed_order_is_422_naming_the_field(
    served: tuple[OrdersWorld, httpx.AsyncClient],
) -> None:
    _, client = served
    body = order("SO-V4", [("FAS-100", 1)]).model_dump(mode="json")
    body["lines"][0]["quantity"]["value"] = "-3"
    response = await validate(client, body)
    assert response.status_code == 422
    assert "quantity" in response.text


async def test_credit_and_prices_are_read_from_the_erp_once_within_the_ttl(
    served: tuple[OrdersWorld, httpx.AsyncClient],
) -> None:
    world, client = served
    body = order("SO-V5", [("FAS-100", 1)]).model_dump(mode="json")
    for _ in range(5):
        assert (await validate(client, body)).status_code == 200
    assert world.terms.reads == 2  # one credit read and one price list read
    world.clock.advance(61)
    await validate(client, body)
    assert world.terms.reads == 4
