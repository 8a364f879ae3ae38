"""Partner interchanges into the event log, on a real SQLite file: keys, duplicates, bad sets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from distsync.bootstrap import Services, build
from distsync.errors import MalformedDocument
from distsync.formats.x12.ack_read import FunctionalAck, read_acknowledgements
from distsync.formats.x12.writer import Party
from distsync.model.examples import (
    REMOVE,
    example_asn,
    example_invoice,
    example_po_ack,
    example_tracking_event,
    variant,
)
from distsync.model.receipts import Receipt
from distsync.partners.inbox import receive_folder
from distsync.partners.x12_in import X12Inbound
from distsync.partners.x12_in_checks import InterchangeRefused, UnknownPartner
from distsync.partners.x12_in_record import ACKNOWLEDGEMENT_SENT
from distsync.runtime.intake import PayloadTooLarge
from distsync.runtime.ports import EventFilter, StoredEvent
from distsync.testing import FrozenClock
from tests.integration.x12_partner_files import (
    EASTWMS,
    group_text,
    interchange,
    landscape,
    set_text,
    two_po_asn,
)

DOCUMENT_TYPES = ("po_ack.received", "asn.received", "invoice.received", "receipt.recorded")


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = build(landscape(tmp_path))
    try:
        yield built
    finally:
        await built.close()


def receiver(services: Services, clock: FrozenClock | None = None) -> X12Inbound:
    return X12Inbound(
        landscape=services.landscape,
        log=services.backend,
        intake=services.intake,
        clock=clock or services.clock,
    )


def procurement_file(asn_set: str | None = None, *, control: int = 17) -> bytes:
    """ACME's interchange: an 855, two 856 (the second for two POs) and an 810."""
    ships = [set_text("856", 2, example_asn()), asn_set or set_text("856", 3, two_po_asn())]
    return interchange(
        control,
        [
            group_text("PR", 41, [set_text("855", 1, example_po_ack())]),
            group_text("SH", 42, ships),
            group_text("IN", 43, [set_text("810", 4, example_invoice())]),
        ],
    )


async def stored(services: Services, *types: str) -> list[StoredEvent]:
    events = await services.backend.list_events(EventFilter(types=types or DOCUMENT_TYPES))
    return list(reversed(events))


def by_group(acks: list[FunctionalAck]) -> dict[str, FunctionalAck]:
    return {a.group_control: a for a in acks}


async def test_an_855_two_856_and_an_810_become_events_with_their_keys(services: Services) -> None:
    received = await receiver(services).receive(procurement_file())

    events = [s.envelope for s in await stored(services)]
    assert [
        (e.type, e.payload.get("po_number") or e.payload.get("asn_number")) for e in events
    ] == [
        ("po_ack.received", "PO-2024-00117"),
        ("asn.received", "ASN-88120"),
        ("asn.received", "ASN-88121"),
        ("invoice.received", "PO-2024-00117"),
    ]
    assert [e.idempotency_key for e in events] == [
        "x12:ZZ/ACME:000000017:41:0001:855:PO-2024-00117",
        "x12:ZZ/ACME:000000017:42:0002:856:ASN-88120",
        "x12:ZZ/ACME:000000017:42:0003:856:ASN-88121",
        "x12:ZZ/ACME:000000017:43:0004:810:INV-55012",
    ]
    # the ASN for two purchase orders is partitioned (and correlated) by the first of them
    assert [e.partition_key for e in events] == [
        "PO-2024-00117",
        "PO-2024-00117",
        "PO-2024-00118",
        "PO-2024-00117",
    ]
    assert [e.correlation_id for e in events] == [
        "po:PO-2024-00117",
        "po:PO-2024-00117",
        "po:PO-2024-00118",
        "po:PO-2024-00117",
    ]
    assert {(e.partner, e.source_system) for e in events} == {("acme", "partner:acme")}
    assert all(e.occurred_at.isoformat() == "2026-01-05T09:30:00+00:00" for e in events)
    assert len(received.appended) == 5  # four documents and the record of our 997
    acks = by_group(read_acknowledgements(received.acknowledgement))
    assert {control: a.group_status for control, a in acks.items()} == {
        "41": "A",
        "42": "A",
        "43": "A",
    }
    assert received.acknowledgement.startswith(b"ISA*00*          *00*          *ZZ*NORTHWIND")


async def test_the_same_file_twice_appends_nothing_and_gets_the_same_997(
    services: Services,
) -> None:
    clock = FrozenClock()
    inbound = receiver(services, clock)
    first = await inbound.receive(procurement_file())
    clock.advance(3600)  # an acknowledgement written now would say 1030, not 0930
    again = await inbound.receive(procurement_file())

    assert again.appended == ()
    assert [s.duplicate for s in again.sets] == [True] * 4
    assert [s.event_id for s in again.sets] == [s.event_id for s in first.sets]
    assert again.acknowledgement == first.acknowledgement
    assert len(await stored(services)) == 4
    assert len(await stored(services, ACKNOWLEDGEMENT_SENT)) == 1


async def test_one_broken_set_is_rejected_in_the_997_and_the_others_are_appended(
    services: Services,
) -> None:
    broken = set_text("856", 3, two_po_asn()).replace("*20240516*", "*2024051X*", 1)
    received = await receiver(services).receive(procurement_file(broken))

    assert [e.envelope.idempotency_key.split(":")[-1] for e in await stored(services)] == [
        "PO-2024-00117",
        "ASN-88120",
        "INV-55012",
    ]
    (rejected,) = received.rejected
    assert (rejected.group, rejected.control, rejected.set_id) == ("42", "0003", "856")
    assert any(p.code == "invalid_date" for p in rejected.problems)
    ship_notices = by_group(read_acknowledgements(received.acknowledgement))["42"]
    assert ship_notices.group_status == "P"
    assert [(s.control, s.status) for s in ship_notices.sets] == [("0002", "A"), ("0003", "R")]
    (record,) = await stored(services, ACKNOWLEDGEMENT_SENT)
    kept = {s["control"]: s for s in record.envelope.payload["sets"]}
    assert kept["0003"]["problems"][0]["location"]["transaction_set"] == "0003"
    assert kept["0003"]["text"].startswith("ST*856*0003~")


async def test_a_set_the_partner_does_not_send_is_rejected_naming_the_profile(
    services: Services,
) -> None:
    receipt = Receipt.model_validate_json(
        '{"receipt_number": "R5531", "warehouse_id": "WH-EAST", "received_at": '
        '"2026-01-05T09:00:00Z", "po_number": "PO-2024-00117", "lines": [{"line_number": 1, '
        '"item": {"sku": "FAS-10432"}, "received_quantity": {"value": "2", "uom": "CA"}}]}'
    )
    data = interchange(
        20,
        [
            group_text("PR", 50, [set_text("855", 1, example_po_ack())]),
            group_text("RE", 51, [set_text("944", 2, receipt)]),
        ],
    )
    received = await receiver(services).receive(data)

    assert [e.envelope.type for e in await stored(services)] == ["po_ack.received"]
    (refused,) = received.rejected
    assert "acme is not declared to send x12-944" in refused.problems[-1].message
    assert by_group(read_acknowledgements(received.acknowledgement))["51"].sets[0].codes == ("1",)


async def test_a_944_from_the_warehouse_is_a_receipt_keyed_by_its_po(services: Services) -> None:
    receipt = Receipt.model_validate_json(
        '{"receipt_number": "R5531", "warehouse_id": "WH-EAST", "received_at": '
        '"2026-01-05T09:00:00Z", "lines": [{"line_number": 1, "po_number": "PO-2024-00117", '
        '"item": {"sku": "FAS-10432"}, "received_quantity": {"value": "2", "uom": "CA"}}]}'
    )
    data = interchange(
        30, [group_text("RE", 60, [set_text("944", 7, receipt)], sender=EASTWMS)], sender=EASTWMS
    )
    received = await receiver(services).receive(data)

    (event,) = [s.envelope for s in await stored(services)]
    assert (event.type, event.partner, event.partition_key, event.correlation_id) == (
        "receipt.recorded",
        "eastwms",
        "PO-2024-00117",
        "po:PO-2024-00117",
    )
    (ack,) = read_acknowledgements(received.acknowledgement)
    assert ack.kind == "999"  # the warehouse's profile asks for 999


async def test_an_invoice_without_a_po_is_keyed_by_itself(services: Services) -> None:
    invoice = variant(example_invoice(), {"po_number": REMOVE})
    data = interchange(21, [group_text("IN", 70, [set_text("810", 1, invoice)])])
    await receiver(services).receive(data)

    (event,) = [s.envelope for s in await stored(services)]
    assert event.partition_key == event.correlation_id == "invoice:acme/INV-55012"


async def test_a_group_with_its_own_error_is_rejected_whole(services: Services) -> None:
    data = interchange(
        22,
        [
            group_text("PR", 80, [set_text("855", 1, example_po_ack())]),
            group_text("SH", 81, [set_text("856", 2, example_asn())], announced=2),
        ],
    )
    received = await receiver(services).receive(data)

    assert [e.envelope.type for e in await stored(services)] == ["po_ack.received"]
    ship_notices = by_group(read_acknowledgements(received.acknowledgement))["81"]
    assert (ship_notices.group_status, ship_notices.group_codes) == ("R", ("5",))


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        (b"UNB+UNOC:3+ACME", "expected an ISA segment"),
        (b"", "the file holds no interchange"),
        (procurement_file().rsplit(b"IEA", 1)[0], "no IEA trailer"),
        (procurement_file().replace(b"IEA*3*000000017", b"IEA*3*000000018"), "IEA02"),
        (interchange(24, [], sender=type(EASTWMS)("ZZ", "STRANGER")), "STRANGER"),
        (interchange(25, [], receiver=type(EASTWMS)("ZZ", "SOMEONE")), "not to us"),
    ],
)
async def test_a_file_refused_whole_appends_nothing_and_says_where(
    services: Services, data: bytes, refusal: str
) -> None:
    with pytest.raises(MalformedDocument, match=refusal) as caught:
        await receiver(services).receive(data)

    assert await stored(services) == []
    assert await stored(services, ACKNOWLEDGEMENT_SENT) == []
    if isinstance(caught.value, InterchangeRefused) and data:
        assert caught.value.problems[0].location.interchange is not None


async def test_a_named_partner_must_be_the_sender(services: Services) -> None:
    inbound = receiver(services)
    with pytest.raises(InterchangeRefused, match="is not partner eastwms"):
        await inbound.receive(procurement_file(), partner="eastwms")
    with pytest.raises(UnknownPartner, match="nobody"):
        await inbound.receive(procurement_file(), partner="nobody")
    assert await stored(services) == []


async def test_a_file_over_the_payload_limit_is_refused(tmp_path: Path) -> None:
    small = landscape(tmp_path).model_copy(deep=True)
    small = small.model_copy(
        update={"runtime": small.runtime.model_copy(update={"max_payload_bytes": 1024})}
    )
    services = build(small)
    try:
        with pytest.raises(PayloadTooLarge, match=r"runtime\.max_payload_bytes"):
            await receiver(services).receive(procurement_file())
    finally:
        await services.close()


async def test_files_from_a_directory_partner_go_in_and_their_999_goes_back(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "eastwms"
    folder.mkdir()
    eastwms = {
        "kind": "warehouse",
        "x12": {"qualifier": "ZZ", "id": "EASTWMS", "acknowledgement": "999"},
        "channel": {"transport": "directory", "path": str(folder)},
        "sends": ["x12-944"],
    }
    services = build(landscape(tmp_path, eastwms=eastwms))
    receipt = Receipt.model_validate_json(
        '{"receipt_number": "R5531", "warehouse_id": "WH-EAST", "received_at": '
        '"2026-01-05T09:00:00Z", "po_number": "PO-2024-00117", "lines": [{"line_number": 1, '
        '"item": {"sku": "FAS-10432"}, "received_quantity": {"value": "2", "uom": "CA"}}]}'
    )
    good = interchange(
        31, [group_text("RE", 61, [set_text("944", 1, receipt)], sender=EASTWMS)], sender=EASTWMS
    )
    try:
        assert await receive_folder(receiver(services), "eastwms", folder) == []
        (folder / "inbound" / "r5531.x12").write_bytes(good)
        (folder / "inbound" / "junk.x12").write_bytes(b"hello")
        first = await receive_folder(receiver(services), "eastwms", folder, min_age_seconds=0)
        (folder / "inbound" / "r5531.x12").write_bytes(good)  # sent again
        again = await receive_folder(receiver(services), "eastwms", folder, min_age_seconds=0)

        assert sorted((o.name, o.status) for o in first) == [
            ("junk.x12", "failed"),
            ("r5531.x12", "done"),
        ]
        assert [(o.name, o.status) for o in again] == [("r5531.x12", "done")]
        assert [e.envelope.type for e in await stored(services)] == ["receipt.recorded"]
        (answer,) = (folder / "outbound").iterdir()
        assert answer.name.startswith("eastwms_ack_")
        assert [a.kind for a in read_acknowledgements(answer.read_bytes())] == ["999"]
        assert sorted(p.name for p in (folder / "inbound" / "done").iterdir()) == [
            "r5531.x12",
            "r5531.x12.1",
        ]
        reason = (folder / "inbound" / "failed" / "junk.x12.reason").read_text()
        assert "expected an ISA segment" in reason
    finally:
        await services.close()


async def test_a_carrier_s_214_becomes_a_tracking_event_keyed_by_its_tracking_number(
    tmp_path: Path,
) -> None:
    ups = Party("ZZ", "UPSN")
    carrier = {"kind": "carrier", "x12": {"qualifier": "ZZ", "id": "UPSN"}, "sends": ["x12-214"]}
    services = build(landscape(tmp_path, ups=carrier))
    status = example_tracking_event()
    try:
        group = group_text("QM", 7, [set_text("214", 1, status)], sender=ups)
        await receiver(services).receive(interchange(5, [group], sender=ups))

        (event,) = [s.envelope for s in await stored(services, "tracking.updated")]
        assert event.partner == "ups"
        assert event.partition_key == status.tracking_number
        assert event.correlation_id == f"tracking:{status.tracking_number}"
    finally:
        await services.close()
