"""``POST /v1/inbound/{partner}/{document_type}`` over HTTP: uvicorn on 127.0.0.1, SQLite file."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from distsync.api.auth import OpenAuthenticator
from distsync.api.inbound import inbound_router
from distsync.api.inbound_json import inbound_json_router
from distsync.bootstrap import Services, build
from distsync.model.base import Document
from distsync.model.examples import (
    example_asn,
    example_inventory_adjustment,
    example_inventory_snapshot,
    example_invoice,
    example_po_ack,
    example_receipt,
    example_sales_order,
    example_shipment_confirmation,
    variant,
)
from distsync.runtime.ports import EventFilter, StoredEvent
from distsync.testing_http import loopback_listener
from tests.integration.problem_answers import assert_problem
from tests.integration.x12_partner_files import landscape

DOCUMENTS = EventFilter(
    types=(
        "po_ack.received", "asn.received", "invoice.received", "receipt.recorded",
        "sales_order.received", "shipment.confirmed", "inventory.snapshot_received",
        "inventory.adjusted",
    )
)  # fmt: skip
GLOBEX = {
    "kind": "supplier",
    "party_id": "SUP-GLOBEX",
    "sends": ["json-po_ack", "json-asn", "json-invoice"],
}
EAST = {
    "kind": "warehouse",
    "sends": [
        "json-receipt", "json-shipment_confirmation", "json-inventory_snapshot",
        "json-inventory_adjustment",
    ],
}  # fmt: skip
BLUEBIRD = {"kind": "customer", "party_id": "CUS-1042", "sends": ["json-sales_order"]}
PO = example_po_ack().po_number
ROUTE = "/v1/inbound/{partner}/{document_type}"


@dataclass
class Api:
    services: Services
    client: httpx.AsyncClient

    async def post(self, partner: str, document_type: str, body: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        path = f"/v1/inbound/{partner}/{document_type}"
        return await self.client.post(path, content=body, headers=headers)

    async def events(self) -> list[StoredEvent]:
        return list(reversed(await self.services.backend.list_events(DOCUMENTS)))


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    services = build(landscape(tmp_path, globex=GLOBEX, east=EAST, bluebird=BLUEBIRD))
    app = FastAPI()  # the inbound routes in api/app.py's order: X12 first, then JSON
    app.state.authenticator = OpenAuthenticator()  # no security section: open
    app.include_router(inbound_router(services))
    app.include_router(inbound_json_router(services))
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield Api(services, client)
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await services.close()


def as_json(document: Document) -> bytes:
    return document.model_dump_json().encode()


def content_hash(document: Document) -> str:
    canonical = orjson.dumps(document.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()[:16]


async def test_an_acknowledgement_is_appended_with_the_partners_keys(api: Api) -> None:
    ack = example_po_ack()
    response = await api.post("globex", "po_ack", as_json(ack))

    assert response.status_code == 202
    (stored,) = await api.events()
    assert response.json() == {"event_id": stored.envelope.event_id, "duplicate": False}
    envelope = stored.envelope
    assert (envelope.type, envelope.source_system, envelope.partner) == (
        "po_ack.received",
        "partner:globex",
        "globex",
    )
    assert (envelope.partition_key, envelope.correlation_id) == (PO, f"po:{PO}")
    assert envelope.idempotency_key == f"json:globex:po_ack:{PO}:{content_hash(ack)}"
    assert envelope.payload == ack.model_dump(mode="json")


@pytest.mark.parametrize(
    ("partner", "document_type", "document", "event_type"),
    [
        ("globex", "asn", example_asn(), "asn.received"),
        ("globex", "invoice", example_invoice(), "invoice.received"),
        ("east", "receipt", example_receipt(), "receipt.recorded"),
    ],
)
async def test_each_document_type_becomes_its_event(
    api: Api, partner: str, document_type: str, document: Document, event_type: str
) -> None:
    response = await api.post(partner, document_type, as_json(document))

    assert response.status_code == 202, response.text
    (stored,) = await api.events()
    assert stored.envelope.type == event_type
    assert stored.envelope.correlation_id == f"po:{PO}"
    number = document.document_number()
    assert stored.envelope.idempotency_key.startswith(f"json:{partner}:{document_type}:{number}:")


@pytest.mark.parametrize(
    ("document_type", "document", "event_type"),
    [
        ("shipment_confirmation", example_shipment_confirmation(), "shipment.confirmed"),
        ("inventory_snapshot", example_inventory_snapshot(), "inventory.snapshot_received"),
        ("inventory_adjustment", example_inventory_adjustment(), "inventory.adjusted"),
    ],
)
async def test_a_warehouse_api_sends_what_a_945_846_and_947_would(
    api: Api, document_type: str, document: Document, event_type: str
) -> None:
    response = await api.post("east", document_type, as_json(document))

    assert response.status_code == 202, response.text
    (stored,) = await api.events()
    assert stored.envelope.type == event_type
    assert stored.envelope.payload == document.model_dump(mode="json")


async def test_a_customer_places_a_sales_order_through_the_generic_json_api(api: Api) -> None:
    order = example_sales_order()
    response = await api.post("bluebird", "sales_order", as_json(order))

    assert response.status_code == 202, response.text
    (stored,) = await api.events()
    assert stored.envelope.type == "sales_order.received"
    assert stored.envelope.partner == "bluebird"
    assert stored.envelope.payload["order_number"] == order.order_number


async def test_the_same_document_again_is_a_duplicate_however_it_is_formatted(api: Api) -> None:
    ack = example_po_ack()
    first = await api.post("globex", "po_ack", as_json(ack))
    reordered = dict(reversed(list(ack.model_dump(mode="json").items())))
    again = await api.post("globex", "po_ack", json.dumps(reordered, indent=2).encode())

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert len(await api.events()) == 1


async def test_a_changed_document_under_the_same_number_is_a_new_event(api: Api) -> None:
    ack = example_po_ack()
    changed = variant(ack, {"lines.1.changed_quantity.value": "4"})
    first = await api.post("globex", "po_ack", as_json(ack))
    second = await api.post("globex", "po_ack", as_json(changed))

    assert second.status_code == 202
    assert second.json()["duplicate"] is False
    assert second.json()["event_id"] != first.json()["event_id"]
    stored = await api.events()
    assert [e.envelope.payload["lines"][1]["changed_quantity"]["value"] for e in stored] == [
        "5",
        "4",
    ]
    assert len({e.envelope.idempotency_key for e in stored}) == 2


async def test_an_unknown_partner_is_404_and_nothing_is_stored(api: Api) -> None:
    response = await api.post("initech", "po_ack", as_json(example_po_ack()))

    body = assert_problem(response, 404, "unknown_partner")
    assert "no partner 'initech'" in body["detail"]
    assert await api.events() == []


async def test_a_document_the_partner_does_not_declare_is_403(api: Api) -> None:
    response = await api.post("globex", "receipt", as_json(example_receipt()))
    x12_only = await api.post("acme", "asn", as_json(example_asn()))

    body = assert_problem(response, 403, "not_declared")
    assert "globex is not declared to send json-receipt" in body["detail"]
    assert "json-po_ack, json-asn, json-invoice" in body["detail"]
    assert "x12-856" in assert_problem(x12_only, 403, "not_declared")["detail"]
    assert await api.events() == []


async def test_a_document_type_not_taken_as_json_is_404(api: Api) -> None:
    response = await api.post("globex", "purchase_order", b"{}")

    body = assert_problem(response, 404, "unknown_document_type")
    assert "po_ack, asn, invoice, receipt, sales_order" in body["detail"]
    assert await api.events() == []


async def test_an_invalid_field_is_422_naming_the_document_and_the_field(api: Api) -> None:
    data = example_po_ack().model_dump(mode="json")
    data["lines"][1]["changed_quantity"]["value"] = 4.5  # a float: amounts travel as text
    response = await api.post("globex", "po_ack", json.dumps(data).encode())

    body = assert_problem(response, 422, "schema_violation")
    assert PO in body["detail"]
    assert "lines.1.changed_quantity.value" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["lines.1.changed_quantity.value"]
    assert await api.events() == []


async def test_bytes_that_are_not_json_are_422(api: Api) -> None:
    response = await api.post("globex", "asn", b'{"asn_number": "ASN-1",')

    body = assert_problem(response, 422, "malformed_document")
    assert "not JSON" in body["detail"]
    assert await api.events() == []


async def test_a_body_over_the_payload_limit_is_413(api: Api) -> None:
    limit = api.services.landscape.runtime.max_payload_bytes
    response = await api.post("globex", "po_ack", as_json(example_po_ack()) + b" " * limit)

    body = assert_problem(response, 413, "payload_too_large")
    assert "runtime.max_payload_bytes" in body["detail"]
    assert await api.events() == []


async def test_a_chunked_body_over_the_limit_is_413_without_a_length_announced(api: Api) -> None:
    limit = api.services.landscape.runtime.max_payload_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield as_json(example_po_ack())
        for _ in range(limit // 65_536 + 1):
            yield b" " * 65_536

    response = await api.client.post("/v1/inbound/globex/po_ack", content=chunks())

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload_too_large")
    assert await api.events() == []


async def test_the_x12_routes_keep_their_paths(api: Api) -> None:
    response = await api.client.post("/v1/inbound/x12/acme", content=b"not x12")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "malformed_document"


async def test_openapi_describes_the_json_route(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    route = document["paths"][ROUTE]["post"]
    assert "application/json" in route["requestBody"]["content"]
    assert {"202", "403", "404", "413", "422", "503"} <= set(route["responses"])
