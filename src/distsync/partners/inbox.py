"""Files a directory partner drops: into the log, with the 997/999 written back.

A ``directory`` channel's folder has ``inbound/`` (the partner drops files
there) and ``outbound/`` (we write there). :func:`receive_folder` first puts
back files a dead process left in ``inbound/processing/`` for longer than
``stuck_seconds``, then claims the complete files of ``inbound/``
(``transports.directory.DirectoryInbox``: final name, unchanged for
``min_age_seconds``), receives each through ``X12Inbound`` as from that
partner, writes the acknowledgement into ``outbound/`` as
``<partner>_ack_<hash>.edi`` (the same file received again gets the same
acknowledgement under the same name), and archives the file in
``inbound/done/``. A file refused whole (not X12, not from this partner,
unreadable) goes to ``inbound/failed/`` with a ``<name>.reason`` note a person
can act on: which file, which partner, when, what was wrong and what to do. A
file that could not be stored now (a retryable error) is put back for the next
round; so is one that hit an unexpected error, or whose acknowledgement could
not be written, and that error is raised (the job backs off).

A ``*.json`` file (every file, for a partner without an X12 identity) is a
canonical document (``partners/json_in.py``, as ``POST
/v1/inbound/{partner}/{document_type}`` takes it): its name starts with its
document type (``asn_0042.json``), the partner must declare
``json-<document_type>``; it is archived once stored, or rejected with a
note naming each failing field. No acknowledgement is written for it.

Each step is logged with ``action`` ``inbox.file_taken``, ``inbox.file_archived``,
``inbox.file_rejected``, ``inbox.file_released`` or ``inbox.files_recovered``.

Something must poll each directory partner (the worker role of ``distsync
serve``), best with one :class:`FolderReceiver` per partner kept across polls:
a file it saw under a temporary name is then taken at once after its rename.
:func:`directory_partners` lists the partners.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from distsync.config import Landscape
from distsync.errors import PermanentError, RetryableError
from distsync.partners.json_in import DOCUMENT_EVENTS, JsonInbound, JsonRefused, document_type_of
from distsync.partners.x12_in import X12Inbound
from distsync.partners.x12_in_checks import InterchangeRefused
from distsync.telemetry import get_logger
from distsync.transports.directory import ClaimedFile, DirectoryInbox, DirectoryTransport

__all__ = [
    "FileOutcome",
    "FolderReceiver",
    "InboxFolders",
    "directory_partners",
    "receive_folder",
]

INBOUND_FOLDER = "inbound"
OUTBOUND_FOLDER = "outbound"
STUCK_SECONDS = 120.0
log = get_logger(component="partners")


@dataclass(frozen=True)
class FileOutcome:
    """What became of one claimed file: ``done``, ``failed`` or ``retry``, and why."""

    name: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class InboxFolders:
    """The names under ``inbound/``: archive, reject, and whether both are filed by day."""

    archive: str = "done"
    reject: str = "failed"
    dated: bool = False


def directory_partners(landscape: Landscape) -> dict[str, Path]:
    """Partner name → channel folder, for every partner on a ``directory`` channel that sends
    X12 (it has an ``x12`` identity) or JSON (``json-<type>`` in its ``sends``)."""
    return {
        name: Path(partner.channel.path)
        for name, partner in landscape.partners.items()
        if (partner.x12 is not None or any(d.startswith("json-") for d in partner.sends))
        and partner.channel is not None
        and partner.channel.transport == "directory"
        and partner.channel.path is not None
    }


class FolderReceiver:
    """Receives the files of one partner's folder, poll after poll (see the module docstring).

    Kept from one poll to the next, it remembers the temporary names it saw, so
    a file renamed to its final name is taken at once.
    """

    def __init__(
        self,
        inbound: X12Inbound,
        partner: str,
        folder: Path,
        *,
        min_age_seconds: float = 2.0,
        folders: InboxFolders = InboxFolders(),
        stuck_seconds: float = STUCK_SECONDS,
        json: JsonInbound | None = None,
        x12: bool = True,
    ) -> None:
        self.partner = partner
        self._inbound = inbound
        self._json = json
        self._x12 = x12
        self._stuck_seconds = stuck_seconds
        self._inbox = DirectoryInbox(
            folder / INBOUND_FOLDER,
            min_age_seconds=min_age_seconds,
            create=True,
            archive=folders.archive,
            reject=folders.reject,
            dated=folders.dated,
        )
        self._answers = DirectoryTransport(folder / OUTBOUND_FOLDER, create=True)

    async def receive(self, limit: int = 100) -> list[FileOutcome]:
        """Receive up to ``limit`` files from ``<folder>/inbound/``."""
        claimed = await asyncio.to_thread(
            _recover_and_claim, self._inbox, self.partner, limit, self._stuck_seconds
        )
        outcomes = []
        for item in claimed:
            as_json = item.name.lower().endswith(".json") or not self._x12
            if self._json is not None and as_json:
                outcomes.append(await _one_json(self._json, self.partner, self._inbox, item))
            else:
                outcomes.append(
                    await _one(self._inbound, self.partner, self._inbox, self._answers, item)
                )
        return outcomes


async def receive_folder(
    inbound: X12Inbound,
    partner: str,
    folder: Path,
    *,
    min_age_seconds: float = 2.0,
    limit: int = 100,
    folders: InboxFolders = InboxFolders(),
    stuck_seconds: float = STUCK_SECONDS,
) -> list[FileOutcome]:
    """One poll of a :class:`FolderReceiver` made for it (see the module docstring)."""
    receiver = FolderReceiver(
        inbound,
        partner,
        folder,
        min_age_seconds=min_age_seconds,
        folders=folders,
        stuck_seconds=stuck_seconds,
    )
    return await receiver.receive(limit)


def _recover_and_claim(
    inbox: DirectoryInbox, partner: str, limit: int, stuck_seconds: float
) -> list[ClaimedFile]:
    recovered = inbox.recover(older_than_seconds=stuck_seconds)
    if recovered:
        log.warning(
            "files left in processing/ put back into the inbox",
            action="inbox.files_recovered",
            partner=partner,
            files=recovered,
        )
    claimed = inbox.claim(limit)
    for item in claimed:
        log.info("partner file taken", action="inbox.file_taken", partner=partner, file=item.name)
    return claimed


async def _one(
    inbound: X12Inbound,
    partner: str,
    inbox: DirectoryInbox,
    answers: DirectoryTransport,
    item: ClaimedFile,
) -> FileOutcome:
    try:
        received = await inbound.receive(await asyncio.to_thread(item.read), partner=partner)
    except RetryableError as exc:
        await asyncio.to_thread(inbox.release, item)
        return _logged(FileOutcome(item.name, "retry", str(exc)), partner, "released")
    except PermanentError as exc:
        reason = _reason_note(item.name, partner, exc, inbox.folder)
        await asyncio.to_thread(inbox.failed, item, reason)
        return _logged(FileOutcome(item.name, "failed", reason), partner, "rejected")
    except Exception:
        await asyncio.to_thread(inbox.release, item)  # a bug: keep the file, let the job fail
        raise
    await _acknowledge(received.acknowledgement, partner, inbox, answers, item)
    await asyncio.to_thread(inbox.done, item)
    detail = f"{len(received.appended)} appended, {len(received.rejected)} sets refused"
    return _logged(FileOutcome(item.name, "done", detail), partner, "archived")


async def _one_json(
    json_in: JsonInbound, partner: str, inbox: DirectoryInbox, item: ClaimedFile
) -> FileOutcome:
    """A dropped JSON document: stored as the JSON route stores it, or rejected with a note."""
    try:
        document_type = document_type_of(item.name)
        if document_type is None:
            known = ", ".join(f"{t}_..." for t in DOCUMENT_EVENTS)
            raise PermanentError(
                f"receiving {item.name} from {partner}: a JSON file's name starts with its "
                f"document type ({known})"
            )
        data = await asyncio.to_thread(item.read)
        taken = await json_in.receive(data, partner=partner, document_type=document_type)
    except RetryableError as exc:
        await asyncio.to_thread(inbox.release, item)
        return _logged(FileOutcome(item.name, "retry", str(exc)), partner, "released")
    except (JsonRefused, PermanentError) as exc:
        reason = _reason_note(item.name, partner, _as_permanent(exc), inbox.folder)
        await asyncio.to_thread(inbox.failed, item, reason)
        return _logged(FileOutcome(item.name, "failed", reason), partner, "rejected")
    except Exception:
        await asyncio.to_thread(inbox.release, item)
        raise
    await asyncio.to_thread(inbox.done, item)
    detail = f"duplicate of {taken.event_id}" if taken.duplicate else f"stored as {taken.event_id}"
    return _logged(FileOutcome(item.name, "done", detail), partner, "archived")


def _as_permanent(exc: JsonRefused | PermanentError) -> PermanentError:
    if isinstance(exc, PermanentError):
        return exc
    fields = exc.extra.get("errors") or []
    missing = [f"{e['field']}: {e['message']}" for e in fields]
    missing = [problem for problem in missing if problem not in exc.detail]
    return PermanentError(exc.detail + (f" ({'; '.join(missing)})" if missing else ""))


async def _acknowledge(
    acknowledgement: bytes | None,
    partner: str,
    inbox: DirectoryInbox,
    answers: DirectoryTransport,
    item: ClaimedFile,
) -> None:
    """Write the 997/999; when that fails the file goes back (received again, it is a duplicate
    that gets the same acknowledgement) and the error is raised so the job backs off."""
    if not acknowledgement:
        return
    digest = hashlib.sha256(acknowledgement).hexdigest()[:16]
    try:
        await answers.write(f"{partner}_ack_{digest}.edi", acknowledgement)
    except Exception:
        await asyncio.to_thread(inbox.release, item)
        raise


def _reason_note(name: str, partner: str, exc: PermanentError, inbox: Path) -> str:
    """The ``.reason`` text: what was refused, whose, when, why, and what to do now."""
    problems = [f"  - {problem}" for problem in _problems(exc)]
    return "\n".join(
        [
            f"file: {name}",
            f"partner: {partner}",
            f"refused at: {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
            f"why: {exc}",
            *problems,
            f"what to do: correct the file and drop it into {inbox} again; nothing of it "
            "was stored. This file and this note may then be deleted.",
        ]
    )


def _problems(exc: PermanentError) -> tuple[object, ...]:
    return exc.problems if isinstance(exc, InterchangeRefused) else ()


def _logged(outcome: FileOutcome, partner: str, step: str) -> FileOutcome:
    log.info(
        "partner file handled",
        action=f"inbox.file_{step}",
        partner=partner,
        file=outcome.name,
        detail=outcome.detail,
    )
    return outcome
