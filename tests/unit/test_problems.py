"""The error taxonomy as ``application/problem+json``, mapped once for the whole app.

The app runs in process (``httpx.ASGITransport``): these are the handlers'
answers; ``tests/integration/test_api_gateway.py`` checks them over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import structlog.testing
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from distsync.api.principal import Forbidden, Unauthenticated
from distsync.api.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    install_problem_handlers,
    problem_response,
    problem_responses,
)
from distsync.errors import (
    ConfigError,
    MalformedDocument,
    NotConnected,
    NotSystemOfRecord,
    RateLimited,
    Rejected,
    SchemaViolation,
    UnknownSku,
)
from distsync.runtime.intake import PayloadTooLarge

RAISED: dict[str, Exception] = {
    "unauthenticated": Unauthenticated("token expired at 09:00 for client acme"),
    "forbidden": Forbidden("acme lacks scope ops:read", code="insufficient_scope"),
    "rate_limited": RateLimited("wms-east asked us to slow down", retry_after=2.2),
    "unavailable": NotConnected("storing asn 8812: database is locked"),
    "too_large": PayloadTooLarge("receiving asn from acme: 9 MB is over the limit"),
    "malformed": MalformedDocument("asn from acme: not JSON at byte 17"),
    "schema": SchemaViolation("asn 8812 from acme: lines.0.quantity is negative"),
    "rejected": Rejected("wms-east refused order 42: duplicate"),
    "unknown_sku": UnknownSku("order 42: no item for ACME-77", document_ref="order:42"),
    "not_owner": NotSystemOfRecord("wms-east may not change prices", document_ref="item:A-1"),
    "config": ConfigError("systems.erp.password_env: ERP_PASSWORD is not set"),
    "bug": KeyError("secret-internal-detail"),
}


class Line(BaseModel):
    sku: str
    qty: int


class Order(BaseModel):
    lines: list[Line]


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/raise/{name}")
    async def raise_it(name: str) -> None:
        raise RAISED[name]

    @app.post("/orders", responses=problem_responses(422, 503))
    async def order(body: Order) -> dict[str, int]:
        return {"lines": len(body.lines)}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        yield http


def problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert (body["status"], body["error"]) == (status, error)
    assert body["type"] == f"urn:distsync:problem:{error}"
    assert body["title"]
    assert body["detail"]
    return body


def test_a_problem_response_carries_the_standard_members_and_the_extensions() -> None:
    response = problem_response(404, "unknown_partner", "no partner 'zeta'", partner="zeta")

    assert response.status_code == 404
    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert orjson.loads(response.body) == {
        "type": "urn:distsync:problem:unknown_partner",
        "title": "Not Found",
        "status": 404,
        "detail": "no partner 'zeta'",
        "error": "unknown_partner",
        "partner": "zeta",
    }


async def test_unauthenticated_is_a_401_challenge_that_does_not_say_why(
    client: httpx.AsyncClient,
) -> None:
    body = problem(await client.get("/raise/unauthenticated"), 401, "unauthenticated")

    assert body["detail"] == "invalid or expired credentials"
    assert "expired at" not in str(body)
    assert "acme" not in str(body)
    assert (await client.get("/raise/unauthenticated")).headers["www-authenticate"] == "Bearer"


async def test_forbidden_is_a_403_with_its_code(client: httpx.AsyncClient) -> None:
    body = problem(await client.get("/raise/forbidden"), 403, "insufficient_scope")

    assert "ops:read" in body["detail"]


@pytest.mark.parametrize(
    ("name", "status", "error", "retry_after"),
    [
        ("rate_limited", 429, "rate_limited", "3"),
        ("unavailable", 503, "unavailable", "1"),
    ],
)
async def test_retryable_errors_say_when_to_come_back(
    client: httpx.AsyncClient, name: str, status: int, error: str, retry_after: str
) -> None:
    response = await client.get(f"/raise/{name}")

    body = problem(response, status, error)
    assert response.headers["retry-after"] == retry_after
    assert body["detail"] == str(RAISED[name])


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("too_large", 413, "payload_too_large"),
        ("malformed", 422, "malformed_document"),
        ("schema", 422, "schema_violation"),
        ("rejected", 400, "rejected"),
    ],
)
async def test_permanent_errors_name_the_document_and_what_is_wrong(
    client: httpx.AsyncClient, name: str, status: int, error: str
) -> None:
    body = problem(await client.get(f"/raise/{name}"), status, error)

    assert body["detail"] == str(RAISED[name])


async def test_a_business_exception_carries_its_reason_and_resolutions(
    client: httpx.AsyncClient,
) -> None:
    body = problem(await client.get("/raise/unknown_sku"), 422, "unknown_sku")

    assert (body["reason_code"], body["document_ref"]) == ("unknown_sku", "order:42")
    assert body["resolutions"] == ["replay", "discard"]


async def test_an_update_from_a_system_that_does_not_own_the_field_is_a_conflict(
    client: httpx.AsyncClient,
) -> None:
    problem(await client.get("/raise/not_owner"), 409, "not_system_of_record")


@pytest.mark.parametrize(
    ("name", "error"), [("config", "configuration_error"), ("bug", "internal_error")]
)
async def test_a_server_fault_answers_a_reference_never_the_exception_text(
    client: httpx.AsyncClient, name: str, error: str
) -> None:
    with structlog.testing.capture_logs() as logged:
        body = problem(await client.get(f"/raise/{name}"), 500, error)

    assert body["reference"] in body["detail"]
    (line,) = [e for e in logged if e.get("reference") == body["reference"]]
    assert line["exc_info"] is RAISED[name]
    assert "ERP_PASSWORD" not in str(body)
    assert "secret-internal-detail" not in str(body)


async def test_an_invalid_request_lists_each_field_with_its_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/orders", json={"lines": [{"sku": "A"}, {"qty": "many"}]})

    body = problem(response, 422, "invalid_request")
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["body.lines.0.qty", "body.lines.1.sku", "body.lines.1.qty"]
    assert all(e["message"] for e in body["errors"])
    assert "body.lines.0.qty" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [("GET", "/nowhere", 404, "not_found"), ("DELETE", "/orders", 405, "method_not_allowed")],
)
async def test_routing_refusals_are_problems_too(
    client: httpx.AsyncClient, method: str, path: str, status: int, error: str
) -> None:
    body = problem(await client.request(method, path), status, error)

    assert path in body["detail"]


async def test_the_openapi_document_shows_the_problem_schema_with_an_example() -> None:
    document = make_app().openapi()
    responses = document["paths"]["/orders"]["post"]["responses"]

    content = responses["503"]["content"][PROBLEM_MEDIA_TYPE]
    assert content["schema"]["required"] == ["type", "title", "status", "detail", "error"]
    example = content["schema"]["examples"][0]
    assert Problem.model_validate(example).error == "invalid_request"


async def test_a_field_list_a_route_raises_itself_is_listed_the_same_way() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/parse")
    async def parse() -> None:
        raise HTTPException(422, [{"loc": ["body", "lines", 0, "qty"], "msg": "not a number"}])

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        body = problem(await http.post("/parse"), 422, "invalid_request")

    assert body["errors"] == [{"field": "body.lines.0.qty", "message": "not a number"}]
