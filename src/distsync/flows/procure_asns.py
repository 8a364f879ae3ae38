"""Ship notices: matched against the open purchase-order lines, then announced to the warehouse.

``asn.received`` (an 856, or a portal's JSON) is matched with
``rules.asn_match.match_asn`` against the lines of the purchase orders it
names, read from their ``procure.po`` records (waiting for an order the ERP
has not sent yet, see ``procure_records.py``), through the supplier's
cross-reference and the item masters of the reference cache. The notice's
ship-to code goes through the partner's warehouse cross-reference first.

- Any problem parks the whole notice with every problem listed; nothing is
  applied. Problems a person accepted (``accept_variance``) are kept on the
  orders' records and let the notice through when it runs again.
- A clean match adds what it ships to each line (a partial shipment keeps
  the balance open), moves each order to partially shipped or shipped, keeps
  the notice as ``procure.asn`` and tells the warehouse through the outbox
  (``flows.procure.warehouses``): an X12 943 to a 3PL, or an
  ``expected_receipt`` call to a WMS, with our SKUs and base units.
- The same notice again (same supplier and number) is recorded once: a
  duplicate changes nothing. A replacing notice (purpose ``replace``) gives
  back what the one it replaces shipped, then matches; a cancelling one
  gives it back and tells no one else.
- Either way ``inventory.inbound_expected`` carries the notice in our terms
  (a cancelled one with purpose ``cancel``) to available to promise, which
  counts it as inbound until its receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from distsync.flows.procure_deps import ProcureDeps
from distsync.flows.procure_records import po_record, save
from distsync.flows.procure_state import (
    ASN_KIND,
    AsnLine,
    AsnRecord,
    PoRecord,
    asn_key,
    load_asn,
)
from distsync.model.asn import AdvanceShipNotice, AsnPurpose
from distsync.model.items import Item, ItemRef
from distsync.model.units import Quantity
from distsync.partners.keys import purchase_orders
from distsync.rules.asn_index import OpenLineIndex, open_lines
from distsync.rules.asn_match import AsnMatch, ItemMatch, asn_ref, match_asn
from distsync.rules.exceptions import parking_exception
from distsync.rules.po_lifecycle import PoEvent
from distsync.rules.xref import PartnerXref
from distsync.runtime.context import HandlerContext

__all__ = ["INBOUND_EVENT", "expected_receipt", "handle_asn", "warehouse_notice"]

ZERO = Decimal(0)
INBOUND_EVENT = "inventory.inbound_expected"


async def handle_asn(ctx: HandlerContext, deps: ProcureDeps) -> None:
    asn = ctx.envelope.document(AdvanceShipNotice)
    key = asn_key(asn.supplier.party_id, asn.asn_number)
    before = await load_asn(ctx.documents, key)
    if before is not None and asn.purpose is AsnPurpose.ORIGINAL:
        ctx.log.info("asn_duplicate", asn=key, first_event_id=before.event_id)
        return
    ref = asn_ref(asn)
    records = {n: await po_record(ctx, deps, n, ref=ref) for n in _orders(asn, before)}
    if before is not None:
        _give_back(before, records)
    if asn.purpose is AsnPurpose.CANCEL:
        _cancelled(ctx, deps, key, before, records)
        return
    xref = await deps.xref(ctx.envelope.partner)
    asn = await _ship_to_ours(asn, deps, ctx.envelope.partner)
    matched = await _match(asn, records, xref, deps)
    problem = parking_exception(matched[0].problems)
    if problem is not None:
        raise problem
    _apply(ctx, deps, asn, matched, records)


def _orders(asn: AdvanceShipNotice, before: AsnRecord | None) -> list[str]:
    named = purchase_orders(asn)
    return list(dict.fromkeys([*named, *(before.po_numbers if before else [])]))


async def _ship_to_ours(
    asn: AdvanceShipNotice, deps: ProcureDeps, partner: str | None
) -> AdvanceShipNotice:
    if partner is None:
        return asn
    mapped = await deps.xrefs.lookup_warehouse(partner, asn.ship_to_warehouse_id)
    if mapped is None:
        return asn
    return asn.model_copy(update={"ship_to_warehouse_id": mapped.our_value})


async def _match(
    asn: AdvanceShipNotice, records: Mapping[str, PoRecord], xref: PartnerXref, deps: ProcureDeps
) -> tuple[AsnMatch, dict[str, Item]]:
    orders = {number: record.purchase_order() for number, record in records.items()}
    skus = {line.item.sku for order in orders.values() for line in order.lines}
    skus.update(_mapped_skus((entry.item.item for entry in asn.items()), xref))
    items = await deps.items(skus)
    index = OpenLineIndex()
    for number, order in orders.items():
        record = records[number]
        for line in open_lines(order, items, record.shipped, record.received):
            index.put(line)
    accepted = {key for record in records.values() for key in record.accepted}
    match = match_asn(
        asn, index, xref=xref, items=items, tolerances=deps.tolerances, accepted=accepted
    )
    return match, items


def _mapped_skus(refs: Iterable[ItemRef], xref: PartnerXref) -> set[str]:
    found = set()
    for ref in refs:
        for code in (ref.supplier_part_number, ref.sku):
            mapped = xref.our_sku(code) if code else None
            found.add(mapped or ref.sku)
    return found


def _apply(
    ctx: HandlerContext,
    deps: ProcureDeps,
    asn: AdvanceShipNotice,
    matched: tuple[AsnMatch, dict[str, Item]],
    records: Mapping[str, PoRecord],
) -> None:
    match, items = matched
    key = asn_key(asn.supplier.party_id, asn.asn_number)
    now = deps.clock()
    for record in records.values():
        record.add("shipped", _by_line(match, record.po_number))
        if key not in record.asns:
            record.asns.append(key)
        lines = open_lines(record.purchase_order(), items, record.shipped, record.received)
        record.record(PoEvent.SHIPPED, ctx.envelope, now, progress=record.progress(lines), note=key)
        save(ctx, record)
    notice = warehouse_notice(asn, match.items)
    kept = AsnRecord(
        asn_number=asn.asn_number,
        supplier_id=asn.supplier.party_id,
        partner=ctx.envelope.partner,
        warehouse_id=asn.ship_to_warehouse_id,
        po_numbers=list(records),
        expected_on=asn.expected_delivery_date or asn.shipped_at.date(),
        matched_at=now,
        event_id=ctx.envelope.event_id,
        document=notice.model_dump(mode="json"),
        lines=[
            AsnLine(
                po_number=use.po_number,
                line_number=use.line_number,
                sku=use.sku,
                uom=use.uom,
                quantity=use.quantity,
            )
            for use in match.lines
        ],
    )
    ctx.write(ASN_KIND, key, kept.model_dump(mode="json"))
    _tell_warehouse(ctx, deps, notice, key)
    expect_inbound(ctx, notice, key)


def expect_inbound(ctx: HandlerContext, notice: AdvanceShipNotice, key: str) -> None:
    """Tell available to promise what is on its way (the notice in our SKUs and base units)."""
    ctx.emit(
        INBOUND_EVENT,
        notice.model_dump(mode="json"),
        idempotency_key=f"{INBOUND_EVENT}:{key}:{ctx.envelope.event_id}",
        partition_key=notice.ship_to_warehouse_id,
    )


def _by_line(match: AsnMatch, po_number: str) -> dict[int, Decimal]:
    amounts: dict[int, Decimal] = {}
    for use in match.lines:
        if use.po_number == po_number:
            amounts[use.line_number] = amounts.get(use.line_number, ZERO) + use.quantity
    return amounts


def _give_back(before: AsnRecord, records: Mapping[str, PoRecord]) -> None:
    """Undo what a replaced or cancelled notice shipped."""
    for line in before.lines:
        records[line.po_number].add("shipped", {line.line_number: -line.quantity})


def _cancelled(
    ctx: HandlerContext,
    deps: ProcureDeps,
    key: str,
    before: AsnRecord | None,
    records: Mapping[str, PoRecord],
) -> None:
    now = deps.clock()
    for record in records.values():
        if key in record.asns:
            record.asns.remove(key)
        record.note(record.state, "asn_cancelled", ctx.envelope, now, note=key)
        save(ctx, record)
    if before is not None:
        ctx.write(ASN_KIND, key, before.model_dump(mode="json") | {"lines": []})
        cancelled = AdvanceShipNotice.model_validate(before.document, strict=False)
        expect_inbound(ctx, cancelled.model_copy(update={"purpose": AsnPurpose.CANCEL}), key)


def _tell_warehouse(
    ctx: HandlerContext, deps: ProcureDeps, notice: AdvanceShipNotice, key: str
) -> None:
    route = deps.warehouse_route(notice.ship_to_warehouse_id)
    if route is None:
        ctx.log.info("warehouse_not_told", asn=key, warehouse=notice.ship_to_warehouse_id)
        return
    destination, operation = route
    body = notice.model_dump(mode="json") if operation == "x12-943" else expected_receipt(notice)
    ctx.send(destination, operation, body, idempotency_key=f"asn:{key}", order_key=f"asn:{key}")


def warehouse_notice(asn: AdvanceShipNotice, matches: Iterable[ItemMatch]) -> AdvanceShipNotice:
    """The notice in our terms: each item our SKU, in its base unit, on its PO line."""
    by_path = {match.path: match for match in matches}
    orders = []
    for o, order in enumerate(asn.orders):
        packs = []
        for p, pack in enumerate(order.packs):
            items = []
            for i, item in enumerate(pack.items):
                match = by_path.get(f"orders.{o}.packs.{p}.items.{i}")
                items.append(item if match is None else _ours(item, match))
            packs.append(pack.model_copy(update={"items": tuple(items)}))
        orders.append(order.model_copy(update={"packs": tuple(packs)}))
    return asn.model_copy(update={"orders": tuple(orders)})


def _ours(item: Any, match: ItemMatch) -> Any:
    ref = item.item
    partner_number = ref.supplier_part_number or (ref.sku if ref.sku != match.sku else None)
    ours = ref.model_copy(update={"sku": match.sku, "supplier_part_number": partner_number})
    quantity = Quantity(value=match.quantity, uom=match.uom)
    return item.model_copy(
        update={"item": ours, "quantity": quantity, "po_line_number": match.line_number}
    )


def expected_receipt(asn: AdvanceShipNotice) -> dict[str, Any]:
    """What a WMS needs to receive the shipment: pallets, items, quantities, lots."""
    return {
        "asn_number": asn.asn_number,
        "warehouse_id": asn.ship_to_warehouse_id,
        "supplier": asn.supplier.party_id,
        "carrier": asn.carrier.scac if asn.carrier else None,
        "expected_on": str(asn.expected_delivery_date or asn.shipped_at.date()),
        "lines": [
            {
                "po_number": entry.po_number,
                "po_line_number": entry.item.po_line_number,
                "sscc": entry.pack.sscc,
                "sku": entry.item.item.sku,
                "quantity": str(entry.item.quantity.value),
                "uom": entry.item.quantity.uom,
                "lot": entry.item.lot,
            }
            for entry in asn.items()
        ],
    }
