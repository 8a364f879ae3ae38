"""Carrier status codes → normalised milestones, with "unknown" as an answer, never a crash.

Two sources speak to distsync about parcels:

- X12 214: the AT7-01 shipment status code (4010 code list, kept by 5010);
- a carrier-tracker webhook in the common JSON shape (``tracking_json``): a
  ``status`` word (``pre_transit``, ``in_transit``, ``delivered`` ...) and a
  finer ``status_detail``.

:func:`x12_status` and :func:`tracker_status` answer with a
:class:`StatusMapping`: the milestone, or none when the code is unknown. An
unknown code is something a person should see (``problem()`` gives the
``unknown_carrier_status`` exception to park or report), not something to
guess at and not a reason to stop tracking the shipment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from distsync.errors import BusinessException, Resolution
from distsync.model.tracking import Milestone

__all__ = [
    "TRACKER_DETAILS",
    "TRACKER_STATUSES",
    "X12_MILESTONES",
    "StatusMapping",
    "StatusSource",
    "UnknownCarrierStatus",
    "tracker_status",
    "x12_status",
]

M = Milestone
_X12 = {
    M.LABEL_CREATED: "XB AA X3 X8",
    M.PICKED_UP: "AF CP L1 AM",
    M.IN_TRANSIT: "AG AI AL AN AR AV B6 BA BC C1 CL I1 J1 K1 OA P1 R1 RL X2 X4 X9",
    M.OUT_FOR_DELIVERY: "AJ S1 X1 X5 X6",
    M.DELIVERED: "D1 CD",
    M.EXCEPTION: "A7 A9 AH AP CA OO PR SD",
    M.RETURNED: "A3",
}

X12_MILESTONES: Mapping[str, Milestone] = MappingProxyType(
    {code: milestone for milestone, codes in _X12.items() for code in codes.split()}
)
"""AT7-01 shipment status code → milestone (the same table the 214 map reads with)."""

TRACKER_STATUSES: Mapping[str, Milestone] = MappingProxyType({
    "pre_transit": M.LABEL_CREATED, "in_transit": M.IN_TRANSIT,
    "out_for_delivery": M.OUT_FOR_DELIVERY, "available_for_pickup": M.OUT_FOR_DELIVERY,
    "delivered": M.DELIVERED, "return_to_sender": M.RETURNED, "failure": M.EXCEPTION,
    "cancelled": M.EXCEPTION, "error": M.EXCEPTION,
})  # fmt: skip
"""Tracker ``status`` → milestone. ``unknown`` and anything else is unknown."""

TRACKER_DETAILS: Mapping[str, Milestone] = MappingProxyType({
    "picked_up": M.PICKED_UP, "received_at_origin_facility": M.PICKED_UP,
})  # fmt: skip
"""``status_detail`` values that say more than their status (the tracker has no picked-up)."""

_REFINABLE = frozenset({M.LABEL_CREATED, M.IN_TRANSIT})


class StatusSource(StrEnum):
    """Where a carrier status code came from."""

    X12_214 = "x12_214"
    TRACKER = "tracker"


class UnknownCarrierStatus(BusinessException):
    """A carrier sent a status code distsync has no milestone for."""

    reason_code = "unknown_carrier_status"


@dataclass(frozen=True)
class StatusMapping:
    """What a carrier's status code means: a milestone, or unknown (``milestone`` is None)."""

    source: StatusSource
    code: str
    milestone: Milestone | None
    detail: str | None = None

    @property
    def known(self) -> bool:
        """Whether the code maps to a milestone."""
        return self.milestone is not None

    def problem(self, tracking_number: str) -> UnknownCarrierStatus | None:
        """The exception to report for an unknown code; None when the code is known."""
        if self.known:
            return None
        shown = f"{self.code!r}" + (f" ({self.detail})" if self.detail else "")
        return UnknownCarrierStatus(
            f"tracking {tracking_number}: {self.source} status {shown} has no milestone; "
            "the event is kept but does not move the shipment",
            document_ref=f"tracking:{tracking_number}",
            resolutions=(
                Resolution("replay", "Add the code to the carrier's status table, then replay"),
                Resolution("discard", "Discard the event, with a reason", ("reason",)),
            ),
            facts={
                "tracking_number": tracking_number,
                "source": str(self.source),
                "status_code": self.code,
                "status_detail": self.detail or "",
                "problem_key": f"unknown_carrier_status:{self.source}/{self.code}",
            },
        )


def x12_status(code: str) -> StatusMapping:
    """The milestone of a 214 AT7-01 code (surrounding blanks ignored, case as sent)."""
    clean = code.strip()
    return StatusMapping(StatusSource.X12_214, clean, X12_MILESTONES.get(clean))


def tracker_status(status: str, detail: str | None = None) -> StatusMapping:
    """The milestone of a tracker ``status``, refined by ``status_detail`` where it says more.

    A detail refines only an early status (``pre_transit``, ``in_transit``):
    ``in_transit`` + ``picked_up`` is picked up; a detail never overrides a
    delivered, returned or failed status.
    """
    clean, fine = status.strip().casefold(), (detail or "").strip().casefold() or None
    milestone = TRACKER_STATUSES.get(clean)
    refined = TRACKER_DETAILS.get(fine or "")
    if milestone in _REFINABLE and refined is not None:
        milestone = refined
    return StatusMapping(StatusSource.TRACKER, clean, milestone, fine)
