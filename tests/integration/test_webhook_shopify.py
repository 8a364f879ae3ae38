"""``POST /v1/webhooks/shopify/{partner}`` over HTTP: uvicorn on 127.0.0.1, a real SQLite file."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from structlog.testing import capture_logs

from distsync.api.webhooks_shopify import shopify_router
from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.formats.shopify import sequence_of
from distsync.runtime.messages import Ack, SubscriptionSpec
from distsync.runtime.ports import EventFilter, StoredEvent
from distsync.testing_http import loopback_listener
from tests.integration.x12_partner_files import landscape_data
from tests.unit.test_shopify_mapper import shopify_order

SECRET = "hush-shop-secret"
SECRET_VARIABLE = "DISTSYNC_TEST_SHOP_WEBHOOK_SECRET"
SHOP = {"kind": "channel", "portal": "shop-admin"}
SHOP_SYSTEM = {
    "type": "http-json",
    "url": "http://127.0.0.1:9/admin",  # never called here: fulfilments are not sent yet
    "webhook_secret_env": SECRET_VARIABLE,
}
ORDERS = EventFilter(types=("sales_order.received",))
SHOP_ORDER_ID = str(shopify_order()["id"])


def signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def order_body(**changes: Any) -> bytes:
    return json.dumps(shopify_order(**changes)).encode()


@dataclass
class Api:
    services: Services
    client: httpx.AsyncClient
    database: Path

    async def post(
        self, body: bytes, *, webhook_id: str = "wh-1", signed: str | None = None
    ) -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Hmac-Sha256": signature(body) if signed is None else signed,
        }
        return await self.client.post("/v1/webhooks/shopify/shop", content=body, headers=headers)

    async def events(self) -> list[StoredEvent]:
        return list(reversed(await self.services.backend.list_events(ORDERS)))

    def row_counts(self) -> dict[str, int]:
        """Rows in every table of the SQLite file, read apart from the services."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@asynccontextmanager
async def serving(data: dict[str, Any], tmp_path: Path) -> AsyncIterator[Api]:
    """The webhook route over uvicorn on 127.0.0.1, on the landscape ``data``."""
    services = build(build_landscape(data, base_dir=tmp_path))
    app = FastAPI()
    app.include_router(shopify_router(services))
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield Api(services, client, Path(data["runtime"]["database"]))
    finally:
        server.should_exit = True
        await task
        listener.close()
        await services.close()


def shop_landscape(tmp_path: Path, system: dict[str, Any] = SHOP_SYSTEM) -> dict[str, Any]:
    return landscape_data(tmp_path, shop=SHOP) | {"systems": {"shop-admin": system}}


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    async with serving(shop_landscape(tmp_path), tmp_path) as running:
        yield running


def assert_problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"], body["partner"]) == (status, error, "shop")
    return body


async def test_a_signed_order_is_stored_once_with_its_keys(api: Api) -> None:
    response = await api.post(order_body(), webhook_id="wh-1")

    assert response.status_code == 200, response.text
    (stored,) = await api.events()
    assert response.json() == {"event_id": stored.envelope.event_id, "duplicate": False}
    envelope = stored.envelope
    assert (envelope.type, envelope.partner, envelope.source_system) == (
        "sales_order.received",
        "shop",
        "partner:shop",
    )
    assert envelope.idempotency_key == "shopify:shop:wh-1"
    assert envelope.partition_key == f"shop:{SHOP_ORDER_ID}"
    assert envelope.correlation_id == "so:shop-1001"
    assert envelope.source_timestamp is not None
    assert envelope.source_sequence == sequence_of(envelope.source_timestamp)
    assert envelope.payload["external_order_id"] == SHOP_ORDER_ID
    assert [line["item"]["sku"] for line in envelope.payload["lines"]] == ["WIDGET-1", "GADGET-7"]


async def test_the_same_webhook_again_is_a_duplicate(api: Api) -> None:
    first = await api.post(order_body(), webhook_id="wh-1")
    again = await api.post(order_body(), webhook_id="wh-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert len(await api.events()) == 1


@pytest.mark.parametrize(
    ("body", "signed", "error"),
    [
        (order_body(), signature(order_body(), "another-secret"), "bad_signature"),
        (order_body(), signature(order_body(note="changed in transit")), "bad_signature"),
        (order_body(), "", "missing_signature"),
        (b"{not json at all", signature(b"{something else}"), "bad_signature"),
    ],
    ids=["wrong-secret", "tampered-body", "unsigned", "forged-garbage"],
)
async def test_a_forged_webhook_is_refused_before_parsing_and_stored_nowhere(
    api: Api, body: bytes, signed: str, error: str
) -> None:
    before = api.row_counts()

    with capture_logs() as logs:
        response = await api.post(body, signed=signed)

    assert_problem(response, 401, error)
    assert "Ada" not in response.text  # nothing of the body comes back
    assert [line["action"] for line in logs] == ["api.shopify_refused"]
    assert not any(body.decode()[:20] in str(value) for value in logs[0].values())
    assert await api.events() == []
    stats = await api.services.backend.stats()
    assert (stats.events, stats.duplicates) == (0, 0)
    assert api.row_counts() == before


async def test_malformed_json_with_a_valid_signature_is_refused_naming_the_problem(
    api: Api,
) -> None:
    response = await api.post(b'{"id": 1, "line_items": [')

    problem = assert_problem(response, 422, "malformed_document")
    assert "not JSON" in problem["detail"]
    assert await api.events() == []


async def test_an_order_that_cannot_be_mapped_is_refused_naming_the_field(api: Api) -> None:
    payload = shopify_order()
    payload["line_items"][0]["sku"] = ""

    response = await api.post(json.dumps(payload).encode())

    problem = assert_problem(response, 422, "schema_violation")
    assert "line_items[0].sku: missing or empty" in problem["detail"]
    assert await api.events() == []


async def test_a_webhook_without_its_id_is_refused(api: Api) -> None:
    response = await api.post(order_body(), webhook_id="")

    assert_problem(response, 400, "missing_webhook_id")
    assert await api.events() == []


async def test_an_unknown_shop_is_not_found(api: Api) -> None:
    body = order_body()
    headers = {"X-Shopify-Hmac-Sha256": signature(body), "X-Shopify-Webhook-Id": "wh-1"}

    response = await api.client.post("/v1/webhooks/shopify/acme", content=body, headers=headers)

    assert response.status_code == 404
    assert response.json()["error"] == "unknown_partner"  # acme is a supplier, not a channel


async def test_a_stale_update_is_stored_but_never_handed_to_a_handler(api: Api) -> None:
    backend = api.services.backend
    await backend.register(SubscriptionSpec("orders-test", ("sales_order.*",), ordered=True))
    newer = await api.post(order_body(updated_at="2026-01-05T15:00:00+00:00"), webhook_id="wh-2")
    (delivery,) = await backend.claim("orders-test", consumer="t", limit=10, lease_seconds=30)
    await backend.settle([Ack(delivery)])

    older = await api.post(order_body(updated_at="2026-01-05T14:40:00+00:00"), webhook_id="wh-1")

    assert (newer.status_code, older.status_code) == (200, 200)
    assert len(await api.events()) == 2
    assert await backend.claim("orders-test", consumer="t", limit=10, lease_seconds=30) == []
    (subscription,) = [s for s in (await backend.stats()).subscriptions if s.name == "orders-test"]
    assert (subscription.acked, subscription.skipped_stale) == (1, 1)


async def test_the_secret_may_come_from_a_file_and_the_body_is_size_limited(
    tmp_path: Path,
) -> None:
    secret_file = tmp_path / "shop-webhook.secret"
    secret_file.write_text(f"{SECRET}\n", encoding="utf-8")
    system = {"type": "http-json", "url": "http://127.0.0.1:9/admin"}
    data = shop_landscape(tmp_path, system | {"webhook_secret_file": str(secret_file)})
    data["runtime"]["max_payload_bytes"] = 4096
    async with serving(data, tmp_path) as api:
        taken = await api.post(order_body())
        too_large = await api.post(order_body(note="x" * 5000), webhook_id="wh-2")

        assert taken.status_code == 200, taken.text
        assert_problem(too_large, 413, "payload_too_large")
        assert len(await api.events()) == 1
