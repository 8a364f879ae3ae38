"""A folder as a transport: files written atomically for a partner, files claimed from an inbox.

Writing (:class:`DirectoryTransport`): the bytes go to a hidden temporary file
in the target folder, are synced to disk, and are renamed over the final name
in one step, so a partner polling the folder never sees half a file. The
caller names the file from the control numbers, so a retried delivery replaces
its own file instead of adding a second one (``write`` says when the file was
there already with the same bytes).

Reading (:class:`DirectoryInbox`): ``claim()`` moves complete files from the
inbox into ``processing/``. A file is complete when its name is final (not a
temporary name, :func:`is_temporary`: a leading ``.`` or ``~$``, or a
``.tmp``, ``.part``, ``.filepart``, ``.partial`` or ``~`` ending, as FTP and
SFTP clients write them before the rename) and it has not been written to for
``min_age_seconds`` (its modification time; every write moves it). A file
this inbox saw under a temporary name at its previous claim (``x.edi.part``
then ``x.edi``) is taken at once: the rename says it is complete. A rename
is atomic, so two processes never claim the same file. The caller then moves
each claimed file on with ``done()`` (the archive folder, ``done/`` unless
named otherwise) or ``failed()`` (the reject folder, ``failed/``, with a
``<name>.reason`` note beside it), or back with ``release()``; with
``dated`` both go into a ``YYYY-MM-DD/`` subfolder (UTC) so a busy folder
stays listable. A name already taken gets a numbered suffix, so nothing is
overwritten. ``recover()`` moves files that a dead process left in
``processing/`` back to the inbox.

Failures of the file system are translated once, in :func:`map_errors`::

    the folder is missing (an unmounted share)      NotConnected
    permission denied                               PermanentError
    anything else (disk full, I/O error)            RetryableError

This module imports nothing of distsync but its errors.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from distsync.errors import NotConnected, PermanentError, RetryableError

__all__ = [
    "ClaimedFile",
    "DirectoryInbox",
    "DirectoryTransport",
    "Written",
    "is_temporary",
    "map_errors",
]

PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
REASON_SUFFIX = ".reason"
TEMPORARY_PREFIXES = (".", "~$")
TEMPORARY_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", "~")


def is_temporary(name: str) -> bool:
    """True for a name a writer uses before renaming the finished file (never claimed)."""
    return name.startswith(TEMPORARY_PREFIXES) or name.lower().endswith(TEMPORARY_SUFFIXES)


@contextmanager
def map_errors(action: str) -> Iterator[None]:
    """Translate ``OSError`` raised inside the block into the taxonomy, naming ``action``."""
    try:
        yield
    except FileNotFoundError as exc:
        raise NotConnected(f"{action}: {exc.filename or 'the folder'} does not exist") from exc
    except PermissionError as exc:
        raise PermanentError(f"{action}: permission denied on {exc.filename}") from exc
    except OSError as exc:
        raise RetryableError(f"{action}: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class Written:
    """A file delivered: where it lies, and whether it held these bytes already."""

    path: Path
    replaced_same: bool


class DirectoryTransport:
    """Writes files into one folder, atomically (see the module docstring).

    With ``create`` the folder itself is made when missing, never its parents:
    a missing parent (an unmounted share) stays an error.
    """

    def __init__(self, folder: Path, *, create: bool = False) -> None:
        self.folder = folder
        self.create = create

    async def write(self, name: str, data: bytes) -> Written:
        return await asyncio.to_thread(self.write_now, name, data)

    def write_now(self, name: str, data: bytes) -> Written:
        """Write ``data`` as ``name``: temporary file, fsync, rename, fsync of the folder."""
        _check_name(name)
        target = self.folder / name
        with map_errors(f"writing {name} to {self.folder}"):
            if self.create:
                self.folder.mkdir(exist_ok=True)
            same = target.is_file() and target.read_bytes() == data
            temporary = self.folder / f".{name}.{secrets.token_hex(4)}.tmp"
            try:
                with temporary.open("xb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                temporary.replace(target)
            finally:
                with suppress(FileNotFoundError):
                    temporary.unlink()
            _sync_folder(self.folder)
        return Written(target, same)


@dataclass(frozen=True)
class ClaimedFile:
    """A file taken from the inbox, now in ``processing/``."""

    name: str
    path: Path

    def read(self) -> bytes:
        with map_errors(f"reading {self.path}"):
            return self.path.read_bytes()


class DirectoryInbox:
    """The folder a partner drops files into, with ``processing/``, ``done/`` and ``failed/``.

    With ``create`` the inbox folder itself is made when missing, never its
    parents. ``archive`` and ``reject`` rename ``done`` and ``failed``;
    ``dated`` files both by the day they were moved (see the module docstring).
    """

    def __init__(
        self,
        folder: Path,
        *,
        min_age_seconds: float = 2.0,
        create: bool = False,
        archive: str = DONE,
        reject: str = FAILED,
        dated: bool = False,
    ) -> None:
        for role, name in (("archive", archive), ("reject", reject)):
            if not _is_plain_name(name) or name == PROCESSING or is_temporary(name):
                raise PermanentError(f"inbox {folder}: {role} folder {name!r} is not a plain name")
        if archive == reject:
            raise PermanentError(f"inbox {folder}: archive and reject are both {archive!r}")
        self.folder = folder
        self.min_age_seconds = min_age_seconds
        self.create = create
        self.archive = archive
        self.reject = reject
        self.dated = dated
        self._uploading: set[str] = set()
        self._finals: set[str] = set()

    def claim(self, limit: int = 100) -> list[ClaimedFile]:
        """Move up to ``limit`` settled files (oldest first) into ``processing/``."""
        processing = self._sub(PROCESSING)
        claimed = []
        for path in self._settled()[:limit]:
            target = processing / path.name
            if target.exists():
                continue  # a file of that name is still being processed; later
            with map_errors(f"claiming {path}"):
                try:
                    path.rename(target)
                except FileNotFoundError:
                    continue  # another process claimed it first
            claimed.append(ClaimedFile(path.name, target))
        return claimed

    def done(self, claimed: ClaimedFile) -> Path:
        """Archive a processed file; where it went."""
        return self._move(claimed.path, self._filed(self.archive))

    def failed(self, claimed: ClaimedFile, reason: str) -> Path:
        """Reject a file, with ``reason`` written beside it as ``<name>.reason``."""
        moved = self._move(claimed.path, self._filed(self.reject))
        with map_errors(f"noting why {claimed.name} failed"):
            moved.with_name(moved.name + REASON_SUFFIX).write_text(reason + "\n", "utf-8")
        return moved

    def release(self, claimed: ClaimedFile) -> Path:
        """Put a claimed file back into the inbox, to be claimed again later."""
        return self._move(claimed.path, self.folder)

    def recover(self, *, older_than_seconds: float) -> list[str]:
        """Move files stuck in ``processing/`` longer than that back to the inbox."""
        processing = self._sub(PROCESSING)
        cutoff = time.time() - older_than_seconds
        moved = []
        with map_errors(f"recovering files in {processing}"):
            for path in sorted(processing.iterdir()):
                if path.is_file() and path.stat().st_ctime < cutoff:
                    path.rename(_free_name(self.folder / path.name))
                    moved.append(path.name)
        return moved

    def _settled(self) -> list[Path]:
        cutoff = time.time() - self.min_age_seconds
        with map_errors(f"listing {self.folder}"):
            listed = list(self.folder.iterdir())
        finals = [path for path in listed if not is_temporary(path.name)]
        renamed = self._uploading - self._finals  # under a temporary name at the last look
        self._uploading = {_final_name(p.name) for p in listed if is_temporary(p.name)}
        self._finals = {path.name for path in finals}
        found = [(mtime, path) for path in finals if (mtime := _file_mtime(path)) is not None]
        return [path for mtime, path in sorted(found) if mtime <= cutoff or path.name in renamed]

    def _filed(self, name: str) -> Path:
        folder = self._sub(name)
        return self._sub(f"{name}/{datetime.now(UTC):%Y-%m-%d}") if self.dated else folder

    def _sub(self, name: str) -> Path:
        folder = self.folder / name
        with map_errors(f"preparing {folder}"):
            if self.create:
                self.folder.mkdir(exist_ok=True)
            folder.mkdir(exist_ok=True)
        return folder

    def _move(self, path: Path, folder: Path) -> Path:
        with map_errors(f"moving {path.name} to {folder}"):
            target = _free_name(folder / path.name)
            path.rename(target)
        return target


def _file_mtime(path: Path) -> float | None:
    """When a regular file last changed; ``None`` for folders and files gone meanwhile."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime if stat.S_ISREG(status.st_mode) else None


def _free_name(path: Path) -> Path:
    """``path``, or ``name.1``, ``name.2``, ... : the first that is not taken."""
    candidate, number = path, 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{number}")
    return candidate


def _final_name(name: str) -> str:
    """The name a file under the temporary ``name`` will most likely be renamed to."""
    suffix = next((s for s in TEMPORARY_SUFFIXES if name.lower().endswith(s)), "")
    stem = name[: len(name) - len(suffix)]
    prefix = next((p for p in TEMPORARY_PREFIXES if stem.startswith(p)), "")
    return stem[len(prefix) :]


def _is_plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name


def _check_name(name: str) -> None:
    if not _is_plain_name(name):
        raise PermanentError(f"writing a file: {name!r} is not a plain file name")


def _sync_folder(folder: Path) -> None:
    """Make the rename durable: sync the folder's entry (where the platform allows it)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
