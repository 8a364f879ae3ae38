"""Files a directory partner drops: into the log, with the 997/999 written back.

A ``directory`` channel's folder has ``inbound/`` (the partner drops files
there) and ``outbound/`` (we write there). :func:`receive_folder` claims the
settled files of ``inbound/`` (``transports.directory.DirectoryInbox``),
receives each through ``X12Inbound`` as from that partner, writes the
acknowledgement into ``outbound/`` as ``<partner>_ack_<hash>.edi`` (the same
file received again gets the same acknowledgement under the same name), and
moves the file to ``inbound/done/``. A file refused whole goes to
``inbound/failed/`` with a ``.reason`` note naming the problems; a file that
could not be stored now (a retryable error) is put back for the next round.

Something must call it periodically for each directory partner (the worker
role of ``distsync serve``); :func:`directory_partners` lists them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from distsync.config import Landscape
from distsync.errors import PermanentError, RetryableError
from distsync.partners.x12_in import X12Inbound
from distsync.partners.x12_in_checks import InterchangeRefused
from distsync.telemetry import get_logger
from distsync.transports.directory import ClaimedFile, DirectoryInbox, DirectoryTransport

__all__ = ["FileOutcome", "directory_partners", "receive_folder"]

INBOUND_FOLDER = "inbound"
OUTBOUND_FOLDER = "outbound"
log = get_logger(component="partners")


@dataclass(frozen=True)
class FileOutcome:
    """What became of one claimed file: ``done``, ``failed`` or ``retry``, and why."""

    name: str
    status: str
    detail: str = ""


def directory_partners(landscape: Landscape) -> dict[str, Path]:
    """Partner name → channel folder, for every X12 partner on a ``directory`` channel."""
    return {
        name: Path(partner.channel.path)
        for name, partner in landscape.partners.items()
        if partner.x12 is not None
        and partner.channel is not None
        and partner.channel.transport == "directory"
        and partner.channel.path is not None
    }


async def receive_folder(
    inbound: X12Inbound,
    partner: str,
    folder: Path,
    *,
    min_age_seconds: float = 2.0,
    limit: int = 100,
) -> list[FileOutcome]:
    """Receive up to ``limit`` files from ``<folder>/inbound/`` (see the module docstring)."""
    inbox = DirectoryInbox(folder / INBOUND_FOLDER, min_age_seconds=min_age_seconds, create=True)
    answers = DirectoryTransport(folder / OUTBOUND_FOLDER, create=True)
    claimed = await asyncio.to_thread(inbox.claim, limit)
    return [await _one(inbound, partner, inbox, answers, item) for item in claimed]


async def _one(
    inbound: X12Inbound,
    partner: str,
    inbox: DirectoryInbox,
    answers: DirectoryTransport,
    item: ClaimedFile,
) -> FileOutcome:
    try:
        received = await inbound.receive(await asyncio.to_thread(item.read), partner=partner)
        if received.acknowledgement:
            digest = hashlib.sha256(received.acknowledgement).hexdigest()[:16]
            await answers.write(f"{partner}_ack_{digest}.edi", received.acknowledgement)
    except RetryableError as exc:
        await asyncio.to_thread(inbox.release, item)
        return _logged(FileOutcome(item.name, "retry", str(exc)), partner)
    except PermanentError as exc:
        reason = "\n".join([str(exc), *map(str, _problems(exc))])
        await asyncio.to_thread(inbox.failed, item, reason)
        return _logged(FileOutcome(item.name, "failed", reason), partner)
    await asyncio.to_thread(inbox.done, item)
    detail = f"{len(received.appended)} appended, {len(received.rejected)} sets refused"
    return _logged(FileOutcome(item.name, "done", detail), partner)


def _problems(exc: PermanentError) -> tuple[object, ...]:
    return exc.problems if isinstance(exc, InterchangeRefused) else ()


def _logged(outcome: FileOutcome, partner: str) -> FileOutcome:
    log.info(
        "partner file received",
        action=f"partners.file_{outcome.status}",
        partner=partner,
        file=outcome.name,
        detail=outcome.detail,
    )
    return outcome
