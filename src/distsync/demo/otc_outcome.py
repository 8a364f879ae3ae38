"""What the order-to-cash day came to, checked against Tryton and the warehouses' counts.

:func:`assess` reconciles Tryton's stock with both warehouses' latest 846
(``flows.reconcile.reconcile_inventory``, the report under
``var/otc-reconcile``) and checks every promise of the day: each order
invoiced, the 850 split across both warehouses, the short line a
backorder, Tryton's shipments and on-hand matching what the 3PLs shipped,
each parcel delivered once despite the late and repeated scans, the shop
told of its shipment, zero unexplained variance, nothing left for a person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from distsync.bootstrap import Services
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.otc_stage import OtcStage
from distsync.demo.otc_story import OtcStory
from distsync.demo.procure_report import Check
from distsync.flows.logistics import DELIVERED_EVENT
from distsync.flows.logistics_state import load_shipment
from distsync.flows.order_records import OrderRecord, load_order
from distsync.flows.reconcile import ReconcileSettings, Reconciliation, reconcile_inventory
from distsync.model.inventory import InventorySnapshot
from distsync.model.parties import CarrierRef
from distsync.model.tracking import Milestone
from distsync.runtime.ports import EventFilter

__all__ = ["OtcOutcome", "assess", "reconciled"]

OUTBOUND = "outbound.requested"
Shipped = defaultdict[tuple[str, str], Decimal]  # (warehouse, SKU) -> units


@dataclass(frozen=True)
class OtcOutcome:
    """The day's orders, Tryton's view of their portions, the reconciliation, the checks."""

    orders: list[OrderRecord]
    tryton: list[tuple[str, str, str]]  # portion, what Tryton shipped, its sale's state
    reconciliation: Reconciliation
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


async def assess(story: OtcStory, erp: TrytonConnector, report_dir: Path) -> OtcOutcome:
    services = story.services
    assert services is not None
    orders = [await _order(services, number) for number in story.orders]
    settings = ReconcileSettings(
        erp="erp", warehouses=tuple(story.stock_before), report_dir=report_dir
    )
    found = await reconcile_inventory(
        stock=erp, log=services.backend, sink=services.intake, settings=settings,
        clock=services.clock,
    )  # fmt: skip
    shipped = _shipped(orders)
    after = {w: await erp.read_stock(w) for w in story.stock_before}
    tryton, posted = await _tryton(erp, orders, story.stage)
    checks = [
        _invoiced(orders),
        _split(orders),
        _backordered(orders),
        Check("Tryton shipped each portion as its 3PL did", posted),
        _stock_fell(story.stock_before, after, shipped),
        await _invoiced_once(services, orders),
        await _delivered_once(services, orders),
        _fulfilled(story.stage, orders),
        reconciled(found, story.final_counts),
        await _nothing_left(services),
    ]
    return OtcOutcome(orders, tryton, found, checks)


async def _order(services: Services, number: str) -> OrderRecord:
    record = await load_order(services.backend, number)
    assert record is not None
    return record


def _shipped(orders: list[OrderRecord]) -> Shipped:
    shipped: Shipped = defaultdict(Decimal)
    for record in orders:
        skus = {line.line_number: line.item.sku for line in record.sales_order().lines}
        for portion in record.portions:
            for line, quantity in portion.shipped.items():
                shipped[(portion.warehouse_id, skus[line])] += quantity
    return shipped


async def _tryton(
    erp: TrytonConnector, orders: list[OrderRecord], stage: OtcStage
) -> tuple[list[tuple[str, str, str]], bool]:
    rows, same = [], True
    carrier = CarrierRef(party_id="CAR-RLCA", scac="RLCA")
    for record in orders:
        for portion in record.portions:
            number = portion.shipment_order_number
            done = await erp.read_shipment_confirmation(number, carrier=carrier)
            sale = await erp.read_sales_order(number)
            lines = [] if done is None else list(done.lines)
            text = ", ".join(f"{ln.item.sku} {_plain(ln.shipped_quantity.value)}" for ln in lines)
            rows.append((number, text or "-", "-" if sale is None else str(sale.status)))
            quantities = sorted(ln.shipped_quantity.value for ln in lines)
            same = same and quantities == sorted(portion.shipped.values())
    return rows, same and bool(rows)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _invoiced(orders: list[OrderRecord]) -> Check:
    states = {record.order["order_number"]: record.state for record in orders}
    return Check(
        "every order delivered and invoiced in Tryton",
        len(orders) == 2 and all(state == "invoiced" for state in states.values()),
        ", ".join(f"{number}: {state}" for number, state in states.items()),
    )


def _split(orders: list[OrderRecord]) -> Check:
    split = [r for r in orders if len({p.warehouse_id for p in r.portions}) == 2]
    return Check("the B2B 850 was split across WH-EAST and WH-WEST", len(split) == 1)


def _backordered(orders: list[OrderRecord]) -> Check:
    short = {r.order["order_number"]: dict(r.backorders) for r in orders if r.backorders}
    shown = "; ".join(
        f"{number} line {line}: {_plain(q)}"
        for number, lines in short.items()
        for line, q in lines.items()
    )
    return Check(
        "the line WH-EAST shipped short is a backorder of one box",
        list(short.values()) == [{1: Decimal(1)}],
        shown or "no backorder",
    )


def _stock_fell(
    before: dict[str, InventorySnapshot], after: dict[str, InventorySnapshot], shipped: Shipped
) -> Check:
    wrong = []
    for warehouse, snapshot in before.items():
        was = {b.sku: b.on_hand.value for b in snapshot.balances}
        now = {b.sku: b.on_hand.value for b in after[warehouse].balances}
        for sku in sorted(set(was) | set(now)):
            fell = was.get(sku, Decimal(0)) - now.get(sku, Decimal(0))
            if fell != shipped.get((warehouse, sku), Decimal(0)):
                wrong.append(f"{sku}@{warehouse} fell by {fell}")
    return Check(
        "Tryton's on-hand fell by exactly what the 3PLs shipped", not wrong, "; ".join(wrong)
    )


async def _invoiced_once(services: Services, orders: list[OrderRecord]) -> Check:
    portions = {p.shipment_order_number for r in orders for p in r.portions}
    calls = await services.backend.list_events(EventFilter(types=(OUTBOUND,)), limit=1000)
    invoices = [c for c in calls if c.envelope.payload["operation"] == "invoice_sales_order"]
    asked = {c.envelope.payload["body"]["order_number"] for c in invoices}
    done = [
        all(s.state == "done" for s in await services.backend.delivery_states(c.envelope.event_id))
        for c in invoices
    ]
    return Check(
        "Tryton was asked once per portion to invoice it, and did",
        asked == portions and len(invoices) == len(portions) and all(done),
        f"{len(invoices)} invoice calls for {len(portions)} portions",
    )


async def _delivered_once(services: Services, orders: list[OrderRecord]) -> Check:
    parcels = [t for r in orders for p in r.portions for t in p.tracking_numbers]
    records = [await load_shipment(services.backend, parcel) for parcel in parcels]
    delivered = [r for r in records if r is not None and r.milestone is Milestone.DELIVERED]
    events = await services.backend.list_events(EventFilter(types=(DELIVERED_EVENT,)), limit=1000)
    return Check(
        "each parcel delivered once, the late pickup scan and the repeated delivery scan "
        "changing nothing",
        bool(parcels) and len(delivered) == len(parcels) == len(events),
        f"{len(parcels)} parcels, {len(events)} deliveries",
    )


def _fulfilled(stage: OtcStage, orders: list[OrderRecord]) -> Check:
    assert stage.shop is not None
    shop = [p for r in orders if r.order["channel"] == "shop" for p in r.portions]
    made = stage.shop.fulfilments
    return Check("the shop got a fulfilment with tracking", len(made) == len(shop) > 0)


def reconciled(found: Reconciliation, final_counts: dict[str, str]) -> Check:
    """Zero unexplained variance, compared with the counts sent last (warehouse → snapshot)."""
    counted = {c.warehouse_id: c.snapshot_id for c in found.counts}
    return Check(
        "reconciliation: zero unexplained variance against the fresh counts",
        counted == final_counts and not found.unexplained and not found.missing,
        f"{len(found.variances)} differences, {len(found.unexplained)} unexplained",
    )


async def _nothing_left(services: Services) -> Check:
    stats = await services.backend.stats()
    return Check(
        "no dead letters, no open exceptions",
        stats.dead_letters_open == 0 and stats.exceptions_open == 0,
        f"{stats.dead_letters_open} dead letters, {stats.exceptions_open} open exceptions",
    )
