"""JSON documents dropped into a partner's folder: stored as the JSON route stores them.

Real folders and a real SQLite file; the files go through the services'
inbox job (``bootstrap_jobs.inbox_jobs``), as the worker role runs it. One
partner trades X12 and drops JSON too; another (a warehouse) drops only
JSON and has no X12 identity.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from distsync.bootstrap import Services, build
from distsync.bootstrap_jobs import inbox_jobs
from distsync.model.examples import example_po_ack, example_shipment_confirmation
from distsync.partners.json_in import document_type_of
from distsync.runtime.ports import EventFilter
from tests.integration.x12_partner_files import landscape


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    acme = {
        "kind": "supplier",
        "party_id": "SUP-ACME",
        "x12": {"qualifier": "ZZ", "id": "ACME", "version": "004010"},
        "channel": {"transport": "directory", "path": str(tmp_path / "acme")},
        "sends": ["x12-855", "json-po_ack"],
    }
    east = {
        "kind": "warehouse",
        "channel": {"transport": "directory", "path": str(tmp_path / "east")},
        "sends": ["json-shipment_confirmation"],
    }
    for name in ("acme", "east"):
        (tmp_path / name).mkdir()
    built = build(landscape(tmp_path, acme=acme, east=east))
    try:
        yield built
    finally:
        await built.close()


def drop(folder: Path, name: str, data: bytes) -> Path:
    inbox = folder / "inbound"
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    then = time.time() - 60  # settled long ago
    os.utime(path, (then, then))
    return path


async def poll(services: Services) -> None:
    for job in inbox_jobs(services):
        await job.run()


async def stored(services: Services, event_type: str) -> int:
    return len(await services.backend.list_events(EventFilter(types=(event_type,))))


async def test_a_dropped_json_document_is_stored_once_and_archived(
    services: Services, tmp_path: Path
) -> None:
    document = example_po_ack().model_dump_json().encode()
    drop(tmp_path / "acme", "po_ack_0001.json", document)
    await poll(services)
    drop(tmp_path / "acme", "po_ack_0001-again.json", document)  # the same document again
    await poll(services)

    assert await stored(services, "po_ack.received") == 1
    assert (tmp_path / "acme" / "inbound" / "done" / "po_ack_0001.json").is_file()
    assert (tmp_path / "acme" / "inbound" / "done" / "po_ack_0001-again.json").is_file()
    assert not any((tmp_path / "acme" / "outbound").glob("*"))  # no 997 for JSON


async def test_a_partner_without_x12_drops_json_only(services: Services, tmp_path: Path) -> None:
    drop(tmp_path / "east", "shipment_confirmation_88.json",
         example_shipment_confirmation().model_dump_json().encode())  # fmt: skip
    await poll(services)

    assert await stored(services, "shipment.confirmed") == 1
    assert [job.name for job in inbox_jobs(services)] == ["inbox:acme", "inbox:east"]


async def test_a_bad_json_file_is_rejected_with_a_note_naming_the_field(
    services: Services, tmp_path: Path
) -> None:
    broken = example_po_ack().model_dump(mode="json") | {"po_number": ""}
    drop(tmp_path / "acme", "po_ack_0002.json", json.dumps(broken).encode())
    drop(tmp_path / "acme", "orders-today.json", b"{}")
    drop(tmp_path / "east", "po_ack_7.json", example_po_ack().model_dump_json().encode())
    await poll(services)

    failed = tmp_path / "acme" / "inbound" / "failed"
    field_note = (failed / "po_ack_0002.json.reason").read_text()
    assert "po_number" in field_note
    assert "partner: acme" in field_note
    name_note = (failed / "orders-today.json.reason").read_text()
    assert "starts with its document type" in name_note
    undeclared = (tmp_path / "east" / "inbound" / "failed" / "po_ack_7.json.reason").read_text()
    assert "json-po_ack" in undeclared
    assert await stored(services, "po_ack.received") == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("asn_0042.json", "asn"),
        ("INVENTORY_SNAPSHOT-2026-11-27.json", "inventory_snapshot"),
        ("inventory_adjustment.json", "inventory_adjustment"),
        ("asnx.json", None),
        ("stock.json", None),
    ],
)
def test_the_document_type_is_read_from_the_start_of_the_name(
    name: str, expected: str | None
) -> None:
    assert document_type_of(name) == expected
