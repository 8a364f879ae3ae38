"""Purchase orders to partners through the outbox, over real HTTP and real folders, on SQLite.

A small flow stands in for procure: on ``purchase_order.confirmed`` it queues
``ctx.send("partner:<name>", "x12-850", po, idempotency_key=...)``; the worker
delivers through the partner channel that ``bootstrap`` built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.errors import ConfigError
from distsync.formats.x12.ack import acknowledgement_interchange
from distsync.formats.x12.ack_read import AckOutcome, RejectedSet
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.writer import Envelope, Party
from distsync.model.examples import example_purchase_order, variant
from distsync.partners import acks
from distsync.partners.acks import group_status, overdue_groups
from distsync.partners.x12_in import X12Inbound
from distsync.runtime.context import HandlerContext
from distsync.runtime.outbox import outbound_request
from distsync.runtime.ports import EventFilter, SubscriptionSpec
from distsync.runtime.worker import Subscription
from distsync.testing import FrozenClock, HttpEndpointSimulator, Reply, make_envelope
from tests.integration.x12_partner_files import landscape_data

PO = "PO-2024-00117"


@dataclass
class Landscape:
    services: Services
    clock: FrozenClock
    endpoint: HttpEndpointSimulator
    folder: Path

    async def confirm(self, supplier: str, po: dict[str, Any] | None = None) -> None:
        """A confirmed purchase order for ``supplier`` enters the log; the worker runs."""
        body = po or example_purchase_order().model_dump(mode="json")
        envelope = make_envelope(
            "purchase_order.confirmed",
            key=f"erp:{body['po_number']}:{supplier}",
            partition=body["po_number"],
            payload={**body, "note": supplier},
            correlation_id=f"po:{body['po_number']}",
            received_at=self.clock(),
        )
        await self.services.intake.accept([envelope])
        await self.drain()

    async def drain(self) -> None:
        await self.services.worker("test").drain()


async def send_po(ctx: HandlerContext) -> None:
    po = dict(ctx.envelope.payload)
    supplier, operation = po.pop("note"), po.pop("operation", "x12-850")
    key = f"procure.send_po:{po['po_number']}:{po['revision']}"
    ctx.send(f"partner:{supplier}", operation, po, idempotency_key=key)


def po_numbered(number: str) -> dict[str, Any]:
    return variant(example_purchase_order(), {"po_number": number}).model_dump(mode="json")


SEND_PO = Subscription(SubscriptionSpec("test.send_po", ("purchase_order.confirmed",)), send_po)


def partners(endpoint_url: str, folder: Path) -> dict[str, Any]:
    return {
        "acme": {
            "kind": "supplier",
            "x12": {"qualifier": "ZZ", "id": "ACME"},
            "channel": {"transport": "http", "url": endpoint_url},
            "receives": ["x12-850"],
        },
        "globex": {
            "kind": "supplier",
            "x12": {
                "qualifier": "ZZ",
                "id": "GLOBEX",
                "delimiters": {
                    "element": "|",
                    "component": ":",
                    "segment": "!",
                    "repetition": None,
                },
            },
            "channel": {"transport": "directory", "path": str(folder)},
            "receives": ["x12-850"],
        },
    }


@pytest.fixture
def endpoint() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as simulator:
        yield simulator


@pytest.fixture
def acme_channel() -> dict[str, Any]:
    """Extra keys for ACME's channel (a test overrides this fixture to add some)."""
    return {}


@pytest.fixture
async def world(
    tmp_path: Path, endpoint: HttpEndpointSimulator, acme_channel: dict[str, Any]
) -> AsyncIterator[Landscape]:
    folder = tmp_path / "globex"
    folder.mkdir()
    data = landscape_data(tmp_path, **partners(endpoint.url, folder))
    data["partners"]["acme"]["channel"].update(acme_channel)
    data["flows"] = {"procure": {"ack_deadline_hours": 4}}
    clock = FrozenClock()
    services = build(
        build_landscape(data, base_dir=tmp_path),
        overrides=Overrides(subscriptions=[SEND_PO], clock=clock),
    )
    try:
        yield Landscape(services, clock, endpoint, folder)
    finally:
        await services.close()


def receiver(world: Landscape) -> X12Inbound:
    s = world.services
    return X12Inbound(landscape=s.landscape, log=s.backend, intake=s.intake, clock=world.clock)


async def test_a_po_reaches_the_partner_as_its_850_with_the_keys_of_the_request(
    world: Landscape,
) -> None:
    await world.confirm("acme")

    (request,) = world.endpoint.requests
    text = request.body.decode()
    assert request.header("Content-Type") == "application/edi-x12"
    assert request.idempotency_key == f"procure.send_po:{PO}:0"
    assert request.header("X-Correlation-ID") == f"po:{PO}"
    assert text.startswith("ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*ACME    ")
    assert "*260105*0900*U*00401*000000001*0*P*>~" in text
    assert f"BEG*00*SA*{PO}" in text
    status = await group_status(world.services.backend, "acme", 1)
    assert status is not None
    assert status.outcome is AckOutcome.NOT_ACKNOWLEDGED
    record = status.record
    assert (record.interchange_control, record.set_controls, record.document_numbers) == (
        "000000001",
        ("0001",),
        (PO,),
    )
    assert (record.correlation_id, record.text) == (f"po:{PO}", text)
    assert record.ack_due - record.sent_at == timedelta(hours=4)


async def test_a_partner_s_own_deadline_wins_over_the_flow_s(world: Landscape) -> None:
    profile = world.services.landscape.partners["acme"]
    quick = world.services.landscape.model_copy(
        update={"partners": {"acme": profile.model_copy(update={"ack_deadline_hours": 0.5})}}
    )
    assert acks.ack_deadline(quick, "acme") == timedelta(minutes=30)
    assert acks.ack_deadline(quick, "globex") == timedelta(hours=4)  # not in this landscape
    assert acks.ack_deadline(world.services.landscape, "acme") == timedelta(hours=4)


async def test_a_po_resent_after_failures_is_byte_identical(world: Landscape) -> None:
    world.endpoint.script(Reply.error(503), Reply.error(503), Reply.error(503))
    await world.confirm("acme")
    assert len(world.endpoint.requests) == 3  # the in-call attempts, then back to the log
    world.clock.advance(3600)  # anything written now would say 1000, not 0900
    await world.drain()

    bodies = {r.body for r in world.endpoint.requests}
    assert len(world.endpoint.requests) == 4
    assert len(bodies) == 1
    assert b"*260105*0900*" in bodies.pop()
    recorded_twice = [d for d in await world.services.backend.duplicates() if "x12-group" in d[0]]
    assert recorded_twice == []  # each retry found its group; none tried to record it again
    await world.confirm("acme", po_numbered("PO-2"))
    assert b"*000000002*" in world.endpoint.requests[-1].body  # no number was spent twice


async def test_a_redelivered_request_sends_the_same_bytes_and_the_replay_is_a_duplicate(
    world: Landscape,
) -> None:
    await world.confirm("acme")
    world.clock.advance(7200)
    (queued,) = await world.services.backend.list_events(EventFilter(types=("outbound.requested",)))
    receipt = await world.services.connectors["partner:acme"].send(
        outbound_request(queued.envelope)
    )

    first, again = world.endpoint.requests
    assert again.body == first.body
    assert receipt.duplicate


async def test_a_directory_partner_gets_one_file_named_by_its_numbers(world: Landscape) -> None:
    await world.confirm("globex")
    written = world.folder / "outbound" / "globex_850_000000001.edi"
    content = written.read_bytes()
    assert content.startswith(b"ISA|00|")
    assert b"|ZZ|GLOBEX         |" in content

    world.clock.advance(3600)
    (queued,) = await world.services.backend.list_events(EventFilter(types=("outbound.requested",)))
    receipt = await world.services.connectors["partner:globex"].send(
        outbound_request(queued.envelope)
    )

    assert [p.name for p in (world.folder / "outbound").iterdir()] == [written.name]
    assert written.read_bytes() == content
    assert (receipt.remote_id, receipt.duplicate) == (written.name, True)


async def test_the_partners_997_reconciles_the_sent_group(world: Landscape) -> None:
    await world.confirm("acme")
    reader = X12Reader(world.endpoint.requests[0].body)
    reader.read_all()
    theirs = acknowledgement_interchange(reader, controls=(900, 900, 1), at=world.clock())
    assert theirs is not None

    received = await receiver(world).receive(theirs.encode())

    assert received.acknowledgement == b""  # acknowledgements are not acknowledged
    status = await group_status(world.services.backend, "acme", 1)
    assert status is not None
    assert (status.outcome, status.rejected) == (AckOutcome.ACCEPTED, ())
    assert await overdue_groups(world.services.backend, now=world.clock() + timedelta(days=2)) == []
    await world.confirm("acme", po_numbered("PO-2"))
    assert b"*000000002*" in world.endpoint.requests[-1].body  # receiving it drew no number


def rejecting_997(group_control: str, set_control: str) -> bytes:
    body = [
        ["AK1", "PO", group_control],
        ["AK2", "850", set_control],
        ["AK3", "PO1", "3", "", "8"],
        ["AK4", "2", "", "1"],
        ["AK5", "R", "5"],
        ["AK9", "R", "1", "1", "0"],
    ]
    envelope = Envelope(Party("ZZ", "ACME"), Party("ZZ", "NORTHWIND"))
    text = envelope.interchange(
        "FA", [("997", body)], interchange_control=901, group_control=901, first_set_control=1,
        at=FrozenClock()(),
    )  # fmt: skip
    return text.encode()


async def test_a_rejecting_997_marks_the_group_rejected_with_the_partners_notes(
    world: Landscape,
) -> None:
    await world.confirm("acme")
    await receiver(world).receive(rejecting_997("1", "0001"))

    status = await group_status(world.services.backend, "acme", "000001")
    assert status is not None
    assert status.outcome is AckOutcome.REJECTED
    assert status.rejected == (RejectedSet("0001", ("5",)),)
    assert status.acknowledgement is not None
    (note,) = status.acknowledgement["sets"][0]["segments"]
    assert (note["tag"], note["position"], note["elements"][0]["code"]) == ("PO1", 3, "1")


async def test_groups_without_997_are_overdue_after_the_deadline_only(world: Landscape) -> None:
    await world.confirm("acme")
    await world.confirm("acme", po_numbered("PO-2"))
    reader = X12Reader(world.endpoint.requests[0].body)
    reader.read_all()
    theirs = acknowledgement_interchange(reader, controls=(900, 900, 1), at=world.clock())
    assert theirs is not None
    await receiver(world).receive(theirs.encode())
    log = world.services.backend

    assert await overdue_groups(log, now=world.clock() + timedelta(hours=3)) == []
    (late,) = await overdue_groups(log, now=world.clock() + timedelta(hours=5), partner="acme")
    assert (late.document_numbers, late.group_control) == (("PO-2",), "2")
    assert await overdue_groups(log, now=world.clock() + timedelta(hours=5), partner="globex") == []


async def test_a_po_the_map_refuses_is_dead_lettered_and_spends_no_number(
    world: Landscape,
) -> None:
    broken = example_purchase_order().model_dump(mode="json")
    broken["lines"][0]["quantity"]["value"] = "-3"
    await world.confirm("acme", broken)

    (dead,) = await world.services.backend.dead_letters()
    assert dead.error.error_class == "SchemaViolation"
    assert dead.error.message.startswith(
        f"rendering 850 for acme: purchase order {PO} is not valid: "
        "lines.0.quantity (line 1) must be positive, got -3 CA"
    )
    assert world.endpoint.requests == []
    await world.confirm("acme", po_numbered("PO-3"))
    assert b"*000000001*" in world.endpoint.requests[0].body


async def test_a_set_the_partner_does_not_receive_is_dead_lettered(world: Landscape) -> None:
    po = example_purchase_order().model_dump(mode="json")
    await world.confirm("acme", {**po, "operation": "x12-860"})

    (dead,) = await world.services.backend.dead_letters()
    assert "acme is not declared to receive it (partners.acme.receives: x12-850)" in (
        dead.error.message
    )


async def test_a_partner_refusing_the_po_dead_letters_it_with_the_partners_answer(
    world: Landscape,
) -> None:
    world.endpoint.script(Reply.error(422, {"error": "unknown buyer NORTHWIND"}))
    await world.confirm("acme")

    (dead,) = await world.services.backend.dead_letters()
    assert dead.error.error_class == "Rejected"
    assert dead.error.message.startswith(
        f"sending 850 {PO} (ISA13 000000001) to acme: HTTP 422 Unprocessable Entity: "
    )
    assert "unknown buyer NORTHWIND" in dead.error.message
    assert len(world.endpoint.requests) == 1  # a refusal is not retried


@pytest.mark.parametrize("acme_channel", [{"token_env": "ACME_EDI_TOKEN"}])
async def test_a_channel_token_is_sent_as_a_bearer_token(
    world: Landscape, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_EDI_TOKEN", "s3cret")
    await world.confirm("acme")

    assert world.endpoint.requests[0].header("Authorization") == "Bearer s3cret"


@pytest.mark.parametrize(
    ("channel", "own", "refusal"),
    [
        ({"transport": "as2", "as2_id": "ACME-AS2"}, True, "transport as2 needs url"),
        ({"transport": "sftp", "url": "sftp://127.0.0.1/in"}, True, "sftp is not available yet"),
        ({"transport": "http", "url": "http://127.0.0.1:9"}, False, "no x12 identity of our own"),
    ],
)
def test_channels_that_cannot_work_stop_the_build(
    tmp_path: Path, channel: dict[str, Any], own: bool, refusal: str
) -> None:
    data = landscape_data(tmp_path)
    data["partners"]["acme"]["channel"] = channel
    if not own:
        del data["x12"]
    with pytest.raises(ConfigError, match=refusal):
        build(build_landscape(data, base_dir=tmp_path))


def test_an_http_channel_without_a_url_is_refused_when_the_landscape_is_read(
    tmp_path: Path,
) -> None:
    data = landscape_data(tmp_path)
    data["partners"]["acme"]["channel"] = {"transport": "http"}
    with pytest.raises(ValidationError, match="transport http needs url"):
        build_landscape(data, base_dir=tmp_path)
