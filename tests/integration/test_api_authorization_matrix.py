"""Authorization over every route of the real app: who is refused, how, and that nothing leaks.

``create_app`` on a landscape with a ``security`` section: a real Ed25519 key
ring, real signed tokens, API keys in the SQLite store, every router the
landscape turns on (inbound, orders, shipping rates, availability,
cross-references, procurement views, the operations API, metrics), served by
uvicorn on 127.0.0.1.

The routes are read from the app's own OpenAPI document, so a route added
later is in the matrix at once: it must either require a scope that
:func:`expected_scope` names, or be one of :data:`OPEN_ROUTES` (probes, the
token endpoint and key set, and the routes whose callers prove themselves
otherwise: HMAC-signed webhooks and signed AS2 messages).

For each protected route:

- no credentials, an expired token, a token signed by a key that is not
  ours, a revoked API key: 401, all with the same body (nothing says which);
- a valid token without the route's scope: 403;
- a token with the scope: neither 401 nor 403;
- a partner's token naming another partner in the path gets the same answer
  as naming a partner that does not exist, and asking for another partner's
  record the same answer as asking for a record that does not exist.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from distsync.api.app import create_app
from distsync.api.auth import CredentialAuthenticator, local_tokens
from distsync.api.principal import ADMIN, INBOUND_WRITE, OPS_READ, OPS_REPLAY, SCOPES, SYNC_READ
from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.testing import FrozenClock, RecordingConnector
from distsync.testing_http import loopback_listener
from tests.integration import ops_world
from tests.integration.orders_world import NOWHERE, START, ErpTerms, landscape_data

TTL = 900
OPEN_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/oauth/token"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", "/v1/webhooks/shopify/{partner}"),
    ("POST", "/v1/webhooks/carrier/{partner}"),
    ("POST", "/v1/as2"),
}
NOT_OURS = {"no credentials", "expired token", "token signed by another key", "revoked API key"}
INTERNAL_SCOPES = (INBOUND_WRITE, SYNC_READ, OPS_READ, OPS_REPLAY)
CLIENTS = {
    "ops-team": {"scopes": list(INTERNAL_SCOPES)},
    "root": {"scopes": [ADMIN]},
    "acme-portal": {"scopes": list(INTERNAL_SCOPES), "partner": "acme"},
    "globex-portal": {"scopes": list(INTERNAL_SCOPES), "partner": "globex"},
}


def expected_scope(method: str, path: str) -> str:
    """The scope each route must demand: the policy this test holds the app to."""
    if path.startswith(("/v1/inbound", "/v1/edi")):
        return INBOUND_WRITE
    if path in ("/v1/availability", "/v1/orders/validate", "/v1/shipping/rates"):
        return SYNC_READ
    if path.startswith("/v1/xref"):
        return OPS_READ if method == "GET" else ADMIN
    if method == "POST" and path.startswith("/ops/") and path.endswith(("/replay", "/resolve")):
        return OPS_REPLAY
    if path.startswith("/ops/") or path == "/metrics":
        return OPS_READ
    raise AssertionError(f"{method} {path}: no scope is expected of it; add it to this table")


@dataclass
class World:
    services: Services
    auth: CredentialAuthenticator
    client: httpx.AsyncClient
    records: ops_world.Records
    tokens: dict[str, str]
    refused: dict[str, dict[str, str]]

    async def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        if body is None and method in ("POST", "PUT"):
            body = b"{}"
        sent = {"content-type": "application/json"} | (headers or {})
        return await self.client.request(method, path, content=body, headers=sent)

    def as_client(self, client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[client_id]}"}


@pytest.fixture
def carrier() -> Iterator[CarrierSimulator]:
    with CarrierSimulator("ups", CarrierBehaviour.from_dict({}), reply_to=NOWHERE) as simulator:
        yield simulator


def secured_landscape(tmp_path: Path, carrier: CarrierSimulator) -> dict[str, Any]:
    data = landscape_data(tmp_path)
    data["partners"].update(ops_world.PARTNERS)
    data["systems"]["ups"] = {"type": "http-json", "url": carrier.url}
    data["flows"]["shipping"] = {"carriers": ["ups"]}
    data["api"] = {"rate_limits": {"enabled": False}}
    clients = {
        name: {"client_secret_env": secret_variable(name)} | client
        for name, client in CLIENTS.items()
    }
    data["security"] = {"token_ttl_seconds": TTL, "clients": clients}
    return data


def secret_variable(client_id: str) -> str:
    return client_id.upper().replace("-", "_") + "_SECRET"


@pytest.fixture
async def world(
    tmp_path: Path, carrier: CarrierSimulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    monkeypatch.setenv(ops_world.SECRET_VARIABLE, ops_world.SECRET)
    for client_id in CLIENTS:
        monkeypatch.setenv(secret_variable(client_id), f"{client_id}-secret-{tmp_path.name}")
    clock = FrozenClock(START)
    landscape = build_landscape(secured_landscape(tmp_path, carrier), base_dir=tmp_path)
    terms = ErpTerms()
    terms.customer("CUS-1042")
    connectors = {
        name: RecordingConnector() for name in ("erp", "partner:east3pl", "westwms", "shopadmin")
    }
    overrides = Overrides(connectors=connectors, clock=clock, sales_terms=terms)
    services = build(landscape, overrides=overrides)
    assert landscape.security is not None
    local_tokens(landscape.security, clock).ring.init()  # `distsync auth keys init`
    try:
        app = create_app(services)
        auth = app.state.authenticator
        assert isinstance(auth, CredentialAuthenticator)
        refused = await credentials_not_ours(auth, clock)
        tokens = {name: issue(auth, name) for name in CLIENTS}
        records = await ops_world.make_records(services)
        async with served(app) as client:
            yield World(services, auth, client, records, tokens, refused)
    finally:
        await services.close()


async def credentials_not_ours(
    auth: CredentialAuthenticator, clock: FrozenClock
) -> dict[str, dict[str, str]]:
    """Every credential that must be refused with 401, made at ``clock``'s start."""
    expired = issue(auth, "ops-team")
    clock.advance(TTL + 3600)  # well past the expiry and any leeway for clock skew
    kid = jwt.get_unverified_header(expired)["kid"]
    claims = jwt.decode(expired, options={"verify_signature": False})
    forged = jwt.encode(
        claims | {"exp": claims["exp"] + 2 * 3600},
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": kid},
    )
    assert auth.api_keys is not None
    created = await auth.api_keys.create(partner=None, scopes=[ADMIN], label="gone", by="test")
    await auth.api_keys.revoke(created.record.key_id, by="test")
    return {
        "no credentials": {},
        "expired token": {"Authorization": f"Bearer {expired}"},
        "token signed by another key": {"Authorization": f"Bearer {forged}"},
        "revoked API key": {"X-API-Key": created.key},
    }


def issue(auth: CredentialAuthenticator, client_id: str) -> str:
    client = CLIENTS[client_id]
    issued = auth.tokens.issue(client_id, client["scopes"], client.get("partner"))
    return issued.access_token


class served:
    """``app`` on uvicorn at 127.0.0.1, and a client for it."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def __aenter__(self) -> httpx.AsyncClient:
        self._listener = loopback_listener()
        port = self._listener.getsockname()[1]
        config = uvicorn.Config(self._app, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._listener]))
        self._client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
        return self._client

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()
        self._server.should_exit = True
        await self._task
        self._listener.close()


async def documented_operations(world: World) -> list[tuple[str, str, bool]]:
    """(method, path template, protected) for every operation of ``/openapi.json``."""
    document = (await world.client.get("/openapi.json")).json()
    return [
        (method.upper(), path, bool(operation.get("security")))
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def concrete(path: str, world: World, *, partner: str = "acme") -> str:
    """``path`` with its parameters filled with things that exist (``partner``'s records)."""
    values = {
        "partner": partner,
        "name": partner,
        "document_type": "asn",
        "kind": "sku",
        "partner_value": "ACME-1",
        "po_number": "PO-1",
        "event_id": world.records.events.get(partner, ["no-such-event"])[0],
        "dead_letter_id": str(world.records.dead_letters.get(partner, 999_999)),
        "exception_id": str(world.records.exceptions.get(partner, 999_999)),
    }
    return path.format(**values)


async def test_every_route_is_protected_or_deliberately_open(world: World) -> None:
    documented = await documented_operations(world)
    unprotected = {(m, p) for m, p, protected in documented if not protected}
    assert unprotected <= OPEN_ROUTES, f"routes without authentication: {unprotected - OPEN_ROUTES}"
    protected = [(m, p) for m, p, is_protected in documented if is_protected]
    assert len(protected) >= 30, protected
    for method, path in protected:
        assert expected_scope(method, path) in SCOPES


async def test_credentials_that_are_not_ours_get_the_same_401_everywhere(world: World) -> None:
    for method, path, protected in await documented_operations(world):
        if not protected:
            continue
        url = concrete(path, world)
        bodies = set()
        for name, headers in world.refused.items():
            answer = await world.call(method, url, headers)
            assert answer.status_code == 401, (method, path, name, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer")
            problem = answer.json()
            bodies.add((problem["error"], problem["detail"]))
        assert len(bodies) == 1, (method, path, bodies)  # nothing tells the caller which
    assert set(world.refused) == NOT_OURS


async def test_a_token_without_the_routes_scope_gets_403_and_with_it_gets_in(
    world: World,
) -> None:
    for method, path, protected in await documented_operations(world):
        if not protected:
            continue
        scope = expected_scope(method, path)
        url = concrete(path, world)
        lacking = [s for s in SCOPES if s not in (scope, ADMIN)]
        without = world.auth.tokens.issue("ops-team", lacking, None).access_token
        answer = await world.call(method, url, {"Authorization": f"Bearer {without}"})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"] == "insufficient_scope"
        holder = "root" if scope == ADMIN else "ops-team"
        answer = await world.call(method, url, world.as_client(holder))
        assert answer.status_code not in (401, 403), (method, path, answer.text)


async def test_another_partners_name_answers_as_a_partner_that_does_not_exist(
    world: World,
) -> None:
    checked = 0
    for method, path, protected in await documented_operations(world):
        if not protected or ("{partner}" not in path and "{name}" not in path):
            continue
        globex = world.as_client("globex-portal")
        theirs = await world.call(method, concrete(path, world, partner="acme"), globex)
        nobody = await world.call(method, concrete(path, world, partner="nobody"), globex)
        assert theirs.status_code in (403, 404), (method, path, theirs.text)
        assert (theirs.status_code, theirs.json()["error"]) == (
            nobody.status_code,
            nobody.json()["error"],
        ), (method, path, theirs.text, nobody.text)
        if method != "GET":
            assert theirs.status_code == 403, (method, path, theirs.text)
        checked += 1
    assert checked >= 10


async def test_another_partners_record_answers_as_a_record_that_does_not_exist(
    world: World,
) -> None:
    globex = world.as_client("globex-portal")
    records = world.records
    pairs = {
        "/ops/messages/{}": (records.events["acme"][0], "no-such-event"),
        "/ops/dead-letters/{}": (records.dead_letters["acme"], 999_999),
        "/ops/exceptions/{}": (records.exceptions["acme"], 999_999),
    }
    for template, (theirs_id, missing_id) in pairs.items():
        theirs = await world.call("GET", template.format(theirs_id), globex)
        missing = await world.call("GET", template.format(missing_id), globex)
        assert theirs.status_code == missing.status_code == 404, (template, theirs.text)
        assert theirs.json()["error"] == missing.json()["error"]
    for template, own_id in (
        ("/ops/messages/{}", records.events["globex"][0]),
        ("/ops/dead-letters/{}", records.dead_letters["globex"]),
        ("/ops/exceptions/{}", records.exceptions["globex"]),
    ):
        own = await world.call("GET", template.format(own_id), globex)
        assert own.status_code == 200, (template, own.text)
    actions = (
        ("/ops/dead-letters/{}/replay", records.dead_letters, {"reason": "try again"}),
        ("/ops/exceptions/{}/resolve", records.exceptions, {"action": "discard", "reason": "x"}),
    )
    for action, record, wanted in actions:
        body = json.dumps(wanted).encode()
        theirs = await world.call("POST", action.format(record["acme"]), globex, body)
        missing = await world.call("POST", action.format(999_999), globex, body)
        assert theirs.status_code == missing.status_code == 404, (action, theirs.text)


async def test_a_partner_cannot_submit_as_another_partner(world: World) -> None:
    globex = world.as_client("globex-portal")
    for path in ("/v1/inbound/acme/asn", "/v1/edi/acme", "/v1/inbound/x12/acme"):
        answer = await world.call("POST", path, globex)
        assert answer.status_code == 403, (path, answer.text)
    own = await world.call("POST", "/v1/inbound/globex/asn", globex)
    assert own.status_code == 422, own.text  # past authorization, into the document's checks
