"""Which X12 versions and transaction sets distsync maps, and the check for them."""

from __future__ import annotations

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.problems import Location, Problem

VERSIONS = ("004010", "005010")
"""GS08 versions the maps are written for (industry suffixes such as VICS, UCS, X357 allowed)."""

SETS = ("810", "846", "850", "855", "856", "860", "940", "944", "945", "214", "997", "999")


def support_problems(transaction: TransactionSet, byte_offset: int | None = None) -> list[Problem]:
    """Problems that stop a set from being mapped: an unsupported version or set."""
    group = transaction.group
    where = Location(
        interchange=group.interchange.control,
        group=group.control,
        transaction_set=transaction.control,
        segment_position=1,
        segment_tag="ST",
        byte_offset=byte_offset,
    )
    problems = []
    if group.version[:6] not in VERSIONS:
        problems.append(Problem(
            "unsupported_version",
            f"version {group.version!r} (GS08) is not supported: "
            f"distsync maps {', '.join(VERSIONS)}",
            where, ack_code="1",
        ))  # fmt: skip
    if transaction.set_id not in SETS:
        problems.append(Problem(
            "unsupported_set",
            f"transaction set {transaction.set_id!r} is not supported",
            where, ack_code="1",
        ))  # fmt: skip
    return problems
