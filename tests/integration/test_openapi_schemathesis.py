"""Schemathesis against the real app's own OpenAPI document: no 5xx, every answer as documented.

The app is ``create_app`` over the services ``bootstrap.build`` makes of a
SQLite landscape with an order flow, a 3PL, a web shop, two JSON partners and
a carrier (a real ``CarrierSimulator`` on 127.0.0.1) for the rates route.
Each operation gets a handful of generated requests (:data:`MAX_EXAMPLES`);
each answer must not be a server error and must match the schema its
status documents.

:data:`KNOWN_FINDINGS` lists operations that fail today because of their
route, with what goes wrong; each is excluded until its route is fixed.
Remove the entry with the fix, and the test guards the route again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import structlog.testing
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from distsync.api.app import create_app
from distsync.bootstrap import Overrides, build
from distsync.config import build_landscape
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.testing import FrozenClock, RecordingConnector
from tests.integration.orders_world import NOWHERE, START, ErpTerms, landscape_data

MAX_EXAMPLES = 25
PARTNERS = {
    "globex": {
        "kind": "supplier",
        "party_id": "SUP-GLOBEX",
        "sends": ["json-po_ack", "json-asn", "json-invoice"],
    },
    "bluebird": {"kind": "customer", "party_id": "CUS-1042", "sends": ["json-sales_order"]},
}
DECLARED_PARTNER = {"/v1/webhooks/shopify/{partner}": "shop", "/v1/edi/{partner}": "east3pl"}
"""A partner the landscape declares, per route (``globex`` where not named)."""
KNOWN_FINDINGS: dict[str, str] = {}
"""``METHOD /path`` -> what goes wrong; excluded until the route is fixed."""


@pytest.fixture
def carrier() -> Iterator[CarrierSimulator]:
    with CarrierSimulator("ups", CarrierBehaviour.from_dict({}), reply_to=NOWHERE) as simulator:
        yield simulator


@pytest.fixture
def real_app(tmp_path: Path, carrier: CarrierSimulator) -> Iterator[FastAPI]:
    data = landscape_data(tmp_path)
    data["partners"].update(PARTNERS)
    data["systems"]["ups"] = {"type": "http-json", "url": carrier.url}
    data["flows"]["shipping"] = {"carriers": ["ups"]}
    data["api"] = {"rate_limits": {"enabled": False}}  # generated requests come fast
    landscape = build_landscape(data, base_dir=tmp_path)
    terms = ErpTerms()
    terms.customer("CUS-1042")
    connectors = {
        name: RecordingConnector() for name in ("erp", "partner:east3pl", "westwms", "shopadmin")
    }
    overrides = Overrides(connectors=connectors, clock=FrozenClock(START), sales_terms=terms)
    services = build(landscape, overrides=overrides)
    app = create_app(services)  # no security section: the open principal, on loopback
    try:
        yield app
    finally:
        asyncio.run(services.close())


def test_every_operation_answers_as_documented_and_never_5xx(real_app: FastAPI) -> None:
    schemathesis.serializer.alias("application/edi-x12", "application/octet-stream")
    schema = schemathesis.openapi.from_asgi("/openapi.json", real_app)
    tried: list[str] = []
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures[f"invalid operation {len(failures)}"] = str(result.err())
            continue
        operation = result.ok()
        name = f"{operation.method.upper()} {operation.path}"
        if name in KNOWN_FINDINGS:
            continue
        tried.append(name)
        try:
            with structlog.testing.capture_logs():  # no pretty tracebacks of expected faults
                fuzz(operation)
        except (Exception, BaseExceptionGroup) as exc:  # report every failing operation
            failures[name] = f"{type(exc).__name__}: {exc}"[:2000]
    assert len(tried) >= 20, tried
    assert not failures, "\n\n".join(f"{name}\n{text}" for name, text in failures.items())


def fuzz(operation: Any) -> None:
    """Valid requests and requests that break the schema (which must be refused, not 5xx)."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if "{partner}" in operation.path:  # also past the partner look-up, into the route
        declared = {"partner": DECLARED_PARTNER.get(operation.path, "globex")}
        strategies.append(operation.as_strategy(path_parameters=declared))
    cases = st.one_of(*strategies)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    run()
