"""The 214 map: Transportation Carrier Shipment Status ↔ TrackingEvent(s), both directions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m214 import TRANSPORTATION_STATUS_214 as M214
from distsync.formats.x12.maps.m214_codes import MILESTONES, REASONS
from distsync.model.examples.fulfilment import example_tracking_event
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent, TrackingLocation
from tests.unit.x12_logistics_helpers import (
    body_lines,
    corpus,
    errors,
    golden,
    golden_lines,
    interchange,
    is_broken,
    moments,
    only_set,
    read_safely,
    round_trip,
    tracking_numbers,
    words,
)

OPTIONS = MapOptions(code_lists={"carrier": {"CAR-RLC": "RLCA", "CAR-UPS": "UPSN"}})
HEAD = "B10*PRO-1*SHP-1*RLCA~"


def status_set(*body: str) -> bytes:
    segments = [s for chunk in body for s in chunk.split("~") if s]
    return interchange(M214, [s.split("*") for s in segments]).encode()


def delivered() -> TrackingEvent:
    """The example event with an X12 status code, and a carrier without a service."""
    data = example_tracking_event().model_dump()
    data["carrier_status_code"] = "D1"
    data["carrier"]["service"] = None
    return TrackingEvent.model_validate(data)


def test_a_214_with_three_status_loops_reads_as_three_events() -> None:
    events, problems = M214.read_events(
        only_set(golden("214", "status_in.edi").read_bytes()), OPTIONS
    )
    expected = json.loads(golden("214", "status_in.json").read_text())
    assert problems == []
    assert events == [TrackingEvent.model_validate_json(json.dumps(e)) for e in expected]


def test_reading_a_214_gives_its_latest_event_and_says_how_many_it_carried() -> None:
    result = M214.read(only_set(golden("214", "status_in.edi").read_bytes()), OPTIONS)
    assert isinstance(result.document, TrackingEvent)
    assert result.document.carrier_status_code == "D1"
    (warning,) = result.problems
    assert warning.code == "several_events"
    assert "3 status events" in warning.message


def test_events_are_written_segment_by_segment_as_the_golden_5010_214() -> None:
    events = [
        TrackingEvent.model_validate_json(json.dumps(e))
        for e in json.loads(golden("214", "status_out_5010.json").read_text())
    ]
    options = MapOptions(version="005010", code_lists=OPTIONS.code_lists)
    written = body_lines(M214.write_events(events, options))
    assert written == golden_lines(golden("214", "status_out_5010.edi"))


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_example_event_survives_a_round_trip(version: str) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    assert round_trip(M214, delivered(), options).document == delivered()


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_several_events_survive_a_round_trip(version: str) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    events = [
        TrackingEvent.model_validate_json(json.dumps(e))
        for e in json.loads(golden("214", "status_in.json").read_text())
    ]
    text = interchange(M214, M214.write_events(events, options), version)
    assert M214.read_events(only_set(text), options) == (events, [])


@pytest.mark.parametrize("name", ["EDI.Net__214-MGCTLYST-SAMPLE.EDI", "EDI.Net__x12.214.edi"])
def test_the_edi_net_214s_map_to_a_delivered_event(name: str) -> None:
    (path,) = [p for p in corpus("214") if p.name == name]
    result = M214.read(only_set(path.read_bytes()), MapOptions())
    event = result.document
    assert isinstance(event, TrackingEvent), result.problems
    assert (event.milestone, event.carrier_status_code) == (Milestone.DELIVERED, "D1")
    assert (event.tracking_number, event.shipment_id) == ("1751807", "75027674")
    assert event.carrier == CarrierRef(party_id="SCAC", scac="SCAC")
    assert event.location == TrackingLocation(city="BRATTLEBORO", region="VT")
    assert event.occurred_at == datetime(2016, 7, 26, 12, 30, tzinfo=UTC)  # LT: no zone, UTC
    assert result.problems == []


def test_the_stupidedi_214_has_an_empty_group_and_nothing_to_map() -> None:
    (path,) = [p for p in corpus("214") if p.name == "stupidedi__gh-189.edi"]
    reader = X12Reader(path.read_bytes())
    assert reader.read_all() == []
    assert [p.code for p in reader.problems] == ["set_count_mismatch"]


def test_no_corpus_214_crashes_the_map_and_broken_ones_give_located_errors() -> None:
    for path in corpus("214"):
        for transaction in X12Reader(path.read_bytes()).read_all():
            result = M214.read(transaction, MapOptions())
            if is_broken(path):
                assert errors(result), path.name


def test_an_unknown_status_is_an_exception_that_keeps_the_carriers_code() -> None:
    result = M214.read(only_set(status_set(HEAD, "LX*1~AT7*Q9*NS***20240522*1640~")), MapOptions())
    event = result.document
    assert isinstance(event, TrackingEvent)
    assert (event.milestone, event.carrier_status_code) == (Milestone.EXCEPTION, "Q9")
    (warning,) = result.problems
    assert (warning.code, warning.location.segment_tag, warning.location.element_position) == (
        "unknown_status",
        "AT7",
        1,
    )
    assert round_trip(M214, event, MapOptions()).document == event


def test_an_exception_reason_is_the_x12_name_of_the_status_reason() -> None:
    result = M214.read(only_set(status_set(HEAD, "LX*1~AT7*AH*A2***20240522*1640~")), MapOptions())
    assert isinstance(result.document, TrackingEvent)
    assert result.document.exception_reason == "Incorrect Address"
    free_text = result.document.model_copy(update={"exception_reason": "Dog on the porch"})
    assert "AT7*AH*BG***20240522*1640*UT" in body_lines(M214.write(free_text, MapOptions()))


def test_appointment_loops_are_skipped_and_a_set_of_only_appointments_is_refused() -> None:
    mixed = M214.read(
        only_set(
            status_set(
                HEAD,
                "LX*1~AT7***AA*NA*20240522*0900~",
                "LX*2~AT7*X3*NS***20240522*0915~",
            )
        ),
        MapOptions(),
    )
    assert isinstance(mixed.document, TrackingEvent)
    assert [p.code for p in mixed.problems] == ["no_status"]
    only = M214.read(only_set(status_set(HEAD, "LX*1~AT7***AA*NA*20240522*0900~")), MapOptions())
    assert only.document is None
    assert ("mapping_error", "B10", None) in errors(only)


def test_time_codes_name_the_offset_and_local_time_is_read_as_utc() -> None:
    def moment(code: str) -> datetime:
        body = f"LX*1~AT7*X6*NS***20240522*1640*{code}~"
        event = M214.read(only_set(status_set(HEAD, body)), MapOptions()).document
        assert isinstance(event, TrackingEvent)
        return event.occurred_at

    local = datetime(2024, 5, 22, 16, 40)
    assert moment("ET") == local.replace(tzinfo=timezone(timedelta(hours=-4)))  # daylight in May
    assert moment("PS") == local.replace(tzinfo=timezone(timedelta(hours=-8)))
    assert moment("03") == local.replace(tzinfo=timezone(timedelta(hours=3)))
    assert moment("LT") == local.replace(tzinfo=UTC)


def test_a_bad_status_date_is_refused_by_the_validator_at_its_element() -> None:
    result = M214.read(only_set(status_set(HEAD, "LX*1~AT7*D1*NS***20241399*1640~")), MapOptions())
    assert ("invalid_date", "AT7", 5) in errors(result)


def test_a_status_code_from_a_web_carrier_is_written_as_the_milestones_x12_code() -> None:
    written = body_lines(M214.write(example_tracking_event(), OPTIONS))
    assert any(line.startswith("AT7*D1*NS***") for line in written)


def test_events_of_two_shipments_are_not_written_as_one_214() -> None:
    other = delivered().model_copy(update={"shipment_id": "SHP-OTHER"})
    with pytest.raises(SchemaViolation, match="one shipment"):
        M214.write_events([delivered(), other], OPTIONS)


def test_partner_qualifiers_and_code_lists_are_honoured_both_ways() -> None:
    options = MapOptions(
        qualifiers={"shipment_order": "PO", "signed_by": "SIG"},
        code_lists={
            "shipment_status": {"D1": "DL"},
            "time_code": {"21": "ED"},
            **OPTIONS.code_lists,
        },
    )
    written = body_lines(M214.write(delivered(), options))
    assert "L11*SHO-100245-1*PO" in written
    assert "L11*LOPEZ*SIG" in written
    assert "AT7*DL*NS***20240524*1137*ED" in written
    event = round_trip(M214, delivered(), options).document
    assert isinstance(event, TrackingEvent)
    assert (event.milestone, event.carrier_status_code) == (Milestone.DELIVERED, "DL")
    assert event == delivered().model_copy(update={"carrier_status_code": "DL"})


# -- properties ------------------------------------------------------------------------

CODES = sorted(MILESTONES)


@st.composite
def events(draw: st.DrawFn) -> TrackingEvent:
    code = draw(st.sampled_from(CODES))
    milestone = MILESTONES[code]
    occurred = draw(moments())
    scac = draw(st.from_regex(r"[A-Z]{2,4}", fullmatch=True))
    place = st.builds(
        TrackingLocation,
        city=words(30),
        region=st.none() | st.just("OH"),
        postal_code=st.none() | st.just("45402"),
        country=st.none() | st.just("US"),
    )
    return TrackingEvent(
        tracking_number=draw(tracking_numbers()),
        carrier=CarrierRef(party_id=scac, scac=scac, name=draw(st.none() | words(40))),
        milestone=milestone,
        carrier_status_code=code,
        carrier_status_text=draw(st.none() | words(120)),
        occurred_at=occurred,
        location=draw(st.none() | place),
        shipment_id=draw(st.none() | tracking_numbers()),
        shipment_order_number=draw(st.none() | tracking_numbers()),
        estimated_delivery_at=draw(st.none() | moments()),
        exception_reason=draw(st.none() | st.sampled_from(sorted(REASONS.values())))
        if milestone is Milestone.EXCEPTION
        else None,
        proof_of_delivery=draw(
            st.none()
            | st.builds(
                ProofOfDelivery,
                signed_by=words(30),
                delivered_at=st.just(occurred),
            )
        )
        if milestone is Milestone.DELIVERED
        else None,
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events(), version=st.sampled_from(["004010", "005010"]))
def test_any_event_survives_writing_and_reading(event: TrackingEvent, version: str) -> None:
    result = round_trip(M214, event, MapOptions(version=version))
    assert result.document == event, result.problems


@settings(max_examples=150, deadline=None)
@given(
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("*~AZ09-\n")), max_size=8),
    deletions=st.lists(st.integers(0, 10_000), max_size=4),
    version=st.sampled_from(["004010", "005010"]),
)
def test_mutated_214s_are_read_without_crashing(
    cuts: list[tuple[int, str]], deletions: list[int], version: str
) -> None:
    options = MapOptions(version=version, code_lists=OPTIONS.code_lists)
    text = list(interchange(M214, M214.write(delivered(), options), version))
    for position, char in cuts:
        text.insert(position % len(text), char)
    for position in deletions:
        del text[position % len(text)]
    read_safely(M214, "".join(text).encode(), options)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_214s_with_segments_dropped_repeated_or_emptied_are_read_without_crashing(
    data: st.DataObject,
) -> None:
    body = [list(s) for s in M214.write(delivered(), OPTIONS)]
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(body) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "empty", "garble"]))
        if action == "drop" and len(body) > 1:
            del body[index]
        elif action == "repeat":
            body.insert(index, list(body[index]))
        elif len(body[index]) > 1:
            element = data.draw(st.integers(1, len(body[index]) - 1))
            body[index][element] = "" if action == "empty" else data.draw(words(8))
    read_safely(M214, interchange(M214, body).encode(), OPTIONS)
