"""OAuth 2.0 client credentials against a real token endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from structlog.testing import capture_logs

from distsync.demo.oauth_server import OAuthServer
from distsync.errors import AuthenticationFailed, NotConnected, RetryableError
from distsync.redaction import registered_secrets
from distsync.transports.http import HttpTransport
from distsync.transports.oauth2_client import ClientCredentials, ClientCredentialsSettings

SECRET = "s3cret+value/with=odd&chars"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[OAuthServer]:
    async with OAuthServer(clients={"distsync": SECRET}, lifetime_seconds=100) as running:
        yield running


def settings(server: OAuthServer, **changes: object) -> ClientCredentialsSettings:
    base = ClientCredentialsSettings(
        system="wms-east",
        token_url=server.token_url,
        client_id="distsync",
        client_secret=lambda: SECRET,
        scope="shipments:write",
        audience="https://wms.example/api",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def clock() -> Clock:
    return Clock()


@pytest.fixture
async def credentials(server: OAuthServer, clock: Clock) -> AsyncIterator[ClientCredentials]:
    made = ClientCredentials(settings(server), clock=clock)
    yield made
    await made.close()


async def test_one_token_request_serves_many_calls_with_basic_client_auth(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    tokens = {await credentials.token() for _ in range(5)}

    assert len(tokens) == 1
    (request,) = server.token_requests
    assert (request.client_id, request.auth) == ("distsync", "basic")
    assert request.form == {
        "grant_type": "client_credentials",
        "scope": "shipments:write",
        "audience": "https://wms.example/api",
    }


async def test_client_auth_body_sends_the_client_in_the_form(server: OAuthServer) -> None:
    credentials = ClientCredentials(settings(server, client_auth="body", audience=None))
    try:
        await credentials.token()
    finally:
        await credentials.close()

    (request,) = server.token_requests
    assert (request.auth, request.form["client_id"]) == ("body", "distsync")
    assert request.form["client_secret"] == SECRET
    assert "audience" not in request.form


@pytest.mark.parametrize(
    ("lifetime", "still_cached", "renewed"),
    [(100, 89.9, 90.0), (1000, 939.9, 940.0), (None, 269.9, 270.0)],
    ids=["ten-percent-margin", "margin-capped-at-60s", "no-expires-in-means-300s"],
)
async def test_a_token_is_renewed_before_it_expires(
    server: OAuthServer,
    credentials: ClientCredentials,
    clock: Clock,
    lifetime: int | None,
    still_cached: float,
    renewed: float,
) -> None:
    server.lifetime_seconds = lifetime
    first = await credentials.token()
    start = clock.now

    clock.now = start + still_cached
    assert await credentials.token() == first
    clock.now = start + renewed
    second = await credentials.token()

    assert second != first
    assert len(server.token_requests) == 2


async def test_fifty_concurrent_callers_cause_one_token_request(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    server.delay_seconds = 0.2

    tokens = await asyncio.gather(*(credentials.token() for _ in range(50)))

    assert len(set(tokens)) == 1
    assert len(server.token_requests) == 1


async def test_discarding_a_refused_token_fetches_a_new_one_but_never_drops_a_newer_one(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    first = await credentials.token()
    credentials.discard(first)
    second = await credentials.token()
    credentials.discard(first)  # a late 401 for the old token

    assert second != first
    assert await credentials.token() == second
    assert len(server.token_requests) == 2


async def test_a_refused_client_is_a_permanent_error_naming_the_system_and_the_reason(
    server: OAuthServer,
) -> None:
    credentials = ClientCredentials(settings(server, client_secret=lambda: "wrong-secret-value"))
    try:
        refusals = await asyncio.gather(
            *(credentials.token() for _ in range(10)), return_exceptions=True
        )
    finally:
        await credentials.close()

    assert all(isinstance(r, AuthenticationFailed) for r in refusals)
    message = str(refusals[0])
    assert "OAuth 2.0 token for wms-east" in message
    assert "HTTP 401: invalid_client" in message
    assert "check oauth2_client_id" in message
    assert "wrong-secret-value" not in message
    assert len(server.token_requests) == 1


async def test_a_token_endpoint_that_is_down_is_retryable(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    server.down = True
    with pytest.raises(RetryableError, match="HTTP 503: temporarily_unavailable") as caught:
        await credentials.token()
    assert caught.value.retry_after == 1.0

    await server.stop()
    with pytest.raises(NotConnected, match=r"OAuth 2\.0 token for wms-east"):
        await credentials.token()


async def test_while_renewal_fails_the_old_token_is_used_until_it_expires(
    server: OAuthServer, credentials: ClientCredentials, clock: Clock
) -> None:
    first = await credentials.token()
    server.down = True

    clock.now += 95  # due for renewal, not expired
    assert await credentials.token() == first
    clock.now += 5  # expired
    with pytest.raises(RetryableError):
        await credentials.token()


async def test_the_secret_and_the_token_are_registered_and_never_logged(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    with capture_logs() as logs:
        token = await credentials.token()

    assert {SECRET, token} <= registered_secrets()
    assert [entry["action"] for entry in logs] == ["oauth2.token_fetched"]
    assert not any(token in str(e) or SECRET in str(e) for e in logs)


async def test_the_http_transport_renews_a_refused_token_and_repeats_the_call_once(
    server: OAuthServer, credentials: ClientCredentials
) -> None:
    transport = HttpTransport(f"{server.api_url}/x12", tokens=credentials)
    try:
        await transport.post(b"ISA", headers={}, action="sending to wms-east")
        server.revoke_all()
        answer = await transport.post(b"ISA", headers={}, action="sending to wms-east")
    finally:
        await transport.close()

    assert answer.status == 201
    assert [call.status for call in server.api_calls] == [201, 401, 201]
    assert len(server.token_requests) == 2


class _Revoked:
    """A token source whose every token the server has forgotten."""

    def __init__(self) -> None:
        self.discarded: list[str] = []

    async def token(self) -> str:
        return f"revoked-token-{len(self.discarded)}"

    def discard(self, token: str) -> None:
        self.discarded.append(token)


async def test_a_second_refusal_after_renewal_stands(server: OAuthServer) -> None:
    tokens = _Revoked()
    transport = HttpTransport(f"{server.api_url}/x12", tokens=tokens)
    try:
        with pytest.raises(AuthenticationFailed, match="sending to wms-east: HTTP 401"):
            await transport.post(b"ISA", headers={}, action="sending to wms-east")
    finally:
        await transport.close()

    assert [call.token for call in server.api_calls] == ["revoked-token-0", "revoked-token-1"]
    assert tokens.discarded == ["revoked-token-0"]
