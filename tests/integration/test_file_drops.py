"""File drops of a directory partner, on real folders and a real SQLite file.

When a file is taken (final name, no write for the settle time), where it goes
after (archive, or reject with a reason note), and that nothing is lost when a
process dies with a file in ``processing/`` or cannot write the acknowledgement.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from distsync.bootstrap import Services, build
from distsync.bootstrap_jobs import inbox_jobs
from distsync.errors import PermanentError, RetryableError
from distsync.model.examples import example_po_ack
from distsync.partners.inbox import FileOutcome, FolderReceiver, InboxFolders, receive_folder
from distsync.partners.x12_in import X12Inbound
from distsync.runtime.ports import EventFilter
from distsync.transports.directory import DirectoryInbox
from tests.integration.x12_partner_files import (
    EASTWMS,
    group_text,
    interchange,
    landscape,
    set_text,
)

PO_ACK = "po_ack.received"


def acme_file(control: int = 17) -> bytes:
    return interchange(control, [group_text("PR", 41, [set_text("855", 1, example_po_ack())])])


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    acme = {
        "kind": "supplier",
        "x12": {"qualifier": "ZZ", "id": "ACME", "version": "004010"},
        "channel": {"transport": "directory", "path": str(tmp_path / "acme")},
        "sends": ["x12-855"],
    }
    (tmp_path / "acme").mkdir()
    built = build(landscape(tmp_path, acme=acme))
    try:
        yield built
    finally:
        await built.close()


def drop(inbox: Path, name: str, data: bytes, *, seconds_ago: float = 60) -> Path:
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    then = time.time() - seconds_ago
    os.utime(path, (then, then))
    return path


def inbound(services: Services) -> X12Inbound:
    return X12Inbound(
        landscape=services.landscape,
        log=services.backend,
        intake=services.intake,
        clock=services.clock,
    )


async def receive(services: Services, tmp_path: Path, **options: Any) -> list[FileOutcome]:
    return await receive_folder(inbound(services), "acme", tmp_path / "acme", **options)


async def acknowledgements_stored(services: Services) -> int:
    return len(await services.backend.list_events(EventFilter(types=(PO_ACK,))))


@pytest.mark.parametrize(
    "temporary",
    [".po.edi", "po.edi.part", "po.edi.filepart", "po.edi.tmp", "po.edi~", "po.edi.PART"],
)
async def test_a_file_under_a_temporary_name_is_left_alone_and_taken_at_once_after_its_rename(
    services: Services, tmp_path: Path, temporary: str
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    receiver = FolderReceiver(inbound(services), "acme", tmp_path / "acme", min_age_seconds=30)
    uploading = drop(inbox, temporary, acme_file()[:40], seconds_ago=0)
    drop(inbox, "in-place.edi", acme_file(18), seconds_ago=0)

    assert await receiver.receive() == []
    uploading.write_bytes(acme_file())
    uploading.rename(inbox / "po.edi")
    taken = await receiver.receive()

    assert [(o.name, o.status) for o in taken] == [("po.edi", "done")]
    assert await acknowledgements_stored(services) == 1
    assert (inbox / "in-place.edi").is_file()  # written just now, in place: it waits


async def test_a_file_written_slowly_in_place_is_taken_only_once_it_stops_changing(
    services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    inbox.mkdir()
    data = acme_file()
    chunks = [data[i : i + len(data) // 6 + 1] for i in range(0, len(data), len(data) // 6 + 1)]
    writing = threading.Event()
    writing.set()

    def write_slowly() -> None:
        with (inbox / "po.edi").open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
                file.flush()
                time.sleep(0.15)
        writing.clear()

    writer = threading.Thread(target=write_slowly)
    writer.start()
    taken: list[FileOutcome] = []
    while writing.is_set():
        taken += await receive(services, tmp_path, min_age_seconds=0.4)
        await asyncio.sleep(0.05)
    writer.join()
    assert taken == []
    deadline = time.monotonic() + 5
    while not taken and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        taken = await receive(services, tmp_path, min_age_seconds=0.4)

    assert [(o.name, o.status) for o in taken] == [("po.edi", "done")]
    assert (inbox / "done" / "po.edi").read_bytes() == data


async def test_processed_files_are_archived_by_day_under_the_folder_names_given(
    services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    drop(inbox, "po.edi", acme_file())
    drop(inbox, "junk.edi", b"hello")
    folders = InboxFolders(archive="archive", reject="reject", dated=True)
    with capture_logs() as logs:
        outcomes = await receive(services, tmp_path, folders=folders)

    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert sorted((o.name, o.status) for o in outcomes) == [
        ("junk.edi", "failed"),
        ("po.edi", "done"),
    ]
    assert (inbox / "archive" / today / "po.edi").read_bytes() == acme_file()
    assert (inbox / "reject" / today / "junk.edi.reason").is_file()
    assert not (inbox / "done").exists()
    assert not (inbox / "failed").exists()
    actions = sorted((e["action"], e["file"]) for e in logs if "file" in e)
    assert actions == [
        ("inbox.file_archived", "po.edi"),
        ("inbox.file_rejected", "junk.edi"),
        ("inbox.file_taken", "junk.edi"),
        ("inbox.file_taken", "po.edi"),
    ]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x00\xff\xfe binary \x89PNG", "ISA"),
        (b"hello, this is not X12", "ISA"),
        (interchange(21, [], sender=EASTWMS), "is not partner acme"),
    ],
    ids=["binary", "text", "another-sender"],
)
async def test_a_refused_file_goes_to_the_reject_folder_with_a_note_a_person_can_act_on(
    services: Services, tmp_path: Path, data: bytes, why: str
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    drop(inbox, "in.edi", data)

    (outcome,) = await receive(services, tmp_path)

    assert outcome.status == "failed"
    assert (inbox / "failed" / "in.edi").read_bytes() == data
    note = (inbox / "failed" / "in.edi.reason").read_text()
    assert "file: in.edi" in note
    assert "partner: acme" in note
    assert f"refused at: {datetime.now(UTC):%Y-%m-%d}" in note
    assert why in note.split("why: ", 1)[1]
    assert f"drop it into {inbox} again" in note
    assert await acknowledgements_stored(services) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
async def test_a_file_we_may_not_read_is_rejected_naming_the_permission(
    services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    drop(inbox, "locked.edi", acme_file()).chmod(0o000)

    (outcome,) = await receive(services, tmp_path)

    assert outcome.status == "failed"
    assert "permission denied" in (inbox / "failed" / "locked.edi.reason").read_text()


async def test_a_file_left_in_processing_by_a_dead_process_is_received_after_a_restart(
    services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    processing = inbox / "processing"
    processing.mkdir(parents=True)
    drop(inbox, "po.edi", acme_file()).rename(processing / "po.edi")  # claimed, then a crash

    assert await receive(services, tmp_path) == []  # just claimed: maybe a live process's
    assert (processing / "po.edi").is_file()
    outcomes = await receive(services, tmp_path, stuck_seconds=0)

    assert [(o.name, o.status) for o in outcomes] == [("po.edi", "done")]
    assert await acknowledgements_stored(services) == 1
    assert list(processing.iterdir()) == []


async def test_a_file_whose_acknowledgement_cannot_be_written_is_kept_for_the_next_round(
    services: Services, tmp_path: Path
) -> None:
    inbox = tmp_path / "acme" / "inbound"
    drop(inbox, "po.edi", acme_file())
    blocker = tmp_path / "acme" / "outbound"
    blocker.write_text("a file where the outbound folder should be")

    with pytest.raises(RetryableError, match="outbound"):
        await receive(services, tmp_path)
    assert (inbox / "po.edi").is_file()
    blocker.unlink()
    outcomes = await receive(services, tmp_path)

    assert [(o.name, o.status) for o in outcomes] == [("po.edi", "done")]
    assert await acknowledgements_stored(services) == 1
    (answer,) = (tmp_path / "acme" / "outbound").iterdir()
    assert answer.name.startswith("acme_ack_")


@pytest.mark.parametrize("name", ["processing", ".hidden", "a/b", "done.part", ""])
def test_an_archive_or_reject_folder_name_that_would_clash_is_refused(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(PermanentError, match="is not a plain name"):
        DirectoryInbox(tmp_path, archive=name)
    with pytest.raises(PermanentError, match="reject folder"):
        DirectoryInbox(tmp_path, reject=name)


def test_one_folder_for_archive_and_reject_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="archive and reject are both 'old'"):
        DirectoryInbox(tmp_path, archive="old", reject="old")


async def test_the_services_inbox_job_keeps_one_receiver_per_partner_across_polls(
    services: Services, tmp_path: Path
) -> None:
    (job,) = inbox_jobs(services)
    inbox = tmp_path / "acme" / "inbound"
    uploading = drop(inbox, "po.edi.filepart", b"ISA*00*", seconds_ago=0)

    assert job.name == "inbox:acme"
    assert await job.run() is False
    uploading.write_bytes(acme_file())
    uploading.rename(inbox / "po.edi")  # fresh: only the remembered upload lets it in at once
    assert await job.run() is False

    assert (inbox / "done" / "po.edi").is_file()
    assert await acknowledgements_stored(services) == 1
