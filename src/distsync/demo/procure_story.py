"""The demo's day, step by step, against the running stage (``procure_stage.Stage``).

The buyer confirms three orders in Tryton; distsync polls them and sends
each to its supplier in the supplier's own channel; the suppliers
acknowledge and ship (ACME in two parts); Globex's tape arrives under a code
nobody mapped and parks; the ERP goes down while the warehouse receives; a
buyer maps the code, which replays the notice; the ERP comes back and every
queued receipt is posted once; the invoices, which overtook the goods, are
matched once the goods are in. Each step waits for what distsync did, with
a deadline, and says what it saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from distsync.bootstrap import Services
from distsync.connectors.policy import innermost
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.procure_orders import ORDERS, WAREHOUSE, demo_orders
from distsync.demo.procure_report import ProcureReporter
from distsync.demo.procure_stage import Stage
from distsync.demo.supplier_sim import SupplierSimulator
from distsync.errors import DistsyncError
from distsync.flows.procure_state import load_po
from distsync.model.inventory import InventorySnapshot
from distsync.rules.po_lifecycle import PoState
from distsync.runtime.operations import ParkedRecord
from distsync.runtime.ports import EventFilter, OutboundRequest

__all__ = ["DemoFailed", "Story"]

STEP_SECONDS = 90.0
RECEIPTS = 4  # ACME's two shipments, Globex's and Initech's
NUMBERS = tuple(number for number, _, _ in ORDERS)
UNKNOWN = ("globex", "GX-TAPE-48", "TAP-0048")
DONE_STATES = frozenset({PoState.MATCHED, PoState.CLOSED})


class DemoFailed(DistsyncError):
    """Something the demo waits for did not happen in time."""


@dataclass
class Story:
    stage: Stage
    services: Services
    report: ProcureReporter
    stock_before: InventorySnapshot | None = None
    outage: dict[str, int] = field(default_factory=dict)
    confirmed: dict[str, datetime] = field(default_factory=dict)

    @property
    def erp(self) -> TrytonConnector:
        connector = innermost(self.services.connectors["erp"])
        assert isinstance(connector, TrytonConnector)
        return connector

    async def play(self) -> None:
        await self.confirm_orders()
        await self.orders_reach_suppliers()
        await self.suppliers_acknowledge()
        await self.erp_goes_down()
        await self.buyer_maps_the_code()
        await self.warehouse_receives()
        await self.erp_comes_back()
        await self.invoices_match()

    async def confirm_orders(self) -> None:
        self.report.step("Northwind's buyer confirms three purchase orders in Tryton")
        skus = sorted({sku for _, _, lines in ORDERS for sku, *_ in lines})
        self.stock_before = await self.erp.read_stock(WAREHOUSE, skus)
        for order in demo_orders():
            request = OutboundRequest(
                destination="erp",
                operation="create_purchase_order",
                idempotency_key=f"demo:{order.po_number}",
                body=order.model_dump(mode="json"),
                correlation_id=f"po:{order.po_number}",
            )
            self.confirmed[order.po_number] = datetime.now(UTC)
            await self.erp.send(request)
            self.report.ok(f"{order.po_number} to {order.supplier.party_id}, confirmed")

    async def orders_reach_suppliers(self) -> None:
        self.report.step("distsync polls Tryton and sends each order in its supplier's channel")
        await self.wait_for("every order sent", self._records_exist)
        acme, globex = self.stage.suppliers["acme"], self.stage.suppliers["globex"]
        await self.wait_for("ACME and Globex got their 850s", lambda: _both_received(acme, globex))
        self.report.ok("PO-DEMO-0001 to ACME as an X12 850 (004010, * and ~)")
        self.report.ok("PO-DEMO-0002 to Globex as an X12 850 (005010, | and ~, a segment a line)")
        self.report.ok("PO-DEMO-0003 to Initech's portal as JSON")

    async def suppliers_acknowledge(self) -> None:
        self.report.step("The suppliers acknowledge (997, 855, portal JSON) and start shipping")
        states = {PoState.ACKNOWLEDGED, PoState.PARTIALLY_SHIPPED, PoState.SHIPPED}
        await self.wait_for("every order acknowledged", lambda: self._all_past(states))
        self.report.ok("all three orders acknowledged as sent")

    async def erp_goes_down(self) -> None:
        parked = await self.wait_for_exception("unknown_sku")
        self.report.step("Globex ships its tape as GX-TAPE-48: nobody knows that code")
        self.report.exception(parked)
        self.report.step("Tryton goes down for maintenance while the warehouse receives")
        assert self.stage.tryton is not None
        self.stage.tryton.server.stop()
        self.report.ok("trytond stopped: receipts will queue in the outbox")

    async def buyer_maps_the_code(self) -> None:
        partner, code, sku = UNKNOWN
        parked = await self.wait_for_exception("unknown_sku")
        self.report.step(f"A buyer maps {partner}'s {code} to our {sku}")
        command = (
            f"distsync exceptions resolve {parked.id} --action map_sku "
            f"--param partner_sku={code} --param sku={sku}"
        )
        self.report.say(f"[dim]$ {command}[/]")
        await self.services.backend.resolve(
            parked.id,
            action="map_sku",
            actor="demo-buyer",
            note="Globex's catalogue code for duct tape 48 mm",
            params={"partner_sku": code, "sku": sku},
        )
        self.report.ok("cross-reference added; the parked ship notice runs again")

    async def warehouse_receives(self) -> None:
        self.report.step("The 3PL receives every shipment and sends its 944s")
        await self.wait_for("four receipts in the log", self._four_receipts)
        await self.wait_for("a failed post to the ERP", self._a_post_failed)
        self.outage["receipts"] = await self._count("receipt.recorded")
        self.report.ok(
            f"{self.outage['receipts']} receipts stored; posting them to Tryton fails and retries"
        )

    async def erp_comes_back(self) -> None:
        self.report.step("Tryton is back: the queued receipts drain")
        assert self.stage.tryton is not None
        await asyncio.to_thread(self.stage.tryton.server.start)
        await self.wait_for("every receipt posted", self._receipts_posted)
        self.report.ok("every queued receipt posted to Tryton")

    async def invoices_match(self) -> None:
        self.report.step("The invoices, sent as the goods shipped, are matched three ways")
        await self.wait_for("every order matched", lambda: self._all_past(DONE_STATES))
        self.report.ok("every invoice matched and recorded in Tryton")

    # -- waiting ----------------------------------------------------------------

    async def wait_for(
        self, what: str, ready: Callable[[], Awaitable[bool]], seconds: float = STEP_SECONDS
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not await ready():
            if loop.time() > deadline:
                raise DemoFailed(f"waited {seconds:.0f} s for {what}")
            await asyncio.sleep(0.1)

    async def wait_for_exception(self, reason: str) -> ParkedRecord:
        found: list[ParkedRecord] = []

        async def parked() -> bool:
            found[:] = await self.services.backend.exceptions(reason_code=reason)
            return bool(found)

        await self.wait_for(f"a {reason} exception", parked)
        return found[0]

    async def _records_exist(self) -> bool:
        records = [await load_po(self.services.backend, number) for number in NUMBERS]
        return all(record is not None for record in records)

    async def _all_past(self, states: frozenset[PoState] | set[PoState]) -> bool:
        records = [await load_po(self.services.backend, number) for number in NUMBERS]
        return all(
            record is not None and any(step.to_state in states for step in record.history)
            for record in records
        )

    async def _count(self, event_type: str) -> int:
        events = await self.services.backend.list_events(
            EventFilter(types=(event_type,)), limit=10_000
        )
        return len(events)

    async def _four_receipts(self) -> bool:
        return await self._count("receipt.recorded") >= RECEIPTS

    async def _a_post_failed(self) -> bool:
        posts = await self._posts()
        for event_id in posts:
            attempts = await self.services.backend.attempts(event_id)
            if any(attempt.outcome == "retry" for attempt in attempts):
                return True
        return False

    async def _posts(self) -> list[str]:
        calls = await self.services.backend.list_events(
            EventFilter(types=("outbound.requested",)), limit=10_000
        )
        return [
            call.envelope.event_id
            for call in calls
            if call.envelope.payload["operation"] == "post_receipt"
        ]

    async def _receipts_posted(self) -> bool:
        posts = await self._posts()
        for event_id in posts:
            states = await self.services.backend.delivery_states(event_id)
            if any(state.state != "done" for state in states if state.subscription == "outbox"):
                return False
        return len(posts) >= self.outage.get("receipts", 1)


async def _both_received(*simulators: SupplierSimulator) -> bool:
    return all(sim.received for sim in simulators)
