"""``/v1/xref`` on a real SQLite file: list, get, put, delete, history, and the 4xx answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from distsync.api.auth import OpenAuthenticator
from distsync.api.xref import xref_router
from distsync.store.xref import SqlCrossReferences

CASE_OF_12 = {
    "our_value": "FAS-10432",
    "partner_uom": "CS",
    "factor": "12",
    "changed_by": "ana",
    "reason": "new item",
}
WH = {"our_value": "WH-EAST", "partner_uom": None, "factor": None}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    xrefs = SqlCrossReferences.open(f"sqlite:///{tmp_path / 'api.sqlite'}")
    app = FastAPI()
    app.state.authenticator = OpenAuthenticator()  # no security section: open
    app.include_router(xref_router(xrefs, partners={"acme", "zeta"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://distsync") as http:
        yield http
    await xrefs.close()


def fields_of(response: httpx.Response) -> list[tuple[Any, ...]]:
    return [tuple(item["loc"]) for item in response.json()["detail"]]


async def test_put_adds_with_201_then_changes_with_200_and_says_what_it_replaced(
    client: httpx.AsyncClient,
) -> None:
    added = await client.put("/v1/xref/acme/sku/ACME-100", json=CASE_OF_12)
    assert added.status_code == 201
    assert added.json()["outcome"] == "added"
    xref = added.json()["xref"]
    assert (xref["our_value"], xref["partner_uom"], xref["factor"]) == ("FAS-10432", "CS", "12")
    each = {"our_value": "FAS-10432", "partner_uom": "EA", "changed_by": "bo", "reason": "each"}
    changed = await client.put("/v1/xref/acme/sku/ACME-100", json=each)
    assert changed.status_code == 200
    body = changed.json()
    assert (body["outcome"], body["before"]["factor"], body["xref"]["changed_by"]) == (
        "changed",
        "12",
        "bo",
    )
    again = await client.put("/v1/xref/acme/sku/ACME-100", json=each)
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")


async def test_get_lists_by_partner_and_kind_and_one_by_its_partner_value(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/xref/acme/sku/AB%2F12", json=CASE_OF_12)
    unit = {"our_value": "CA", "changed_by": "ana", "reason": "units"}
    await client.put("/v1/xref/acme/uom/CS", json=unit)
    every = (await client.get("/v1/xref/acme")).json()
    assert [(x["kind"], x["partner_value"]) for x in every] == [("sku", "AB/12"), ("uom", "CS")]
    units = (await client.get("/v1/xref/acme/uom")).json()
    assert [x["our_value"] for x in units] == ["CA"]
    assert [x["kind"] for x in (await client.get("/v1/xref/acme?kind=sku")).json()] == ["sku"]
    one = await client.get("/v1/xref/acme/sku/AB/12")
    assert (one.status_code, one.json()["our_value"]) == (200, "FAS-10432")


async def test_delete_removes_the_mapping_and_history_shows_who_did_what(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/xref/acme/warehouse/0614141000029", json={**CASE_OF_12, **WH})
    gone = await client.delete(
        "/v1/xref/acme/warehouse/0614141000029",
        params={"changed_by": "bo", "reason": "dock closed"},
    )
    assert (gone.status_code, gone.json()["our_value"]) == (200, "WH-EAST")
    missing = await client.get("/v1/xref/acme/warehouse/0614141000029")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "acme has no warehouse mapping for '0614141000029'"
    history = (await client.get("/v1/xref/acme/history", params={"kind": "warehouse"})).json()
    assert [(h["action"], h["changed_by"], h["reason"]) for h in history] == [
        ("removed", "bo", "dock closed"),
        ("added", "ana", "new item"),
    ]
    assert history[0]["before"]["our_value"] == "WH-EAST"
    assert history[0]["after"] is None


async def test_a_mapping_that_breaks_its_kinds_rules_is_422_naming_each_field(
    client: httpx.AsyncClient,
) -> None:
    bad = {"our_value": "CASE", "factor": "12", "changed_by": "ana", "reason": "units"}
    response = await client.put("/v1/xref/acme/uom/CS", json=bad)
    assert response.status_code == 422
    assert fields_of(response) == [("body", "our_value"), ("body", "factor")]
    assert "'CASE' is not one of our unit codes" in response.json()["detail"][0]["msg"]
    assert (await client.get("/v1/xref/acme")).json() == []


async def test_a_float_factor_an_unknown_field_and_a_missing_reason_are_422(
    client: httpx.AsyncClient,
) -> None:
    floated = await client.put("/v1/xref/acme/sku/A-1", json={**CASE_OF_12, "factor": 12.5})
    assert fields_of(floated) == [("body", "factor")]
    assert "binary floats are refused" in floated.json()["detail"][0]["msg"]
    extra = await client.put("/v1/xref/acme/sku/A-1", json={**CASE_OF_12, "our_sku": "X"})
    assert fields_of(extra) == [("body", "our_sku")]
    silent = {key: value for key, value in CASE_OF_12.items() if key != "reason"}
    assert fields_of(await client.put("/v1/xref/acme/sku/A-1", json=silent)) == [("body", "reason")]
    no_who = await client.delete("/v1/xref/acme/sku/A-1", params={"reason": "x"})
    assert fields_of(no_who) == [("query", "changed_by")]


async def test_an_unknown_partner_is_404_and_an_unknown_kind_is_422(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.put("/v1/xref/acmee/sku/A-1", json=CASE_OF_12)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "the landscape declares no partner 'acmee'"
    assert (await client.get("/v1/xref/acmee")).status_code == 404
    kind = await client.get("/v1/xref/acme/pallet")
    assert fields_of(kind) == [("path", "kind")]
    nothing = await client.delete(
        "/v1/xref/acme/sku/NOPE", params={"changed_by": "bo", "reason": "tidy"}
    )
    assert nothing.status_code == 404


async def test_the_openapi_document_lists_the_xref_operations(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"xref_list", "xref_history", "xref_list_kind", "xref_get", "xref_put"} <= operations
    assert "xref_delete" in operations
