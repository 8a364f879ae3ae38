"""The simulated supplier portal as a real server: orders in as JSON; ack, ASNs, invoices out."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from distsync.api.auth import OpenAuthenticator
from distsync.api.inbound_json import DOCUMENT_EVENTS, inbound_json_router
from distsync.bootstrap import Services, build
from distsync.connectors.http_json_endpoint import HttpJsonEndpoint
from distsync.demo.portal_sim import PortalSimulator
from distsync.demo.supplier_behaviour import SupplierBehaviour
from distsync.model.asn import AdvanceShipNotice
from distsync.model.catalog import spec_for_event, validate_payload
from distsync.model.examples import example_purchase_order, variant
from distsync.model.invoices import Invoice
from distsync.model.procurement import AckLineStatus, AckStatus, PoAcknowledgement
from distsync.runtime.ports import EventFilter, OutboundRequest
from distsync.testing_http import HttpEndpointSimulator, RecordedRequest, Reply, loopback_listener
from tests.integration.x12_partner_files import landscape
from tests.integration.x12_partner_helpers import fixed_clock, partner_process, wait_for

ORDER = example_purchase_order()
ORDERED = {line.line_number: line.quantity.value for line in ORDER.lines}
INBOUND = "/v1/inbound/globex/"


@pytest.fixture
def sink() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as endpoint:
        yield endpoint


def simulator(
    sink: HttpEndpointSimulator, behaviour: SupplierBehaviour | None = None
) -> PortalSimulator:
    reply_to = {"url": sink.url, "headers": {"Authorization": "Bearer demo"}}
    return PortalSimulator("globex", behaviour, reply_to=reply_to, clock=fixed_clock)


def post_order(
    url: str, body: bytes, key: str | None = "po:1", path: str = "/purchase_order"
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"} | ({"Idempotency-Key": key} if key else {})
    request = urllib.request.Request(url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def order_json(order: Any = ORDER) -> bytes:
    return str(order.model_dump_json()).encode()


def answers(sink: HttpEndpointSimulator, behaviour: SupplierBehaviour, count: int) -> list[Any]:
    """Send the example order to a portal with ``behaviour``; its ``count`` answers, read."""
    with simulator(sink, behaviour) as sim:
        status, reply = post_order(sim.url, order_json())
        assert status == 201, reply
        assert sim.wait_idle()
    return [read(request) for request in wait_for(sink, count)]


def read(request: RecordedRequest) -> Any:
    """A posted answer as its canonical document, validated as distsync's route does."""
    assert request.path.startswith(INBOUND)
    event_type = DOCUMENT_EVENTS[request.path.removeprefix(INBOUND)]
    payload = validate_payload(event_type, request.body)
    return spec_for_event(event_type).model.model_validate(payload, strict=False)


def quantities(notice: AdvanceShipNotice) -> dict[int, Decimal]:
    return {e.item.po_line_number: e.item.quantity.value for e in notice.items()}


def test_an_order_is_acknowledged_shipped_and_invoiced_as_json(
    sink: HttpEndpointSimulator,
) -> None:
    ack, notice, invoice = answers(sink, SupplierBehaviour(carrier_scac="RLCA"), 3)

    assert [r.path for r in sink.requests] == [INBOUND + t for t in ("po_ack", "asn", "invoice")]
    for request in sink.requests:
        assert request.header("Content-Type") == "application/json"
        assert request.header("Authorization") == "Bearer demo"
    assert isinstance(ack, PoAcknowledgement)
    assert (ack.po_number, ack.status) == (ORDER.po_number, AckStatus.ACCEPTED)
    assert [line.line_number for line in ack.lines] == list(ORDERED)
    assert isinstance(notice, AdvanceShipNotice)
    assert quantities(notice) == ORDERED
    assert notice.ship_to_warehouse_id == ORDER.ship_to_warehouse_id
    assert [o.po_number for o in notice.orders] == [ORDER.po_number]
    assert isinstance(invoice, Invoice)
    assert (invoice.po_number, invoice.asn_number) == (ORDER.po_number, notice.asn_number)
    assert invoice.total == ORDER.total()


def test_a_repeated_idempotency_key_gets_the_same_id_and_nothing_new(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, SupplierBehaviour()) as sim:
        first = post_order(sim.url, order_json())
        again = post_order(sim.url, order_json())
        assert sim.wait_idle()

    taken = {"id": "SUP-ORD-000001", "po_number": ORDER.po_number}
    assert first == (201, taken | {"duplicate": False})
    assert again == (200, taken | {"duplicate": True})
    assert len(sink.requests) == 3
    assert [(r.status, r.duplicate) for r in sim.received] == [(201, False), (200, True)]
    assert [s.document_type for s in sim.sent] == ["po_ack", "asn", "invoice"]


def test_a_key_used_again_for_a_different_order_is_422(sink: HttpEndpointSimulator) -> None:
    changed = variant(ORDER, {"lines.0.quantity.value": "7"})
    with simulator(sink, SupplierBehaviour()) as sim:
        post_order(sim.url, order_json())
        status, reply = post_order(sim.url, order_json(changed))
        new_key, _ = post_order(sim.url, order_json(changed), key="po:2")
        assert sim.wait_idle()

    assert status == 422
    assert "different order (SUP-ORD-000001)" in reply["error"]
    assert new_key == 201
    assert len(sink.requests) == 6


def test_a_partial_shipment_ships_the_rest_in_a_second_notice_and_invoice(
    sink: HttpEndpointSimulator,
) -> None:
    behaviour = SupplierBehaviour(partial={"*": Decimal("0.5")}, rest_delay=0.1)
    found = answers(sink, behaviour, 5)

    kinds = [r.path.removeprefix(INBOUND) for r in sink.requests]
    assert kinds == ["po_ack", "asn", "invoice", "asn", "invoice"]
    first, rest = found[1], found[3]
    assert quantities(first) == {1: 1, 2: 3, 3: 2, 4: 5, 5: 1}
    assert quantities(rest) == {1: 1, 2: 3, 3: 2, 4: 5, 5: 2}
    assert [found[2].asn_number, found[4].asn_number] == [first.asn_number, rest.asn_number]


def test_a_price_change_is_confirmed_on_the_ack_and_invoiced_at_that_price(
    sink: HttpEndpointSimulator,
) -> None:
    behaviour = SupplierBehaviour(price_changes={"DRL-1800": Decimal("92.50")})
    ack, _, invoice = answers(sink, behaviour, 3)

    line = next(line for line in ack.lines if line.line_number == 5)
    assert line.status is AckLineStatus.CHANGED
    assert line.changed_unit_price.amount == Decimal("92.50")
    billed = next(i for i in invoice.lines if i.po_line_number == 5)
    assert (billed.unit_price.amount, billed.amount.amount) == (Decimal("92.50"), Decimal("277.50"))


def test_a_duplicate_asn_is_posted_twice_byte_for_byte(sink: HttpEndpointSimulator) -> None:
    answers(sink, SupplierBehaviour(duplicate_asn=True), 4)

    kinds = [r.path.removeprefix(INBOUND) for r in sink.requests]
    assert kinds == ["po_ack", "asn", "asn", "invoice"]
    assert sink.requests[1].body == sink.requests[2].body


def test_a_receiver_that_fails_at_first_gets_the_answer_on_a_retry(
    sink: HttpEndpointSimulator,
) -> None:
    sink.script(Reply.error(503), Reply.too_many(retry_after=0.1))
    with simulator(sink, SupplierBehaviour()) as sim:
        post_order(sim.url, order_json())
        assert sim.wait_idle()

    first = sim.sent[0]
    assert (first.document_type, first.delivered, first.attempts) == ("po_ack", True, 3)
    assert [r.body for r in sink.requests[:3]] == [first.body] * 3


def test_orders_it_cannot_take_are_refused_clearly_recorded_and_not_answered(
    sink: HttpEndpointSimulator,
) -> None:
    broken = ORDER.model_dump(mode="json")
    broken["lines"][0]["quantity"]["value"] = 2.5  # a float: amounts travel as text
    with simulator(sink, SupplierBehaviour()) as sim:
        invalid = post_order(sim.url, json.dumps(broken).encode())
        not_json = post_order(sim.url, b"<order/>")
        elsewhere = post_order(sim.url, order_json(), path="/sales_order")
        assert sim.wait_idle()

    assert invalid[0] == 422
    assert "lines.0.quantity.value" in invalid[1]["error"]
    assert ORDER.po_number in invalid[1]["error"]
    assert (not_json[0], elsewhere[0]) == (400, 404)
    assert [(r.path, r.status, r.error is not None) for r in sim.received] == [
        ("/purchase_order", 422, True),
        ("/purchase_order", 400, True),
        ("/sales_order", 404, True),
    ]
    assert sink.requests == []


async def test_distsyncs_http_json_connector_gets_an_id_and_a_resend_is_a_duplicate(
    sink: HttpEndpointSimulator,
) -> None:
    request = OutboundRequest(
        destination="globex-portal",
        operation="purchase_order",
        idempotency_key=f"po:{ORDER.po_number}:0123456789abcdef",
        body=ORDER.model_dump(mode="json"),
        correlation_id=f"po:{ORDER.po_number}",
    )
    with simulator(sink, SupplierBehaviour()) as sim:
        connector = HttpJsonEndpoint("globex-portal", sim.url)
        try:
            first = await connector.send(request)
            again = await connector.send(request)
        finally:
            await connector.close()
        assert await asyncio.to_thread(sim.wait_idle)

    assert (first.remote_id, first.duplicate) == ("SUP-ORD-000001", False)
    assert (again.remote_id, again.duplicate) == ("SUP-ORD-000001", True)
    assert sim.received[0].idempotency_key == request.idempotency_key
    assert len(sink.requests) == 3


@pytest.fixture
async def distsync(tmp_path: Path) -> AsyncIterator[tuple[Services, str]]:
    """distsync's JSON inbound route on a real port, over a SQLite file."""
    globex = {"kind": "supplier", "sends": ["json-po_ack", "json-asn", "json-invoice"]}
    services = build(landscape(tmp_path, globex=globex))
    app = FastAPI()
    app.state.authenticator = OpenAuthenticator()  # no security section: open
    app.include_router(inbound_json_router(services))
    listener = loopback_listener()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield services, f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listener.close()
        await services.close()


async def test_the_answers_are_taken_by_distsyncs_json_route(
    distsync: tuple[Services, str],
) -> None:
    services, url = distsync
    behaviour = SupplierBehaviour(partial={"*": Decimal("0.5")}, rest_delay=0, duplicate_asn=True)
    with PortalSimulator("globex", behaviour, reply_to=url, clock=fixed_clock) as sim:
        status, _ = await asyncio.to_thread(post_order, sim.url, order_json())
        assert await asyncio.to_thread(sim.wait_idle)

    assert status == 201
    assert all(sent.delivered and sent.detail == "HTTP 202" for sent in sim.sent)
    assert [s.document_type for s in sim.sent] == [
        "po_ack", "asn", "asn", "invoice", "asn", "asn", "invoice",
    ]  # fmt: skip
    stored = await services.backend.list_events(EventFilter(partner="globex"))
    assert sorted(e.envelope.type for e in stored) == [
        "asn.received", "asn.received", "invoice.received", "invoice.received", "po_ack.received",
    ]  # fmt: skip
    assert {e.envelope.correlation_id for e in stored} == {f"po:{ORDER.po_number}"}


def test_the_portal_runs_as_its_own_process(sink: HttpEndpointSimulator, tmp_path: Path) -> None:
    config = {
        "partner": "globex",
        "behaviour": {"number_prefix": "GLBX"},
        "reply_to": {"url": sink.url, "headers": {"X-Partner": "globex"}},
    }
    with partner_process("distsync.demo.portal_sim", config, tmp_path) as url:
        status, reply = post_order(url, order_json())
        wait_for(sink, 3)
        with urllib.request.urlopen(url + "/log") as answer:
            log = json.loads(answer.read())

    assert (status, reply["id"]) == (201, "GLBX-ORD-000001")
    assert read(sink.requests[1]).asn_number == "GLBX-ASN-000001"
    assert sink.requests[0].header("X-Partner") == "globex"
    assert [entry["status"] for entry in log["received"]] == [201]
    assert [entry["document_type"] for entry in log["sent"]] == ["po_ack", "asn", "invoice"]


def test_a_process_with_a_bad_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"partner": "globex", "reply_to": "ftp://x"}))
    done = subprocess.run(
        [sys.executable, "-m", "distsync.demo.portal_sim", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "reply_to" in done.stderr
