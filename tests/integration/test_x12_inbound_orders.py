"""X12 from customers and warehouses that the order-to-cash and inventory flows take.

A customer's 850 is its purchase order and our sales order; a 3PL's 945, 846
and 947 are shipment confirmations, counts and adjustments. The files are
written by the real maps and received through the partner inbox's X12 path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from distsync.bootstrap import Services, build
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.formats.x12.writer import Party
from distsync.model.examples import example_purchase_order
from distsync.model.examples.fulfilment import (
    example_inventory_adjustment,
    example_inventory_snapshot,
    example_shipment_confirmation,
)
from distsync.model.examples.master import customer_address
from distsync.partners.x12_in import X12Inbound
from distsync.partners.x12_in_record import Received
from distsync.runtime.ports import EventFilter
from tests.integration.x12_partner_files import group_text, interchange, landscape, set_text

pytestmark = pytest.mark.asyncio

KEYSTONE = Party("ZZ", "KEYSTONE")
EAST3PL = Party("ZZ", "EAST3PL")
PARTNERS = {
    "keystone": {
        "kind": "customer",
        "party_id": "CUS-3150",
        "x12": {"qualifier": "ZZ", "id": "KEYSTONE"},
        "sends": ["x12-850"],
    },
    "east3pl": {
        "kind": "warehouse",
        "x12": {"qualifier": "ZZ", "id": "EAST3PL"},
        "sends": ["x12-945", "x12-846", "x12-947"],
    },
}


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = build(landscape(tmp_path, **PARTNERS))
    try:
        yield built
    finally:
        await built.close()


async def receive(services: Services, data: bytes) -> Received:
    inbound = X12Inbound(
        landscape=services.landscape, log=services.backend, intake=services.intake,
        clock=services.clock,
    )  # fmt: skip
    return await inbound.receive(data)


async def test_a_customer_850_becomes_our_sales_order_for_its_erp_party(
    services: Services,
) -> None:
    po = example_purchase_order().model_copy(update={"ship_to": customer_address()})
    data = interchange(
        41, [group_text("PO", 7, [set_text("850", 1, po)], sender=KEYSTONE)], sender=KEYSTONE
    )
    received = await receive(services, data)

    (stored,) = await services.backend.list_events(EventFilter(types=("sales_order.received",)))
    order = stored.envelope.payload
    assert order["order_number"] == f"keystone-{po.po_number}"
    assert order["customer_po_number"] == po.po_number
    assert order["customer"]["party_id"] == "CUS-3150"
    assert order["ship_to"]["postal_code"] == customer_address().postal_code
    assert [line["item"]["sku"] for line in order["lines"]] == [ln.item.sku for ln in po.lines]
    (ack,) = read_acknowledgements(received.acknowledgement)
    assert ack.accepted


async def test_an_850_without_a_ship_to_address_is_refused_in_the_997(
    services: Services,
) -> None:
    po = example_purchase_order().model_copy(update={"ship_to": None})
    data = interchange(
        42, [group_text("PO", 8, [set_text("850", 1, po)], sender=KEYSTONE)], sender=KEYSTONE
    )
    received = await receive(services, data)

    assert await services.backend.list_events(EventFilter(types=("sales_order.received",))) == []
    (ack,) = read_acknowledgements(received.acknowledgement)
    assert not ack.accepted
    (refused,) = received.rejected
    assert any("ship_to" in problem.message for problem in refused.problems)


@pytest.mark.parametrize(
    ("set_id", "group", "document", "event_type"),
    [
        ("945", "SW", example_shipment_confirmation(), "shipment.confirmed"),
        ("846", "IB", example_inventory_snapshot(), "inventory.snapshot_received"),
        ("947", "AW", example_inventory_adjustment(), "inventory.adjusted"),
    ],
)
async def test_a_3pl_s_945_846_and_947_become_their_events(
    services: Services, set_id: str, group: str, document: object, event_type: str
) -> None:
    data = interchange(
        50, [group_text(group, 9, [set_text(set_id, 1, document)], sender=EAST3PL)],  # type: ignore[arg-type]
        sender=EAST3PL,
    )  # fmt: skip
    await receive(services, data)

    (stored,) = await services.backend.list_events(EventFilter(types=(event_type,)))
    assert stored.envelope.partner == "east3pl"
    assert stored.envelope.payload["warehouse_id"] == "WH-EAST"
