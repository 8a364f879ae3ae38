"""The ``http-json`` connector with OAuth 2.0 client credentials, through the delivery policy.

A real token endpoint and the API it protects (``demo.oauth_server``) on
127.0.0.1; the connector built from landscape keys by the registry (or, where
a test turns the clock, directly), wrapped by ``with_policy``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from distsync.config import SystemConfig
from distsync.connectors.http_json_endpoint import HttpJsonEndpoint
from distsync.connectors.policy import PolicyConnector, with_policy
from distsync.connectors.registry import build_connector
from distsync.demo.oauth_server import OAuthServer
from distsync.errors import AuthenticationFailed, ConfigError, RetryableError
from distsync.runtime.ports import OutboundRequest, Receipt
from distsync.transports.oauth2_client import ClientCredentials, ClientCredentialsSettings

SECRET = "wms-east-client-secret"
FAST_RETRY = {"attempts": 3, "base_seconds": 0.01, "cap_seconds": 0.05, "max_wait_seconds": 3}
LENIENT_BREAKER = {"failures": 1000, "min_calls": 1000}

Make = Callable[..., Awaitable[PolicyConnector]]


@pytest.fixture
async def server() -> AsyncIterator[OAuthServer]:
    async with OAuthServer(clients={"distsync": SECRET}, lifetime_seconds=600) as running:
        yield running


def system_data(server: OAuthServer, **keys: Any) -> dict[str, Any]:
    return {
        "type": "http-json",
        "url": server.api_url,
        "timeout_seconds": 5,
        "oauth2_token_url": server.token_url,
        "oauth2_client_id": "distsync",
        "oauth2_scope": "shipments:write",
        "client_secret_env": "WMS_EAST_CLIENT_SECRET",
        "policy": {"retry": FAST_RETRY, "breaker": LENIENT_BREAKER},
        **keys,
    }


@pytest.fixture
async def make(server: OAuthServer, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Make]:
    """``systems.wms-east`` from landscape data (keys overridable), wrapped in the policy."""
    monkeypatch.setenv("WMS_EAST_CLIENT_SECRET", SECRET)
    made: list[PolicyConnector] = []

    async def build(connector: HttpJsonEndpoint | None = None, **keys: Any) -> PolicyConnector:
        system = SystemConfig.model_validate(system_data(server, **keys))
        inner = connector or build_connector("wms-east", system)
        wrapped = with_policy("wms-east", inner, system)
        await wrapped.connect()
        made.append(wrapped)
        return wrapped

    yield build
    for connector in made:
        await connector.close()


def request(number: int = 1) -> OutboundRequest:
    key = f"shipment:SO-{number}:1"
    return OutboundRequest("wms-east", "shipments", key, {"order": f"SO-{number}"}, "corr-7")


async def test_one_token_serves_many_calls_of_a_system_configured_in_the_landscape(
    make: Make, server: OAuthServer
) -> None:
    connector = await make()

    first = [await connector.send(request(n)) for n in range(5)]
    more = await asyncio.gather(*(connector.send(request(n)) for n in range(5, 25)))

    assert all(isinstance(r, Receipt) and r.remote_id for r in [*first, *more])
    (token_request,) = server.token_requests
    assert token_request.form["scope"] == "shipments:write"
    assert token_request.auth == "basic"
    assert len({call.token for call in server.api_calls}) == 1
    assert {call.status for call in server.api_calls} == {201}


async def test_fifty_concurrent_sends_on_a_fresh_connector_cause_one_token_request(
    make: Make, server: OAuthServer
) -> None:
    server.delay_seconds = 0.1
    connector = await make()

    await asyncio.gather(*(connector.send(request(n)) for n in range(50)))

    assert len(server.token_requests) == 1
    assert len(server.api_calls) == 50


async def test_the_token_is_renewed_before_it_expires(make: Make, server: OAuthServer) -> None:
    now = [0.0]
    settings = ClientCredentialsSettings(
        system="wms-east",
        token_url=server.token_url,
        client_id="distsync",
        client_secret=lambda: SECRET,
    )
    credentials = ClientCredentials(settings, clock=lambda: now[0])
    connector = await make(HttpJsonEndpoint("wms-east", server.api_url, oauth2=credentials))

    await connector.send(request(1))
    now[0] = 539.0  # 600 s lifetime, renewed 60 s before: not yet
    await connector.send(request(2))
    now[0] = 541.0
    await connector.send(request(3))

    tokens = [call.token for call in server.api_calls]
    assert tokens[0] == tokens[1] != tokens[2]
    assert len(server.token_requests) == 2


async def test_a_401_renews_the_token_once_and_repeats_the_call(
    make: Make, server: OAuthServer
) -> None:
    connector = await make()
    await connector.send(request(1))
    server.revoke_all()

    receipts = await asyncio.gather(*(connector.send(request(n)) for n in range(2, 12)))

    assert all(r.remote_id for r in receipts)
    assert len(server.token_requests) == 2
    refused = [call for call in server.api_calls if call.status == 401]
    assert len(refused) == 10
    assert len({call.token for call in refused}) == 1


async def test_a_token_endpoint_refusing_the_client_is_a_permanent_error_naming_the_system(
    make: Make, server: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = await make()
    monkeypatch.setenv("WMS_EAST_CLIENT_SECRET", "not-the-secret")

    with pytest.raises(AuthenticationFailed) as refused:
        await connector.send(request())

    assert "OAuth 2.0 token for wms-east" in str(refused.value)
    assert "invalid_client" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert server.api_calls == []
    assert len(server.token_requests) == 2  # the policy logs in again once, then gives up


async def test_a_token_endpoint_that_is_down_is_retried_and_recovers(
    make: Make, server: OAuthServer
) -> None:
    connector = await make()
    server.down = True

    with pytest.raises(RetryableError, match=r"OAuth 2\.0 token for wms-east.*HTTP 503"):
        await connector.send(request(1))
    server.down = False
    receipt = await connector.send(request(1))

    assert receipt.remote_id
    assert len(server.token_requests) == 4  # three attempts (the policy's), then the recovery


@pytest.mark.parametrize(
    ("keys", "complaint"),
    [
        ({"client_secret_env": None}, "needs client_secret_env or client_secret_file"),
        ({"oauth2_token_url": None}, "oauth2_client_id, oauth2_scope needs oauth2_token_url"),
        ({"oauth2_client_id": None}, "oauth2_token_url needs oauth2_client_id"),
        ({"token_env": "WMS_EAST_TOKEN"}, "token_env/_file or oauth2_\\*, not both"),
        ({"oauth2_client_auth": "jwt"}, "oauth2_client_auth"),
    ],
)
def test_incomplete_oauth2_keys_are_a_config_error_naming_the_system(
    server: OAuthServer, keys: dict[str, Any], complaint: str
) -> None:
    data = {k: v for k, v in {**system_data(server), **keys}.items() if v is not None}
    system = SystemConfig.model_validate(data)

    with pytest.raises(ConfigError, match=complaint) as raised:
        build_connector("wms-east", system)
    assert "system wms-east" in str(raised.value)
