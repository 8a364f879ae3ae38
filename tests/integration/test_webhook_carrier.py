"""``POST /v1/webhooks/carrier/{partner}`` over HTTP: uvicorn on 127.0.0.1, a real SQLite file.

``rlca`` signs its webhooks (its portal system holds the secret); ``slowpost``
has no secret and is taken unsigned. The last test lets the carrier simulator
post a whole journey, shuffled with a late and a duplicated event, to the
real route, and the shipment-status flow fold it.
"""

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from distsync.api.webhooks_carrier import HMAC_HEADER, carrier_webhook_router
from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.flows import logistics
from distsync.flows.logistics_state import load_shipment
from distsync.model.tracking import Milestone
from distsync.runtime.ports import EventFilter, StoredEvent
from distsync.testing_http import loopback_listener
from tests.integration.x12_partner_files import landscape_data

SECRET = "hush-carrier-secret"
SECRET_VARIABLE = "DISTSYNC_TEST_CARRIER_WEBHOOK_SECRET"
NUMBER = "1Z999AA10123456784"
TRACKING = EventFilter(types=("tracking.updated",))
DELIVERED = EventFilter(types=(logistics.DELIVERED_EVENT,))

pytestmark = pytest.mark.asyncio


def signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def update(**changes: Any) -> dict[str, Any]:
    """A tracker update in the common JSON shape: delivered, signed for."""
    return {
        "id": "trk_evt_81",
        "tracking_code": NUMBER,
        "status": "delivered",
        "status_detail": "arrived_at_destination",
        "message": "Delivered, front door",
        "datetime": "2024-05-21T14:02:00Z",
        "location": {"city": "Lyon", "state": "ARA", "zip": "69001", "country": "FR"},
        "signed_by": "M. DUPONT",
    } | changes


def body_of(**changes: Any) -> bytes:
    return json.dumps(update(**changes)).encode()


@dataclass
class Api:
    services: Services
    client: httpx.AsyncClient
    database: Path
    url: str

    async def post(
        self, body: bytes, *, signed: str | None = None, partner: str = "rlca"
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        headers[HMAC_HEADER] = signature(body) if signed is None else signed
        return await self.client.post(
            f"/v1/webhooks/carrier/{partner}", content=body, headers=headers
        )

    async def stored(self, filter: EventFilter = TRACKING) -> list[StoredEvent]:
        return list(reversed(await self.services.backend.list_events(filter)))

    def row_counts(self) -> dict[str, int]:
        """Rows in every table of the SQLite file, read apart from the services."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def carrier_landscape(tmp_path: Path) -> dict[str, Any]:
    data = landscape_data(
        tmp_path,
        rlca={"kind": "carrier", "party_id": "CAR-RLCA", "portal": "rlca-api"},
        slowpost={"kind": "carrier"},
    )
    system = {
        "type": "http-json",
        "url": "http://127.0.0.1:9",
        "webhook_secret_env": SECRET_VARIABLE,
    }
    return data | {"systems": {"rlca-api": system}}


@asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[Api]:
    """The carrier route over uvicorn on 127.0.0.1, with the shipment-status flow wired."""
    landscape = build_landscape(carrier_landscape(tmp_path), base_dir=tmp_path)
    flow = logistics.subscriptions(lambda: datetime.now(UTC))
    services = build(landscape, overrides=Overrides(subscriptions=flow))
    app = FastAPI()
    app.include_router(carrier_webhook_router(services))
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            yield Api(services, client, tmp_path / "var" / "distsync.sqlite", url)
    finally:
        server.should_exit = True
        await task
        listener.close()
        await services.close()


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    async with serving(tmp_path) as running:
        yield running


async def test_a_signed_update_is_stored_as_a_tracking_event_with_its_keys(api: Api) -> None:
    response = await api.post(body_of())

    assert response.status_code == 200, response.text
    (stored,) = await api.stored()
    assert response.json() == {"event_id": stored.envelope.event_id, "duplicate": False}
    envelope = stored.envelope
    assert (envelope.type, envelope.partner) == ("tracking.updated", "rlca")
    assert envelope.idempotency_key == "carrier:rlca:trk_evt_81"
    assert envelope.partition_key == NUMBER
    assert envelope.payload["milestone"] == "delivered"
    assert envelope.payload["carrier"]["party_id"] == "CAR-RLCA"
    assert envelope.payload["proof_of_delivery"]["signed_by"] == "M. DUPONT"


async def test_the_same_event_id_again_is_stored_once(api: Api) -> None:
    first = await api.post(body_of())
    again = await api.post(body_of(message="Delivered (resent)"))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert len(await api.stored()) == 1


@pytest.mark.parametrize(
    ("body", "signed", "error"),
    [
        (body_of(), signature(body_of(), "another-secret"), "bad_signature"),
        (body_of(), signature(body_of(signed_by="SOMEONE ELSE")), "bad_signature"),
        (body_of(), "", "missing_signature"),
        (b"{not json at all", signature(b"{something else}"), "bad_signature"),
    ],
    ids=["wrong-secret", "tampered-body", "unsigned", "forged-garbage"],
)
async def test_a_forged_update_is_refused_and_stored_nowhere(
    api: Api, body: bytes, signed: str, error: str
) -> None:
    before = api.row_counts()

    response = await api.post(body, signed=signed)

    assert response.status_code == 401, response.text
    assert response.json()["error"] == error
    assert "DUPONT" not in response.text
    assert await api.stored() == []
    assert api.row_counts() == before


async def test_a_carrier_without_a_secret_is_taken_unsigned(api: Api) -> None:
    response = await api.post(body_of(), signed="", partner="slowpost")

    assert response.status_code == 200, response.text
    (stored,) = await api.stored()
    assert stored.envelope.idempotency_key == "carrier:slowpost:trk_evt_81"


async def test_an_unknown_partner_and_a_bad_update_are_refused(api: Api) -> None:
    unknown = await api.post(body_of(), partner="acme")
    no_time = await api.post(json.dumps(update() | {"datetime": "yesterday"}).encode())

    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_partner")
    assert (no_time.status_code, no_time.json()["error"]) == (422, "schema_violation")
    assert "datetime" in no_time.json()["detail"]
    assert await api.stored() == []


async def test_an_unknown_status_is_stored_and_parked_by_the_flow(api: Api) -> None:
    response = await api.post(body_of(status="teleported", signed_by=None))
    await api.services.worker("test").drain()

    assert response.status_code == 200, response.text
    (stored,) = await api.stored()
    assert stored.envelope.payload["carrier_status_code"] == "teleported"
    (parked,) = await api.services.backend.exceptions()
    assert parked.reason_code == "unknown_carrier_status"
    assert (parked.facts["source"], parked.facts["status_code"]) == ("tracker", "teleported")


async def test_the_carrier_simulator_journey_ends_delivered_once(api: Api) -> None:
    behaviour = CarrierBehaviour(
        event_interval=0.01,
        shuffle=True,
        late=frozenset({Milestone.PICKED_UP}),
        duplicates=frozenset({Milestone.DELIVERED}),
    )
    # the simulator does not sign: it posts as slowpost, the carrier with no secret
    target = f"{api.url}/v1/webhooks/carrier/slowpost"
    with CarrierSimulator("slowpost", behaviour, reply_to=target) as sim:
        sim.track(NUMBER)
        assert await asyncio.to_thread(sim.wait_idle, 20.0)
        sent = sim.sent
    await api.services.worker("test").drain()

    record = await load_shipment(api.services.backend, NUMBER)
    assert record is not None
    assert record.milestone is Milestone.DELIVERED
    assert record.proof_of_delivery is not None
    assert len(record.history) == len({event.event_id for event in sent})
    assert record.counts["received"] == len(await api.stored())
    assert record.counts["late"] >= 1
    assert len(await api.stored(DELIVERED)) == 1
    assert await api.services.backend.exceptions() == []
