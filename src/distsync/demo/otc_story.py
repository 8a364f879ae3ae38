"""The order-to-cash day, step by step, against the running stage (``otc_stage.OtcStage``).

Tryton's stock opens the day (topped up to ``otc_orders.OPENING``) and each
3PL's book is set to it; both warehouses count (846). The shop's order
comes as a signed webhook, Harbor Tools' as an X12 850; distsync releases
them, splitting Harbor's across WH-EAST and WH-WEST. The 3PLs ship (945),
WH-EAST a box short; the carrier's tracking events arrive with the pickup
scan late and the delivery twice; delivered orders are invoiced in Tryton.
Both warehouses count again, and the story ends there: ``otc_outcome``
reconciles and checks. Each step waits for what distsync did, with a
deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from distsync.bootstrap import Services
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.otc_orders import (
    B2B_PO,
    OPENING,
    SHOP_LINES,
    harbor_po,
    opening_adjustment,
    split_blocker,
)
from distsync.demo.otc_report import OtcReporter
from distsync.demo.otc_shop import NORTHWIND, customer_850
from distsync.demo.otc_stage import CUSTOMER, OtcStage
from distsync.demo.otc_warehouse import CuedThreePl
from distsync.demo.partner_delivery import delivery_from
from distsync.demo.procure_story import DemoFailed
from distsync.flows.order_records import OrderRecord, load_order
from distsync.model.inventory import InventorySnapshot
from distsync.runtime.ports import EventFilter

__all__ = ["OtcStory"]

STEP_SECONDS = 30.0
SNAPSHOT = "inventory.snapshot_received"
ERP_CALLS = ("create_sales_order", "confirm_shipment", "invoice_sales_order")
SETTLED = frozenset({"done", "dead_lettered", "parked"})  # the outcome reports what is not done


@dataclass
class OtcStory:
    stage: OtcStage
    report: OtcReporter
    services: Services | None = None
    stock_before: dict[str, InventorySnapshot] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)
    final_counts: dict[str, str] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)
    topped_up: list[str] = field(default_factory=list)

    async def open_the_day(self) -> Services:
        """Tryton's opening stock; the simulators set to it; distsync served."""
        erp = self.stage.erp_connector()
        await erp.connect()
        try:
            self.prices = {p.sku: p.unit_price.amount for p in await erp.read_sales_prices()}
            await self._opening_stock(erp)
            for warehouse in OPENING:
                self.stock_before[warehouse] = await erp.read_stock(warehouse)
        finally:
            await erp.close()
        if blocker := split_blocker(self.stock_before):
            raise DemoFailed(blocker)
        self.stage.start_partners(self.stock_before, self.prices)
        self.services = await self.stage.serve()
        return self.services

    async def play(self) -> None:
        self.stock_opens()
        await self.warehouses_count()
        await self.orders_arrive()
        await self.warehouses_ship()
        await self.carrier_delivers()
        await self.warehouses_count_again()

    async def _opening_stock(self, erp: TrytonConnector) -> None:
        for warehouse, wanted in OPENING.items():
            stock = await erp.read_stock(warehouse, sorted(wanted))
            held = {b.sku: b.on_hand for b in stock.balances}
            for sku, least in wanted.items():
                if held[sku].value < least:
                    adjustment = opening_adjustment(warehouse, sku, least, held[sku])
                    await erp.post_adjustment(adjustment)
                    self.topped_up.append(f"{sku}@{warehouse} +{adjustment.delta.value}")

    def stock_opens(self) -> None:
        self.report.step("Tryton's stock opens the day; each 3PL's book is set to it")
        topped = ", ".join(self.topped_up) or "nothing"
        self.report.ok(f"opening adjustments posted in Tryton: {topped}")
        for warehouse, stock in self.stock_before.items():
            items = sum(1 for b in stock.balances if b.on_hand.value)
            self.report.ok(f"{warehouse}: {items} items in Tryton, copied to its 3PL's book")

    async def warehouses_count(self) -> None:
        self.report.step("Both warehouses count their stock and send an 846")
        for count, warehouse in enumerate(self.stage.warehouses.values(), 1):
            warehouse.send_snapshot(to=NORTHWIND)
            await self.wait_for("the count in the log", partial(self._snapshots, count))
        self.report.ok("WH-EAST and WH-WEST counts in the stock book")

    async def orders_arrive(self) -> None:
        self.report.step("A shopper orders on the web shop; Harbor Tools sends an X12 850")
        self.orders += [self._shop_order(), await self._customer_order()]
        shop, harbor = [await self.wait_for_order(n, "allocated") for n in self.orders]
        self.report.ok(f"{self.orders[0]} (signed webhook) released to {_warehouses(shop)}")
        self.report.ok(f"{self.orders[1]} (X12 850) split between {_warehouses(harbor)}")

    def _shop_order(self) -> str:
        assert self.stage.shop is not None
        return f"shop-{self.stage.shop.place_order(SHOP_LINES).order_number}"

    async def _customer_order(self) -> str:
        name, _, identity = CUSTOMER
        body = customer_850(identity, harbor_po(self.prices), datetime.now(UTC))
        channel = delivery_from(f"{self.stage.url}/v1/inbound/x12/{name}")
        sent = await asyncio.to_thread(
            channel.deliver, body, sequence=1, set_id="850", reference=B2B_PO
        )
        if not sent.ok:
            raise DemoFailed(f"the 850 was refused: {sent.detail}")
        return f"{name}-{B2B_PO}"

    async def warehouses_ship(self) -> None:
        self.report.step(
            "The 3PLs pick and pack, then ship (945s); WH-EAST is a box of gloves short"
        )
        portions = [p for n in self.orders for p in (await self._record(n)).portions]
        for warehouse, sim in self.stage.warehouses.items():
            due = sum(1 for p in portions if p.warehouse_id == warehouse)
            await self.wait_for(f"{warehouse} packed", partial(_packed, sim, due))
        await self.wait_for("every sale in Tryton", self._erp_calls_done)
        for sim in self.stage.warehouses.values():
            sim.ship()
        for number in self.orders:
            record = await self.wait_for_order(number, "shipped")
            short = ", ".join(f"line {n}: {q}" for n, q in record.backorders.items())
            self.report.ok(f"{number} shipped" + (f", backordered {short}" if short else ""))

    async def carrier_delivers(self) -> None:
        self.report.step("The carrier tracks every parcel: the pickup scan late, delivery twice")
        assert self.stage.carrier is not None
        await self.wait_for("every shipment done in Tryton", self._erp_calls_done)
        for number in self.orders:
            record = await self._record(number)
            for portion in record.portions:
                for tracking in portion.tracking_numbers:
                    self.stage.carrier.track(tracking)
        for number in self.orders:
            await self.wait_for_order(number, "invoiced")
            self.report.ok(f"{number} delivered and invoiced in Tryton")

    async def warehouses_count_again(self) -> None:
        self.report.step("At the end of the day both warehouses count again")
        await self.wait_for("every ERP call done", self._erp_calls_done)
        for count, (warehouse, sim) in enumerate(self.stage.warehouses.items(), 3):
            self.final_counts[warehouse] = sim.send_snapshot(to=NORTHWIND).snapshot_id
            await self.wait_for("the count in the log", partial(self._snapshots, count))
        self.report.ok("fresh 846s from WH-EAST and WH-WEST in the log")

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

    async def wait_for_order(self, number: str, state: str) -> OrderRecord:
        async def reached() -> bool:
            record = await load_order(self._services.backend, number)
            if record is not None and record.state in ("held", "rejected"):
                raise DemoFailed(f"{number} was {record.state}: {record.verdict}")
            return record is not None and any(s.state == state for s in record.history)

        await self.wait_for(f"{number} {state}", reached)
        return await self._record(number)

    async def _record(self, number: str) -> OrderRecord:
        record = await load_order(self._services.backend, number)
        assert record is not None
        return record

    async def _snapshots(self, count: int) -> bool:
        found = await self._services.backend.list_events(EventFilter(types=(SNAPSHOT,)), limit=100)
        return len(found) >= count

    async def _erp_calls_done(self) -> bool:
        backend = self._services.backend
        calls = await backend.list_events(EventFilter(types=("outbound.requested",)), limit=1000)
        for call in calls:
            if call.envelope.payload["operation"] not in ERP_CALLS:
                continue
            states = await backend.delivery_states(call.envelope.event_id)
            if any(s.state not in SETTLED for s in states if s.subscription == "outbox"):
                return False
        return True

    @property
    def _services(self) -> Services:
        assert self.services is not None
        return self.services


async def _packed(warehouse: CuedThreePl, wanted: int) -> bool:
    return warehouse.packed >= wanted


def _warehouses(record: OrderRecord) -> str:
    return " and ".join(p.warehouse_id for p in record.portions)
