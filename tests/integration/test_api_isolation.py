"""Partner isolation across every route that takes or returns partner data, over HTTP.

``acme`` and ``globex`` each hold a partner principal (``ops_world``):
real token verification is tested elsewhere (``test_api_auth.py``); these
tests are about the routes' authorization decisions. A partner reading
another partner's record gets the same 404 as for a record that does not
exist; its lists hold only its own records; submitting or replaying as
another partner is 403; the cross-partner views are 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from distsync.api.inbound import inbound_router
from distsync.api.inbound_json import inbound_json_router
from distsync.api.ops import ops_router
from distsync.api.orders import orders_router
from distsync.api.procure import procure_router
from distsync.api.xref import xref_router
from distsync.bootstrap import Services
from distsync.flows.procure_state import PO_KIND, PoRecord
from distsync.formats.x12.writer import Party
from distsync.model.examples import example_asn, example_purchase_order
from distsync.rules.po_lifecycle import PoState
from distsync.store.ports import XrefEntry, XrefKind
from tests.integration import orders_world
from tests.integration.ops_world import Api, served, serving
from tests.integration.x12_partner_files import group_text, interchange, set_text

GLOBEX = Party("ZZ", "GLOBEX")
ACME_PO, GLOBEX_PO = "PO-ACME-1", "PO-GLOBEX-1"


def routers(services: Services) -> list[Any]:
    return [
        inbound_router(services),
        inbound_json_router(services),
        ops_router(services),
        xref_router(services.xrefs, services.landscape.partners),
        procure_router(services.backend, services.clock),
    ]


@pytest.fixture
async def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Api]:
    async with serving(tmp_path, monkeypatch, routers) as served:
        await _partner_state(served.services)
        yield served


async def _partner_state(services: Services) -> None:
    for partner, po_number in (("acme", ACME_PO), ("globex", GLOBEX_PO)):
        entry = XrefEntry(XrefKind.SKU, f"{partner.upper()}-SKU", "FAS-1", None, None)
        await services.xrefs.put(partner, entry, actor="test", reason="setup")
        record = PoRecord(
            po_number=po_number,
            supplier_id=partner.upper(),
            partner=partner,
            erp="erp",
            state=PoState.SENT,
            order=example_purchase_order().model_dump(mode="json"),
            digest="0" * 16,
            sent_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
        await services.backend.put_document(PO_KIND, po_number, record.body(), by="test")


def assert_hidden(response: httpx.Response, missing: httpx.Response) -> None:
    """Another partner's record answers exactly as a record that does not exist."""
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == missing.headers["content-type"]
    assert response.json().keys() == missing.json().keys()


def x12_from(sender: Party, control: int) -> bytes:
    asn = set_text("856", 1, example_asn())
    return interchange(control, [group_text("SH", control, [asn], sender=sender)], sender=sender)


# -- reads: 404 exactly like a missing record ---------------------------------------


async def test_another_partners_message_is_not_found_like_a_missing_one(api: Api) -> None:
    theirs = api.records.events["globex"][0]
    missing = await api.get("/ops/messages/no-such-message", "acme")
    assert_hidden(await api.get(f"/ops/messages/{theirs}", "acme"), missing)
    mine = await api.get(f"/ops/messages/{api.records.events['acme'][0]}", "acme")
    assert mine.status_code == 200
    assert (await api.get(f"/ops/messages/{theirs}", "ops")).status_code == 200


async def test_another_partners_dead_letter_is_not_found_and_cannot_be_replayed(api: Api) -> None:
    theirs = api.records.dead_letters["globex"]
    missing = await api.get("/ops/dead-letters/999999", "acme")
    assert_hidden(await api.get(f"/ops/dead-letters/{theirs}", "acme"), missing)
    replay = await api.post(f"/ops/dead-letters/{theirs}/replay", "acme", {"reason": "mine?"})
    assert_hidden(replay, missing)
    assert len(await api.services.backend.dead_letters()) == 2
    own = api.records.dead_letters["acme"]
    done = await api.post(f"/ops/dead-letters/{own}/replay", "acme", {"reason": "fixed"})
    assert done.json()["count"] == 1


async def test_another_partners_exception_is_not_found_and_cannot_be_resolved(api: Api) -> None:
    theirs = api.records.exceptions["globex"]
    missing = await api.get("/ops/exceptions/999999", "acme")
    assert_hidden(await api.get(f"/ops/exceptions/{theirs}", "acme"), missing)
    chosen = {"action": "discard", "reason": "not mine anyway"}
    assert_hidden(await api.post(f"/ops/exceptions/{theirs}/resolve", "acme", chosen), missing)
    record = await api.services.backend.exception(theirs)
    assert record is not None
    assert record.status.value == "open"


async def test_another_partner_is_not_found_among_partners(api: Api) -> None:
    missing = await api.get("/ops/partners/initech", "acme")
    assert_hidden(await api.get("/ops/partners/globex", "acme"), missing)
    assert [p["name"] for p in (await api.get("/ops/partners", "acme")).json()] == ["acme"]
    own = (await api.get("/ops/partners/acme", "acme")).json()
    assert (own["messages"], own["dead_letters_open"], own["exceptions_open"]) == (3, 1, 1)


async def test_another_partners_cross_references_are_not_found(api: Api) -> None:
    missing = await api.client.get("/v1/xref/initech", headers={"Authorization": "Bearer acme"})
    for path in ("/v1/xref/globex", "/v1/xref/globex/history", "/v1/xref/globex/sku",
                 "/v1/xref/globex/sku/GLOBEX-SKU"):  # fmt: skip
        theirs = await api.get(path, "acme")
        assert theirs.status_code == 404, path
        assert theirs.json().keys() == missing.json().keys()
    own = (await api.get("/v1/xref/acme", "acme")).json()
    assert [x["partner_value"] for x in own] == ["ACME-SKU"]


async def test_cross_references_are_changed_only_by_admin(api: Api) -> None:
    body = {"our_value": "FAS-2", "changed_by": "acme", "reason": "mine"}
    mine = await api.client.put(
        "/v1/xref/acme/sku/ACME-NEW", json=body, headers={"Authorization": "Bearer acme"}
    )
    assert mine.status_code == 403
    done = await api.client.put(
        "/v1/xref/acme/sku/ACME-NEW", json=body, headers={"Authorization": "Bearer admin"}
    )
    assert done.status_code == 201


async def test_another_partners_purchase_order_is_not_found(api: Api) -> None:
    missing = await api.get("/ops/procure/orders/PO-NONE", "acme")
    theirs = await api.get(f"/ops/procure/orders/{GLOBEX_PO}", "acme")
    assert theirs.status_code == 404
    assert theirs.json().keys() == missing.json().keys()
    own = await api.get(f"/ops/procure/orders/{ACME_PO}", "acme")
    assert own.json()["record"]["partner"] == "acme"


# -- lists: only one's own ------------------------------------------------------------


async def test_lists_hold_only_the_partners_own_records(api: Api) -> None:
    for path, key in (("/ops/dead-letters", "partner"), ("/ops/exceptions", "partner")):
        listed = (await api.get(path, "acme")).json()
        assert {row[key] for row in listed} == {"acme"}, path
        assert (await api.get(path, "acme", partner="globex")).json() == [], path
    messages = (await api.get("/ops/messages", "acme")).json()["items"]
    assert {m["event_id"] for m in messages} == set(api.records.events["acme"])
    asked = (await api.get("/ops/messages", "acme", partner="globex")).json()
    assert asked["items"] == []


async def test_overdue_orders_are_only_the_partners_own(api: Api) -> None:
    asked = (await api.get("/ops/procure/overdue", "acme", partner="globex")).json()
    assert (asked["groups"], asked["orders"]) == ([], [])


async def test_cross_partner_views_are_refused_to_a_partner(api: Api) -> None:
    for path in ("/ops/kpis", "/ops/procure/unposted", "/ops/procure/exceptions"):
        assert (await api.get(path, "acme")).status_code == 403, path
        assert (await api.get(path, "ops")).status_code == 200, path


# -- writes: only as oneself -----------------------------------------------------------


async def test_replay_by_filter_replays_only_the_partners_own(api: Api) -> None:
    theirs = {"source": "dead-letters", "partner": "globex", "reason": "x"}
    assert (await api.post("/ops/replay", "acme", theirs)).status_code == 403
    everything = {"source": "dead-letters", "reason_code": "AuthenticationFailed", "reason": "y"}
    dry = await api.post("/ops/replay", "acme", {**everything, "dry_run": True})
    assert dry.json()["count"] == 1
    assert (await api.post("/ops/replay", "acme", everything)).json()["count"] == 1
    (left,) = await api.services.backend.dead_letters()
    assert left.event.envelope.partner == "globex"


async def test_json_documents_are_submitted_only_as_oneself(api: Api) -> None:
    body = example_asn().model_dump_json().encode()
    headers = {"Authorization": "Bearer acme", "Content-Type": "application/json"}
    theirs = await api.client.post("/v1/inbound/globex/asn", content=body, headers=headers)
    assert theirs.status_code == 403
    assert theirs.json()["error"] == "forbidden_partner"
    mine = await api.client.post("/v1/inbound/acme/asn", content=body, headers=headers)
    assert mine.status_code == 202
    stored = await api.services.backend.get_event(mine.json()["event_id"])
    assert stored is not None
    assert stored.envelope.partner == "acme"


async def test_x12_is_submitted_only_as_oneself(api: Api) -> None:
    headers = {"Authorization": "Bearer acme", "Content-Type": "application/edi-x12"}
    for path in ("/v1/edi/globex", "/v1/inbound/x12/globex"):
        theirs = await api.client.post(path, content=x12_from(GLOBEX, 5), headers=headers)
        assert theirs.status_code == 403, path
    posing = await api.client.post("/v1/inbound/x12", content=x12_from(GLOBEX, 6), headers=headers)
    assert posing.status_code == 403
    assert "GLOBEX" in posing.json()["detail"]
    mine = await api.client.post("/v1/edi/acme", content=x12_from(Party("ZZ", "ACME"), 7),
                                 headers=headers)  # fmt: skip
    assert mine.status_code == 202, mine.text
    (event_id,) = mine.headers["X-Distsync-Message-Ids"].split()
    stored = await api.services.backend.get_event(event_id)
    assert stored is not None
    assert (stored.envelope.partner, stored.envelope.type) == ("acme", "asn.received")


async def test_x12_without_a_partner_in_the_path_is_taken_from_the_partners_own_sender(
    api: Api,
) -> None:
    headers = {"Authorization": "Bearer acme", "Content-Type": "application/edi-x12"}
    answer = await api.client.post(
        "/v1/inbound/x12", content=x12_from(Party("ZZ", "ACME"), 8), headers=headers
    )
    assert answer.status_code == 202, answer.text
    assert answer.headers["X-Distsync-Message-Ids"]


async def test_a_partner_without_the_scope_is_refused_before_anything_is_stored(
    api: Api,
) -> None:
    body = example_asn().model_dump_json().encode()
    headers = {"Authorization": "Bearer reader", "Content-Type": "application/json"}
    answer = await api.client.post("/v1/inbound/acme/asn", content=body, headers=headers)
    assert answer.status_code == 403
    assert (await api.get("/ops/messages", "ops", type="asn.*")).json()["items"] == []


async def test_a_customer_validates_only_its_own_orders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = orders_world.landscape_data

    def with_bluebird(*args: Any, **kwargs: Any) -> dict[str, Any]:
        data = declared(*args, **kwargs)
        data["partners"]["bluebird"] = {"kind": "customer", "party_id": "CUS-2077"}
        return data

    monkeypatch.setattr(orders_world, "landscape_data", with_bluebird)
    world = orders_world.OrdersWorld.open(tmp_path)
    assert world.services.orders is not None
    try:
        async with served([orders_router(world.services.orders)]) as client:
            headers = {"Authorization": "Bearer bluebird"}
            for customer, status in (("CUS-1042", 403), ("CUS-2077", 200)):
                body = orders_world.order("SO-1", [("FAS-100", 1)], customer=customer)
                answer = await client.post(
                    "/v1/orders/validate", json=body.model_dump(mode="json"), headers=headers
                )
                assert answer.status_code == status, customer
    finally:
        await world.close()
