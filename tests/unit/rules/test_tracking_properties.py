"""Properties of shipment status that must hold for any stream of carrier events (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent, TrackingLocation
from distsync.rules.tracking import ChangeKind, ShipmentTracking, apply_all

NUMBER = "1Z999AA10123456784"
CARRIER = CarrierRef(party_id="UPSN", scac="UPSN")
START = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
PLACES = (None, TrackingLocation(city="Dayton"), TrackingLocation(city="Lyon", country="FR"))

Arrival = tuple[TrackingEvent, str | None]


@st.composite
def arrivals(draw: st.DrawFn) -> Arrival:
    milestone = draw(st.sampled_from(list(Milestone)))
    occurred = START + timedelta(minutes=draw(st.integers(0, 12)) * 30)
    proof = None
    if milestone is Milestone.DELIVERED and draw(st.booleans()):
        proof = ProofOfDelivery(signed_by=draw(st.sampled_from(["A", "B"])), delivered_at=occurred)
    found = TrackingEvent(
        tracking_number=NUMBER,
        carrier=CARRIER,
        milestone=milestone,
        carrier_status_code=draw(st.sampled_from(["X1", "X6"])),
        carrier_status_text=draw(st.none() | st.just("scan")),
        occurred_at=occurred,
        location=draw(st.sampled_from(PLACES)),
        proof_of_delivery=proof,
    )
    return found, draw(st.none() | st.sampled_from(["e1", "e2", "e3", "e4"]))


@st.composite
def shuffled_with_copies(draw: st.DrawFn) -> tuple[list[Arrival], list[Arrival]]:
    """A shipment's events in time order, and the same shuffled with resends."""
    events = draw(st.lists(arrivals(), min_size=1, max_size=12))
    in_time = sorted(events, key=lambda pair: pair[0].occurred_at)
    copies = draw(st.lists(st.sampled_from(events), max_size=8))
    return in_time, draw(st.permutations(events + copies))


@given(shuffled_with_copies())
def test_any_arrival_order_with_copies_ends_as_in_time_order(
    streams: tuple[list[Arrival], list[Arrival]],
) -> None:
    in_time, shuffled = streams
    expected, _ = apply_all(ShipmentTracking(NUMBER), in_time)
    got, _ = apply_all(ShipmentTracking(NUMBER), shuffled)
    assert got == expected


@given(shuffled_with_copies())
def test_order_complete_comes_exactly_once_iff_a_delivery_is_known(
    streams: tuple[list[Arrival], list[Arrival]],
) -> None:
    _, shuffled = streams
    state, changes = apply_all(ShipmentTracking(NUMBER), shuffled)
    completions = [c for c in changes if c.kind is ChangeKind.ORDER_COMPLETE]
    any_delivered = any(e.milestone is Milestone.DELIVERED for e in state.events)
    assert len(completions) == (1 if any_delivered else 0)
    assert state.order_complete is any_delivered


@given(shuffled_with_copies(), st.integers(0, 12))
def test_an_event_older_than_a_delivery_never_takes_it_back(
    streams: tuple[list[Arrival], list[Arrival]], late_slot: int
) -> None:
    _, shuffled = streams
    state, _ = apply_all(ShipmentTracking(NUMBER), shuffled)
    if state.milestone is not Milestone.DELIVERED or state.current is None:
        return
    late_at = state.current.occurred_at - timedelta(minutes=late_slot * 30 + 1)
    for milestone in Milestone:
        late = TrackingEvent(
            tracking_number=NUMBER,
            carrier=CARRIER,
            milestone=milestone,
            carrier_status_code="X1",
            occurred_at=late_at,
        )
        after, _ = apply_all(state, [(late, None)])
        assert after.milestone is Milestone.DELIVERED
