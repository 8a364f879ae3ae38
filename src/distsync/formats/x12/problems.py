"""What the X12 reader and validators report: located problems with codes for 997/999."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a file: interchange, group and set control numbers, segment, element, byte."""

    interchange: str | None = None
    group: str | None = None
    transaction_set: str | None = None
    segment_position: int | None = None  # 1-based within the transaction set (ST = 1)
    segment_tag: str | None = None
    element_position: int | None = None
    byte_offset: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.interchange is not None:
            parts.append(f"interchange {self.interchange}")
        if self.group is not None:
            parts.append(f"group {self.group}")
        if self.transaction_set is not None:
            parts.append(f"set {self.transaction_set}")
        if self.segment_tag is not None:
            where = f"segment {self.segment_tag}"
            if self.segment_position is not None:
                where += f" #{self.segment_position}"
            parts.append(where)
        if self.element_position is not None:
            parts.append(f"element {self.element_position:02d}")
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        return ", ".join(parts) or "start of file"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or odd) in an X12 file.

    ``code`` is stable and short (``control_number_mismatch``); ``ack_code`` is
    the X12 code a 997/999 reports for it at its level (AK5/IK5 for sets,
    AK3/IK3 for segments, AK4/IK4 for elements, AK9 for groups).
    """

    code: str
    message: str
    location: Location
    severity: Severity = Severity.ERROR
    ack_code: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"
