"""``GET /v1/availability`` over real HTTP: the inventory flow's book as JSON.

The router is mounted on its own FastAPI app (``create_app`` mounts it too,
when the services have an inventory flow) and served by uvicorn on
127.0.0.1; the book is fed through the real worker on a SQLite file, as in
``test_inventory_flow.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from distsync.api.auth import OpenAuthenticator
from distsync.api.availability import availability_router
from distsync.rules.atp import SafetyStock
from distsync.testing_http import loopback_listener
from tests.integration.test_inventory_flow import (
    EAST,
    SKU,
    WEST,
    World,
    adjustment,
    reservation,
    snapshot,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[World, httpx.AsyncClient]]:
    world = World(tmp_path, SafetyStock(default=Decimal(2)))
    app = FastAPI()
    app.state.authenticator = OpenAuthenticator()  # no security section: open
    app.include_router(availability_router(world.flow))
    listener = loopback_listener()  # listening before uvicorn runs
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield world, client
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await world.services.close()


async def availability(client: httpx.AsyncClient, **params: str) -> Any:
    answer = await client.get("/v1/availability", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def figures(entry: dict[str, Any]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in entry.items() if key != "warehouse_id"}


async def test_each_warehouse_and_the_network_total_come_back(
    served: tuple[World, httpx.AsyncClient],
) -> None:
    world, client = served
    await world.receive(snapshot(1, EAST, 40, 0), snapshot(1, WEST, 12, 0))
    await world.receive(adjustment(1, EAST, -10, 1), reservation(1, WEST, 4, 2))

    body = await availability(client, sku=SKU)

    assert body["sku"] == SKU
    assert [entry["warehouse_id"] for entry in body["warehouses"]] == [EAST, WEST]
    east, west = (figures(entry) for entry in body["warehouses"])
    assert east == {
        "on_hand": 30,
        "reserved": 0,
        "safety_stock": 2,
        "inbound": 0,
        "available": 28,
    }
    assert (west["on_hand"], west["reserved"], west["available"]) == (12, 4, 6)
    assert Decimal(body["network_available"]) == 34


async def test_one_warehouse_narrows_the_list_but_not_the_network_total(
    served: tuple[World, httpx.AsyncClient],
) -> None:
    world, client = served
    await world.receive(snapshot(1, EAST, 40, 0), snapshot(1, WEST, 12, 0))

    body = await availability(client, sku=SKU, warehouse=WEST)

    assert [entry["warehouse_id"] for entry in body["warehouses"]] == [WEST]
    assert Decimal(body["warehouses"][0]["available"]) == 10
    assert Decimal(body["network_available"]) == 38 + 10


async def test_an_unknown_item_or_warehouse_is_404(
    served: tuple[World, httpx.AsyncClient],
) -> None:
    world, client = served
    await world.receive(snapshot(1, EAST, 40, 0))

    unknown = await client.get("/v1/availability", params={"sku": "NO-SUCH-SKU"})
    assert unknown.status_code == 404
    assert "NO-SUCH-SKU" in unknown.json()["detail"]
    elsewhere = await client.get("/v1/availability", params={"sku": SKU, "warehouse": WEST})
    assert elsewhere.status_code == 404
    missing = await client.get("/v1/availability")
    assert missing.status_code == 422
