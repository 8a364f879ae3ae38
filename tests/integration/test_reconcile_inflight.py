"""Postings between a warehouse's count and the ERP, found in a real SQLite log and outbox.

The outbox delivers to ``erp``, a recording connector: it stands for an ERP
that accepted the posting (a real Tryton would want the purchase orders
behind each receipt, which this test is not about). What is not delivered
is appended after the worker last ran, so the outbox still holds it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.reconcile_inflight import timing_differences
from distsync.model.base import Document
from distsync.model.envelope import Envelope
from distsync.model.examples.fulfilment import example_shipment_confirmation
from distsync.model.examples.procurement import example_receipt
from distsync.model.items import ItemRef
from distsync.model.receipts import Receipt
from distsync.model.units import Quantity
from distsync.rules.reconcile import InFlight
from distsync.testing import RecordingConnector
from tests.integration.procure_tryton_world import settle

COUNTED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BEFORE, AFTER = COUNTED - timedelta(hours=1), COUNTED + timedelta(hours=1)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    data = {"runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")}}
    overrides = Overrides(connectors={"erp": RecordingConnector()})
    built = build(build_landscape(data, base_dir=tmp_path), overrides=overrides)
    try:
        yield built
    finally:
        await built.close()


def receipt(number: str, at: datetime, boxes: int) -> Receipt:
    line = example_receipt().lines[0].model_copy(
        update={"item": ItemRef(sku="GLV-2211"), "damaged_quantity": None, "serial_numbers": (),
                "received_quantity": Quantity(value=Decimal(boxes), uom="BX")}
    )  # fmt: skip
    update = {"receipt_number": number, "warehouse_id": "WH-EAST", "received_at": at}
    return example_receipt().model_copy(update=update | {"lines": (line,)})


def posting(operation: str, key: str, document: Document, destination: str = "erp") -> Envelope:
    """The outbox call a flow queues (``HandlerContext.send``)."""
    return Envelope(
        type="outbound.requested", schema_version=1, source_system="distsync",
        correlation_id=key, idempotency_key=f"outbound:{destination}:{key}",
        partition_key=f"{destination}:{key}", occurred_at=COUNTED,
        payload={"destination": destination, "operation": operation, "idempotency_key": key,
                 "body": document.model_dump(mode="json")},
    )  # fmt: skip


async def test_postings_on_the_other_side_of_the_count_from_the_erp_are_timing(
    services: Services,
) -> None:
    shipment = example_shipment_confirmation()
    shipment = shipment.model_copy(update={"warehouse_id": "WH-EAST", "shipped_at": BEFORE})
    await services.intake.accept([
        posting("post_receipt", "R-after-posted", receipt("R1", AFTER, 5)),
        posting("post_receipt", "R-before-posted", receipt("R3", BEFORE, 7)),
    ])  # fmt: skip
    await settle(services)
    await services.intake.accept([
        posting("post_receipt", "R-before-waiting", receipt("R2", BEFORE, 2)),
        posting("post_receipt", "R-after-waiting", receipt("R4", AFTER, 9)),
        posting("confirm_shipment", "S-before-waiting", shipment),
        posting("post_receipt", "R-elsewhere", receipt("R5", BEFORE, 4), destination="wms"),
    ])  # fmt: skip

    found = await timing_differences(services.backend, erp="erp", counted_at={"WH-EAST": COUNTED})

    shipped = [
        InFlight(line.item.sku, "WH-EAST", -line.shipped_quantity.value,
                 "confirm_shipment:S-before-waiting", line.shipped_quantity.uom)
        for line in shipment.lines
    ]  # fmt: skip
    assert sorted(found, key=lambda f: (f.ref, f.sku)) == [
        *sorted(shipped, key=lambda f: f.sku),
        InFlight("GLV-2211", "WH-EAST", Decimal(-5), "post_receipt:R-after-posted", "BX"),
        InFlight("GLV-2211", "WH-EAST", Decimal(2), "post_receipt:R-before-waiting", "BX"),
    ]


async def test_warehouses_without_a_count_have_no_timing_differences(services: Services) -> None:
    await services.intake.accept([posting("post_receipt", "R-1", receipt("R1", BEFORE, 2))])
    assert await timing_differences(services.backend, erp="erp", counted_at={}) == []
    elsewhere = {"WH-WEST": COUNTED}
    assert await timing_differences(services.backend, erp="erp", counted_at=elsewhere) == []
