"""The web-shop simulator against distsync's real webhook route: uvicorn on 127.0.0.1, SQLite."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import uvicorn

from distsync.api.app import create_app
from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.demo.shop_orders import OrderBook, ShopBehaviour
from distsync.demo.shop_sim import ShopSimulator
from distsync.runtime.ports import EventFilter, StoredEvent
from distsync.testing_http import loopback_listener
from tests.integration.x12_partner_files import landscape_data

SECRET = "shop-simulator-secret"
SECRET_VARIABLE = "DISTSYNC_TEST_SHOP_SIM_SECRET"
ORDERS = EventFilter(types=("sales_order.received",))


@dataclass
class Distsync:
    services: Services
    url: str
    database: Path

    async def orders(self) -> list[StoredEvent]:
        return list(reversed(await self.services.backend.list_events(ORDERS)))

    def row_counts(self) -> dict[str, int]:
        """Rows in every table of the SQLite file, read apart from the services."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[Distsync]:
    """distsync's app over uvicorn on 127.0.0.1 with a channel partner ``shop``."""
    data = landscape_data(tmp_path, shop={"kind": "channel", "portal": "shop-admin"})
    data["systems"] = {
        "shop-admin": {
            "type": "http-json",
            "url": "http://127.0.0.1:9/admin",
            "webhook_secret_env": SECRET_VARIABLE,
        }
    }
    services = build(build_landscape(data, base_dir=tmp_path))
    listener = loopback_listener()
    config = uvicorn.Config(create_app(services), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        port = listener.getsockname()[1]
        yield Distsync(services, f"http://127.0.0.1:{port}", Path(data["runtime"]["database"]))
    finally:
        server.should_exit = True
        await task
        listener.close()
        await services.close()


@pytest.fixture
async def distsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Distsync]:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    async with serving(tmp_path) as running:
        yield running


@pytest.fixture
def shop(distsync: Distsync) -> Iterator[ShopSimulator]:
    reply_to = {"url": distsync.url, "attempts": 2, "backoff": 0.05}
    with ShopSimulator("shop", SECRET, reply_to=reply_to) as simulator:
        yield simulator


async def idle(shop: ShopSimulator) -> None:
    """Wait for the shop's sends off the event loop, which must keep serving distsync."""
    assert await asyncio.to_thread(shop.wait_idle)


async def test_a_placed_order_is_accepted_and_stored_once(
    distsync: Distsync, shop: ShopSimulator
) -> None:
    placed = shop.place_order({"WIDGET-1": 2, "GADGET-7": 1})
    await idle(shop)

    (sent,) = shop.sent
    assert (sent.kind, sent.delivered, sent.detail, sent.webhook_id) == (
        "order", True, "HTTP 200", placed.webhook_id,
    )  # fmt: skip
    (stored,) = await distsync.orders()
    envelope = stored.envelope
    assert envelope.idempotency_key == f"shopify:shop:{placed.webhook_id}"
    assert envelope.correlation_id == "so:shop-1001"
    assert envelope.payload["external_order_id"] == str(placed.order_id)
    lines = [(line["item"]["sku"], line["quantity"]["value"]) for line in envelope.payload["lines"]]
    assert lines == [("WIDGET-1", "2"), ("GADGET-7", "1")]
    assert envelope.payload["shipping_charge"]["amount"] == "9.95"


async def test_a_resent_webhook_is_a_duplicate(distsync: Distsync, shop: ShopSimulator) -> None:
    placed = shop.place_order(resend=True)
    await idle(shop)

    assert [(s.kind, s.webhook_id, s.delivered) for s in shop.sent] == [
        ("order", placed.webhook_id, True),
        ("resend", placed.webhook_id, True),
    ]
    assert len(await distsync.orders()) == 1
    assert (await distsync.services.backend.stats()).duplicates == 1


async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    distsync: Distsync, shop: ShopSimulator
) -> None:
    before = distsync.row_counts()

    shop.place_order(bad_signature=True)
    await idle(shop)

    (sent,) = shop.sent
    assert (sent.kind, sent.delivered, sent.attempts, sent.detail) == (
        "forged",
        False,
        1,
        "HTTP 401",
    )
    assert await distsync.orders() == []
    assert distsync.row_counts() == before


async def test_a_stale_update_goes_out_with_an_older_updated_at(
    distsync: Distsync, shop: ShopSimulator
) -> None:
    placed = shop.place_order(stale_update=True)
    await idle(shop)

    assert [(s.topic, s.kind, s.delivered) for s in shop.sent] == [
        ("orders/create", "order", True),
        ("orders/updated", "stale", True),
    ]
    assert shop.sent[1].webhook_id != placed.webhook_id
    first, stale = await distsync.orders()
    assert first.envelope.source_sequence is not None
    assert stale.envelope.source_sequence is not None
    assert stale.envelope.source_sequence < first.envelope.source_sequence


async def test_the_admin_api_records_fulfilments_once_per_idempotency_key(
    distsync: Distsync, shop: ShopSimulator
) -> None:
    placed = shop.place_order({"WIDGET-1": 2})
    await idle(shop)
    fulfilment = {"fulfillment": {
        "order_id": placed.order_id, "tracking_numbers": ["1Z999AA10123456784"],
        "tracking_company": "UPS", "line_items": [{"sku": "WIDGET-1", "quantity": 2}],
    }}  # fmt: skip
    headers = {"Idempotency-Key": "ful-1"}

    async with httpx.AsyncClient(base_url=shop.url) as client:
        first = await client.post(
            "/admin/api/2024-01/fulfillments.json", json=fulfilment, headers=headers
        )
        again = await client.post("/fulfillments", json=fulfilment, headers=headers)
        changed = {"fulfillment": {**fulfilment["fulfillment"], "tracking_numbers": ["other"]}}
        reused = await client.post("/fulfillments", json=changed, headers=headers)
        unknown = {"fulfillment": {**fulfilment["fulfillment"], "order_id": 42}}
        missing = await client.post("/fulfillments", json=unknown)
        log = (await client.get("/log")).json()

    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert again.json() == first.json()
    assert first.json()["fulfillment"]["tracking_numbers"] == ["1Z999AA10123456784"]
    assert (reused.status_code, missing.status_code) == (422, 404)
    (recorded,) = shop.fulfilments
    assert (recorded.id, recorded.order_id) == (
        first.json()["fulfillment"]["id"],
        str(placed.order_id),
    )
    assert (recorded.tracking_numbers, recorded.lines) == (
        ("1Z999AA10123456784",),
        (("WIDGET-1", 2),),
    )
    assert [(r["status"], r["repeated"]) for r in log["received"]] == [
        (201, False), (201, True), (422, False), (404, False),
    ]  # fmt: skip
    assert [s["kind"] for s in log["sent"]] == ["order"]


async def test_the_admin_api_keeps_the_latest_inventory_level(shop: ShopSimulator) -> None:
    async with httpx.AsyncClient(base_url=shop.url) as client:
        first = await client.post(
            "/inventory_levels/set",
            json={"sku": "WIDGET-1", "location_id": "east", "available": 12},
            headers={"Idempotency-Key": "inv-1"},
        )
        again = await client.post(
            "/inventory_levels/set",
            json={"sku": "WIDGET-1", "location_id": "east", "available": 12},
            headers={"Idempotency-Key": "inv-1"},
        )
        later = await client.post(
            "/inventory_levels/set.json",
            json={"inventory_item_id": "WIDGET-1", "location": "east", "available": 7},
        )
        wrong = await client.post("/inventory_levels/set", json={"sku": "WIDGET-1"})
        health = await client.get("/healthz")

    assert (first.status_code, again.status_code, later.status_code) == (200, 200, 200)
    assert again.json() == first.json()
    assert first.json()["inventory_level"]["available"] == 12
    assert wrong.status_code == 422
    assert set(wrong.json()["errors"]) == {"location", "available"}
    assert [(i.sku, i.location, i.available) for i in shop.inventory] == [
        ("WIDGET-1", "east", 12), ("WIDGET-1", "east", 7),
    ]  # fmt: skip
    assert shop.levels == {("WIDGET-1", "east"): 7}
    assert health.json() == {"status": "ok", "role": "shop"}


def test_the_same_seed_writes_the_same_orders() -> None:
    books = [OrderBook(ShopBehaviour(seed=7)) for _ in range(2)]
    other = OrderBook(ShopBehaviour(seed=8))

    first, second = ([book.place() for _ in range(3)] for book in books)
    assert [(p.body, p.webhook_id) for p in first] == [(p.body, p.webhook_id) for p in second]
    assert [p.name for p in first] == ["#1001", "#1002", "#1003"]
    assert other.place().body != first[0].body


def test_it_runs_as_a_process(tmp_path: Path) -> None:
    config = tmp_path / "shop.json"
    config.write_text(json.dumps({
        "partner": "shop", "secret_env": SECRET_VARIABLE, "reply_to": "http://127.0.0.1:9",
    }))  # fmt: skip
    command = [sys.executable, "-m", "distsync.demo.shop_sim", "--port", "0", "--config"]
    env = {"PATH": "", SECRET_VARIABLE: SECRET}
    with subprocess.Popen(
        [*command, str(config)], stdout=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.startswith("shop simulator listening on http://127.0.0.1:")
            health = httpx.get(f"{line.split()[-1]}/healthz")
            assert health.json() == {"status": "ok", "role": "shop"}
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0

    unset = subprocess.run(
        [*command, str(config)], check=False, capture_output=True, text=True, env={}
    )
    assert unset.returncode == 2
    assert SECRET_VARIABLE in unset.stderr


class _FlakyShopEndpoint(BaseHTTPRequestHandler):
    """Stands in for distsync while its store is briefly unavailable: 503 once, then 200.

    A stub, because the real route cannot be made to answer 5xx on demand."""

    answers: list[int]
    seen: list[tuple[str, str | None]]

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, self.headers.get("X-Shopify-Webhook-Id")))
        self.send_response(self.answers.pop(0))
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_a_webhook_answered_5xx_is_retried_with_the_same_id() -> None:
    endpoint = type("Endpoint", (_FlakyShopEndpoint,), {"answers": [503, 200], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    reply_to = {"url": f"http://127.0.0.1:{server.server_address[1]}", "backoff": 0.01}
    try:
        with ShopSimulator("shop", SECRET, reply_to=reply_to) as shop:
            placed = shop.place_order()
            assert shop.wait_idle()
    finally:
        server.shutdown()
        server.server_close()

    (sent,) = shop.sent
    assert (sent.delivered, sent.attempts, sent.detail) == (True, 2, "HTTP 200")
    assert endpoint.seen == [("/v1/webhooks/shopify/shop", placed.webhook_id)] * 2
