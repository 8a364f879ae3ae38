"""PO-to-posted-receipt latency through the whole procure flow, on a real Tryton.

Run by ``bench/procure.py --flow``. It brings up what the demo runs
(``distsync.demo.procure_stage``): a Tryton sandbox, the ACME X12 supplier
simulator, the east 3PL simulator and distsync serving API, worker and jobs
on the embedded SQLite profile. The partners answer at once (no partial
shipments, no delays). Then, one order at a time:

- **flow**: a one-line purchase order is created and confirmed in Tryton;
  the clock stops when distsync's ``post_receipt`` call for its receipt is
  delivered (the incoming shipment received and done in Tryton). In
  between: the ERP poll (every ``--poll`` seconds), the 850 to ACME over
  HTTP, its 997, 855, 856 back, matching, the 943 to the 3PL, its 944 back,
  and the post to Tryton — every hop a real HTTP call and a durable event.
- **baseline**, measured in the same run on the same Tryton: the ERP work
  alone, ``create_purchase_order`` then ``post_receipt`` called directly
  through the connector. The ratio says what the flow adds to the ERP's own
  time; half the poll interval is the expected wait for the poll.

Figures are medians (and 90th percentiles) over the orders.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from distsync.connectors.policy import innermost
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.procure_orders import BUYER, WAREHOUSE
from distsync.demo.procure_stage import Stage
from distsync.demo.supplier_behaviour import SupplierBehaviour
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.receipts import Receipt, ReceiptLine
from distsync.model.units import Quantity
from distsync.runtime.ports import Backend, EventFilter, OutboundRequest

__all__ = ["FlowFigures", "measure_flow"]

SKU, UNIT, PRICE = "FAS-10432", "EA", "0.08"
WAIT_SECONDS = 60.0


@dataclass
class FlowFigures:
    orders: int
    poll_seconds: float
    flow: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    def report(self) -> str:
        flow, base = _median(self.flow), _median(self.baseline)
        rows = [
            "| path | median | 90th percentile |",
            "|---|---|---|",
            f"| flow: confirmed in Tryton → receipt posted in Tryton | {flow:.2f} s "
            f"| {_p90(self.flow):.2f} s |",
            f"| baseline: the ERP's own work (create + post, direct) | {base:.2f} s "
            f"| {_p90(self.baseline):.2f} s |",
        ]
        return "\n".join(
            [
                "Each order crosses the whole flow on a real Tryton: the ERP poll, the 850 to "
                "the ACME simulator over HTTP, its 997, 855 and 856 back through "
                "`/v1/inbound/x12`, matching, the 943 to the 3PL simulator, its 944 back, and "
                "`post_receipt` to Tryton, every hop a durable event on the embedded SQLite "
                "profile (`python bench/procure.py --flow --orders 15 --poll 0.5 --record`).",
                "",
                f"Run: {self.orders} one-line orders, one at a time; ERP poll every "
                f"{self.poll_seconds:g} s (half of it, {self.poll_seconds / 2:.2f} s, is the "
                "expected wait for the poll).",
                "",
                *rows,
                "",
                f"The flow takes {flow / base:.1f}x the ERP's own time, "
                f"{flow - base:.2f} s more per order (median).",
            ]
        )


def measure_flow(orders: int, poll_seconds: float) -> FlowFigures:
    return asyncio.run(_measure(orders, poll_seconds))


async def _measure(orders: int, poll_seconds: float) -> FlowFigures:
    figures = FlowFigures(orders, poll_seconds)
    with tempfile.TemporaryDirectory(prefix="distsync-bench-") as folder:
        stage = _stage(Path(folder), poll_seconds)
        try:
            stage.start_erp()
            stage.start_partners()
            services = await stage.serve()
            erp = innermost(services.connectors["erp"])
            assert isinstance(erp, TrytonConnector)
            await _until_items_cached(stage)
            for number in range(1, orders + 1):
                figures.flow.append(await _through_flow(stage, erp, f"PO-FLOW-{number:04d}"))
                figures.baseline.append(await _direct(erp, f"PO-BASE-{number:04d}"))
                print(f"  order {number}: flow {figures.flow[-1]:.2f} s, "
                      f"baseline {figures.baseline[-1]:.2f} s")  # fmt: skip
        finally:
            await stage.stop()
    return figures


def _stage(var: Path, poll_seconds: float) -> Stage:
    quick = SupplierBehaviour(rest_delay=0.0)
    behaviours = {"acme": quick, "globex": quick, "initech": quick}
    warehouse = WarehouseBehaviour(receipt_delay=0.0)
    return Stage(var, behaviours, warehouse, procure={"poll_seconds": poll_seconds})


async def _until_items_cached(stage: Stage) -> None:
    assert stage.services is not None
    deadline = time.monotonic() + WAIT_SECONDS
    while await stage.services.reference.get_item(SKU) is None:
        if time.monotonic() > deadline:
            raise TimeoutError("the master-data refresh did not cache the items")
        await asyncio.sleep(0.05)


async def _through_flow(stage: Stage, erp: TrytonConnector, number: str) -> float:
    assert stage.services is not None
    started = time.perf_counter()
    await erp.send(_create(_order(number)))
    backend = stage.services.backend
    deadline = time.monotonic() + WAIT_SECONDS
    while not await _posted(backend, number):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{number}: no receipt posted within {WAIT_SECONDS:.0f} s")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def _posted(backend: Backend, number: str) -> bool:
    calls = await backend.list_events(
        EventFilter(types=("outbound.requested",), correlation_id=f"po:{number}"), limit=100
    )
    for call in calls:
        if call.envelope.payload["operation"] != "post_receipt":
            continue
        states = await backend.delivery_states(call.envelope.event_id)
        return any(s.subscription == "outbox" and s.state == "done" for s in states)
    return False


async def _direct(erp: TrytonConnector, number: str) -> float:
    started = time.perf_counter()
    order = _order(number)
    await erp.send(_create(order))
    receipt = Receipt(
        receipt_number=f"REC-{number}",
        warehouse_id=WAREHOUSE,
        received_at=datetime.now(UTC),
        po_number=number,
        lines=(
            ReceiptLine(
                line_number=1,
                po_number=number,
                po_line_number=1,
                item=ItemRef(sku=SKU),
                received_quantity=order.lines[0].quantity,
            ),
        ),
    )
    await erp.send(
        OutboundRequest(
            "erp",
            "post_receipt",
            f"bench:{number}:receipt",
            receipt.model_dump(mode="json"),
            f"po:{number}",
        )
    )
    return time.perf_counter() - started


def _create(order: PurchaseOrder) -> OutboundRequest:
    body = order.model_dump(mode="json")
    return OutboundRequest("erp", "create_purchase_order", f"bench:{order.po_number}", body,
                           f"po:{order.po_number}")  # fmt: skip


def _order(number: str) -> PurchaseOrder:
    today = datetime.now(UTC).date()
    return PurchaseOrder(
        po_number=number,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=today,
        issued_at=datetime.now(UTC),
        buyer=BUYER,
        supplier=PartyRef(party_id="SUP-ACME"),
        ship_to_warehouse_id=WAREHOUSE,
        currency="USD",
        lines=(
            PurchaseOrderLine(
                line_number=1,
                item=ItemRef(sku=SKU),
                quantity=Quantity(value=Decimal(100), uom=UNIT),
                unit_price=Money(amount=Decimal(PRICE), currency="USD"),
                requested_delivery_date=today + timedelta(days=7),
            ),
        ),
    )


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
