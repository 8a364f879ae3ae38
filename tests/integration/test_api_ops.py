"""The operations API over HTTP: uvicorn on 127.0.0.1, a SQLite file, real dead letters.

Requests authenticate with fixed bearer strings (``ops_world.TokenTable``):
real token verification is tested elsewhere (``test_api_auth.py``); these
tests are about what the routes answer and which scope each one needs.
Partner isolation has its own file, ``test_api_isolation.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from distsync.api.ops import ops_router
from distsync.runtime.ports import RecordStatus, ReplaySelection
from tests.integration.ops_world import SECRET, SECRET_VARIABLE, Api, serving
from tests.integration.problem_answers import assert_problem


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    async with serving(tmp_path, monkeypatch, lambda s: [ops_router(s)]) as served:
        yield served


async def test_messages_are_listed_newest_first_with_a_link_to_the_next_page(api: Api) -> None:
    first = await api.get("/ops/messages", "ops", type="stock.*", limit=4)
    assert first.status_code == 200
    page = first.json()
    everything = api.records.events["globex"][::-1] + api.records.events["acme"][::-1]
    assert [m["event_id"] for m in page["items"]] == everything[:4]
    assert "before=" in page["next"]
    assert "type=stock.%2A" in page["next"]
    rest = (await api.client.get(page["next"], headers={"Authorization": "Bearer ops"})).json()
    assert [m["event_id"] for m in rest["items"]] == everything[4:]
    assert rest["next"] is None


async def test_messages_filter_by_partner_correlation_and_time(api: Api) -> None:
    by_partner = (await api.get("/ops/messages", "ops", partner="acme")).json()["items"]
    assert {m["event_id"] for m in by_partner} == set(api.records.events["acme"])
    by_story = (await api.get("/ops/messages", "ops", correlation_id="globex-count-1")).json()
    assert [m["event_id"] for m in by_story["items"]] == [api.records.events["globex"][1]]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = await api.get("/ops/messages", "ops", since=future)
    assert later.json()["items"] == []


async def test_one_message_shows_payload_attempts_and_where_it_stands(api: Api) -> None:
    failed = api.records.events["acme"][1]
    answer = await api.get(f"/ops/messages/{failed}", "reader")
    assert answer.status_code == 200
    body = answer.json()
    assert body["message"]["partner"] == "acme"
    assert body["payload"] == {"sku": "ACME-1", "quantity": 1}
    (attempt,) = body["attempts"]
    assert attempt["outcome"] == "dead_letter"
    assert SECRET not in answer.text
    assert "[redacted]" in attempt["message"]
    (state,) = body["deliveries"]
    assert (state["subscription"], state["state"]) == ("ops-test", "dead_lettered")


async def test_a_missing_message_is_a_problem_naming_it(api: Api) -> None:
    body = assert_problem(await api.get("/ops/messages/no-such-id", "ops"), 404, "not_found")
    assert "no-such-id" in body["detail"]


async def test_dead_letters_show_the_error_redacted(api: Api) -> None:
    listed = (await api.get("/ops/dead-letters", "ops")).json()
    assert {d["partner"] for d in listed} == {"acme", "globex"}
    dead_id = api.records.dead_letters["acme"]
    detail = await api.get(f"/ops/dead-letters/{dead_id}", "ops")
    body = detail.json()
    assert body["error_class"] == "AuthenticationFailed"
    assert body["payload"] == {"sku": "ACME-1", "quantity": 1}
    assert [h["outcome"] for h in body["history"]] == ["dead_letter"]
    assert SECRET not in detail.text
    assert "[redacted]" in body["error"]
    assert "[redacted]" in body["traceback"]


async def test_replaying_a_dead_letter_requeues_it_and_audits_the_caller(api: Api) -> None:
    dead_id = api.records.dead_letters["acme"]
    path = f"/ops/dead-letters/{dead_id}/replay"
    done = await api.post(path, "ops", {"reason": "acme reset the password"})
    assert done.status_code == 200
    assert done.json() == {"count": 1, "dry_run": False}
    (entry,) = await api.services.backend.audit()
    assert (entry.actor, entry.reason, entry.count) == ("ops-console", "acme reset the password", 1)
    (again,) = await api.services.backend.claim("ops-test", consumer="t", limit=5, lease_seconds=5)
    assert again.envelope.event_id == api.records.events["acme"][1]
    assert_problem(await api.post(path, "ops", {"reason": "again"}), 409, "not_open")


async def test_replay_needs_a_reason_and_the_replay_scope(api: Api) -> None:
    path = f"/ops/dead-letters/{api.records.dead_letters['acme']}/replay"
    assert (await api.post(path, "ops", {})).status_code == 422
    assert (await api.post(path, "reader", {"reason": "try"})).status_code == 403
    assert (await api.post(path, None, {"reason": "try"})).status_code == 401
    assert await api.services.backend.audit() == []


async def test_replay_by_filter_counts_on_a_dry_run_and_replays_otherwise(api: Api) -> None:
    selection = {"source": "dead-letters", "reason_code": "AuthenticationFailed", "reason": "ok"}
    dry = await api.post("/ops/replay", "ops", {**selection, "dry_run": True})
    assert dry.json() == {"count": 2, "dry_run": True}
    assert len(await api.services.backend.dead_letters()) == 2
    done = await api.post("/ops/replay", "ops", {**selection, "partner": "globex"})
    assert done.json() == {"count": 1, "dry_run": False}
    (left,) = await api.services.backend.dead_letters()
    assert left.event.envelope.partner == "acme"


async def test_replay_by_filter_refuses_a_selection_of_nothing(api: Api) -> None:
    body = assert_problem(
        await api.post("/ops/replay", "ops", {"reason": "all"}), 422, "invalid_selection"
    )
    assert "nothing selected" in body["detail"]
    wrong = {"source": "messages", "reason_code": "unknown_sku", "reason": "x"}
    assert_problem(await api.post("/ops/replay", "ops", wrong), 422, "invalid_selection")


async def test_replay_of_messages_creates_deliveries_for_the_selected_events(api: Api) -> None:
    chosen = {"source": "messages", "correlation_id": "acme-count-0", "reason": "resend"}
    assert (await api.post("/ops/replay", "ops", chosen)).json()["count"] == 1
    (again,) = await api.services.backend.claim("ops-test", consumer="t", limit=5, lease_seconds=5)
    assert again.envelope.correlation_id == "acme-count-0"


async def test_exceptions_list_by_reason_and_status(api: Api) -> None:
    listed = (await api.get("/ops/exceptions", "ops", reason="unknown_sku")).json()
    assert {e["partner"] for e in listed} == {"acme", "globex"}
    assert (await api.get("/ops/exceptions", "ops", reason="price_out_of_tolerance")).json() == []
    assert (await api.get("/ops/exceptions", "ops", status="resolved")).json() == []


async def test_an_exception_offers_its_actions_and_the_generic_ones(api: Api) -> None:
    exception_id = api.records.exceptions["globex"]
    body = (await api.get(f"/ops/exceptions/{exception_id}", "reader")).json()
    assert body["facts"] == {"partner_sku": "GLOBEX-2"}
    assert [a["action"] for a in body["actions"]] == ["map_sku", "replay", "discard"]


async def test_resolving_an_exception_closes_it_once(api: Api) -> None:
    exception_id = api.records.exceptions["globex"]
    path = f"/ops/exceptions/{exception_id}/resolve"
    chosen = {"action": "map_sku", "params": {"sku": "FAS-1"}, "reason": "globex confirmed"}
    done = await api.post(path, "ops", chosen)
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["resolution"], body["resolved_by"]) == (
        "resolved", "map_sku", "ops-console",
    )  # fmt: skip
    assert body["actions"] == []
    assert_problem(await api.post(path, "ops", chosen), 409, "not_open")
    record = await api.services.backend.exception(exception_id)
    assert record is not None
    assert record.status == RecordStatus.RESOLVED


async def test_an_action_the_exception_does_not_offer_is_refused_naming_the_offered(
    api: Api,
) -> None:
    path = f"/ops/exceptions/{api.records.exceptions['acme']}/resolve"
    wrong = {"action": "accept", "reason": "fine"}
    body = assert_problem(await api.post(path, "ops", wrong), 422, "unknown_action")
    assert body["allowed"] == ["map_sku", "replay", "discard"]
    assert "'accept'" in body["detail"]
    assert "map_sku" in body["detail"]
    assert (await api.post(path, "reader", {"action": "discard", "reason": "x"})).status_code == 403


async def test_partners_show_identities_and_channel_but_never_a_secret(api: Api) -> None:
    listed = (await api.get("/ops/partners", "ops")).json()
    assert [p["name"] for p in listed] == ["acme", "globex"]
    answer = await api.get("/ops/partners/globex", "ops")
    body = answer.json()
    assert (body["kind"], body["x12_id"], body["party_id"]) == (
        "supplier",
        "ZZ/GLOBEX",
        "SUP-GLOBEX",
    )
    assert body["channel"]["secrets"] == {"token_env": SECRET_VARIABLE}
    assert body["channel"]["url"] == "http://127.0.0.1:9/edi/in"
    assert SECRET not in answer.text
    assert "inline-pass" not in answer.text
    assert (body["messages"], body["dead_letters_open"], body["exceptions_open"]) == (3, 1, 1)
    assert_problem(await api.get("/ops/partners/initech", "ops"), 404, "not_found")


async def test_kpis_give_backlog_failures_by_reason_and_volume(api: Api) -> None:
    await api.services.backend.requeue(
        ReplaySelection("events", ids=(api.records.events["acme"][0],)), actor="t", reason="t"
    )
    body = (await api.get("/ops/kpis", "reader")).json()
    assert body["events"] == 6
    assert body["appended_last_hour"] == 6
    assert body["dead_letters_by_reason"] == {"AuthenticationFailed": 2}
    assert body["exceptions_by_reason"] == {"unknown_sku": 2}
    (flow,) = [s for s in body["subscriptions"] if s["subscription"] == "ops-test"]
    assert flow["backlog"] == 1
    assert flow["oldest_age_seconds"] is not None


async def test_every_ops_route_needs_a_token(api: Api) -> None:
    for path in ("/ops/messages", "/ops/dead-letters", "/ops/exceptions", "/ops/partners",
                 "/ops/kpis"):  # fmt: skip
        assert (await api.get(path, None)).status_code == 401, path
        assert (await api.get(path, "nonsense")).status_code == 401, path


async def test_the_openapi_document_has_an_example_for_every_ops_answer(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    answers = ("MessageOut", "DeadLetterOut", "ExceptionOut", "PartnerOut", "Kpis", "Resolve",
               "ReplayFilter", "ReplayOne", "ReplayDone", "BacklogOut", "ChannelOut")  # fmt: skip
    for name in answers:
        assert schemas[name].get("examples"), name
    assert "/ops/exceptions/{exception_id}/resolve" in document["paths"]
