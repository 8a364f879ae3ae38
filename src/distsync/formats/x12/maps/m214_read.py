"""Reading a 214: one status event per LX loop (the rules are in ``m214``'s docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distsync.formats.x12.maps import logistics_parties as parties
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.logistics_common import (
    Indexed,
    Reading,
    compact,
    find,
    find_all,
    references,
    split,
    value,
)
from distsync.formats.x12.maps.m214_codes import ESTIMATED_DELIVERY, MILESTONES, NORMAL, REASONS
from distsync.model.tracking import Milestone, TrackingEvent


def read_events_of(reading: Reading) -> list[TrackingEvent]:
    """Every status event of a validated 214, one per LX loop with a shipment status."""
    head, groups, _ = split(reading.items(), "LX")
    drafts = []
    for group in groups:
        reading.sources = {}
        data = _event(reading, head, group)
        if data is not None:
            drafts.append((data, reading.sources))
    if not drafts and not reading.failed:
        reading.report(0, None, "no shipment status (AT701) in any LX loop")
    if reading.failed:
        return []
    events = []
    for data, sources in drafts:
        reading.sources = sources
        event = reading.build(TrackingEvent, data)
        if event is not None:
            events.append(event)
    return events


def _event(
    reading: Reading, head: Sequence[Indexed], group: Sequence[Indexed]
) -> dict[str, Any] | None:
    picked = _pick(reading, group)
    if picked is None:
        return None
    status, eta = picked
    milestone = _milestone(reading, status)
    occurred = reading.moment(status, 5, 6, 7, "status date (AT705)")
    for name in ("milestone", "carrier_status_code", "exception_reason", "proof_of_delivery"):
        reading.source(name, status[0], 1)
    reading.source("occurred_at", status[0], 5)
    exceptional, arrived = milestone is Milestone.EXCEPTION, milestone is Milestone.DELIVERED
    return compact(
        {
            **_shipment(reading, head, group),
            "milestone": milestone,
            "carrier_status_code": value(status[1], 1),
            "carrier_status_text": _remarks(group),
            "occurred_at": occurred,
            "location": _location(reading, group, status),
            "estimated_delivery_at": _estimate(reading, eta),
            "exception_reason": _reason(status) if exceptional else None,
            "proof_of_delivery": _proof(reading, group, occurred) if arrived else None,
        }
    )


def _pick(reading: Reading, group: Sequence[Indexed]) -> tuple[Indexed, Indexed | None] | None:
    """The LX's status AT7 and its estimated-delivery AT7 (``AG``), if any."""
    statuses = [a for a in find_all(group, "AT7") if value(a[1], 1)]
    if not statuses:
        message = "an LX loop without a shipment status (appointments only) is skipped"
        reading.warn(group[0][0], None, "no_status", message)
        return None
    status = next((a for a in statuses if value(a[1], 1) != ESTIMATED_DELIVERY), statuses[0])
    estimates = [a for a in statuses if a is not status and value(a[1], 1) == ESTIMATED_DELIVERY]
    return status, estimates[0] if estimates else None


def _shipment(
    reading: Reading, head: Sequence[Indexed], group: Sequence[Indexed]
) -> dict[str, Any]:
    b10 = find(head, "B10") or head[0]
    for name, element in (("tracking_number", 1), ("shipment_id", 2), ("carrier", 3)):
        reading.source(name, b10[0], element)
    tracking = _reference(head, group, reading.options.qualifier("tracking", "2I"))
    blocks = parties.party_blocks(head)
    return {
        "tracking_number": tracking or value(b10[1], 1),
        "carrier": parties.read_carrier(reading, blocks, value(b10[1], 3), None),
        "shipment_id": value(b10[1], 2),
        "shipment_order_number": _reference(head, group, order_qualifier(reading.options)),
    }


def _remarks(group: Sequence[Indexed]) -> str | None:
    pieces = [s.element(1) + s.element(2) for _, s in find_all(group, "K1")]
    return "".join(pieces).strip() or None


def _estimate(reading: Reading, eta: Indexed | None) -> Any:
    return reading.moment(eta, 5, 6, 7, "estimated delivery (AT705)") if eta else None


def _milestone(reading: Reading, status: Indexed) -> Milestone:
    raw = value(status[1], 1) or ""
    milestone = MILESTONES.get(reading.options.from_partner("shipment_status", raw))
    if milestone is None:
        message = f"shipment status {raw!r} is not in the 214 table: read as an exception"
        reading.warn(status[0], 1, "unknown_status", message)
        return Milestone.EXCEPTION
    return milestone


def _reference(head: Sequence[Indexed], group: Sequence[Indexed], qualifier: str) -> str | None:
    for items in (group, head):
        found = references(items, "L11").get(qualifier)
        if found:
            return value(found[0][1], 1)
    return None


def _location(reading: Reading, group: Sequence[Indexed], status: Indexed) -> Any:
    after = [item for item in group if item[0] > status[0]]
    ms1 = after[0] if after and after[0][1].tag == "MS1" else None
    if ms1 is None:
        return None
    segment, names = ms1[1], {"city": 1, "region": 2, "country": 3, "postal_code": 8}
    for name, position in names.items():
        reading.source(f"location.{name}", ms1[0], position)
    return compact({name: value(segment, position) for name, position in names.items()})


def _reason(status: Indexed) -> str | None:
    code = value(status[1], 2)
    if code is None or code == NORMAL:
        return None
    return REASONS.get(code, f"reason code {code}")


def _proof(reading: Reading, group: Sequence[Indexed], occurred: Any) -> Any:
    qualifier = reading.options.qualifier("signed_by", "ZZ")
    found = references(group, "L11").get(qualifier)
    signer = value(found[0][1], 1) if found else None
    return {"signed_by": signer, "delivered_at": occurred} if signer else None


def order_qualifier(options: MapOptions) -> str:
    return options.qualifier("shipment_order", "SO")
