"""Control numbers kept in memory, and the numbering rules every backend shares.

The rules of ``ControlNumbers`` (``runtime/ports.py``) in one place: which
kinds exist, how a counter wraps, what a valid request is. The SQL backend
imports them; the in-memory counters below are the reference implementation.
"""

from __future__ import annotations

KINDS = ("isa", "gs", "st")
WRAP_AFTER = 999_999_999
"""The largest number of every kind; the next one is 1 again (ISA13 and GS06 have nine digits)."""


def check_request(kind: str, key: str, count: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"assigning control numbers to {key!r}: unknown kind {kind!r}")
    if count < 1:
        raise ValueError(f"assigning control numbers to {key!r}: count {count} is below 1")


def numbers_from(first: int, count: int) -> list[int]:
    """``count`` consecutive numbers from ``first``, wrapping after ``WRAP_AFTER`` to 1."""
    return [(first - 1 + offset) % WRAP_AFTER + 1 for offset in range(count)]


def after(last: int) -> int:
    """The number that follows ``last`` (0 for a counter never used)."""
    return last % WRAP_AFTER + 1


def check_count(kind: str, key: str, count: int, assigned: int) -> None:
    if count != assigned:
        raise ValueError(
            f"assigning {count} {kind} control numbers to {key!r}: it already has {assigned}"
        )


class MemoryControlNumbers:
    """Counters and assignments in dicts: atomic because nothing in ``assign`` awaits."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}
        self._assigned: dict[tuple[str, str, str], tuple[int, int]] = {}

    def assign(self, partner: str, kind: str, key: str, count: int) -> list[int]:
        check_request(kind, key, count)
        existing = self._assigned.get((partner, kind, key))
        if existing is not None:
            check_count(kind, key, count, existing[1])
            return numbers_from(*existing)
        numbers = numbers_from(after(self._last.get((partner, kind), 0)), count)
        self._last[(partner, kind)] = numbers[-1]
        self._assigned[(partner, kind, key)] = (numbers[0], count)
        return numbers
