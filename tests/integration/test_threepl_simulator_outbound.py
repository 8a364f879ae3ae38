"""The simulated 3PL warehouse outbound and its stock: 940 in → 997 and 945; 846 and 947 out.

Real servers on 127.0.0.1: the 3PL simulator answers to an HTTP endpoint
simulator, and what arrives there is read with distsync's own maps, as the
distributor reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from distsync.config_x12 import X12Identity
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.writer import Party
from distsync.model.examples.fulfilment import example_shipment_order
from distsync.model.examples.procurement import example_asn
from distsync.model.inventory import AdjustmentReason, InventoryAdjustment, InventorySnapshot
from distsync.model.receipts import Receipt
from distsync.model.shipping import ShipmentConfirmation
from distsync.testing_http import HttpEndpointSimulator, RecordedRequest
from tests.integration.x12_partner_helpers import (
    NORTHWIND,
    NOW,
    fixed_clock,
    interchange,
    post,
    wait_for,
)

EAST3PL = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
TO_3PL = Party("ZZ", "EAST3PL")
ORDER = example_shipment_order()  # TAP-0048 2 RL, DRL-1800 1 EA, LUB-5500 3 EA
NOTICE = example_asn()  # FAS-10432 2 CA, GLV-2211 5 CA, LUB-5510 10 CA, DRL-1800 3 EA
OURS = MapOptions(code_lists={"warehouse": {"WH-EAST": "EAST01"}, "carrier": {"CAR-RLC": "RLCA"}})


@pytest.fixture
def sink() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as endpoint:
        yield endpoint


def simulator(sink: HttpEndpointSimulator, **settings: object) -> ThreePlSimulator:
    behaviour = WarehouseBehaviour.from_dict(settings)
    return ThreePlSimulator(EAST3PL, behaviour, reply_to=sink.url, clock=fixed_clock)


def send(sim: ThreePlSimulator, set_id: str, document: BaseModel) -> None:
    status, reply = post(sim.url, interchange(set_id, document, TO_3PL, options=OURS))
    assert (status, [s["accepted"] for s in reply["sets"]]) == (202, [True]), reply
    assert sim.wait_idle()


def arrived(sink: HttpEndpointSimulator, count: int) -> list[RecordedRequest]:
    """What reached the distributor: exactly ``count`` requests (the sends are queued)."""
    requests = wait_for(sink, count)
    assert len(requests) == count, [r.body[:120] for r in requests]
    return requests


def read(request: RecordedRequest, set_id: str) -> BaseModel:
    """The one set of ``request``, read by distsync's map for ``set_id`` with no errors."""
    (transaction,) = X12Reader(request.body).read_all()
    assert transaction.set_id == set_id
    result = map_for(set_id).read(transaction, OURS)
    assert [p for p in result.problems if p.severity is Severity.ERROR] == []
    assert result.document is not None
    return result.document


def shipment(request: RecordedRequest) -> ShipmentConfirmation:
    found = read(request, "945")
    assert isinstance(found, ShipmentConfirmation)
    return found


def snapshot(request: RecordedRequest) -> dict[str, tuple[Decimal, str]]:
    found = read(request, "846")
    assert isinstance(found, InventorySnapshot)
    assert found.complete
    return {b.sku: (b.on_hand.value, b.on_hand.uom) for b in found.balances}


def test_a_940_gets_a_997_and_a_945_shipping_what_was_ordered_less_the_short(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, short_ship={"DRL-1800": 1, "LUB-5500": "1"}, seed=7) as sim:
        send(sim, "940", ORDER)
    ack_request, confirmation_request = arrived(sink, 2)
    (ack,) = read_acknowledgements(ack_request.body)
    assert (ack.functional_id, ack.group_status) == ("OW", "A")
    confirmation = shipment(confirmation_request)
    assert confirmation.shipment_order_number == ORDER.shipment_order_number
    assert confirmation.warehouse_id == "WH-EAST"  # the 3PL's EAST01, mapped back by our list
    assert (confirmation.shipped_at, confirmation.carrier.scac) == (NOW, "UPSN")
    shipped = [
        (ln.item.sku, ln.ordered_quantity, ln.shipped_quantity.value) for ln in confirmation.lines
    ]
    assert shipped == [
        ("TAP-0048", ORDER.lines[0].quantity, Decimal(2)),
        ("DRL-1800", ORDER.lines[1].quantity, Decimal(0)),
        ("LUB-5500", ORDER.lines[2].quantity, Decimal(2)),
    ]
    assert len(confirmation.tracking_numbers()) == 2  # one package per line shipped


def test_tracking_numbers_depend_only_on_the_seed(sink: HttpEndpointSimulator) -> None:
    numbers = []
    for seed in (3, 3, 4):
        sink.clear()
        with simulator(sink, seed=seed) as sim:
            send(sim, "940", ORDER)
        numbers.append(shipment(arrived(sink, 2)[1]).tracking_numbers())
    assert numbers[0] == numbers[1]
    assert numbers[2] != numbers[0]


def test_a_duplicate_945_repeats_the_confirmation_byte_for_byte(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, duplicate_945=True) as sim:
        send(sim, "940", ORDER)
    _, first, second = arrived(sink, 3)
    assert first.body == second.body
    assert [(s.set_id, s.copy, s.controls) for s in sim.sent] == [
        ("997", 1, (1, 1, 1)),
        ("945", 1, (2, 2, 2)),
        ("945", 2, (2, 2, 2)),
    ]


def test_a_snapshot_holds_the_stock_book_after_receipts_and_shipments(
    sink: HttpEndpointSimulator,
) -> None:
    stock = {"DRL-1800": Decimal(5), "TAP-0048": Decimal(10), "LUB-5500": Decimal(8)}
    with simulator(sink, stock=stock, short_ship={"LUB-5500": 1}, units={"TAP-0048": "RL"}) as sim:
        send(sim, "943", NOTICE)
        send(sim, "940", ORDER)
        sent = sim.send_snapshot()
        assert sim.wait_idle()
    requests = arrived(sink, 5)  # 997, 944, 997, 945, 846
    receipt, confirmation = read(requests[1], "944"), shipment(requests[3])
    assert isinstance(receipt, Receipt)
    expected = {sku: (units, "RL" if sku == "TAP-0048" else "EA") for sku, units in stock.items()}
    for line in receipt.lines:
        value, _ = expected.get(line.item.sku, (Decimal(0), ""))
        expected[line.item.sku] = (value + line.received_quantity.value, line.received_quantity.uom)
    for shipped in confirmation.lines:
        value, unit = expected[shipped.item.sku]
        expected[shipped.item.sku] = (value - shipped.shipped_quantity.value, unit)
    assert snapshot(requests[4]) == expected
    assert expected["DRL-1800"] == (Decimal(7), "EA")  # 5 + 3 received - 1 shipped
    assert expected["LUB-5500"] == (Decimal(6), "EA")  # 8 - (3 ordered - 1 short)
    assert {b.sku: b.on_hand.value for b in sent.balances} == {
        sku: value for sku, (value, _) in expected.items()
    }


def test_an_adjustment_sends_a_947_and_changes_the_next_snapshot(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, stock={"GLV-2211": 40}, units={"GLV-2211": "BX"}) as sim:
        sim.send_snapshot(to=NORTHWIND)
        sim.adjust("GLV-2211", Decimal(-10), AdjustmentReason.DAMAGED, to=NORTHWIND)
        sim.send_snapshot(to=NORTHWIND)
        assert sim.wait_idle()
    before, advice, after = arrived(sink, 3)
    adjustment = read(advice, "947")
    assert isinstance(adjustment, InventoryAdjustment)
    assert (adjustment.item.sku, adjustment.delta.value, adjustment.delta.uom) == (
        "GLV-2211", Decimal(-10), "BX",
    )  # fmt: skip
    assert adjustment.reason_code is AdjustmentReason.DAMAGED
    assert snapshot(before) == {"GLV-2211": (Decimal(40), "BX")}
    assert snapshot(after) == {"GLV-2211": (Decimal(30), "BX")}


def test_a_variance_is_in_the_book_without_being_announced(sink: HttpEndpointSimulator) -> None:
    variance = {"GLV-2211": Decimal(-3), "TAP-0048": Decimal(4)}
    with simulator(sink, stock={"GLV-2211": 10}, variance=variance) as sim:
        with pytest.raises(RuntimeError, match="say whom to send to"):
            sim.send_snapshot()
        send(sim, "940", ORDER)  # now the 3PL knows its depositor
        sim.send_snapshot()
        assert sim.wait_idle()
    assert [s.set_id for s in sim.sent] == ["997", "945", "846"]
    book = snapshot(arrived(sink, 3)[2])
    assert book["GLV-2211"] == (Decimal(7), "EA")
    assert book["TAP-0048"] == (Decimal(2), "RL")  # 4 unannounced, 2 shipped


def test_a_snapshot_follows_every_nth_document(sink: HttpEndpointSimulator) -> None:
    with simulator(sink, snapshot_every=2, ship_delay=0.2) as sim:
        send(sim, "943", NOTICE)
        send(sim, "940", ORDER)
    assert [s.set_id for s in sim.sent] == ["997", "944", "997", "945", "846"]
    assert snapshot(arrived(sink, 5)[4])["DRL-1800"] == (Decimal(2), "EA")


def test_outbound_settings_are_read_from_json_and_bad_ones_refused_by_name() -> None:
    behaviour = WarehouseBehaviour.from_json(
        '{"short_ship": {"*": "1"}, "stock": {"A": 3}, "variance": {"A": "-1"}, "carrier": "FDEG"}'
    )
    assert (behaviour.short_ship, behaviour.stock, behaviour.carrier) == (
        {"*": Decimal(1)}, {"A": Decimal(3)}, "FDEG",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="carrier"):
        WarehouseBehaviour(carrier="ups")
    with pytest.raises(ValidationError, match="snapshot_every"):
        WarehouseBehaviour(snapshot_every=0)
