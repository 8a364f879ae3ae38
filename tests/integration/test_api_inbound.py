"""``POST /v1/inbound/x12`` over real HTTP: a uvicorn server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from distsync.api.app import create_app
from distsync.bootstrap import Services, build
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.model.examples import example_asn, example_invoice, example_po_ack
from distsync.runtime.ports import EventFilter
from distsync.testing_http import loopback_listener
from tests.integration.x12_partner_files import (
    group_text,
    interchange,
    landscape,
    set_text,
    two_po_asn,
)

DOCUMENTS = EventFilter(types=("po_ack.received", "asn.received", "invoice.received"))


@dataclass
class Api:
    services: Services
    client: httpx.AsyncClient

    async def post(self, data: bytes, path: str = "/v1/inbound/x12") -> httpx.Response:
        headers = {"Content-Type": "application/edi-x12"}
        return await self.client.post(path, content=data, headers=headers)

    async def documents(self) -> list[str]:
        events = await self.services.backend.list_events(DOCUMENTS)
        return [e.envelope.idempotency_key for e in reversed(events)]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    services = build(landscape(tmp_path))
    app = create_app(services)
    listener = loopback_listener()  # listening before uvicorn runs
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield Api(services, client)
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await services.close()


def acme_file(asn_set: str | None = None) -> bytes:
    ships = [set_text("856", 2, example_asn()), asn_set or set_text("856", 3, two_po_asn())]
    return interchange(
        17,
        [
            group_text("PR", 41, [set_text("855", 1, example_po_ack())]),
            group_text("SH", 42, ships),
            group_text("IN", 43, [set_text("810", 4, example_invoice())]),
        ],
    )


async def test_an_interchange_is_accepted_with_its_997_in_the_answer(api: Api) -> None:
    response = await api.post(acme_file())

    assert response.status_code == 202
    assert response.headers["content-type"] == "application/edi-x12"
    assert response.headers["x-distsync-appended"] == "4"
    assert response.headers["x-distsync-rejected"] == ""
    acks = read_acknowledgements(response.content)
    assert [(a.group_control, a.group_status) for a in acks] == [
        ("41", "A"),
        ("42", "A"),
        ("43", "A"),
    ]
    assert len(await api.documents()) == 4


async def test_the_same_interchange_again_is_200_with_the_same_997_and_nothing_new(
    api: Api,
) -> None:
    first = await api.post(acme_file())
    again = await api.post(acme_file(), "/v1/inbound/x12/acme")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.content == first.content
    assert (again.headers["x-distsync-appended"], again.headers["x-distsync-duplicates"]) == (
        "0",
        "4",
    )
    assert len(await api.documents()) == 4


async def test_one_broken_set_is_named_and_the_others_are_appended(api: Api) -> None:
    broken = set_text("856", 3, two_po_asn()).replace("SN1**5*CA", "SN1**0*CA")  # nothing shipped
    response = await api.post(acme_file(broken))

    assert response.status_code == 202
    assert response.headers["x-distsync-rejected"] == "000000017/42/0003"
    ship_notices = next(
        a for a in read_acknowledgements(response.content) if a.group_control == "42"
    )
    assert [(s.control, s.status) for s in ship_notices.sets] == [("0002", "A"), ("0003", "R")]
    assert [key.split(":")[-1] for key in await api.documents()] == [
        "PO-2024-00117",
        "ASN-88120",
        "INV-55012",
    ]


async def test_a_file_whose_every_set_is_rejected_is_200_with_the_997_saying_why(
    api: Api,
) -> None:
    broken = set_text("856", 3, two_po_asn()).replace("SN1**5*CA", "SN1**0*CA")
    response = await api.post(interchange(18, [group_text("SH", 44, [broken])]))

    assert response.status_code == 200
    (ack,) = read_acknowledgements(response.content)
    assert (ack.group_status, ack.sets[0].status) == ("R", "R")
    assert await api.documents() == []


async def test_bytes_that_are_not_x12_are_400_with_the_place(api: Api) -> None:
    response = await api.post(b"\n\nUNB+UNOC:3+ACME+NORTHWIND'")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "malformed_document"
    assert "reading at byte 2: expected an ISA segment" in body["detail"]
    assert await api.documents() == []


async def test_an_interchange_with_a_broken_trailer_is_400_with_located_problems(
    api: Api,
) -> None:
    response = await api.post(acme_file().replace(b"IEA*3*000000017", b"IEA*2*000000017"))

    assert response.status_code == 400
    (problem,) = response.json()["problems"]
    assert problem["code"] == "group_count_mismatch"
    assert problem["location"]["segment_tag"] == "IEA"
    assert problem["location"]["byte_offset"] > 0
    assert await api.documents() == []


async def test_a_stranger_or_the_wrong_partner_in_the_path_is_refused(api: Api) -> None:
    stranger = await api.post(acme_file().replace(b"ZZ*ACME     ", b"ZZ*STRANGER "))
    wrong = await api.post(acme_file(), "/v1/inbound/x12/eastwms")
    nobody = await api.post(acme_file(), "/v1/inbound/x12/nobody")

    assert stranger.status_code == 400
    (problem,) = stranger.json()["problems"]
    assert (problem["code"], problem["location"]["element_position"]) == ("unknown_sender", 6)
    assert wrong.status_code == 400
    assert wrong.json()["problems"][0]["code"] == "wrong_sender"
    assert (nobody.status_code, nobody.json()["error"]) == (404, "unknown_partner")
    assert await api.documents() == []


async def test_a_body_over_the_payload_limit_is_413(api: Api) -> None:
    limit = api.services.landscape.runtime.max_payload_bytes
    response = await api.post(acme_file() + b" " * limit)

    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_openapi_describes_the_inbound_routes(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    route = document["paths"]["/v1/inbound/x12/{partner}"]["post"]
    assert "application/edi-x12" in route["requestBody"]["content"]
    assert {"200", "202", "400", "404", "413", "503"} <= set(route["responses"])
