"""Which X12 versions and transaction sets distsync maps, and the check for them."""

from __future__ import annotations

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.problems import Location, Problem, Severity

VERSIONS = ("004010", "005010")
"""GS08 versions the maps are written for (industry suffixes such as VICS, UCS, X357 allowed)."""

FAMILIES = {"0040": "004010", "0050": "005010"}
"""Later releases (004030 VICS, 004060, 005030...) are read with their family's maps."""

SETS = (
    "810", "846", "850", "855", "856", "860", "940", "943", "944", "945", "947", "214",
    "997", "999",
)  # fmt: skip


def version_family(gs08: str) -> str | None:
    """The mapped version a GS08 belongs to (004030VICS → 004010), or None."""
    base = gs08[:6]
    if base in VERSIONS:
        return base
    return FAMILIES.get(base[:4]) if base.isdigit() and len(base) == 6 else None


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
    family = version_family(group.version)
    if family is None:
        problems.append(Problem(
            "unsupported_version",
            f"version {group.version!r} (GS08) is not supported: "
            f"distsync maps {', '.join(VERSIONS)} and their later releases",
            where, ack_code="1",
        ))  # fmt: skip
    elif group.version[:6] != family:
        problems.append(Problem(
            "version_family",
            f"version {group.version!r} (GS08) is read with the {family} map",
            where, Severity.WARNING,
        ))  # fmt: skip
    if transaction.set_id not in SETS:
        problems.append(Problem(
            "unsupported_set",
            f"transaction set {transaction.set_id!r} is not supported",
            where, ack_code="1",
        ))  # fmt: skip
    return problems
