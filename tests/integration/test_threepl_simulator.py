"""The simulated 3PL warehouse as a real server: 943 in; 997 and 944 out, read by our readers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from distsync.config_x12 import X12Identity
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m944 import WAREHOUSE_RECEIPT_ADVICE_944 as M944
from distsync.formats.x12.writer import Party
from distsync.model.examples.procurement import example_asn
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine
from distsync.model.units import Quantity
from distsync.testing_http import HttpEndpointSimulator
from tests.integration.x12_partner_helpers import (
    NOW,
    by_set,
    fixed_clock,
    interchange,
    partner_process,
    post,
    read_sets,
    wait_for,
    wait_for_files,
)

EAST3PL = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
TO_3PL = Party("ZZ", "EAST3PL")
NOTICE = example_asn()
OURS = MapOptions(code_lists={"warehouse": {"WH-EAST": "EAST01"}, "carrier": {"CAR-RLC": "RLCA"}})


@pytest.fixture
def sink() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as endpoint:
        yield endpoint


def expected_receipt(sink: HttpEndpointSimulator, behaviour: WarehouseBehaviour) -> Receipt:
    """Send the example notice as a 943; the one 944 that comes back, read as the distributor."""
    with ThreePlSimulator(EAST3PL, behaviour, reply_to=sink.url, clock=fixed_clock) as sim:
        status, reply = post(sim.url, interchange("943", NOTICE, TO_3PL, options=OURS))
        assert status == 202, reply
        assert sim.wait_idle()
    requests = wait_for(sink, 2)
    (ack,) = read_acknowledgements(requests[0].body)
    assert (ack.functional_id, ack.group_status) == ("AR", "A")
    (transaction,) = X12Reader(requests[1].body).read_all()
    result = M944.read(transaction, OURS)
    assert [p for p in result.problems if p.severity == "error"] == []
    assert isinstance(result.document, Receipt)
    return result.document


def line_of(receipt: Receipt, sku: str) -> ReceiptLine:
    return next(line for line in receipt.lines if line.item.sku == sku)


def test_a_943_is_received_in_full_by_default(sink: HttpEndpointSimulator) -> None:
    receipt = expected_receipt(sink, WarehouseBehaviour(lots=False))
    assert (receipt.asn_number, receipt.po_number) == (NOTICE.asn_number, "PO-2024-00117")
    assert receipt.warehouse_id == "WH-EAST"  # the 3PL's EAST01, mapped back by our code list
    assert receipt.received_at == NOW
    advised = [(e.item.po_line_number, e.item.quantity, e.item.lot) for e in NOTICE.items()]
    booked = [(line.po_line_number, line.received_quantity, line.lot) for line in receipt.lines]
    assert booked == advised
    assert (
        line_of(receipt, "DRL-1800").serial_numbers
        == NOTICE.orders[0].packs[1].items[1].serial_numbers
    )


def test_shortages_damages_lots_serials_and_expiry_are_booked_as_configured(
    sink: HttpEndpointSimulator,
) -> None:
    behaviour = WarehouseBehaviour.from_dict({
        "shortages": {"GLV-2211": "1"}, "damages": {"LUB-5510": 2},
        "serialised": ["LUB-5510"], "shelf_life_days": {"FAS-10432": 365}, "location": "DOCK-3",
    })  # fmt: skip
    receipt = expected_receipt(sink, behaviour)
    skus = ("GLV-2211", "LUB-5510", "FAS-10432", "DRL-1800")
    gloves, lube, bolts, drills = (line_of(receipt, sku) for sku in skus)
    assert gloves.received_quantity == Quantity(value=Decimal(4), uom="CA")
    assert lube.damaged_quantity == Quantity(value=Decimal(2), uom="CA")
    assert lube.condition is ReceiptCondition.DAMAGED
    assert len(lube.serial_numbers) == 10
    assert bolts.expiry_date == date(2025, 5, 10)
    assert gloves.expiry_date == date(2027, 4, 30)  # the notice's own
    assert drills.lot is not None
    assert drills.lot.startswith("W")
    assert {line.location_id for line in receipt.lines} == {"DOCK-3"}


def test_generated_lots_and_serials_depend_only_on_the_seed(sink: HttpEndpointSimulator) -> None:
    behaviour = WarehouseBehaviour(seed=3, serialised=frozenset({"*"}))
    first = expected_receipt(sink, behaviour)
    sink.clear()
    assert expected_receipt(sink, behaviour) == first
    sink.clear()
    other = expected_receipt(sink, WarehouseBehaviour(seed=4, serialised=frozenset({"*"})))
    assert [line.serial_numbers for line in other.lines] != [
        line.serial_numbers for line in first.lines
    ]


def test_a_duplicate_944_repeats_the_receipt_byte_for_byte(sink: HttpEndpointSimulator) -> None:
    with ThreePlSimulator(
        EAST3PL, WarehouseBehaviour(duplicate_receipt=True), reply_to=sink.url, clock=fixed_clock
    ) as sim:
        post(sim.url, interchange("943", NOTICE, TO_3PL, options=OURS))
        assert sim.wait_idle()
    requests = wait_for(sink, 3)
    assert requests[1].body == requests[2].body
    assert [(s.set_id, s.copy, s.controls) for s in sim.sent] == [
        ("997", 1, (1, 1, 1)),
        ("944", 1, (2, 2, 2)),
        ("944", 2, (2, 2, 2)),
    ]


def test_the_944_waits_for_the_receipt_delay(sink: HttpEndpointSimulator) -> None:
    with ThreePlSimulator(EAST3PL, WarehouseBehaviour(receipt_delay=0.4), reply_to=sink.url) as sim:
        post(sim.url, interchange("943", NOTICE, TO_3PL, options=OURS))
        assert sim.wait_idle()
    ack, receipt = wait_for(sink, 2)
    assert receipt.monotonic - ack.monotonic >= 0.3


def test_a_notice_short_in_full_gets_a_997_and_no_944(sink: HttpEndpointSimulator) -> None:
    with ThreePlSimulator(
        EAST3PL, WarehouseBehaviour(shortages={"*": Decimal(100)}), reply_to=sink.url
    ) as sim:
        status, reply = post(sim.url, interchange("943", NOTICE, TO_3PL, options=OURS))
        assert sim.wait_idle()
    assert (status, reply["answers"]) == (202, 1)
    assert [s.set_id for s in sim.sent] == ["997"]


def test_a_943_that_does_not_map_is_rejected_in_the_997(sink: HttpEndpointSimulator) -> None:
    written = interchange("943", NOTICE, TO_3PL, options=OURS)
    broken = written.replace(b"W27*M*RLCA*LTL standard~\n", b"")
    with ThreePlSimulator(EAST3PL, reply_to=sink.url) as sim:
        post(sim.url, broken.replace(b"SE*34*", b"SE*33*"))
        assert sim.wait_idle()
    (ack,) = read_acknowledgements(wait_for(sink, 1)[0].body)
    assert (ack.sets[0].status, ack.sets[0].codes) == ("R", ("5",))
    assert [(n.tag, n.code) for n in ack.sets[0].segments] == [("W27", "3")]
    assert [s.set_id for s in sim.sent] == ["997"]


def test_malformed_input_gets_a_clear_400_and_is_recorded(sink: HttpEndpointSimulator) -> None:
    with ThreePlSimulator(EAST3PL, reply_to=sink.url) as sim:
        status, reply = post(sim.url, b"ISA*00*short~")
        assert status == 400
        assert reply["error"]
        healthy, _ = post(sim.url, interchange("943", NOTICE, TO_3PL, options=OURS))
        assert sim.wait_idle()
    assert healthy == 202
    assert [r.status for r in sim.received] == [400, 202]


def test_notices_dropped_in_the_inbox_are_received_into_the_outbox(tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    with ThreePlSimulator(EAST3PL, inbox=inbox, reply_to=outbox, clock=fixed_clock) as sim:
        (inbox / ".asn.x12").write_bytes(interchange("943", NOTICE, TO_3PL, options=OURS))
        (inbox / ".asn.x12").rename(inbox / "asn.x12")
        files = wait_for_files(outbox, 2)
        assert sim.wait_idle()
    found = read_sets([path.read_bytes() for path in files])
    assert [s.transaction.set_id for s in found] == ["997", "944"]
    (receipt,) = by_set(found, "944")
    assert receipt.asn_number == NOTICE.asn_number
    assert (inbox / "processed" / "asn.x12").is_file()


def test_behaviour_is_read_from_json_and_bad_settings_are_refused_by_name() -> None:
    behaviour = WarehouseBehaviour.from_json('{"damages": {"*": "1"}, "serialised": ["A"]}')
    assert (behaviour.damages, behaviour.serialised) == ({"*": Decimal(1)}, frozenset({"A"}))
    with pytest.raises(ValidationError, match="number_prefix"):
        WarehouseBehaviour(number_prefix="TOO-LONG-PREFIX")


def test_the_warehouse_runs_as_its_own_process(sink: HttpEndpointSimulator, tmp_path: Path) -> None:
    config = {
        "profile": {"qualifier": "ZZ", "id": "EAST3PL", "version": "004010"},
        "behaviour": {"shortages": {"GLV-2211": 2}, "number_prefix": "E"},
        "reply_to": sink.url,
        "first_control": 500,
    }
    with partner_process("distsync.demo.threepl_sim", config, tmp_path) as url:
        status, _ = post(url, interchange("943", NOTICE, TO_3PL, options=OURS))
        requests = wait_for(sink, 2)
    assert status == 202
    (transaction,) = X12Reader(requests[1].body).read_all()
    assert transaction.control == "0501"
    receipt = M944.read(transaction, OURS).document
    assert isinstance(receipt, Receipt)
    assert receipt.receipt_number == "E000001"
    assert line_of(receipt, "GLV-2211").received_quantity.value == 3


def test_a_process_with_a_bad_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    config = {
        "profile": {"qualifier": "ZZ", "id": "X"},
        "reply_to": "http://127.0.0.1:9",
        "behaviour": {"lots": "often"},
    }
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, "-m", "distsync.demo.threepl_sim", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "lots" in done.stderr
