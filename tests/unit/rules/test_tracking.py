"""Shipment status: carrier codes to milestones, de-duplication, ordering, proof, completion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m214 import TRANSPORTATION_STATUS_214 as M214
from distsync.formats.x12.maps.m214_codes import MILESTONES as MAP_214_MILESTONES
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent, TrackingLocation
from distsync.rules.tracking import ChangeKind, ShipmentTracking, apply, apply_all
from distsync.rules.tracking_codes import X12_MILESTONES, tracker_status, x12_status
from distsync.rules.tracking_json import TrackerUpdate, read_update
from tests.unit.x12_logistics_helpers import golden, only_set

M, K = Milestone, ChangeKind
NUMBER = "1Z999AA10123456784"
CARRIER = CarrierRef(party_id="UPSN", scac="UPSN")
START = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
DAYTON = TrackingLocation(city="Dayton", region="OH", country="US")


def event(milestone: Milestone, hours: float, **fields: Any) -> TrackingEvent:
    return TrackingEvent(
        tracking_number=NUMBER,
        carrier=CARRIER,
        milestone=milestone,
        carrier_status_code=fields.pop("code", "X1"),
        occurred_at=START + timedelta(hours=hours),
        **fields,
    )


def delivered(hours: float, signed_by: str = "J. SMITH") -> TrackingEvent:
    moment = START + timedelta(hours=hours)
    proof = ProofOfDelivery(signed_by=signed_by, delivered_at=moment)
    return event(M.DELIVERED, hours, code="D1", proof_of_delivery=proof)


def kinds(changes: tuple[Any, ...]) -> list[ChangeKind]:
    return [change.kind for change in changes]


def run(*events: TrackingEvent) -> ShipmentTracking:
    state, _ = apply_all(ShipmentTracking(NUMBER), [(e, None) for e in events])
    return state


# --- codes -------------------------------------------------------------------------------


def test_the_rules_read_214_codes_exactly_as_the_214_map_does() -> None:
    assert dict(X12_MILESTONES) == dict(MAP_214_MILESTONES)


@pytest.mark.parametrize(
    ("code", "milestone"),
    [("XB", M.LABEL_CREATED), ("AF", M.PICKED_UP), ("X4", M.IN_TRANSIT),
     ("X6", M.OUT_FOR_DELIVERY), ("D1", M.DELIVERED), ("A7", M.EXCEPTION),
     ("A3", M.RETURNED), (" D1 ", M.DELIVERED)],
)  # fmt: skip
def test_214_status_codes_map_to_milestones(code: str, milestone: Milestone) -> None:
    mapping = x12_status(code)
    assert mapping.known
    assert mapping.milestone is milestone
    assert mapping.problem(NUMBER) is None


def test_an_unknown_214_code_is_an_unknown_outcome_with_a_problem_to_report() -> None:
    mapping = x12_status("ZZ")
    assert not mapping.known
    assert mapping.milestone is None
    problem = mapping.problem(NUMBER)
    assert problem is not None
    assert problem.reason_code == "unknown_carrier_status"
    assert problem.document_ref == f"tracking:{NUMBER}"
    assert problem.facts["status_code"] == "ZZ"
    assert problem.facts["problem_key"] == "unknown_carrier_status:x12_214/ZZ"


@pytest.mark.parametrize(
    ("status", "detail", "milestone"),
    [("pre_transit", None, M.LABEL_CREATED), ("in_transit", "arrived_at_facility", M.IN_TRANSIT),
     ("in_transit", "picked_up", M.PICKED_UP), ("pre_transit", "picked_up", M.PICKED_UP),
     ("out_for_delivery", None, M.OUT_FOR_DELIVERY), ("available_for_pickup", None,
     M.OUT_FOR_DELIVERY), ("Delivered", None, M.DELIVERED),
     ("delivered", "picked_up", M.DELIVERED), ("return_to_sender", None, M.RETURNED),
     ("failure", "damaged", M.EXCEPTION)],
)  # fmt: skip
def test_tracker_statuses_map_to_milestones(
    status: str, detail: str | None, milestone: Milestone
) -> None:
    assert tracker_status(status, detail).milestone is milestone


@pytest.mark.parametrize("status", ["unknown", "teleported", ""])
def test_an_unknown_tracker_status_is_unknown_not_a_guess(status: str) -> None:
    mapping = tracker_status(status, "status_update")
    assert mapping.milestone is None
    problem = mapping.problem(NUMBER)
    assert problem is not None
    assert problem.facts["status_detail"] == "status_update"


# --- the JSON tracker shape ----------------------------------------------------------------

DELIVERED_JSON = """{"id": "evt_81", "object": "Event", "tracking_code": "1Z999AA10123456784",
 "status": "delivered", "status_detail": "arrived_at_destination",
 "message": "Delivered, front door", "datetime": "2024-05-21T14:02:00Z",
 "location": {"city": "Lyon", "state": "ARA", "zip": "69001", "country": "FR"},
 "signed_by": "M. DUPONT", "est_delivery_date": null}"""


def test_a_delivered_tracker_update_becomes_an_event_with_proof_of_delivery() -> None:
    reading = read_update(TrackerUpdate.model_validate_json(DELIVERED_JSON), CARRIER)
    assert reading.event_id == "evt_81"
    assert reading.mapping.known
    found = reading.event
    assert found is not None
    assert found.milestone is M.DELIVERED
    assert found.carrier_status_code == "delivered"
    assert found.carrier_status_text == "Delivered, front door"
    assert found.location == TrackingLocation(
        city="Lyon", region="ARA", postal_code="69001", country="FR"
    )
    when = datetime(2024, 5, 21, 14, 2, tzinfo=UTC)
    assert found.proof_of_delivery == ProofOfDelivery(signed_by="M. DUPONT", delivered_at=when)


def test_a_failure_update_carries_its_reason_and_an_unknown_one_no_event() -> None:
    base = {"tracking_code": NUMBER, "datetime": "2024-05-21T14:02:00Z"}
    failed = TrackerUpdate.model_validate({**base, "status": "failure", "message": "Damaged"})
    reading = read_update(failed, CARRIER)
    assert reading.event is not None
    assert reading.event.exception_reason == "Damaged"
    strange = read_update(TrackerUpdate.model_validate({**base, "status": "unknown"}), CARRIER)
    assert strange.event is None
    assert strange.mapping.problem(NUMBER) is not None


# --- the shipment's state ------------------------------------------------------------------


def test_the_journey_to_delivery_completes_the_order_once_with_proof() -> None:
    state = ShipmentTracking(NUMBER)
    journey = [event(M.LABEL_CREATED, 0), event(M.PICKED_UP, 2), event(M.IN_TRANSIT, 5),
               event(M.OUT_FOR_DELIVERY, 20), delivered(24)]  # fmt: skip
    seen: list[ChangeKind] = []
    for step in journey:
        state, changes = apply(state, step)
        assert K.MILESTONE_CHANGED in kinds(changes)
        seen.extend(kinds(changes))
    assert state.milestone is M.DELIVERED
    assert state.order_complete
    assert seen.count(K.ORDER_COMPLETE) == 1
    assert seen.count(K.PROOF_OF_DELIVERY) == 1
    assert state.proof_of_delivery is not None
    assert state.proof_of_delivery.signed_by == "J. SMITH"
    assert state.delivered_at == START + timedelta(hours=24)


def test_the_same_carrier_event_id_twice_is_a_duplicate() -> None:
    first, _ = apply(ShipmentTracking(NUMBER), event(M.IN_TRANSIT, 1), "evt-1")
    resent = event(M.IN_TRANSIT, 1, carrier_status_text="resent")
    again, changes = apply(first, resent, "evt-1")
    assert kinds(changes) == [K.DUPLICATE]
    assert len(again.events) == 1


def test_same_milestone_time_and_place_without_ids_is_a_duplicate() -> None:
    state = run(event(M.IN_TRANSIT, 1, location=DAYTON))
    again, changes = apply(state, event(M.IN_TRANSIT, 1, location=DAYTON), "evt-9")
    assert kinds(changes) == [K.DUPLICATE]
    assert len(again.events) == 1
    assert again.history[0].event_ids == frozenset({"evt-9"})


def test_the_same_milestone_and_time_elsewhere_is_another_event() -> None:
    state = run(event(M.IN_TRANSIT, 1, location=DAYTON), event(M.IN_TRANSIT, 1))
    assert len(state.events) == 2


def test_a_late_old_event_never_moves_a_delivered_shipment_back() -> None:
    state = run(event(M.IN_TRANSIT, 1), delivered(24))
    after, changes = apply(state, event(M.OUT_FOR_DELIVERY, 20))
    assert after.milestone is M.DELIVERED
    assert kinds(changes) == [K.RECORDED, K.LATE]
    assert [e.milestone for e in after.events] == [M.IN_TRANSIT, M.OUT_FOR_DELIVERY, M.DELIVERED]


def test_a_newer_scan_after_delivery_is_recorded_but_held() -> None:
    state = run(delivered(24))
    after, changes = apply(state, event(M.IN_TRANSIT, 30))
    assert after.milestone is M.DELIVERED
    assert kinds(changes) == [K.RECORDED, K.HELD_FINAL]


def test_a_later_exception_reopens_delivery_but_the_order_stays_complete() -> None:
    state = run(event(M.IN_TRANSIT, 1), delivered(24))
    refused = event(M.EXCEPTION, 26, code="A7", exception_reason="Refused by Customer")
    reopened, changes = apply(state, refused)
    assert reopened.milestone is M.EXCEPTION
    assert reopened.order_complete
    assert K.REOPENED in kinds(changes)
    assert K.ORDER_COMPLETE not in kinds(changes)
    redelivered, changes = apply(reopened, delivered(48, signed_by="A. JONES"))
    assert redelivered.milestone is M.DELIVERED
    assert K.ORDER_COMPLETE not in kinds(changes)
    assert redelivered.proof_of_delivery is not None
    assert redelivered.proof_of_delivery.signed_by == "A. JONES"


def test_returned_is_left_only_by_a_later_return_or_delivery() -> None:
    state = run(event(M.RETURNED, 10, code="A3"))
    held, changes = apply(state, event(M.IN_TRANSIT, 12))
    assert held.milestone is M.RETURNED
    assert K.HELD_FINAL in kinds(changes)
    assert not held.order_complete
    back_again, _ = apply(held, event(M.RETURNED, 14, code="A3", location=DAYTON))
    assert back_again.current is not None
    assert back_again.current.location == DAYTON
    delivered_after_all, changes = apply(back_again, delivered(40))
    assert delivered_after_all.milestone is M.DELIVERED
    assert K.ORDER_COMPLETE in kinds(changes)


def test_a_late_delivery_scan_still_delivers_the_shipment() -> None:
    state = run(event(M.IN_TRANSIT, 1), event(M.IN_TRANSIT, 30))
    after, changes = apply(state, delivered(24))
    assert after.milestone is M.DELIVERED
    assert after.current == delivered(24)
    assert K.ORDER_COMPLETE in kinds(changes)
    assert K.LATE not in kinds(changes)


def test_a_delivery_without_a_signature_completes_without_proof() -> None:
    state = run(event(M.DELIVERED, 24, code="D1"))
    assert state.order_complete
    assert state.proof_of_delivery is None


def test_an_event_of_another_shipment_is_refused() -> None:
    other = event(M.IN_TRANSIT, 1).model_copy(update={"tracking_number": "9400100000000001"})
    with pytest.raises(ValueError, match="9400100000000001"):
        apply(ShipmentTracking(NUMBER), other)


def test_a_real_214_delivered_first_and_twice_ends_delivered_with_the_signers_name() -> None:
    options = MapOptions(code_lists={"carrier": {"CAR-RLC": "RLCA"}})
    events, problems = M214.read_events(
        only_set(golden("214", "status_in.edi").read_bytes()), options
    )
    assert problems == []
    assert [e.milestone for e in events] == [M.PICKED_UP, M.EXCEPTION, M.DELIVERED]
    arrivals = [events[2], events[0], events[2], events[1]]
    state, changes = apply_all(
        ShipmentTracking(events[0].tracking_number), [(e, None) for e in arrivals]
    )
    assert state.milestone is M.DELIVERED
    assert state.events == tuple(events)
    assert state.proof_of_delivery is not None
    assert state.proof_of_delivery.signed_by == "LOPEZ"
    assert kinds(changes).count(K.ORDER_COMPLETE) == 1
    assert kinds(changes).count(K.DUPLICATE) == 1
    assert kinds(changes).count(K.LATE) == 2
