"""The simulated supplier as a real server: 850 in; 997, 855, 856, 810 out, read by our readers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from distsync.config_x12 import X12Delimiters, X12Identity
from distsync.demo.supplier_behaviour import SupplierBehaviour
from distsync.demo.supplier_sim import SupplierSimulator
from distsync.formats.x12.ack import acknowledgement_interchange
from distsync.formats.x12.ack_read import read_acknowledgements
from distsync.formats.x12.delimiters import Delimiters
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.inspect import InspectedSet
from distsync.formats.x12.writer import Party
from distsync.model.asn import AdvanceShipNotice
from distsync.model.examples.procurement import example_invoice, example_purchase_order
from distsync.model.invoices import Invoice
from distsync.model.procurement import AckLineStatus, AckStatus, PoAcknowledgement
from distsync.testing_http import HttpEndpointSimulator, Reply
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

ACME = X12Identity(qualifier="ZZ", id="ACME", version="004010")
TO_ACME = Party("ZZ", "ACME")
ORDER = example_purchase_order()
ORDERED = {line.line_number: line for line in ORDER.lines}


@pytest.fixture
def sink() -> Iterator[HttpEndpointSimulator]:
    with HttpEndpointSimulator() as endpoint:
        yield endpoint


def simulator(
    sink: HttpEndpointSimulator, behaviour: SupplierBehaviour | None = None, **kwargs: object
) -> SupplierSimulator:
    profile = kwargs.pop("profile", ACME)
    assert isinstance(profile, X12Identity)
    reply_to = {"url": sink.url + "/inbound/x12", "headers": {"Authorization": "Bearer demo"}}
    return SupplierSimulator(
        profile, behaviour, reply_to=kwargs.pop("reply_to", reply_to), clock=fixed_clock, **kwargs
    )  # type: ignore[arg-type]


def answers(
    sink: HttpEndpointSimulator, behaviour: SupplierBehaviour, count: int
) -> list[InspectedSet]:
    """Post the example order to a supplier with ``behaviour``; the ``count`` answers, read."""
    with simulator(sink, behaviour) as sim:
        status, reply = post(sim.url, interchange("850", ORDER, TO_ACME))
        assert status == 202, reply
        assert sim.wait_idle()
    return read_sets([r.body for r in wait_for(sink, count)])


def quantities(notice: AdvanceShipNotice) -> dict[int, Decimal]:
    return {e.item.po_line_number: e.item.quantity.value for e in notice.items()}


def test_an_order_is_acknowledged_shipped_and_invoiced_in_that_order(
    sink: HttpEndpointSimulator,
) -> None:
    found = answers(sink, SupplierBehaviour(carrier_scac="RLCA"), 4)
    assert [s.transaction.set_id for s in found] == ["997", "855", "856", "810"]
    (ack,) = by_set(found, "855")
    (notice,) = by_set(found, "856")
    (invoice,) = by_set(found, "810")
    assert isinstance(ack, PoAcknowledgement)
    assert (ack.po_number, ack.status) == (ORDER.po_number, AckStatus.ACCEPTED)
    assert quantities(notice) == {n: line.quantity.value for n, line in ORDERED.items()}
    assert notice.ship_to_warehouse_id == ORDER.ship_to_warehouse_id
    assert notice.carrier is not None
    assert notice.carrier.scac == "RLCA"
    assert isinstance(invoice, Invoice)
    assert (invoice.asn_number, invoice.po_number) == (notice.asn_number, ORDER.po_number)
    assert invoice.total == ORDER.total()


def test_the_997_accepts_the_group_of_the_850(sink: HttpEndpointSimulator) -> None:
    answers(sink, SupplierBehaviour(), 4)
    (ack,) = read_acknowledgements(sink.requests[0].body)
    assert (ack.functional_id, ack.group_control, ack.group_status) == ("PO", "17", "A")
    assert [(s.set_id, s.control, s.status) for s in ack.sets] == [("850", "0017", "A")]


def test_answers_come_from_the_supplier_to_the_sender_with_the_configured_headers(
    sink: HttpEndpointSimulator,
) -> None:
    answers(sink, SupplierBehaviour(), 4)
    for request in sink.requests:
        assert request.path == "/inbound/x12"
        assert request.header("Authorization") == "Bearer demo"
        assert request.header("Content-Type") == "application/edi-x12"
    reader = X12Reader(sink.requests[1].body)
    reader.read_all()
    (interchange_,) = reader.interchanges
    assert (interchange_.sender(), interchange_.receiver()) == (("ZZ", "ACME"), ("ZZ", "NORTHWIND"))


def test_control_numbers_count_up_from_the_first_one_per_interchange(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, SupplierBehaviour(), first_control=40) as sim:
        post(sim.url, interchange("850", ORDER, TO_ACME))
        assert sim.wait_idle()
    assert [s.controls for s in sim.sent] == [
        (40, 40, 40),
        (41, 41, 41),
        (42, 42, 42),
        (43, 43, 43),
    ]


def test_a_partial_shipment_ships_the_rest_in_a_later_notice(sink: HttpEndpointSimulator) -> None:
    behaviour = SupplierBehaviour(partial={"*": Decimal("0.5")}, rest_delay=0.3)
    found = answers(sink, behaviour, 6)
    assert [s.transaction.set_id for s in found] == ["997", "855", "856", "810", "856", "810"]
    first, rest = by_set(found, "856")
    assert quantities(first) == {1: 1, 2: 3, 3: 2, 4: 5, 5: 1}
    assert quantities(rest) == {1: 1, 2: 3, 3: 2, 4: 5, 5: 2}
    assert first.asn_number != rest.asn_number
    assert [i.asn_number for i in by_set(found, "810")] == [first.asn_number, rest.asn_number]
    assert sink.requests[4].monotonic - sink.requests[3].monotonic >= 0.2


def test_a_substitute_is_announced_on_the_855_shipped_and_invoiced(
    sink: HttpEndpointSimulator,
) -> None:
    substitute = {"sku": "LUB-5510", "supplier_part_number": "PL-500", "gtin": "0614141009992"}
    found = answers(
        sink, SupplierBehaviour.from_dict({"substitutions": {"LUB-5500": substitute}}), 4
    )
    (ack,) = by_set(found, "855")
    line = next(line for line in ack.lines if line.line_number == 4)
    assert line.status is AckLineStatus.SUBSTITUTED
    assert line.substitute_item is not None
    assert line.substitute_item.sku == "LUB-5510"
    assert ack.status is AckStatus.ACCEPTED_WITH_CHANGES
    (notice,) = by_set(found, "856")
    shipped = {e.item.po_line_number: e.item.item for e in notice.items()}
    assert (shipped[4].sku, shipped[4].supplier_part_number) == ("LUB-5510", "PL-500")
    (invoice,) = by_set(found, "810")
    assert next(i for i in invoice.lines if i.po_line_number == 4).item.sku == "LUB-5510"


def test_an_unknown_supplier_code_is_the_only_id_of_its_856_line(
    sink: HttpEndpointSimulator,
) -> None:
    found = answers(sink, SupplierBehaviour(unknown_skus={"GLV-2211": "ACME-GL-L100-V2"}), 4)
    (notice,) = by_set(found, "856")
    shipped = {e.item.po_line_number: e.item.item for e in notice.items()}
    assert (shipped[2].sku, shipped[2].supplier_part_number, shipped[2].gtin) == (
        "ACME-GL-L100-V2",
        "ACME-GL-L100-V2",
        None,
    )
    assert shipped[1].sku == "FAS-10432"
    lins = [s for s in X12Reader(sink.requests[2].body).read_all()[0].body if s.tag == "LIN"]
    assert [s.element(2) for s in lins if "ACME-GL-L100-V2" in s.elements] == ["VN"]


def test_a_price_change_is_confirmed_on_the_855_and_invoiced_at_that_price(
    sink: HttpEndpointSimulator,
) -> None:
    found = answers(sink, SupplierBehaviour(price_changes={"DRL-1800": Decimal("92.50")}), 4)
    (ack,) = by_set(found, "855")
    line = next(line for line in ack.lines if line.line_number == 5)
    assert line.status is AckLineStatus.CHANGED
    assert line.changed_unit_price is not None
    assert line.changed_unit_price.amount == Decimal("92.50")
    (invoice,) = by_set(found, "810")
    billed = next(i for i in invoice.lines if i.po_line_number == 5)
    assert (billed.unit_price.amount, billed.amount.amount) == (Decimal("92.50"), Decimal("277.50"))


def test_an_invoice_discrepancy_bills_more_than_was_shipped(sink: HttpEndpointSimulator) -> None:
    found = answers(sink, SupplierBehaviour(invoice_extra={"FAS-10432": Decimal(3)}), 4)
    (notice,) = by_set(found, "856")
    (invoice,) = by_set(found, "810")
    billed = next(i for i in invoice.lines if i.po_line_number == 1)
    assert quantities(notice)[1] == 2
    assert billed.quantity.value == 5
    assert invoice.total.amount == ORDER.total().amount + 3 * Decimal("100.80")


def test_a_late_notice_waits_and_promises_delivery_after_the_requested_date(
    sink: HttpEndpointSimulator,
) -> None:
    found = answers(sink, SupplierBehaviour(asn_delay=0.4, late_days=10), 4)
    (notice,) = by_set(found, "856")
    assert notice.expected_delivery_date == date(2024, 5, 20) + timedelta(days=10)
    assert notice.shipped_at == NOW
    assert sink.requests[2].monotonic - sink.requests[1].monotonic >= 0.3


def test_a_duplicate_send_repeats_the_856_byte_for_byte(sink: HttpEndpointSimulator) -> None:
    found = answers(sink, SupplierBehaviour(duplicate_asn=True), 5)
    assert [s.transaction.set_id for s in found] == ["997", "855", "856", "856", "810"]
    assert sink.requests[2].body == sink.requests[3].body
    first, again = by_set(found, "856")
    assert first == again


def test_the_same_order_and_seed_give_the_same_answers(sink: HttpEndpointSimulator) -> None:
    behaviour = SupplierBehaviour(seed=7, partial={"*": Decimal("0.5")}, rest_delay=0)
    answers(sink, behaviour, 6)
    first = [r.body for r in sink.requests]
    sink.clear()
    answers(sink, behaviour, 6)
    assert [r.body for r in sink.requests] == first
    other = SupplierBehaviour(seed=8, partial={"*": Decimal("0.5")}, rest_delay=0)
    sink.clear()
    answers(sink, other, 6)
    assert [r.body for r in sink.requests] != first


def test_answers_are_written_in_the_suppliers_version_and_delimiters(
    sink: HttpEndpointSimulator,
) -> None:
    delimiters = X12Delimiters(element="|", component=":", segment="'", repetition="{")
    profile = X12Identity(qualifier="ZZ", id="ACME", version="005010", delimiters=delimiters)
    with simulator(sink, SupplierBehaviour(), profile=profile) as sim:
        post(sim.url, interchange("850", ORDER, TO_ACME))
        assert sim.wait_idle()
    bodies = [r.body for r in wait_for(sink, 4)]
    assert bodies[0].startswith(b"ISA*")  # the 997 keeps the sender's delimiters
    assert all(body.startswith(b"ISA|") for body in bodies[1:])
    for found in read_sets(bodies[1:]):
        assert found.transaction.group.version == "005010"
        assert found.errors == []


def test_an_850_with_errors_is_rejected_in_the_997_and_gets_nothing_else(
    sink: HttpEndpointSimulator,
) -> None:
    broken = interchange("850", ORDER, TO_ACME).replace(b"**20240506~", b"**2024050X~")
    with simulator(sink, SupplierBehaviour()) as sim:
        status, reply = post(sim.url, broken)
        assert sim.wait_idle()
    assert status == 202
    assert reply["sets"][0]["accepted"] is False
    (ack,) = read_acknowledgements(wait_for(sink, 1)[0].body)
    assert (ack.group_status, ack.sets[0].status) == ("R", "R")
    time.sleep(0.1)
    assert len(sink.requests) == 1


def test_a_set_the_supplier_does_not_take_is_rejected_as_unsupported(
    sink: HttpEndpointSimulator,
) -> None:
    with simulator(sink, SupplierBehaviour()) as sim:
        post(sim.url, interchange("810", example_invoice(), TO_ACME))
        assert sim.wait_idle()
    (ack,) = read_acknowledgements(wait_for(sink, 1)[0].body)
    assert (ack.sets[0].set_id, ack.sets[0].status, ack.sets[0].codes) == ("810", "R", ("1",))


def test_malformed_input_gets_a_clear_400_and_is_recorded(sink: HttpEndpointSimulator) -> None:
    with simulator(sink, SupplierBehaviour()) as sim:
        status, reply = post(sim.url, b"this is not an interchange")
        assert status == 400
        assert "ISA" in reply["error"]
        again, _ = post(sim.url, interchange("850", ORDER, TO_ACME))
        assert sim.wait_idle()
    assert again == 202
    assert [(r.status, r.error is not None) for r in sim.received] == [(400, True), (202, False)]
    assert sim.received[0].body == b"this is not an interchange"


def test_acknowledgements_from_the_distributor_are_recorded_not_answered(
    sink: HttpEndpointSimulator,
) -> None:
    found = answers(sink, SupplierBehaviour(), 4)
    sink.clear()
    with simulator(sink, SupplierBehaviour()) as sim:
        status, reply = post(sim.url, _ack_from_distributor(found))
        assert sim.wait_idle()
    assert (status, reply["acknowledgements"], reply["answers"]) == (202, 1, 0)
    assert sink.requests == []


def _ack_from_distributor(found: list[InspectedSet]) -> bytes:
    transaction = next(s.transaction for s in found if s.transaction.set_id == "855")
    text = acknowledgement_interchange(
        transaction.interchange, controls=(5, 5, 5), at=NOW, transactions=[transaction]
    )
    assert text is not None
    return text.encode()


def test_without_997s_the_business_answers_still_come(sink: HttpEndpointSimulator) -> None:
    found = answers(sink, SupplierBehaviour(send_997=False), 3)
    assert [s.transaction.set_id for s in found] == ["855", "856", "810"]


def test_a_receiver_that_fails_at_first_gets_the_answer_on_a_retry(
    sink: HttpEndpointSimulator,
) -> None:
    sink.script(Reply.error(503), Reply.too_many(retry_after=0.1))
    with simulator(sink, SupplierBehaviour(send_997=False)) as sim:
        post(sim.url, interchange("850", ORDER, TO_ACME))
        assert sim.wait_idle()
    first = sim.sent[0]
    assert (first.set_id, first.delivered, first.attempts) == ("855", True, 3)
    assert [r.body for r in sink.requests[:3]] == [sim.sent[0].body] * 3


def test_orders_dropped_in_the_inbox_are_answered_in_the_outbox(
    sink: HttpEndpointSimulator, tmp_path: Path
) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    inbox.mkdir()
    with simulator(sink, SupplierBehaviour(), inbox=inbox, reply_to=outbox) as sim:
        hidden = inbox / ".po-17.x12"
        hidden.write_bytes(interchange("850", ORDER, TO_ACME))
        hidden.rename(inbox / "po-17.x12")
        (inbox / "junk.txt").write_bytes(b"GS*PO*nonsense~")
        files = wait_for_files(outbox, 4)
        assert sim.wait_idle()
    found = read_sets([path.read_bytes() for path in files])
    assert [s.transaction.set_id for s in found] == ["997", "855", "856", "810"]
    assert all(s.errors == [] for s in found)
    assert (inbox / "processed" / "po-17.x12").is_file()
    assert (inbox / "rejected" / "junk.txt").is_file()
    assert {(r.channel, r.name, r.status) for r in sim.received} == {
        ("directory", "po-17.x12", 202),
        ("directory", "junk.txt", 400),
    }
    assert sink.requests == []


def test_behaviour_is_read_from_json_and_bad_settings_are_refused_by_name() -> None:
    behaviour = SupplierBehaviour.from_json('{"partial": {"*": "0.25"}, "late_days": 3}')
    assert behaviour.partial == {"*": Decimal("0.25")}
    with pytest.raises(ValidationError, match="partial"):
        SupplierBehaviour.from_dict({"partial": {"*": 2}})
    with pytest.raises(ValidationError, match="surprise"):
        SupplierBehaviour.from_dict({"surprise": True})


def test_the_supplier_runs_as_its_own_process(sink: HttpEndpointSimulator, tmp_path: Path) -> None:
    config = {
        "profile": {"qualifier": "ZZ", "id": "ACME", "version": "005010"},
        "behaviour": {"partial": {"*": "0.5"}, "rest_delay": 0, "number_prefix": "ACME"},
        "reply_to": {"url": sink.url, "headers": {"X-Partner": "acme"}},
    }
    with partner_process("distsync.demo.supplier_sim", config, tmp_path) as url:
        status, reply = post(url, interchange("850", ORDER, TO_ACME))
        assert (status, reply["answers"]) == (202, 6)
        found = read_sets([r.body for r in wait_for(sink, 6)])
        with urllib.request.urlopen(url + "/log") as answer:
            log = json.loads(answer.read())
    assert [s.transaction.set_id for s in found] == ["997", "855", "856", "810", "856", "810"]
    assert by_set(found, "856")[0].asn_number == "ACME-ASN-000001"
    assert sink.requests[1].header("X-Partner") == "acme"
    assert len(log["received"]) == 1
    assert [entry["set"] for entry in log["sent"]] == ["997", "855", "856", "810", "856", "810"]


def test_a_process_with_a_bad_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"profile": {"qualifier": "ZZ", "id": "ACME"}, "reply_to": "ftp://x"})
    )
    done = subprocess.run(
        [sys.executable, "-m", "distsync.demo.supplier_sim", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "reply_to" in done.stderr


def test_delimiters_of_the_sender_are_kept_in_the_997(sink: HttpEndpointSimulator) -> None:
    theirs = Delimiters(element="^", component=":", segment="~", suffix="\n")
    with simulator(sink, SupplierBehaviour(send_997=True)) as sim:
        post(sim.url, interchange("850", ORDER, TO_ACME, delimiters=theirs))
        assert sim.wait_idle()
    assert wait_for(sink, 4)[0].body.startswith(b"ISA^")
