"""Reading an 856: the HL tree into orders, packs and items (see ``m856.py`` for the fields).

Each item level (I) lands in the order of the nearest PRF above it (on the
item, its pack, its order or the shipment) and in the nearest pack or tare
above it; items with neither sit in one loose pack of their order.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import MapOptions, MapResult
from distsync.formats.x12.maps.hl import Hierarchy, HlLevel, Placed, read_hierarchy
from distsync.formats.x12.maps.m856_codes import (
    BUYER_ITEM,
    CONTAINS,
    EXPIRY,
    GTIN,
    ITEM,
    LEVEL_KINDS,
    LOT,
    PACK,
    PACKAGING,
    PO_LINE,
    SERIAL,
    SHIPMENT,
    TARE,
    VENDOR_ITEM,
)
from distsync.formats.x12.maps.m856_context import ReadContext
from distsync.formats.x12.maps.m856_header import first, read_header, split_parties
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import SetSpec
from distsync.formats.x12.validate import validate
from distsync.model.asn import AdvanceShipNotice, PackKind


def read_notice(transaction: TransactionSet, options: MapOptions, spec: SetSpec) -> MapResult:
    """The notice, or every located problem that stops it (structure and HL tree alike)."""
    problems = validate(transaction, spec)
    tree = read_hierarchy(
        transaction, CONTAINS, roots=frozenset({SHIPMENT}), summary=frozenset({"CTT"})
    )
    problems += tree.problems
    if _errors(problems) or not tree.roots:
        return MapResult(None, problems)
    ctx = ReadContext(transaction, options)
    data = read_header(ctx, tree.header, tree.roots[0])
    data["orders"] = _Orders(ctx).read(tree)
    _check_totals(ctx, tree)
    notice = ctx.validated(AdvanceShipNotice, data)
    problems += ctx.problems
    return MapResult(None if ctx.has_errors() else notice, problems)


def _errors(problems: list[Any]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


class _Orders:
    """Orders and their packs in the order their first item appears."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.orders: dict[str, dict[str, Any]] = {}
        self.packs: dict[tuple[str, int], dict[str, Any]] = {}

    def read(self, tree: Hierarchy) -> list[dict[str, Any]]:
        items = [level for level in tree.levels if level.code == ITEM]
        for level in items:
            self.add(level)
        if not items:
            self.ctx.problem("the notice has no item level (HL03 I)", tree.levels[0].index)
        if not self.orders:
            self.ctx.failed.add("orders")  # reported above, item by item
        return [_without_paths(order) for order in self.orders.values()]

    def add(self, level: HlLevel) -> None:
        prf = next((p for up in level.lineage() if (p := up.find("PRF"))), None)
        po_number = prf[1].element(1).strip() if prf else ""
        if prf is None or not po_number:
            self.ctx.problem("no purchase order number (PRF) on the item or above it", level.index)
            return
        holder = _pack_holder(level)
        order = self.order(po_number, prf)
        key = (po_number, id(holder))
        if key not in self.packs:
            path = f"{order['path']}.packs.{len(order['packs'])}"
            self.packs[key] = _read_pack(self.ctx, holder, path)
            order["packs"].append(self.packs[key])
        pack = self.packs[key]
        pack["items"].append(
            _read_item(self.ctx, level, f"{pack['path']}.items.{len(pack['items'])}")
        )

    def order(self, po_number: str, prf: Placed) -> dict[str, Any]:
        if po_number not in self.orders:
            path = f"orders.{len(self.orders)}"
            self.ctx.note(path, prf[0])
            self.ctx.note(f"{path}.po_number", prf[0], 1)
            self.orders[po_number] = {"po_number": po_number, "packs": [], "path": path}
        return self.orders[po_number]


def _without_paths(order: dict[str, Any]) -> dict[str, Any]:
    packs = [{k: v for k, v in pack.items() if k != "path"} for pack in order["packs"]]
    return {"po_number": order["po_number"], "packs": packs}


def _pack_holder(level: HlLevel) -> HlLevel:
    """The nearest pack or tare above an item; else its order or shipment (loose goods)."""
    parent = level.parent or level
    for up in parent.lineage():
        if up.code in (PACK, TARE):
            return up
    return parent


def _read_pack(ctx: ReadContext, holder: HlLevel, path: str) -> dict[str, Any]:
    ctx.note(path, holder.index)
    if holder.code not in (PACK, TARE):
        return {"kind": PackKind.LOOSE, "items": [], "path": path}
    own = split_parties(holder.segments)[0]
    pack: dict[str, Any] = {"items": [], "path": path, "kind": _kind(ctx, holder, own, path)}
    man = first(own, "MAN", "GM")
    if man is not None:
        pack["sscc"] = _sscc(ctx, man, f"{path}.sscc")
    tracking = ctx.options.qualifier("tracking", "CN")
    label = first(own, "REF", tracking) or first(own, "MAN", "CP")
    pack["tracking_number"] = ctx.text(f"{path}.tracking_number", label, 2)
    pack["gross_weight"] = _weight(ctx, own, f"{path}.gross_weight")
    return {key: value for key, value in pack.items() if value is not None}


def _sscc(ctx: ReadContext, man: Placed, path: str) -> str | None:
    """MAN*GM: the SSCC-18 alone or after its application identifier 00 (VICS)."""
    label = ctx.text(path, man, 2) or ""
    sscc = label[2:] if len(label) == 20 and label.startswith("00") else label
    if len(sscc) != 18 or not (sscc.isascii() and sscc.isdigit()):
        ctx.problem(f"{path}: {label!r} is not an SSCC-18 (18 digits, or 20 after the "
                    "application identifier 00)", man[0], 2)  # fmt: skip
        ctx.failed.add(path)
        return None
    ctx.keys[path] = sscc
    return sscc


def _kind(ctx: ReadContext, holder: HlLevel, own: list[Placed], path: str) -> PackKind:
    for tag, position in (("PO4", 4), ("TD1", 1)):
        placed = first(own, tag)
        code = placed[1].element(position).strip()[:3] if placed else ""
        kind = PACKAGING.get(ctx.options.from_partner("packaging", code)) if code else None
        if placed is not None and kind is not None:
            ctx.note(f"{path}.kind", placed[0], position)
            return kind
    return LEVEL_KINDS[holder.code]


def _weight(ctx: ReadContext, own: list[Placed], path: str) -> dict[str, Any] | None:
    """Gross weight from PO4 (06, 07), MEA*PD*G (03, 04) or TD1*...*G (07, 08)."""
    po4, mea, td1 = first(own, "PO4"), first(own, "MEA", "PD"), first(own, "TD1")
    for placed, qualifier, value in ((po4, 5, 6), (mea, 2, 3), (td1, 6, 7)):
        if placed is None or not placed[1].element(value):
            continue
        if placed[1].element(qualifier) not in ("G", ""):
            continue
        uom = placed[1].components(value + 1)[0].strip()
        ctx.note(f"{path}.uom", placed[0], value + 1)
        return {"value": ctx.decimal(f"{path}.value", placed, value),
                "uom": ctx.options.from_partner("uom", uom)}  # fmt: skip
    return None


def _read_item(ctx: ReadContext, level: HlLevel, path: str) -> dict[str, Any]:
    ctx.note(path, level.index)
    lin, sn1 = level.find("LIN"), level.find("SN1")
    ids = _product_ids(lin)
    item: dict[str, Any] = {
        "po_line_number": _line_number(ctx, lin, ids, f"{path}.po_line_number"),
        "item": _item_ref(ctx, lin, ids, level, f"{path}.item"),
        "lot": _id(ctx, lin, ids, (LOT,), f"{path}.lot")
        or ctx.text(f"{path}.lot", level.find("REF", LOT), 2),
        "serial_numbers": _serials(ctx, level, f"{path}.serial_numbers"),
        "expiry_date": _expiry(ctx, level, f"{path}.expiry_date"),
    }
    if sn1 is not None:
        ctx.note(f"{path}.quantity", sn1[0], 2)
        ctx.note(f"{path}.quantity.uom", sn1[0], 3)
        uom = ctx.options.from_partner("uom", sn1[1].element(3).strip())
        item["quantity"] = {"value": ctx.decimal(f"{path}.quantity.value", sn1, 2), "uom": uom}
    return {key: value for key, value in item.items() if value is not None}


def _product_ids(lin: Placed | None) -> dict[str, int]:
    """LIN qualifier → element position of its value (the first of each qualifier)."""
    ids: dict[str, int] = {}
    if lin is not None:
        for position in range(2, len(lin[1].elements) + 1, 2):
            qualifier = lin[1].element(position).strip()
            if qualifier and lin[1].element(position + 1).strip():
                ids.setdefault(qualifier, position + 1)
    return ids


def _id(
    ctx: ReadContext, lin: Placed | None, ids: dict[str, int], wanted: tuple[str, ...], path: str
) -> str | None:
    qualifier = next((q for q in wanted if q in ids), None)
    return ctx.text(path, lin, ids[qualifier]) if lin and qualifier else None


def _line_number(
    ctx: ReadContext, lin: Placed | None, ids: dict[str, int], path: str
) -> int | None:
    if lin is None:
        return None
    position = 1 if lin[1].element(1).strip() else ids.get(PO_LINE)
    value = ctx.text(path, lin, position) if position else None
    if value is None:
        ctx.problem("no purchase order line number (LIN01 or PL)", lin[0], 1)
        ctx.failed.add(path)
        return None
    if not (value.isascii() and value.isdigit()):
        ctx.problem(f"purchase order line number {value!r} is not a whole number", lin[0], position)
        ctx.failed.add(path)
        return None
    return int(value)


def _item_ref(
    ctx: ReadContext, lin: Placed | None, ids: dict[str, int], level: HlLevel, path: str
) -> dict[str, Any]:
    ctx.note(path, lin[0] if lin else level.index)
    buyer = (ctx.options.qualifier("buyer_item", BUYER_ITEM[0]), *BUYER_ITEM)
    vendor = (ctx.options.qualifier("vendor_part", VENDOR_ITEM[0]), *VENDOR_ITEM)
    ref = {
        "supplier_part_number": _id(ctx, lin, ids, vendor, f"{path}.supplier_part_number"),
        "gtin": _id(ctx, lin, ids, GTIN, f"{path}.gtin"),
        "description": _description(ctx, level, f"{path}.description"),
    }
    ref["sku"] = (
        _id(ctx, lin, ids, buyer, f"{path}.sku") or ref["supplier_part_number"] or ref["gtin"]
    )
    return {key: value for key, value in ref.items() if value is not None}


def _description(ctx: ReadContext, level: HlLevel, path: str) -> str | None:
    pieces = [(i, s) for i, s in level.find_all("PID", "F") if s.element(5).strip()]
    if not pieces:
        return None
    ctx.note(path, pieces[0][0], 5)
    return " ".join(s.element(5).strip() for _, s in pieces)


def _serials(ctx: ReadContext, level: HlLevel, path: str) -> list[str]:
    qualifier = ctx.options.qualifier("serial", SERIAL)
    serials: list[str] = []
    for placed in level.find_all("REF", qualifier):
        number = ctx.text(f"{path}.{len(serials)}", placed, 2)
        if number is not None:
            ctx.keys[f"{path}.{len(serials)}"] = number
            serials.append(number)
    return serials


def _expiry(ctx: ReadContext, level: HlLevel, path: str) -> Any:
    dtm = level.find("DTM", EXPIRY)
    return ctx.day(path, dtm, 2) if dtm is not None else None


def _check_totals(ctx: ReadContext, tree: Hierarchy) -> None:
    """CTT01 counts HL levels (VICS) or LIN segments; CTT02 sums SN102. Warnings only."""
    ctt = first(tree.trailer, "CTT")
    if ctt is None:
        return
    items = [lv for lv in tree.levels if lv.find("LIN")]
    if _sum([ctt], 1) not in (len(tree.levels), len(items)):
        ctx.problem(f"CTT01 {ctt[1].element(1)} is neither the number of HL levels "
                    f"({len(tree.levels)}) nor of LIN segments ({len(items)})", ctt[0], 1,
                    code="control_total_mismatch", warning=True)  # fmt: skip
    hashed = _sum(lv.find("SN1") for lv in tree.levels)
    declared = _sum([ctt], 2)
    if ctt[1].element(2) and hashed is not None and declared != hashed:
        ctx.problem(f"CTT02 {ctt[1].element(2)} is not the sum of SN102 ({hashed})", ctt[0], 2,
                    code="hash_total_mismatch", warning=True)  # fmt: skip


def _sum(segments: Any, position: int = 2) -> Decimal | None:
    try:
        return sum((Decimal(p[1].element(position) or 0) for p in segments if p), Decimal(0))
    except InvalidOperation:
        return None
