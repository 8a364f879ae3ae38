"""The directory transport on real folders: atomic writes, claims, done and failed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from distsync.errors import NotConnected, PermanentError
from distsync.transports.directory import DirectoryInbox, DirectoryTransport


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def drop(folder: Path, name: str, data: bytes = b"ISA*...", *, seconds_ago: float = 60) -> Path:
    path = folder / name
    path.write_bytes(data)
    age(path, seconds_ago)
    return path


def test_a_write_lands_whole_under_its_name_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    written = DirectoryTransport(tmp_path).write_now("acme_850_000000001.edi", b"ISA*00*")

    assert written.path == tmp_path / "acme_850_000000001.edi"
    assert written.path.read_bytes() == b"ISA*00*"
    assert not written.replaced_same
    assert [p.name for p in tmp_path.iterdir()] == ["acme_850_000000001.edi"]


async def test_the_async_write_does_the_same_off_the_event_loop(tmp_path: Path) -> None:
    written = await DirectoryTransport(tmp_path).write("a.edi", b"ISA*00*")
    assert written.path.name == "a.edi"


def test_a_retried_write_replaces_its_own_file_instead_of_adding_one(tmp_path: Path) -> None:
    transport = DirectoryTransport(tmp_path)
    transport.write_now("acme_850_000000001.edi", b"first")
    same = transport.write_now("acme_850_000000001.edi", b"first")
    other = transport.write_now("acme_850_000000001.edi", b"second")

    assert (same.replaced_same, other.replaced_same) == (True, False)
    assert [p.read_bytes() for p in tmp_path.iterdir()] == [b"second"]


def test_a_missing_folder_is_not_connected_and_is_not_created(tmp_path: Path) -> None:
    share = tmp_path / "unmounted"
    with pytest.raises(NotConnected, match="does not exist"):
        DirectoryTransport(share).write_now("a.edi", b"x")
    with pytest.raises(NotConnected):
        DirectoryTransport(share / "outbound", create=True).write_now("a.edi", b"x")
    assert not share.exists()


def test_create_makes_the_last_folder_only(tmp_path: Path) -> None:
    written = DirectoryTransport(tmp_path / "outbound", create=True).write_now("a.edi", b"x")
    assert written.path.read_bytes() == b"x"


@pytest.mark.parametrize("name", ["", ".hidden", "../escape.edi", "sub/dir.edi", ".."])
def test_a_name_that_is_not_a_plain_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PermanentError, match="not a plain file name"):
        DirectoryTransport(tmp_path).write_now(name, b"x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_permanent_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PermanentError, match="permission denied"):
            DirectoryTransport(tmp_path).write_now("a.edi", b"x")
    finally:
        tmp_path.chmod(0o700)


def test_claim_moves_settled_files_oldest_first_and_skips_fresh_and_hidden_ones(
    tmp_path: Path,
) -> None:
    drop(tmp_path, "b.edi", seconds_ago=30)
    drop(tmp_path, "a.edi", seconds_ago=60)
    drop(tmp_path, "fresh.edi", seconds_ago=0)
    drop(tmp_path, ".partial.edi.part", seconds_ago=60)
    (tmp_path / "subfolder").mkdir()

    claimed = DirectoryInbox(tmp_path, min_age_seconds=5).claim()

    assert [c.name for c in claimed] == ["a.edi", "b.edi"]
    assert all(c.path.parent == tmp_path / "processing" for c in claimed)
    assert claimed[0].read() == b"ISA*..."
    left = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert left == [".partial.edi.part", "fresh.edi"]


def test_done_and_failed_keep_every_file_and_note_why(tmp_path: Path) -> None:
    inbox = DirectoryInbox(tmp_path, min_age_seconds=0)
    drop(tmp_path, "x.edi", b"one")
    first = inbox.done(inbox.claim()[0])
    drop(tmp_path, "x.edi", b"two")
    second = inbox.done(inbox.claim()[0])
    drop(tmp_path, "y.edi", b"bad")
    failed = inbox.failed(inbox.claim()[0], "interchange 17: no IEA trailer")

    assert (first.name, second.name) == ("x.edi", "x.edi.1")
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert failed == tmp_path / "failed" / "y.edi"
    assert (tmp_path / "failed" / "y.edi.reason").read_text() == "interchange 17: no IEA trailer\n"
    assert list((tmp_path / "processing").iterdir()) == []


def test_a_file_of_a_name_still_processing_waits_for_the_next_claim(tmp_path: Path) -> None:
    inbox = DirectoryInbox(tmp_path, min_age_seconds=0)
    drop(tmp_path, "x.edi", b"one")
    (held,) = inbox.claim()
    drop(tmp_path, "x.edi", b"two")

    assert inbox.claim() == []
    inbox.done(held)
    (again,) = inbox.claim()
    assert again.read() == b"two"


def test_release_and_recover_put_files_back_for_another_claim(tmp_path: Path) -> None:
    inbox = DirectoryInbox(tmp_path, min_age_seconds=0)
    drop(tmp_path, "a.edi")
    drop(tmp_path, "b.edi")
    first, _ = inbox.claim()
    inbox.release(first)

    assert inbox.recover(older_than_seconds=3600) == []  # b.edi was claimed just now
    assert inbox.recover(older_than_seconds=0) == ["b.edi"]
    assert sorted(c.name for c in inbox.claim()) == ["a.edi", "b.edi"]


def test_two_inboxes_claiming_at_once_never_take_the_same_file(tmp_path: Path) -> None:
    for n in range(200):
        drop(tmp_path, f"{n:03d}.edi")
    inboxes = [DirectoryInbox(tmp_path, min_age_seconds=0) for _ in range(4)]
    taken: list[list[str]] = [[] for _ in inboxes]
    start = threading.Barrier(len(inboxes))

    def claim_all(index: int) -> None:
        start.wait()
        while claimed := inboxes[index].claim(limit=7):
            taken[index] += [c.name for c in claimed]

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(inboxes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [name for names in taken for name in names]
    assert sorted(everything) == [f"{n:03d}.edi" for n in range(200)]
    assert len(set(everything)) == 200


def test_a_missing_inbox_is_not_connected_unless_it_may_be_created(tmp_path: Path) -> None:
    with pytest.raises(NotConnected):
        DirectoryInbox(tmp_path / "gone").claim()
    with pytest.raises(NotConnected):
        DirectoryInbox(tmp_path / "unmounted" / "inbound", create=True).claim()
    assert DirectoryInbox(tmp_path / "inbound", create=True).claim() == []
    assert (tmp_path / "inbound" / "processing").is_dir()
