"""A landscape with two suppliers, its ops records, and the ops API served on 127.0.0.1.

The services come from ``bootstrap.build`` on a real SQLite file. Dead
letters and exceptions are made as a worker makes them: a subscription
claims the partners' messages and settles them as failed (a dead letter,
whose error text quotes a registered secret) or parked (an exception that
offers ``map_sku``).

Requests authenticate with fixed bearer strings (:data:`PRINCIPALS`): real
token verification is tested elsewhere (``test_api_auth.py``); these tests
are about the routes' authorization decisions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from distsync.api.principal import (
    ADMIN,
    INBOUND_WRITE,
    OPS_READ,
    OPS_REPLAY,
    SYNC_READ,
    Forbidden,
    Principal,
    Unauthenticated,
)
from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.model.envelope import Envelope
from distsync.redaction import register_secret
from distsync.runtime.ports import Ack, DeadLetter, Delivery, ErrorInfo, Park, SubscriptionSpec
from distsync.testing import make_envelope
from distsync.testing_http import loopback_listener

FLOW = SubscriptionSpec("ops-test", ("stock.*",))
SECRET = "s3cr3t-globex-edi-token"
SECRET_VARIABLE = "GLOBEX_EDI_TOKEN"
PARTNER_SCOPES = frozenset({INBOUND_WRITE, SYNC_READ, OPS_READ, OPS_REPLAY})
PRINCIPALS = {
    "ops": Principal("ops-console", frozenset({OPS_READ, OPS_REPLAY})),
    "reader": Principal("auditor", frozenset({OPS_READ})),
    "admin": Principal("root", frozenset({ADMIN})),
    "acme": Principal("acme-client", PARTNER_SCOPES, partner="acme"),
    "globex": Principal("globex-client", PARTNER_SCOPES, partner="globex"),
    "bluebird": Principal("bluebird-shop", PARTNER_SCOPES, partner="bluebird"),
}
PARTNERS: dict[str, Any] = {
    "acme": {
        "kind": "supplier",
        "x12": {"qualifier": "ZZ", "id": "ACME"},
        "sends": ["x12-856", "json-asn"],
        "receives": ["x12-850"],
    },
    "globex": {
        "kind": "supplier",
        "party_id": "SUP-GLOBEX",
        "x12": {"qualifier": "ZZ", "id": "GLOBEX"},
        "sends": ["x12-856", "json-asn"],
        "channel": {
            "transport": "http",
            "url": "http://northwind:inline-pass@127.0.0.1:9/edi/in",
            "token_env": SECRET_VARIABLE,
        },
    },
}


class TokenTable:
    """Maps ``Authorization: Bearer <name>`` to the principal of that name; else 401."""

    async def authenticate(self, request: Request) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = PRINCIPALS.get(token) if scheme.lower() == "bearer" else None
        if found is None:
            raise Unauthenticated("no known bearer token")
        return found


def install_auth(app: FastAPI) -> None:
    """The test authenticator, and stand-ins for api/problems.py's 401 and 403 handlers."""
    app.state.authenticator = TokenTable()

    async def unauthenticated(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)

    async def forbidden(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": getattr(exc, "code", "forbidden")}, status_code=403)

    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)


def landscape_data(tmp_path: Path) -> dict[str, Any]:
    return {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "partners": PARTNERS,
    }


@dataclass
class Records:
    """The ops records made for each partner: event ids, dead letter ids, exception ids."""

    events: dict[str, list[str]] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    exceptions: dict[str, int] = field(default_factory=dict)


async def make_records(services: Services) -> Records:
    """Per partner: one message handled, one dead-lettered, one parked."""
    backend, records = services.backend, Records()
    register_secret(SECRET)
    await backend.register(FLOW)
    for partner in ("acme", "globex"):
        sent = [stock_event(partner, n) for n in range(3)]
        await backend.append(sent)
        records.events[partner] = [e.event_id for e in sent]
        await _settle(services, partner)
    for record in await backend.dead_letters():
        records.dead_letters[record.event.envelope.partner or ""] = record.id
    for parked in await backend.exceptions():
        records.exceptions[parked.event.envelope.partner or ""] = parked.id
    return records


def stock_event(partner: str, n: int) -> Envelope:
    return make_envelope(
        "stock.counted",
        partner=partner,
        partition=f"{partner}-{n}",
        correlation_id=f"{partner}-count-{n}",
        payload={"sku": f"{partner.upper()}-{n}", "quantity": n},
    )


async def _settle(services: Services, partner: str) -> None:
    claimed: list[Delivery] = []
    for _ in range(10):  # a claim may hand out fewer than asked; the three are there
        claimed += await services.backend.claim(
            FLOW.name, consumer="test", limit=3 - len(claimed), lease_seconds=30
        )
        if len(claimed) == 3:
            break
    handled, failed, parked = sorted(claimed, key=lambda d: d.seq)
    error = ErrorInfo(
        "AuthenticationFailed",
        f"sending count to {partner}: login refused with password {SECRET}",
        f"Traceback (most recent call last):\n  password={SECRET}\n",
    )
    await services.backend.settle(
        [
            DeadLetter(failed, error),
            Park(
                parked,
                reason_code="unknown_sku",
                document_ref=f"count:{partner}/2",
                message=f"{partner} SKU {partner.upper()}-2 is not mapped",
                resolutions=(("map_sku", "Map the partner SKU to an item, then replay"),),
                facts={"partner_sku": f"{partner.upper()}-2"},
            ),
        ]
    )
    await services.backend.settle([Ack(handled)])


@dataclass
class Api:
    services: Services
    records: Records
    client: httpx.AsyncClient

    async def get(self, path: str, token: str | None, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=bearer(token), params=params)

    async def post(self, path: str, token: str | None, body: Any = None) -> httpx.Response:
        return await self.client.post(path, headers=bearer(token), json=body)


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def serving(
    tmp_path: Path, monkeypatch: Any, routers: Callable[[Services], list[Any]]
) -> AsyncIterator[Api]:
    """The app with ``routers(services)`` on uvicorn at 127.0.0.1, and its records made."""
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    services = build(build_landscape(landscape_data(tmp_path), base_dir=tmp_path))
    try:
        records = await make_records(services)
        async with served(routers(services)) as client:
            yield Api(services, records, client)
    finally:
        await services.close()


@asynccontextmanager
async def served(routers: list[Any]) -> AsyncIterator[httpx.AsyncClient]:
    """An app of ``routers`` with the test authenticator, on uvicorn at 127.0.0.1."""
    app = FastAPI()
    install_auth(app)
    for router in routers:
        app.include_router(router)
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task
        listener.close()
