"""What the demo's day came to, and whether the ERP agrees with the warehouse.

:func:`assess` reads the log, the order records and Tryton after the day:
documents per type, exceptions raised and how they ended, the latency from
each order's confirmation in Tryton to its receipts being posted there, and
the checks the demo exits on — above all, that Tryton's stock rose by
exactly what the warehouse received, that each receipt is in Tryton once
with the warehouse's quantities, and that each order's received quantities
are the warehouse's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from distsync.bootstrap import Services
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.procure_report import Check
from distsync.flows.procure_state import load_po
from distsync.model.inventory import InventorySnapshot
from distsync.model.items import Item
from distsync.model.procurement import PurchaseOrderStatus
from distsync.model.receipts import Receipt
from distsync.rules.asn_index import open_lines
from distsync.rules.uom import value_in
from distsync.runtime.operations import ParkedRecord, RecordStatus
from distsync.runtime.ports import EventFilter

__all__ = ["Outcome", "assess"]

ZERO = Decimal(0)
FULL = frozenset({PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CLOSED})
PARTIAL = frozenset({PurchaseOrderStatus.PARTIALLY_RECEIVED})


@dataclass
class Outcome:
    documents: dict[str, int]
    exceptions: list[ParkedRecord]
    latencies: dict[str, float]
    checks: list[Check] = field(default_factory=list)


async def assess(
    services: Services,
    erp: TrytonConnector,
    *,
    stock_before: InventorySnapshot,
    confirmed_at: dict[str, datetime],
) -> Outcome:
    backend = services.backend
    events = await backend.list_events(EventFilter(), limit=100_000)
    documents = dict(sorted(Counter(event.envelope.type for event in events).items()))
    receipts = _receipts(
        [e.envelope.payload for e in events if e.envelope.type == "receipt.recorded"]
    )
    exceptions = await backend.exceptions(status=None, limit=1000)
    outcome = Outcome(documents, exceptions, {})
    posted = {n: await erp.read_receipt(n) for n in receipts}
    for number, receipt in receipts.items():
        erp_copy = posted[number]
        if erp_copy is not None and receipt.po_number in confirmed_at:
            seconds = (erp_copy.received_at - confirmed_at[receipt.po_number]).total_seconds()
            outcome.latencies[number] = max(seconds, 0.0)
    skus = {line.item.sku for receipt in receipts.values() for line in receipt.lines}
    items = await services.reference.items(sorted(skus))
    warehouse = _base_totals(receipts.values(), items)
    stock_after = await erp.read_stock(stock_before.warehouse_id, sorted(warehouse))
    outcome.checks = [
        _posted_once(receipts, posted, items),
        _stock_rose(stock_before, stock_after, warehouse),
        await _orders_agree(services, receipts.values(), warehouse),
        await _balances_agree(services, erp, sorted(confirmed_at)),
        _unknown_sku_replayed(exceptions),
        await _nothing_left(services),
    ]
    return outcome


def _receipts(payloads: list[dict[str, object]]) -> dict[str, Receipt]:
    found = [Receipt.model_validate(p, strict=False) for p in payloads]
    return {receipt.receipt_number: receipt for receipt in found}


def _posted_once(
    receipts: dict[str, Receipt], posted: dict[str, Receipt | None], items: dict[str, Item]
) -> Check:
    wrong = [
        number
        for number, receipt in receipts.items()
        if _base_totals([posted[number]], items) != _base_totals([receipt], items)
    ]
    return Check(
        "every receipt is in Tryton once, with the warehouse's quantities",
        not wrong and bool(receipts),
        f"{len(receipts)} receipts" + (f"; differ: {', '.join(wrong)}" if wrong else ""),
    )


def _base_totals(receipts: Iterable[Receipt | None], items: dict[str, Item]) -> dict[str, Decimal]:
    """Received quantity per SKU in the item's base unit (an absent receipt: nothing)."""
    totals: dict[str, Decimal] = {}
    for receipt in receipts:
        if receipt is None:
            continue
        for index, line in enumerate(receipt.lines):
            sku = line.item.sku
            item = items.get(sku)
            unit = item.base_uom if item is not None else line.received_quantity.uom
            value = value_in(
                line.received_quantity, unit, item, sku=sku,
                document_ref=f"receipt:{receipt.receipt_number}", field=f"lines.{index}",
            )  # fmt: skip
            totals[sku] = totals.get(sku, ZERO) + value
    return totals


def _stock_rose(
    before: InventorySnapshot, after: InventorySnapshot, warehouse: dict[str, Decimal]
) -> Check:
    def on_hand(snapshot: InventorySnapshot, sku: str) -> Decimal:
        return sum((b.on_hand.value for b in snapshot.balances if b.sku == sku), ZERO)

    rises = {sku: on_hand(after, sku) - on_hand(before, sku) for sku in warehouse}
    wrong = [
        f"{sku} +{rises[sku]} vs {warehouse[sku]}"
        for sku in warehouse
        if rises[sku] != warehouse[sku]
    ]
    shown = ", ".join(f"{sku} +{rise.normalize():f}" for sku, rise in sorted(rises.items()))
    return Check(
        "Tryton's stock rose by exactly what the warehouse received",
        not wrong,
        "; ".join(wrong) if wrong else shown,
    )


async def _orders_agree(
    services: Services, receipts: Iterable[Receipt], warehouse: dict[str, Decimal]
) -> Check:
    numbers = {receipt.po_number for receipt in receipts}
    recorded: dict[str, Decimal] = {}
    for number in numbers:
        record = await load_po(services.backend, number or "")
        if record is None:
            continue
        order = record.purchase_order()
        for line in order.lines:
            amount = record.received.get(line.line_number, ZERO)
            recorded[line.item.sku] = recorded.get(line.item.sku, ZERO) + amount
    agree = all(recorded.get(sku, ZERO) == amount for sku, amount in warehouse.items())
    return Check("each order's received quantities are the warehouse's", agree)


async def _balances_agree(services: Services, erp: TrytonConnector, numbers: list[str]) -> Check:
    """Tryton's view of each order's balance: received in full exactly when the warehouse
    received every ordered unit, partially received when it received less."""
    wrong = []
    for number in numbers:
        record = await load_po(services.backend, number)
        in_erp = await erp.read_purchase_order(number)
        if record is None or in_erp is None:
            wrong.append(f"{number} missing")
            continue
        order = record.purchase_order()
        items = await services.reference.items([line.item.sku for line in order.lines])
        lines = open_lines(order, items, received=record.received)
        full = all(line.received >= line.ordered for line in lines)
        expected = FULL if full else PARTIAL
        if in_erp.status not in expected:
            wrong.append(f"{number} is {in_erp.status.value} in Tryton")
    return Check(
        "each order's balance in Tryton is what the warehouse received",
        not wrong,
        "; ".join(wrong) if wrong else f"{len(numbers)} orders",
    )


def _unknown_sku_replayed(exceptions: list[ParkedRecord]) -> Check:
    unknown = [e for e in exceptions if e.reason_code == "unknown_sku"]
    closed = all(e.status is not RecordStatus.OPEN for e in unknown)
    return Check(
        "the unknown supplier SKU was parked, mapped and replayed", bool(unknown) and closed
    )


async def _nothing_left(services: Services) -> Check:
    stats = await services.backend.stats()
    return Check(
        "no dead letters, no open exceptions",
        stats.dead_letters_open == 0 and stats.exceptions_open == 0,
        f"{stats.dead_letters_open} dead letters, {stats.exceptions_open} open exceptions",
    )
