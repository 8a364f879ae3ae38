"""Pure rules about ops records that every backend applies the same way."""

from __future__ import annotations

from datetime import datetime

from distsync.errors import DistsyncError
from distsync.runtime.ports import (
    DeadLetterRecord,
    ParkedRecord,
    RecordStatus,
    ReplaySelection,
    SubscriptionSpec,
    SubscriptionStats,
)

ALWAYS_OFFERED = ("replay", "discard")
GENERIC_RESOLUTIONS = {"replay": "Run the message again", "discard": "Discard the message"}


class ResolutionRefused(DistsyncError):
    """A resolution that the exception does not offer, or an exception already closed."""


class InvalidSelection(DistsyncError):
    """A replay selection that cannot be carried out as given."""


def record_ids(selection: ReplaySelection) -> list[int]:
    """Dead-letter or exception ids of a selection, refusing ones that are not numbers."""
    wrong = [i for i in selection.ids if not i.isdigit()]
    if wrong:
        raise InvalidSelection(
            f"replaying {selection.source}: ids are numbers, not {', '.join(map(repr, wrong))}"
        )
    return [int(i) for i in selection.ids]


def check_resolution(record: ParkedRecord | None, exception_id: int, action: str) -> RecordStatus:
    """The status an exception takes when resolved with ``action``; refuses what is not offered."""
    if record is None:
        raise ResolutionRefused(f"resolving exception {exception_id}: no such exception")
    if record.status != RecordStatus.OPEN:
        raise ResolutionRefused(
            f"resolving exception {exception_id}: it is already {record.status.value}"
        )
    offered = {name for name, _ in record.resolutions} | set(ALWAYS_OFFERED)
    if action not in offered:
        raise ResolutionRefused(
            f"resolving exception {exception_id} ({record.reason_code}): action {action!r} is "
            f"not offered; choose one of {', '.join(sorted(offered))}"
        )
    if action == "replay":
        return RecordStatus.REPLAYED
    if action == "discard":
        return RecordStatus.DISCARDED
    return RecordStatus.RESOLVED


def reason_of(record: DeadLetterRecord | ParkedRecord) -> str:
    """What ``--reason-code`` selects: an exception's reason code, a dead letter's error class."""
    if isinstance(record, ParkedRecord):
        return record.reason_code
    return record.error.error_class


def selection_summary(selection: ReplaySelection) -> str:
    """A short human-readable line for the audit table."""
    parts = [selection.source]
    if selection.ids:
        parts.append("ids=" + ",".join(selection.ids))
    chosen = selection.filter
    for name, value in (
        ("types", ",".join(chosen.types)),
        ("partner", chosen.partner),
        ("since", chosen.since.isoformat() if chosen.since else None),
        ("until", chosen.until.isoformat() if chosen.until else None),
        ("correlation", chosen.correlation_id),
        ("reason_code", selection.reason_code),
        ("subscriptions", ",".join(selection.subscriptions)),
    ):
        if value:
            parts.append(f"{name}={value}")
    return " ".join(parts)


def summarise_stats(
    spec: SubscriptionSpec,
    *,
    pending: int,
    in_flight: int,
    waiting: int,
    oldest: datetime | None,
    acked: int,
    skipped: int,
) -> SubscriptionStats:
    return SubscriptionStats(
        name=spec.name,
        ordered=spec.ordered,
        pending=pending,
        in_flight=in_flight,
        waiting_retry=waiting,
        oldest_pending_at=oldest,
        acked=acked,
        skipped_stale=skipped,
    )


def offered_resolutions(record: ParkedRecord) -> list[tuple[str, str]]:
    """What the exception offers, plus the actions every exception allows."""
    named = {name for name, _ in record.resolutions}
    generic = [(n, GENERIC_RESOLUTIONS[n]) for n in ALWAYS_OFFERED if n not in named]
    return [*record.resolutions, *generic]
