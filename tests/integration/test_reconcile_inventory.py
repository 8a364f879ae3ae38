"""Inventory reconciliation against a real Tryton and the simulated 3PL warehouse.

Tryton holds the ERP's stock of WH-EAST (put there with a Tryton inventory,
as a stock-taking would); the 3PL simulator keeps the warehouse's own book
and sends it as an 846, read by distsync's 846 map and appended through
intake as a ``inventory.snapshot_received`` event, as the REST inbound
route appends it. The worker runs the reconciliation's subscription on a
real SQLite file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.config_x12 import X12Identity
from distsync.connectors.tryton import TrytonConnector
from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.reconcile import (
    ReconcileSettings,
    Reconciliation,
    job,
    reconcile_inventory,
    subscriptions,
)
from distsync.formats.x12.envelope import X12Reader
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.m846 import INVENTORY_846 as M846
from distsync.model.envelope import Envelope
from distsync.model.examples.procurement import example_receipt
from distsync.model.inventory import AdjustmentReason, InventorySnapshot
from distsync.model.items import ItemRef
from distsync.model.receipts import Receipt
from distsync.model.units import Quantity
from distsync.rules.reconcile import VarianceStatus
from distsync.runtime.ports import ParkedRecord
from distsync.testing import FrozenClock
from tests.integration.procure_tryton_world import settle
from tests.integration.x12_partner_helpers import NORTHWIND

pytestmark = pytest.mark.service

EAST3PL = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
OURS = MapOptions(code_lists={"warehouse": {"WH-EAST": "EAST01"}})
STOCK = {"GLV-2211": 40, "FAS-10432": 500, "DRL-1800": 6}
UNITS = {"GLV-2211": "BX"}
START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class Ticking:
    """A clock one minute further on each reading: every snapshot and run has its own time."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def stock_tryton(sandbox: TrytonSandbox, quantities: dict[str, int]) -> None:
    """Count ``quantities`` into WH-EAST's storage with a Tryton inventory (confirmed)."""
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        directory = TrytonDirectory(rpc)
        company, _, _ = directory.company()
        storage = directory.warehouse("WH-EAST").storage
        lines = [
            {"product": directory.product(sku, document_ref="count").id, "quantity": float(n)}
            for sku, n in quantities.items()
        ]
        (inventory,) = rpc.model(
            "stock.inventory", "create",
            [{"location": storage, "company": company, "date": date(2026, 11, 27),
              "lines": [["create", lines]]}],
        )  # fmt: skip
        rpc.model("stock.inventory", "confirm", [inventory])
    finally:
        rpc.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[ThreePlSimulator]:
    outbox = tmp_path / "from-3pl"
    behaviour = WarehouseBehaviour(
        stock={sku: Decimal(n) for sku, n in STOCK.items()}, units=UNITS, warehouse="EAST01"
    )
    with ThreePlSimulator(EAST3PL, behaviour, reply_to=outbox, clock=Ticking()) as sim:
        yield sim


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    data = {"runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")}}
    landscape = build_landscape(data, base_dir=tmp_path)
    overrides = Overrides(subscriptions=subscriptions(), clock=FrozenClock(START))
    built = build(landscape, overrides=overrides)
    try:
        yield built
    finally:
        await built.close()


async def count_arrives(sim: ThreePlSimulator, services: Services) -> InventorySnapshot:
    """The 3PL sends its whole book as an 846; it is read and appended as the REST route does."""
    sim.send_snapshot(to=NORTHWIND)
    assert sim.wait_idle()
    (transaction,) = X12Reader([s for s in sim.sent if s.set_id == "846"][-1].body).read_all()
    snapshot = M846.read(transaction, OURS).document
    assert isinstance(snapshot, InventorySnapshot)
    envelope = Envelope(
        type="inventory.snapshot_received",
        schema_version=1,
        source_system="partner:east3pl",
        partner="east3pl",
        correlation_id=f"inventory:{snapshot.warehouse_id}",
        idempotency_key=f"east3pl:846:{snapshot.snapshot_id}",
        partition_key=snapshot.warehouse_id,
        occurred_at=snapshot.as_of,
        payload=snapshot.model_dump(mode="json"),
    )
    await services.intake.accept_raw([envelope.model_dump_json().encode()])
    return snapshot


async def run(services: Services, erp: TrytonConnector, tmp_path: Path) -> Reconciliation:
    """One reconciliation of WH-EAST a minute after the last, then the worker settles."""
    assert isinstance(services.clock, FrozenClock)
    services.clock.advance(60)
    settings = ReconcileSettings(report_dir=tmp_path / "reports", warehouses=("WH-EAST",))
    result = await reconcile_inventory(
        stock=erp, log=services.backend, sink=services.intake, settings=settings,
        clock=services.clock,
    )  # fmt: skip
    await settle(services)
    return result


async def open_variances(services: Services) -> list[ParkedRecord]:
    return await services.backend.exceptions(reason_code="inventory_variance")


def report_lines(result: Reconciliation) -> list[dict[str, str]]:
    with result.csv_path.open(newline="", encoding="utf-8") as rows:
        return list(csv.DictReader(rows))


async def test_a_variance_injected_into_the_warehouse_is_reported_and_raised_once(
    tryton: TrytonSandbox,
    erp: TrytonConnector,
    warehouse: ThreePlSimulator,
    services: Services,
    tmp_path: Path,
) -> None:
    stock_tryton(tryton, STOCK)
    await count_arrives(warehouse, services)

    agreed = await run(services, erp, tmp_path)
    assert (agreed.variances, report_lines(agreed), agreed.raised) == ((), [], 0)
    assert [c.warehouse_id for c in agreed.counts] == ["WH-EAST"]
    assert await open_variances(services) == []

    shrinkage = ("GLV-2211", Decimal(-3))
    warehouse.book.adjust("LOSS-1", "EAST01", shrinkage, AdjustmentReason.LOST, START)
    counted = await count_arrives(warehouse, services)

    found = await run(services, erp, tmp_path)
    assert [(v.sku, v.erp, v.warehouse, v.difference) for v in found.variances] == [
        ("GLV-2211", Decimal(40), Decimal(37), Decimal(-3))
    ]
    (line,) = report_lines(found)
    assert (line["sku"], line["erp"], line["warehouse"], line["difference"]) == (
        "GLV-2211", "40", "37", "-3",
    )  # fmt: skip
    assert (line["status"], line["snapshot_id"]) == ("above_threshold", counted.snapshot_id)
    assert json.loads(found.json_path.read_text())["variances"] == [line]
    (parked,) = await open_variances(services)
    assert parked.document_ref == "inventory:GLV-2211@WH-EAST"
    assert {k: parked.facts[k] for k in ("sku", "warehouse", "erp", "warehouse_qty")} == {
        "sku": "GLV-2211", "warehouse": "WH-EAST", "erp": "40", "warehouse_qty": "37",
    }  # fmt: skip
    assert parked.facts["difference"] == "-3"

    again = await run(services, erp, tmp_path)
    assert (len(again.unexplained), again.raised) == (1, 0)
    assert again.csv_path.parent != found.csv_path.parent
    settings = ReconcileSettings(report_dir=tmp_path / "reports")
    scheduled = job(settings, stock=erp, log=services.backend, sink=services.intake,
                    clock=services.clock)  # fmt: skip
    assert await scheduled.run() is False
    await settle(services)
    assert len(list((tmp_path / "reports").iterdir())) == 4
    assert [p.id for p in await open_variances(services)] == [parked.id]


def receipt_posting(receipt: Receipt) -> Envelope:
    """The outbox call the procure flow queues for a receipt (``ctx.send``), not delivered yet."""
    key = f"receipt:{receipt.warehouse_id}/{receipt.receipt_number}"
    body = receipt.model_dump(mode="json")
    return Envelope(
        type="outbound.requested", schema_version=1, source_system="distsync",
        correlation_id=f"po:{receipt.po_number}", idempotency_key=f"outbound:erp:{key}",
        partition_key=f"erp:{key}", occurred_at=receipt.received_at,
        payload={"destination": "erp", "operation": "post_receipt", "idempotency_key": key,
                 "body": body},
    )  # fmt: skip


async def test_a_receipt_counted_but_not_yet_posted_to_the_erp_explains_the_variance(
    tryton: TrytonSandbox,
    erp: TrytonConnector,
    warehouse: ThreePlSimulator,
    services: Services,
    tmp_path: Path,
) -> None:
    stock_tryton(tryton, STOCK)
    receipt = example_receipt().model_copy(
        update={"receipt_number": "R-9", "warehouse_id": "WH-EAST", "received_at": START}
    )
    gloves = receipt.lines[0].model_copy(
        update={"item": ItemRef(sku="GLV-2211"), "received_quantity": Quantity(value=5, uom="BX"),
                "damaged_quantity": None, "serial_numbers": ()}
    )  # fmt: skip
    receipt = receipt.model_copy(update={"lines": (gloves,)})
    warehouse.book.receive(receipt)
    await services.intake.accept([receipt_posting(receipt)])
    await count_arrives(warehouse, services)

    settings = ReconcileSettings(report_dir=tmp_path / "reports")
    found = await reconcile_inventory(
        stock=erp, log=services.backend, sink=services.intake, settings=settings,
        clock=services.clock,
    )  # fmt: skip
    (explained,) = found.variances
    assert (explained.sku, explained.difference, explained.status) == (
        "GLV-2211", Decimal(5), VarianceStatus.EXPLAINED,
    )  # fmt: skip
    assert explained.explained_by == ("post_receipt:receipt:WH-EAST/R-9",)
    assert (found.unexplained, found.raised) == ([], 0)
