"""AS2 over real HTTP on 127.0.0.1 with partners built on pyas2lib, on a real SQLite file.

distsync serves ``POST /v1/as2`` with uvicorn; KEYSTONE (a customer) sends
it signed and encrypted 850s, ACME (a supplier) receives our 850s through the
partner connector bootstrap builds. Keys and certificates are real RSA.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from distsync.api.app import create_app
from distsync.api.as2 import RECEIVED
from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.demo.as2_peer import As2Peer, KeyPair, make_key_pair
from distsync.errors import Rejected, RetryableError
from distsync.formats.x12.writer import Party
from distsync.model.examples import example_purchase_order
from distsync.model.examples.master import customer_address
from distsync.partners.as2_acks import KIND as ACKS
from distsync.partners.as2_acks import AckOutbox
from distsync.partners.channel_as2 import SENT
from distsync.runtime.ports import EventFilter, OutboundRequest, Receipt
from distsync.testing_http import loopback_listener
from tests.integration.x12_partner_files import group_text, interchange, landscape_data, set_text

KEYSTONE = Party("ZZ", "KEYSTONE")
ORDERS = EventFilter(types=("sales_order.received",))
WAIT_SECONDS = 10.0


@dataclass
class World:
    services: Services
    url: str  # our /v1/as2
    keystone: As2Peer  # sends us 850s
    acme: As2Peer  # receives our 850s
    keys: dict[str, KeyPair]

    async def orders(self) -> int:
        return len(await self.services.backend.list_events(ORDERS))

    async def send_po(self, key: str = "procure.send_po:PO-1:1") -> Receipt:
        request = OutboundRequest(
            destination="partner:acme", operation="x12-850", idempotency_key=key,
            body=example_purchase_order().model_dump(mode="json"), correlation_id="po:PO-1",
        )  # fmt: skip
        return await self.services.connectors["partner:acme"].send(request)


def customer_850(control: int = 41) -> bytes:
    po = example_purchase_order().model_copy(update={"ship_to": customer_address()})
    group = group_text("PO", 7, [set_text("850", 1, po)], sender=KEYSTONE)
    return interchange(control, [group], sender=KEYSTONE)


def partners(keys: dict[str, KeyPair], keystone: As2Peer, acme: As2Peer, mdn: str) -> Any:
    def as2_channel(as2_id: str, peer: As2Peer, pair: KeyPair) -> dict[str, Any]:
        return {"transport": "as2", "as2_id": as2_id, "url": peer.url,
                "certificate_file": str(pair.certificate_file)}  # fmt: skip

    return {
        "acme": {
            "kind": "supplier", "x12": {"qualifier": "ZZ", "id": "ACME"},
            "receives": ["x12-850"],
            "channel": {**as2_channel("ACME", acme, keys["acme"]), "mdn": mdn},
        },
        "keystone": {
            "kind": "customer", "party_id": "CUS-3150",
            "x12": {"qualifier": "ZZ", "id": "KEYSTONE"}, "sends": ["x12-850"],
            "channel": as2_channel("KEYSTONE", keystone, keys["keystone"]),
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    folder = tmp_path_factory.mktemp("as2-keys")
    return {name: make_key_pair(folder, name) for name in ("distsync", "keystone", "acme", "other")}


@pytest.fixture
def mdn() -> str:
    return "sync"


@pytest.fixture
async def world(tmp_path: Path, keys: dict[str, KeyPair], mdn: str) -> AsyncIterator[World]:
    ours = keys["distsync"].certificate
    keystone = As2Peer("KEYSTONE", keys["keystone"], "DISTSYNC", ours)
    acme = As2Peer("ACME", keys["acme"], "DISTSYNC", ours)
    for peer in (keystone, acme):
        peer.reserve_port()
    listener = loopback_listener()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1/as2"
    keystone.mdn_url = url
    data = landscape_data(tmp_path, **partners(keys, keystone, acme, mdn))
    ours_pair = keys["distsync"]
    settings = {"as2_id": "DISTSYNC", "private_key_file": str(ours_pair.key_file),
                "certificate_file": str(ours_pair.certificate_file), "mdn_url": url}  # fmt: skip
    data["as2"] = settings
    services = build(build_landscape(data, base_dir=tmp_path))
    app = Serving(services, listener)
    await asyncio.gather(app.start(), keystone.start(), acme.start())
    try:
        yield World(services, url, keystone, acme, keys)
    finally:
        await asyncio.gather(app.stop(), keystone.stop(), acme.stop())
        await services.close()


class Serving:
    """The whole app (``create_app``: gateway, problem handlers, every router) on ``listener``."""

    def __init__(self, services: Services, listener: socket.socket) -> None:
        app = create_app(services)
        self._server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        self._listener = listener
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._listener]))

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._listener.close()


async def eventually(check: Callable[[], Any]) -> None:
    for _ in range(int(WAIT_SECONDS / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {WAIT_SECONDS}s: {check}")


async def test_a_signed_encrypted_850_is_stored_and_answered_with_a_signed_mdn(
    world: World,
) -> None:
    result = await world.keystone.send(world.url, customer_850())

    assert (result.status_code, result.disposition, result.detail) == (200, "processed", None)
    assert await world.orders() == 1
    key = f"KEYSTONE:{result.message_id}"
    assert await world.services.backend.get_document(RECEIVED, key) is not None

    async def acknowledged() -> bool:  # the 997 comes back to KEYSTONE as an AS2 message
        return any(b"ST*997" in payload for payload in world.keystone.received)

    await eventually(acknowledged)


async def test_a_997_owed_while_the_partner_is_down_is_sent_once_when_it_is_back(
    world: World,
) -> None:
    await world.keystone.stop()
    result = await world.keystone.send(world.url, customer_850(control=42))
    assert result.disposition == "processed"
    backend = world.services.backend

    async def first_attempt_failed() -> bool:
        owed = await backend.list_documents(ACKS)
        return len(owed) == 1 and owed[0].body["attempts"] == 1

    await eventually(first_attempt_failed)
    assert world.keystone.received == []
    outbox = AckOutbox(world.services.landscape, backend, world.services.clock)
    await world.keystone.start()

    await outbox.send_pending()
    await outbox.send_pending()  # nothing is owed any more

    assert [b"ST*997" in payload for payload in world.keystone.received] == [True]
    (owed,) = await backend.list_documents(ACKS)
    assert (owed.body["status"], owed.body["attempts"]) == ("sent", 2)


async def test_a_tampered_signature_is_refused_and_nothing_is_stored(world: World) -> None:
    result = await world.keystone.send(world.url, customer_850(), tamper=True)

    assert (result.disposition, result.detail) == ("processed/Error", "authentication-failed")
    assert await world.orders() == 0
    key = f"KEYSTONE:{result.message_id}"
    assert await world.services.backend.get_document(RECEIVED, key) is None


async def test_a_message_signed_with_another_certificate_is_refused(world: World) -> None:
    impostor = As2Peer(
        "KEYSTONE", world.keys["other"], "DISTSYNC", world.keys["distsync"].certificate
    )

    result = await impostor.send(world.url, customer_850())

    assert result.disposition == "processed/Error"
    assert result.detail == "authentication-failed"
    assert await world.orders() == 0


async def test_a_replayed_message_id_is_answered_duplicate_and_taken_once(world: World) -> None:
    first = await world.keystone.send(world.url, customer_850(), message_id="po-41")
    again = await world.keystone.send(world.url, customer_850(), message_id="po-41")

    assert first.disposition == "processed"
    assert (again.disposition, again.detail) == ("processed/Warning", "duplicate-document")
    assert await world.orders() == 1


async def test_an_unknown_as2_from_is_refused_without_an_mdn(world: World) -> None:
    stranger = As2Peer(
        "STRANGER", world.keys["other"], "DISTSYNC", world.keys["distsync"].certificate
    )

    with pytest.raises(Rejected, match="HTTP 403 Forbidden: receiving AS2: AS2-From STRANGER"):
        await stranger.send(world.url, customer_850())
    assert await world.orders() == 0


async def test_outbound_as2_is_retried_while_the_peer_is_down_and_delivered_once(
    world: World,
) -> None:
    await world.acme.stop()
    with pytest.raises(RetryableError, match="to acme over AS2"):
        await world.send_po()
    assert world.acme.received == []

    await world.acme.start()
    receipt = await world.send_po()

    assert len(world.acme.received) == 1
    assert b"ST*850" in world.acme.received[0]
    assert receipt.remote_id is not None
    assert not receipt.duplicate
    sent = await world.services.backend.get_document(SENT, receipt.remote_id)
    assert sent is not None
    assert sent.body["status"] == "delivered"


async def test_a_retry_after_a_lost_mdn_is_not_processed_twice_by_the_peer(world: World) -> None:
    world.acme.lose_answers = 1  # it takes the message, then its answer is lost

    receipt = await world.send_po()  # the in-call retry sends the same Message-ID again

    assert len(world.acme.received) == 1
    assert receipt.duplicate  # the partner's MDN: duplicate-document


@pytest.mark.parametrize("mdn", ["async"])
async def test_an_asynchronous_mdn_is_accepted_and_recorded(world: World) -> None:
    receipt = await world.send_po()
    assert receipt.remote_id is not None
    message_id = receipt.remote_id

    async def delivered() -> bool:
        sent = await world.services.backend.get_document(SENT, message_id)
        return sent is not None and sent.body["status"] == "delivered"

    await eventually(delivered)
    assert len(world.acme.received) == 1


async def test_a_verified_message_that_is_not_x12_gets_a_negative_mdn(world: World) -> None:
    result = await world.keystone.send(world.url, b"hello, this is not an interchange")

    assert (result.disposition, result.detail) == (
        "processed/Error",
        "unexpected-processing-error",
    )
    key = f"KEYSTONE:{result.message_id}"
    assert await world.services.backend.get_document(RECEIVED, key) is None
