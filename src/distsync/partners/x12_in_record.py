"""What became of each received set, and the record of the acknowledgement given back.

:class:`SetOutcome` says, per transaction set, whether it was taken (its
event type, document number and the stored event) or refused (its problems).
:func:`acknowledgement_record` is the log entry of the 997/999 we answered
with (``outbound.x12_acknowledgement_sent``): its text, so a repeated file
gets the same bytes back, and every set's outcome with its located problems
and, for a refused set, its own text (up to 64 KiB), so operators can see
what a partner was told and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from distsync.formats.x12.envelope import Interchange, TransactionSet
from distsync.formats.x12.problems import Problem
from distsync.formats.x12.writer import render
from distsync.model.envelope import Envelope

__all__ = ["ACKNOWLEDGEMENT_SENT", "Received", "SetOutcome", "acknowledgement_record"]

ACKNOWLEDGEMENT_SENT = "outbound.x12_acknowledgement_sent"
KEPT_SET_CHARS = 65_536


@dataclass(frozen=True)
class SetOutcome:
    """What became of one received transaction set."""

    partner: str
    interchange: str
    group: str
    control: str
    set_id: str
    problems: tuple[Problem, ...] = ()
    event_type: str | None = None
    document_number: str | None = None
    event_id: str | None = None  # the stored event (the first one, for a duplicate)
    duplicate: bool = False

    @property
    def accepted(self) -> bool:
        return self.event_type is not None


@dataclass(frozen=True)
class Received:
    """A file received: the acknowledgement to give back and what happened to each set."""

    acknowledgement: bytes  # empty when there was nothing to acknowledge (only 997/999)
    sets: tuple[SetOutcome, ...]
    appended: tuple[str, ...]  # event ids stored by this call (the acknowledgement's record too)
    warnings: tuple[Problem, ...] = ()

    @property
    def taken(self) -> list[SetOutcome]:
        """Sets appended by this call (not rejected, not seen before)."""
        return [s for s in self.sets if s.accepted and not s.duplicate]

    @property
    def rejected(self) -> list[SetOutcome]:
        return [s for s in self.sets if not s.accepted]

    @property
    def duplicates(self) -> list[SetOutcome]:
        return [s for s in self.sets if s.duplicate]


def acknowledgement_record(
    partner: str,
    *,
    key: str,
    interchange: Interchange,
    text: str,
    outcomes: Iterable[SetOutcome],
    transactions: Iterable[TransactionSet],
    at: datetime,
) -> Envelope:
    """The log entry of the acknowledgement answering ``interchange`` (one per ``key``)."""
    kept = list(transactions)
    payload = {
        "partner": partner,
        "received_interchange": interchange.control,
        "text": text,
        "sets": [_outcome_json(o, kept) for o in outcomes],
    }
    return Envelope(
        type=ACKNOWLEDGEMENT_SENT,
        schema_version=1,
        source_system="distsync",
        partner=partner,
        correlation_id=f"x12:{partner}/isa/{interchange.control}",
        idempotency_key=key,
        partition_key=f"x12:{partner}",
        occurred_at=at,
        received_at=at,
        payload=payload,
    )


def _outcome_json(outcome: SetOutcome, transactions: list[TransactionSet]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "set_id": outcome.set_id,
        "group": outcome.group,
        "control": outcome.control,
        "event_type": outcome.event_type,
        "document_number": outcome.document_number,
        "problems": [_problem_json(p) for p in outcome.problems],
    }
    if not outcome.accepted:
        body["text"] = _set_text(outcome, transactions)
    return body


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "message": problem.message,
        "severity": problem.severity.value,
        "location": asdict(problem.location),
    }


def _set_text(outcome: SetOutcome, transactions: list[TransactionSet]) -> str:
    for t in transactions:
        if (t.group.control, t.control) == (outcome.group, outcome.control):
            return render(t.segments, t.st.delimiters)[:KEPT_SET_CHARS]
    return ""
