"""The simulated carrier as a real server: rate quotes, and tracking events in JSON and X12 214."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from distsync.demo.carrier_behaviour import JOURNEY, CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m214 import TransportationStatus214
from distsync.formats.x12.problems import Severity
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone, TrackingEvent
from distsync.rules.tracking_json import TrackerUpdate, read_update
from distsync.testing_http import HttpEndpointSimulator, RecordedRequest, Reply
from tests.integration.x12_partner_helpers import partner_process, wait_for

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CARRIER = CarrierRef(party_id="rlca", scac="RLCA")
RATE_REQUEST = {
    "ship_from": {"postal_code": "38118", "country": "US"},
    "ship_to": {"postal_code": "10001", "country": "US"},
    "packages": [{"weight_kg": "2.5"}, {"weight_kg": "1.5"}],
}


def fixed_clock() -> datetime:
    return START


@contextmanager
def carrier(**settings: Any) -> Iterator[tuple[CarrierSimulator, HttpEndpointSimulator]]:
    """A carrier posting its events to a recording endpoint that answers 202."""
    with HttpEndpointSimulator(default=Reply.ok(status=202)) as sink:
        behaviour = CarrierBehaviour.from_dict({"event_interval": 0.01, **settings})
        with CarrierSimulator(
            "rlca", behaviour, reply_to=sink.url + "/hooks/rlca", clock=fixed_clock
        ) as sim:
            yield sim, sink


def post(url: str, body: Any, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def tracker_events(requests: list[RecordedRequest]) -> list[TrackingEvent]:
    """Each webhook read as distsync reads tracker updates."""
    events = []
    for request in requests:
        reading = read_update(TrackerUpdate.model_validate_json(request.body), CARRIER)
        assert reading.event is not None, reading.mapping
        events.append(reading.event)
    return events


def x12_events(requests: list[RecordedRequest]) -> list[TrackingEvent]:
    """Each 214 interchange read by distsync's reader and 214 map, without errors."""
    events = []
    for request in requests:
        (transaction,) = list(X12Reader(request.body).sets())
        found, problems = TransportationStatus214().read_events(transaction, MapOptions())
        assert [p for p in problems if p.severity is Severity.ERROR] == []
        events += found
    return events


# -- rates --------------------------------------------------------------------------------


def test_rates_are_quoted_per_service_after_the_configured_latency() -> None:
    with carrier(rate_latency=0.3) as (sim, _):
        began = time.monotonic()
        status, reply = post(sim.url + "/rates", RATE_REQUEST)
        took = time.monotonic() - began

    assert status == 200
    assert took >= 0.29  # a lower bound only: the latency is a floor, never a deadline
    assert reply["carrier"] == "rlca"
    assert reply["quotes"] == [
        {"service": "ground", "amount": "13.30", "currency": "USD", "transit_days": 4},
        {"service": "express", "amount": "28.00", "currency": "USD", "transit_days": 1},
    ]


def test_the_jitter_of_rate_latency_follows_the_seed() -> None:
    def draws(seed: int) -> list[float]:
        behaviour = CarrierBehaviour(seed=seed, rate_latency=0.1, rate_jitter=0.5)
        draw = random.Random(behaviour.seed)  # as the simulator seeds its own
        return [behaviour.latency(draw) for _ in range(5)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert all(0.1 <= d <= 0.6 for d in draws(7))


def test_an_unavailable_carrier_answers_503() -> None:
    with carrier(rate_failure="unavailable") as (sim, _):
        status, reply = post(sim.url + "/rates", RATE_REQUEST)
        log = json.loads(urllib.request.urlopen(sim.url + "/log").read())

    assert status == 503
    assert "unavailable" in reply["error"]
    assert [entry["status"] for entry in log["received"]] == [503]


def test_a_timing_out_carrier_answers_nothing_before_the_caller_gives_up() -> None:
    with (
        carrier(rate_failure="timeout", rate_timeout=60) as (sim, _),
        pytest.raises((TimeoutError, urllib.error.URLError)),
    ):
        post(sim.url + "/rates", RATE_REQUEST, timeout=0.3)


def test_a_bad_rate_request_is_refused_naming_the_field() -> None:
    with carrier() as (sim, _):
        status, reply = post(sim.url + "/rates", {**RATE_REQUEST, "packages": []})
        not_json = post(sim.url + "/rates", b"{nope")

    assert status == 422
    assert "packages" in reply["error"]
    assert not_json[0] == 400


# -- tracking -------------------------------------------------------------------------------


def test_json_events_arrive_in_planned_order_and_read_as_the_journey() -> None:
    with carrier() as (sim, sink):
        sim.track("1Z999AA10123456784", start=START)
        assert sim.wait_idle()
        events = tracker_events(wait_for(sink, 5))

    assert [e.milestone for e in events] == list(JOURNEY)
    assert [e.occurred_at for e in events] == [START + timedelta(hours=6 * n) for n in range(5)]
    assert {e.tracking_number for e in events} == {"1Z999AA10123456784"}
    assert events[-1].proof_of_delivery is not None
    assert events[-1].proof_of_delivery.signed_by == "J. DOE"
    assert sink.requests[0].header("Content-Type") == "application/json"
    assert [s.delivered for s in sim.sent] == [True] * 5


def test_a_late_event_arrives_after_the_delivery_it_precedes() -> None:
    with carrier(late=["picked_up"]) as (sim, sink):
        sim.track("1Z999AA10123456784", start=START)
        sim.wait_idle()
        events = tracker_events(wait_for(sink, 5))

    assert [e.milestone for e in events][-2:] == [Milestone.DELIVERED, Milestone.PICKED_UP]
    assert events[-1].occurred_at < events[-2].occurred_at


def test_shuffled_events_follow_the_seed_and_lose_none() -> None:
    def milestones(seed: int) -> list[Milestone]:
        with carrier(shuffle=True, seed=seed) as (sim, sink):
            sim.track("1Z999AA10123456784", start=START)
            sim.wait_idle()
            return [e.milestone for e in tracker_events(wait_for(sink, 5))]

    first = milestones(3)
    assert first == milestones(3)
    assert sorted(first) == sorted(JOURNEY)
    assert any(first != milestones(seed) for seed in range(4, 8))


def test_a_duplicated_event_is_sent_twice_with_the_same_event_id() -> None:
    with carrier(duplicates=["delivered"]) as (sim, sink):
        sim.track("1Z999AA10123456784", start=START)
        sim.wait_idle()
        requests = wait_for(sink, 6)

    ids = [json.loads(r.body)["id"] for r in requests]
    assert ids[-1] == ids[-2] == "RLCA-1Z999AA10123456784-5"
    assert requests[-1].body == requests[-2].body
    assert [s.copy for s in sim.sent][-2:] == [1, 2]


def test_x12_events_are_214s_distsync_reads() -> None:
    with carrier(format="x12", late=["in_transit"]) as (sim, sink):
        sim.track("1Z999AA10123456784", start=START)
        sim.wait_idle()
        requests = wait_for(sink, 5)
        events = x12_events(requests)

    assert requests[0].header("Content-Type") == "application/edi-x12"
    assert [e.milestone for e in events] == [
        Milestone.LABEL_CREATED, Milestone.PICKED_UP, Milestone.OUT_FOR_DELIVERY,
        Milestone.DELIVERED, Milestone.IN_TRANSIT,
    ]  # fmt: skip
    assert [e.carrier_status_code for e in events] == ["XB", "AF", "X6", "D1", "P1"]
    assert {e.tracking_number for e in events} == {"1Z999AA10123456784"}
    assert events[2].occurred_at == START + timedelta(hours=18)


def test_a_shipment_posted_over_http_is_tracked() -> None:
    with carrier() as (sim, sink):
        body = {"tracking_number": "PRO-4471", "milestones": ["label_created", "delivered"],
                "start": START.isoformat()}  # fmt: skip
        status, reply = post(sim.url + "/shipments", body)
        sim.wait_idle()
        events = tracker_events(wait_for(sink, 2))
        log = json.loads(urllib.request.urlopen(sim.url + "/log").read())
        health = json.loads(urllib.request.urlopen(sim.url + "/healthz").read())

    assert status == 201
    assert [e["milestone"] for e in reply["events"]] == ["label_created", "delivered"]
    assert [e.milestone for e in events] == [Milestone.LABEL_CREATED, Milestone.DELIVERED]
    assert [entry["milestone"] for entry in log["sent"]] == ["label_created", "delivered"]
    assert health == {"status": "ok", "role": "carrier"}


def test_an_event_the_endpoint_refuses_is_recorded_as_not_delivered() -> None:
    with carrier() as (sim, sink):
        sink.script(Reply.error(422))
        sim.track("PRO-4471", ["label_created"], start=START)
        sim.wait_idle()

    assert [(s.delivered, s.detail) for s in sim.sent] == [(False, "HTTP 422")]


# -- as a process ------------------------------------------------------------------------------


def test_the_carrier_runs_as_a_process(tmp_path: Path) -> None:
    with HttpEndpointSimulator(default=Reply.ok(status=202)) as sink:
        config = {"name": "rlca", "behaviour": {"event_interval": 0.01},
                  "reply_to": sink.url + "/hooks"}  # fmt: skip
        with partner_process("distsync.demo.carrier_sim", config, tmp_path) as url:
            status, reply = post(url + "/rates", RATE_REQUEST)
            post(url + "/shipments", {"tracking_number": "PRO-4471"})
            events = tracker_events(wait_for(sink, 5))

    assert status == 200
    assert len(reply["quotes"]) == 2
    assert [e.milestone for e in events] == list(JOURNEY)


def test_a_process_with_a_bad_configuration_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"name": "rlca", "reply_to": "http://x", "behaviour": {"format": "csv"}})
    )
    done = subprocess.run(
        [sys.executable, "-m", "distsync.demo.carrier_sim", "--config", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "format" in done.stderr


@pytest.mark.parametrize("format", ["json", "x12"])
def test_an_exception_and_a_return_are_read_as_planned(format: str) -> None:
    plan = ["label_created", "exception", "returned"]
    with carrier(format=format) as (sim, sink):
        sim.track("PRO-4471", plan, start=START)
        sim.wait_idle()
        requests = wait_for(sink, 3)
    events = x12_events(requests) if format == "x12" else tracker_events(requests)

    assert [e.milestone.value for e in events] == plan
    assert events[1].exception_reason
    assert events[0].location is not None
    assert events[0].location.city == "Memphis"
