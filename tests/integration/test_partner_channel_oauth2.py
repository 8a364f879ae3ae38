"""An X12 partner on an ``http`` channel whose endpoint wants OAuth 2.0 client credentials.

The partner's endpoint and its token server are ``demo.oauth_server.OAuthServer``
on 127.0.0.1: a real token endpoint issuing short-lived opaque tokens, and an
API that refuses any request without a valid one. Purchase orders go out as
850s through the outbox and the delivery policy, as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.demo.oauth_server import OAuthServer
from distsync.model.examples import example_purchase_order, variant
from distsync.testing import FrozenClock, make_envelope
from tests.integration.test_partner_channels import SEND_PO
from tests.integration.x12_partner_files import landscape_data

CLIENT_SECRET = "acme-edi-client-secret-5d1e"


@dataclass
class World:
    services: Services
    server: OAuthServer

    async def send(self, po_number: str) -> None:
        body = variant(example_purchase_order(), {"po_number": po_number}).model_dump(mode="json")
        envelope = make_envelope(
            "purchase_order.confirmed",
            key=f"erp:{po_number}",
            partition=po_number,
            payload={**body, "note": "acme"},
            correlation_id=f"po:{po_number}",
        )
        await self.services.intake.accept([envelope])
        await self.services.worker("test").drain()


def oauth_channel(server: OAuthServer) -> dict[str, Any]:
    return {
        "transport": "http",
        "url": f"{server.api_url}/edi",
        "oauth2_token_url": server.token_url,
        "oauth2_client_id": "northwind",
        "oauth2_scope": "edi:write",
        "client_secret_env": "ACME_EDI_CLIENT_SECRET",
    }


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setenv("ACME_EDI_CLIENT_SECRET", CLIENT_SECRET)
    async with OAuthServer(clients={"northwind": CLIENT_SECRET}, lifetime_seconds=600) as server:
        data = landscape_data(tmp_path)
        data["partners"]["acme"]["channel"] = oauth_channel(server)
        data["partners"]["acme"]["receives"] = ["x12-850"]
        overrides = Overrides(subscriptions=[SEND_PO], clock=FrozenClock())
        services = build(build_landscape(data, base_dir=tmp_path), overrides=overrides)
        try:
            yield World(services, server)
        finally:
            await services.close()


async def test_orders_go_out_with_one_token_asked_for_once(world: World) -> None:
    for number in ("PO-OA-1", "PO-OA-2", "PO-OA-3"):
        await world.send(number)

    assert [call.status for call in world.server.api_calls] == [201, 201, 201]
    assert len(world.server.token_requests) == 1
    (asked,) = world.server.token_requests
    assert (asked.client_id, asked.form.get("scope")) == ("northwind", "edi:write")


async def test_a_revoked_token_is_replaced_once_and_the_order_still_arrives(world: World) -> None:
    await world.send("PO-OA-1")
    world.server.revoke_all()

    await world.send("PO-OA-2")

    assert [call.status for call in world.server.api_calls] == [201, 401, 201]
    assert len(world.server.token_requests) == 2
    assert await world.services.backend.dead_letters() == []


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"oauth2_client_id": None}, "needs both oauth2_token_url and oauth2_client_id"),
        ({"client_secret_env": None}, "needs client_secret_env or client_secret_file"),
        ({"token_env": "ACME_TOKEN"}, "not both"),
        ({"transport": "directory", "path": "acme"}, "only an http channel"),
    ],
)
def test_an_oauth2_channel_that_cannot_work_is_refused_when_read(
    tmp_path: Path, change: dict[str, Any], refusal: str
) -> None:
    channel = {
        "transport": "http",
        "url": "http://127.0.0.1:9/edi",
        "oauth2_token_url": "http://127.0.0.1:9/oauth/token",
        "oauth2_client_id": "northwind",
        "client_secret_env": "ACME_EDI_CLIENT_SECRET",
    }
    for key, value in change.items():
        if value is None:
            channel.pop(key)
        else:
            channel[key] = value
    data = landscape_data(tmp_path)
    data["partners"]["acme"]["channel"] = channel
    with pytest.raises(ValidationError, match=refusal):
        build_landscape(data, base_dir=tmp_path)
