"""Authentication over HTTP: the token endpoint, JWKS, rotation, external issuers, API keys.

A small app (the token router, a route per scope, a partner document route)
served by uvicorn on 127.0.0.1, its authenticator built from a ``security``
section by ``build_authenticator``, API keys in a real SQLite landscape.
The clock is a ``FrozenClock`` so that rotation and expiry need no sleeping.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, HTTPException

from distsync.api.auth import CredentialAuthenticator, build_authenticator, local_tokens
from distsync.api.auth_api_keys import ApiKeys
from distsync.api.auth_keys import LEEWAY_SECONDS
from distsync.api.openapi_security import document_security
from distsync.api.principal import INBOUND_WRITE, OPS_READ, Principal, require
from distsync.api.problems import install_problem_handlers
from distsync.api.token import token_router
from distsync.bootstrap import Services, build
from distsync.config_security import SecurityConfig
from distsync.errors import ConfigError
from distsync.testing import FrozenClock
from distsync.testing_http import HttpEndpointSimulator, Reply, loopback_listener
from tests import secret_scan
from tests.integration.x12_partner_files import landscape

TTL = 900
LEAD = 300
Reader = Annotated[Principal, Depends(require(OPS_READ))]
Writer = Annotated[Principal, Depends(require(INBOUND_WRITE))]
ACME_SECRET = "acme-portal-secret-0001"
OPS_SECRET = "ops-team-secret-0002"


@dataclass
class Api:
    services: Services
    client: httpx.AsyncClient
    auth: CredentialAuthenticator
    clock: FrozenClock

    async def token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        response = await self.ask_token(client_id, secret, scope)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        secret_scan.expect_shown(token)
        return token

    async def ask_token(
        self, client_id: str, secret: str, scope: str | None = None
    ) -> httpx.Response:
        form = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        return await self.client.post("/oauth/token", data=form, auth=(client_id, secret))

    async def whoami(self, credential: str, *, header: str = "Authorization") -> httpx.Response:
        value = f"Bearer {credential}" if header == "Authorization" else credential
        return await self.client.get("/whoami", headers={header: value})

    async def jwks_kids(self) -> list[str]:
        return [
            key["kid"] for key in (await self.client.get("/.well-known/jwks.json")).json()["keys"]
        ]


def security_config(tmp_path: Path, **extra: Any) -> SecurityConfig:
    data = {
        "token_ttl_seconds": TTL,
        "key_lead_seconds": LEAD,
        "clients": {
            "acme-portal": {
                "client_secret_env": "ACME_CLIENT_SECRET",
                "scopes": ["inbound:write", "ops:read"],
                "partner": "acme",
            },
            "ops-team": {"client_secret_env": "OPS_CLIENT_SECRET", "scopes": ["ops:read"]},
        },
        **extra,
    }
    return SecurityConfig.model_validate(data, context={"base_dir": tmp_path})


def protected_app(security: SecurityConfig, auth: CredentialAuthenticator) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    document_security(app)
    app.state.authenticator = auth
    app.include_router(token_router(security, auth.tokens))

    @app.get("/whoami")
    async def whoami(principal: Reader) -> dict[str, Any]:
        return {
            "client_id": principal.client_id,
            "scopes": sorted(principal.scopes),
            "partner": principal.partner,
            "method": principal.method,
        }

    @app.post("/inbound/{partner}")
    async def inbound(partner: str, principal: Writer) -> dict[str, str]:
        if not principal.may_act_for(partner):
            raise HTTPException(404, f"no partner {partner}")
        return {"accepted_for": partner}

    return app


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    listener = loopback_listener()
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await serving
        listener.close()


async def started(
    tmp_path: Path, security: SecurityConfig, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    monkeypatch.setenv("ACME_CLIENT_SECRET", ACME_SECRET)
    monkeypatch.setenv("OPS_CLIENT_SECRET", OPS_SECRET)
    services = build(landscape(tmp_path))
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    auth = build_authenticator_after_init(security, services, clock)
    try:
        async for client in serve(protected_app(security, auth)):
            yield Api(services, client, auth, clock)
    finally:
        await auth.close()
        await services.close()


def build_authenticator_after_init(
    security: SecurityConfig, services: Services, clock: FrozenClock
) -> CredentialAuthenticator:
    local_tokens(security, clock).ring.init()
    auth = build_authenticator(
        security, documents=services.backend, writer=services.backend, clock=clock,
        listen_host="0.0.0.0",
    )  # fmt: skip
    assert isinstance(auth, CredentialAuthenticator)
    return auth


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    async for running in started(tmp_path, security_config(tmp_path), monkeypatch):
        yield running


# -- the token endpoint ---------------------------------------------------------------


async def test_a_client_gets_a_token_and_calls_the_api_with_it(api: Api) -> None:
    response = await api.ask_token("acme-portal", ACME_SECRET)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    secret_scan.expect_shown(body["access_token"])
    assert (body["token_type"], body["expires_in"], body["scope"]) == (
        "Bearer", TTL, "inbound:write ops:read",
    )  # fmt: skip
    called = await api.whoami(body["access_token"])
    assert called.status_code == 200
    assert called.json() == {
        "client_id": "acme-portal", "scopes": ["inbound:write", "ops:read"],
        "partner": "acme", "method": "jwt",
    }  # fmt: skip


async def test_client_credentials_may_come_as_form_fields_but_not_twice(api: Api) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "ops-team",
        "client_secret": OPS_SECRET,
    }
    response = await api.client.post("/oauth/token", data=form)
    assert response.status_code == 200
    secret_scan.expect_shown(response.json()["access_token"])
    both = await api.client.post("/oauth/token", data=form, auth=("ops-team", OPS_SECRET))
    assert (both.status_code, both.json()["error"]) == (400, "invalid_request")


async def test_a_wrong_secret_or_an_unknown_client_is_refused_alike(api: Api) -> None:
    for client_id, secret in (("acme-portal", OPS_SECRET), ("nobody", ACME_SECRET)):
        response = await api.ask_token(client_id, secret)
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_client",
            "error_description": f"client {client_id!r}: unknown or wrong secret",
        }
        assert response.headers["www-authenticate"] == 'Basic realm="distsync"'
    anonymous = await api.client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_client")


async def test_a_token_request_may_narrow_the_scopes_never_widen_them(api: Api) -> None:
    narrow = await api.token("acme-portal", ACME_SECRET, scope="ops:read")
    assert (await api.whoami(narrow)).json()["scopes"] == ["ops:read"]
    refused = await api.client.post("/inbound/acme", headers={"Authorization": f"Bearer {narrow}"})
    assert (refused.status_code, refused.json()["error"]) == (403, "insufficient_scope")
    wider = await api.ask_token("acme-portal", ACME_SECRET, scope="ops:read admin")
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")
    assert "['admin']" in wider.json()["error_description"]


async def test_only_the_client_credentials_grant_is_served(api: Api) -> None:
    other = await api.client.post(
        "/oauth/token", data={"grant_type": "password"}, auth=("ops-team", OPS_SECRET)
    )
    assert (other.status_code, other.json()["error"]) == (400, "unsupported_grant_type")
    missing = await api.client.post("/oauth/token", data={}, auth=("ops-team", OPS_SECRET))
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    as_json = await api.client.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")


# -- refusals -------------------------------------------------------------------------


async def test_an_expired_token_is_refused_without_saying_why(api: Api) -> None:
    token = await api.token("ops-team", OPS_SECRET)
    assert (await api.whoami(token)).status_code == 200
    api.clock.advance(TTL + LEEWAY_SECONDS)
    refused = await api.whoami(token)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["detail"] == "invalid or expired credentials"
    assert "expired at" not in refused.text


async def test_a_token_signed_by_a_key_we_do_not_hold_is_refused(api: Api, tmp_path: Path) -> None:
    stranger = local_tokens(security_config(tmp_path / "elsewhere"), api.clock)
    stranger.ring.init()
    unknown_kid = stranger.issue("ops-team", {"ops:read"}, None).access_token
    assert (await api.whoami(unknown_kid)).status_code == 401
    claims = {"iss": "distsync", "aud": "distsync", "sub": "ops-team", "scope": "admin",
              "iat": 0, "exp": 4_000_000_000}  # fmt: skip
    our_kid = {"kid": api.auth.tokens.ring.signing_key()[0]}
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, rsa_key, algorithm="RS256", headers=our_kid)
    assert (await api.whoami(forged)).status_code == 401
    assert (await api.client.get("/whoami")).status_code == 401


async def test_a_partner_acts_only_as_itself(api: Api) -> None:
    token = await api.token("acme-portal", ACME_SECRET)
    headers = {"Authorization": f"Bearer {token}"}
    own = await api.client.post("/inbound/acme", headers=headers)
    assert (own.status_code, own.json()) == (200, {"accepted_for": "acme"})
    other = await api.client.post("/inbound/eastwms", headers=headers)
    assert other.status_code == 404


# -- key rotation ---------------------------------------------------------------------


async def test_keys_rotate_without_a_single_failed_request(api: Api) -> None:
    ring = api.auth.tokens.ring
    first = ring.signing_key()[0]
    old_token = await api.token("ops-team", OPS_SECRET)  # first presented after two rotations
    failures: list[str] = []
    pending = await api.token("ops-team", OPS_SECRET)

    async def calls(rounds: int) -> None:
        nonlocal pending
        for n in range(rounds):
            fresh = await api.token("ops-team", OPS_SECRET)
            for token in (fresh, pending):  # pending: issued a round ago, never presented
                if (status := (await api.whoami(token)).status_code) != 200:
                    failures.append(f"round {n}: {status}")
            pending = await api.token("ops-team", OPS_SECRET)
            api.clock.advance(LEAD / rounds)

    second = ring.rotate().kid
    assert await api.jwks_kids() == [first, second]  # published before it signs
    assert ring.signing_key()[0] == first
    await calls(10)
    assert ring.signing_key()[0] == second
    third = ring.rotate().kid
    assert await api.jwks_kids() == [first, second, third]
    await calls(10)
    assert ring.signing_key()[0] == third
    assert jwt.get_unverified_header(old_token)["kid"] == first
    assert (await api.whoami(old_token)).status_code == 200
    assert failures == []
    api.clock.advance(TTL + LEEWAY_SECONDS - 2 * LEAD)  # the old token's exp, plus leeway
    assert (await api.whoami(old_token)).status_code == 401
    assert first in await api.jwks_kids()  # until every token it signed has expired
    api.clock.advance(LEAD)
    assert await api.jwks_kids() == [second, third]
    assert (await api.whoami(await api.token("ops-team", OPS_SECRET))).status_code == 200


async def test_the_key_set_may_be_cached_only_briefly(api: Api) -> None:
    response = await api.client.get("/.well-known/jwks.json")
    assert response.headers["cache-control"] == f"public, max-age={LEAD // 4}"
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


# -- external issuers -----------------------------------------------------------------


@dataclass
class Idp:
    endpoint: HttpEndpointSimulator
    keys: dict[str, rsa.RSAPrivateKey]

    @property
    def issuer(self) -> str:
        return f"{self.endpoint.url}/"

    def publish(self, *kids: str) -> None:
        jwks = {"keys": [self.jwk(kid) for kid in kids]}
        self.endpoint.default = Reply.ok(jwks, status=200)

    def jwk(self, kid: str) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return public | {"kid": kid, "alg": "RS256", "use": "sig"}

    def token(self, kid: str, now: datetime, **claims: Any) -> str:
        issued = int(now.timestamp())
        body = {"iss": self.issuer, "aud": "distsync", "sub": "svc-billing", "scope": "ops:read",
                "iat": issued, "exp": issued + 600} | claims  # fmt: skip
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def idp() -> Iterator[Idp]:
    keys = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in "ab"}
    with HttpEndpointSimulator() as endpoint:
        found = Idp(endpoint, keys)
        found.publish("a")
        yield found


@pytest.fixture
async def idp_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, idp: Idp) -> AsyncIterator[Api]:
    external = {"issuer": idp.issuer, "jwks_url": f"{idp.endpoint.url}/jwks",
                "partner_claim": "org"}  # fmt: skip
    config = security_config(tmp_path, external_issuers=[external])
    async for running in started(tmp_path, config, monkeypatch):
        yield running


async def test_an_external_issuers_token_is_verified_with_its_jwks(idp_api: Api, idp: Idp) -> None:
    token = idp.token("a", idp_api.clock(), org="acme")
    answer = await idp_api.whoami(token)
    assert answer.status_code == 200
    assert answer.json() == {"client_id": "svc-billing", "scopes": ["ops:read"],
                             "partner": "acme", "method": "jwt"}  # fmt: skip
    elsewhere = idp.token("a", idp_api.clock(), aud="billing")
    assert (await idp_api.whoami(elsewhere)).status_code == 401
    assert [r.path for r in idp.endpoint.requests] == ["/jwks"]


async def test_a_shared_secret_key_in_the_issuers_key_set_verifies_nothing(
    idp_api: Api, idp: Idp
) -> None:
    published = "published-in-the-open-so-anyone-can-sign-0123456789"
    oct_key = {"kty": "oct", "kid": "h", "alg": "HS256", "k": base64url(published.encode())}
    idp.endpoint.default = Reply.ok({"keys": [oct_key]}, status=200)
    issued = int(idp_api.clock().timestamp())
    claims = {"iss": idp.issuer, "aud": "distsync", "sub": "intruder", "scope": "admin",
              "iat": issued, "exp": issued + 600}  # fmt: skip
    forged = jwt.encode(claims, published, algorithm="HS256", headers={"kid": "h"})

    assert (await idp_api.whoami(forged)).status_code == 401


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_an_external_key_rollover_is_picked_up_at_most_every_30_seconds(
    idp_api: Api, idp: Idp
) -> None:
    assert (await idp_api.whoami(idp.token("a", idp_api.clock()))).status_code == 200
    idp.publish("a", "b")
    rolled = idp.token("b", idp_api.clock())
    assert (await idp_api.whoami(rolled)).status_code == 401  # fetched less than 30 s ago
    assert (await idp_api.whoami(rolled)).status_code == 401
    assert len(idp.endpoint.requests) == 1
    idp_api.clock.advance(30)
    assert (await idp_api.whoami(idp.token("b", idp_api.clock()))).status_code == 200
    assert len(idp.endpoint.requests) == 2


# -- API keys -------------------------------------------------------------------------


async def test_an_api_key_works_until_it_is_revoked(api: Api) -> None:
    keys = api.auth.api_keys
    assert keys is not None
    created = await keys.create(partner="acme", scopes=["ops:read"], label="acme ftp bot", by="ana")
    secret_scan.expect_shown(created.key)
    for header in ("X-API-Key", "Authorization"):
        answer = await api.whoami(created.key, header=header)
        assert answer.status_code == 200
        assert answer.json()["client_id"] == f"api-key:{created.record.key_id}"
        assert (answer.json()["partner"], answer.json()["method"]) == ("acme", "api_key")
    await keys.revoke(created.record.key_id, by="ana")
    assert (await api.whoami(created.key, header="X-API-Key")).status_code == 401
    wrong = created.key[:-4] + "AAAA"
    assert (await api.whoami(wrong, header="X-API-Key")).status_code == 401


async def test_the_store_holds_the_hash_of_a_key_never_the_key(api: Api) -> None:
    keys = api.auth.api_keys
    assert keys is not None
    created = await keys.create(partner=None, scopes=["admin"], label="ops", by="ana")
    stored = await api.services.backend.get_document("api_key", created.record.key_id)
    assert stored is not None
    assert stored.body["hash"] == hashlib.sha256(created.key.encode()).hexdigest()
    row = json.dumps(stored.body)
    assert created.key not in row
    assert created.key.split("_", 2)[2] not in row
    assert stored.updated_by == "ana"


async def test_revocation_reaches_other_processes_within_the_cache_time(api: Api) -> None:
    here = api.auth.api_keys
    assert here is not None
    backend = api.services.backend
    there = ApiKeys(backend, writer=None, clock=api.clock, cache_seconds=5)
    created = await here.create(partner="acme", scopes=["ops:read"], label="bot", by="ana")
    assert (await there.authenticate(created.key)).partner == "acme"
    await here.revoke(created.record.key_id, by="ana")
    assert (await there.authenticate(created.key)).partner == "acme"  # cached for 5 s
    api.clock.advance(5)
    with pytest.raises(Exception, match="is revoked"):
        await there.authenticate(created.key)


async def test_the_openapi_document_shows_how_to_authenticate(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert (schemes["bearer"]["type"], schemes["bearer"]["scheme"]) == ("http", "bearer")
    assert (schemes["apiKey"]["in"], schemes["apiKey"]["name"]) == ("header", "X-API-Key")
    whoami = document["paths"]["/whoami"]["get"]
    assert whoami["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "Requires scope `ops:read`" in whoami["description"]
    assert "security" not in document["paths"]["/oauth/token"]["post"]
    token_form = document["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
    assert "grant_type" in token_form["application/x-www-form-urlencoded"]["schema"]["required"]


# -- building the authenticator ---------------------------------------------------------


async def test_without_security_only_a_loopback_listener_is_open(tmp_path: Path) -> None:
    services = build(landscape(tmp_path))
    try:
        for host in ("127.0.0.1", "::1", "localhost"):
            open_auth = build_authenticator(
                None, documents=services.backend, clock=FrozenClock(), listen_host=host
            )
            app = FastAPI()
            app.state.authenticator = open_auth

            @app.get("/whoami")
            async def whoami(principal: Reader) -> dict[str, str]:
                return {"client_id": principal.client_id}

            async for client in serve(app):
                assert (await client.get("/whoami")).json() == {"client_id": "open"}
        with pytest.raises(ConfigError) as caught:
            build_authenticator(
                None, documents=services.backend, clock=FrozenClock(), listen_host="0.0.0.0"
            )
        assert str(caught.value).startswith(
            "binding to 0.0.0.0 without a security section would leave the API open"
        )
    finally:
        await services.close()


async def test_a_server_with_security_fails_at_start_on_a_missing_secret_or_key_ring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_CLIENT_SECRET", ACME_SECRET)
    monkeypatch.delenv("OPS_CLIENT_SECRET", raising=False)
    config = security_config(tmp_path)
    services = build(landscape(tmp_path))
    try:
        with pytest.raises(ConfigError, match=r"security\.clients\.ops-team: environment variable"):
            build_authenticator(
                config, documents=services.backend, clock=FrozenClock(), listen_host="0.0.0.0"
            )
        monkeypatch.setenv("OPS_CLIENT_SECRET", OPS_SECRET)
        with pytest.raises(ConfigError, match=r"run `distsync auth keys init`"):
            build_authenticator(
                config, documents=services.backend, clock=FrozenClock(), listen_host="0.0.0.0"
            )
    finally:
        await services.close()
