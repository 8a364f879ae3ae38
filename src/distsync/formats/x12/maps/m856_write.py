"""Writing an 856 from a canonical notice (see ``m856.py`` for the fields and layout).

Every written element is checked against the spec the partner reads with, so
a value that has no valid X12 form (a 40-character ASN number, a unit with no
two-letter code) stops with SchemaViolation instead of reaching the partner.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import MapOptions, fields, format_date, format_decimal
from distsync.formats.x12.maps.m856_codes import (
    DELIVERY,
    EXPIRY,
    ITEM,
    LEVEL_KINDS,
    LOT,
    ORDER,
    ORDER_ITEM,
    PACK,
    PACKAGING_CODES,
    PICK_AND_PACK,
    PURPOSE_CODES,
    SERIAL,
    SHIPMENT,
    SHIPPED,
    TARE,
    gtin_qualifier,
    zone,
)
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, SetSpec, Usage
from distsync.formats.x12.validate import element_problem
from distsync.formats.x12.writer import Fields
from distsync.model.asn import AdvanceShipNotice, AsnItem, AsnOrder, AsnPack, PackKind
from distsync.model.parties import Address, CarrierRef, PartyRef

DESCRIPTION_WIDTH = 80


def write_notice(notice: AdvanceShipNotice, options: MapOptions, spec: SetSpec) -> list[Fields]:
    """The body segments of ``notice`` for a partner, checked against ``spec``."""
    written = _Writer(notice, options).segments()
    kept = [_blank_unused(s, options) for s in written if s[0] not in options.skip_segments]
    _check(notice, kept, spec)
    return kept


def _is_bare(order: AsnOrder) -> bool:
    """One pack of loose goods, nothing to say about it: written without a pack level."""
    if len(order.packs) != 1:
        return False
    pack = order.packs[0]
    return pack.kind is PackKind.LOOSE and not (pack.sscc or pack.tracking_number
                                               or pack.gross_weight)  # fmt: skip


class _Writer:
    def __init__(self, notice: AdvanceShipNotice, options: MapOptions) -> None:
        self.notice = notice
        self.options = options
        self.time_code = options.qualifier("time_code", "UT")
        self.zone = zone(self.time_code)
        self.out: list[list[str]] = []
        self.levels = 0

    def segments(self) -> list[list[str]]:
        notice = self.notice
        issued = self.local(notice.issued_at)
        bare = all(_is_bare(order) for order in notice.orders)
        self.out.append(fields("BSN", PURPOSE_CODES[notice.purpose], notice.asn_number,
                               format_date(issued), _clock(issued),
                               ORDER_ITEM if bare else PICK_AND_PACK))  # fmt: skip
        shipment = self.level(None, SHIPMENT)
        self.shipment()
        for order in notice.orders:
            self.order(order, shipment)
        quantities = sum((entry.item.quantity.value for entry in notice.items()), Decimal(0))
        self.out.append(fields("CTT", self.levels, _number(quantities, 10, "CTT02", strict=False)))
        return self.out

    def level(self, parent: int | None, code: str) -> int:
        self.levels += 1
        child_code = "0" if code == ITEM else "1"
        self.out.append(fields("HL", self.levels, parent, code, child_code))
        return self.levels

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    # -- shipment level ------------------------------------------------------------

    def shipment(self) -> None:
        notice = self.notice
        self.totals()
        if notice.carrier is not None:
            self.out += _carrier_segments(notice.carrier, self.options)
        tracking = self.options.qualifier("tracking", "CN")
        if notice.bill_of_lading:
            self.out.append(fields("REF", "BM", notice.bill_of_lading))
        self.out += [fields("REF", tracking, number) for number in notice.tracking_numbers]
        shipped = self.local(notice.shipped_at)
        self.out.append(fields("DTM", SHIPPED, format_date(shipped), _clock(shipped),
                               self.time_code))  # fmt: skip
        if notice.expected_delivery_date is not None:
            qualifier = self.options.qualifier("delivery_date", DELIVERY[0])
            self.out.append(fields("DTM", qualifier, format_date(notice.expected_delivery_date)))
        self.parties()
        self.out += [list(extra) for extra in self.options.extra_segments]

    def totals(self) -> None:
        """TD1: how many packs (and their packaging, when one kind), and the total weight."""
        packs = [p for o in self.notice.orders if not _is_bare(o) for p in o.packs]
        if not packs:
            return
        kinds = {p.kind for p in packs}
        code = self.packaging(kinds.pop()) if len(kinds) == 1 else None
        weights = [p.gross_weight for p in packs if p.gross_weight is not None]
        units = {w.uom for w in weights}
        total = weight = unit = None
        if len(weights) == len(packs) and len(units) == 1:
            total = sum((w.value for w in weights), Decimal(0))
            weight, unit = "G", self.unit(units.pop())
        self.out.append(fields("TD1", code, len(packs), None, None, None, weight,
                               None if total is None else _number(total, 10, "TD107"),
                               unit))  # fmt: skip

    def parties(self) -> None:
        notice, options = self.notice, self.options
        if notice.ship_from is not None:
            self.out += _address_segments("SF", notice.ship_from, notice.supplier, options)
        warehouse = options.to_partner("warehouse", notice.ship_to_warehouse_id)
        self.out.append(fields("N1", "ST", None, options.qualifier("ship_to", "92"), warehouse))
        self.out.append(_party_n1("SU", notice.supplier, options))
        carrier = notice.carrier
        if carrier is not None and carrier.party_id != carrier.scac:
            party_id = options.to_partner("party", carrier.party_id)
            self.out.append(fields("N1", "CA", carrier.name, "92", party_id))

    # -- orders, packs, items ------------------------------------------------------

    def order(self, order: AsnOrder, shipment: int) -> None:
        number = self.level(shipment, ORDER)
        self.out.append(fields("PRF", order.po_number))
        if _is_bare(order):
            for item in order.packs[0].items:
                self.item(item, number)
            return
        for pack in order.packs:
            self.pack(pack, number)

    def pack(self, pack: AsnPack, order: int) -> None:
        code = TARE if pack.kind is PackKind.PALLET else PACK
        number = self.level(order, code)
        weight = pack.gross_weight
        if weight is not None or pack.kind is not LEVEL_KINDS[code]:
            self.out.append(fields(
                "PO4", None, None, None, self.packaging(pack.kind),
                "G" if weight else None, weight and _number(weight.value, 9, "PO406"),
                weight and self.unit(weight.uom),
            ))  # fmt: skip
        if pack.tracking_number:
            tracking = self.options.qualifier("tracking", "CN")
            self.out.append(fields("REF", tracking, pack.tracking_number))
        if pack.sscc:
            self.out.append(fields("MAN", "GM", "00" + pack.sscc))
        for item in pack.items:
            self.item(item, number)

    def item(self, item: AsnItem, parent: int) -> None:
        self.level(parent, ITEM)
        self.out.append(self.lin(item))
        quantity = item.quantity
        self.out.append(fields("SN1", None, _number(quantity.value, 10, "SN102"),
                               self.unit(quantity.uom)))  # fmt: skip
        for piece in _pieces(item.item.description or "", DESCRIPTION_WIDTH):
            self.out.append(fields("PID", "F", None, None, None, piece))
        serial = self.options.qualifier("serial", SERIAL)
        self.out += [fields("REF", serial, number) for number in item.serial_numbers]
        if item.expiry_date is not None:
            self.out.append(fields("DTM", EXPIRY, format_date(item.expiry_date)))

    def lin(self, item: AsnItem) -> list[str]:
        ref = item.item
        ids = [(self.options.qualifier("buyer_item", "BP"), ref.sku)]
        if ref.supplier_part_number:
            ids.append((self.options.qualifier("vendor_part", "VN"), ref.supplier_part_number))
        if ref.gtin:
            ids.append((gtin_qualifier(ref.gtin), ref.gtin))
        if item.lot:
            ids.append((LOT, item.lot))
        return fields("LIN", item.po_line_number, *(v for pair in ids for v in pair))

    def packaging(self, kind: PackKind) -> str:
        return self.options.to_partner("packaging", PACKAGING_CODES[kind])

    def unit(self, uom: str) -> str:
        code = self.options.to_partner("uom", uom)
        if len(code) != 2:
            raise SchemaViolation(
                f"writing ASN {self.notice.asn_number}: unit {uom} has no two-character X12 "
                "code; map it in the partner's code list 'uom'"
            )
        return code


def _carrier_segments(carrier: CarrierRef, options: MapOptions) -> list[list[str]]:
    service = options.to_partner("service_level", carrier.service) if carrier.service else ""
    service_code = service if len(service) == 2 and service.isalnum() else None
    method = options.qualifier("transport_method", "")
    if not (carrier.scac or carrier.name or service_code):
        return []
    return [fields("TD5", "B", "2" if carrier.scac else None, carrier.scac, method,
                   carrier.name, None, None, None, None, None, None, service_code)]  # fmt: skip


def _party_n1(role: str, party: PartyRef, options: MapOptions) -> list[str]:
    qualifier = options.qualifier("supplier", "92")
    code = {"UL": party.gln, "1": party.duns, "9": party.duns}.get(qualifier)
    if code is None:
        qualifier, code = "92", options.to_partner("party", party.party_id)
    return fields("N1", role, party.name, qualifier, code)


def _address_segments(
    role: str, address: Address, supplier: PartyRef, options: MapOptions
) -> list[list[str]]:
    if address.gln:
        n1 = fields("N1", role, address.name, "UL", address.gln)
    elif address.name:
        n1 = fields("N1", role, address.name)
    else:  # N1 needs a name or an id: the supplier's, which an address does not keep
        n1 = fields("N1", role, None, "92", options.to_partner("party", supplier.party_id))
    lines = list(address.lines)
    out = [n1, *(fields("N3", *lines[i : i + 2]) for i in range(0, len(lines), 2))]
    out.append(fields("N4", address.city, address.region, address.postal_code, address.country))
    contact = [("TE", address.phone), ("EM", address.email)]
    numbers = [v for kind, number in contact if number for v in (kind, number)]
    if numbers:
        out.append(fields("PER", "CN", None, *numbers))
    return out


def _clock(moment: datetime) -> str:
    return moment.strftime("%H%M%S" if moment.second else "%H%M")


def _number(value: Decimal, digits: int, what: str, *, strict: bool = True) -> str | None:
    text = format_decimal(value)
    if len(text.lstrip("-").replace(".", "")) <= digits:
        return text
    if not strict:
        return None
    raise SchemaViolation(f"writing {what}: {text} has more than {digits} digits")


def _pieces(text: str, width: int) -> Iterator[str]:
    """Text in pieces of at most ``width`` characters, broken at spaces where possible."""
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
            continue
        if current:
            yield current
        current = word
        while len(current) > width:
            yield current[:width]
            current = current[width:]
    if current:
        yield current


def _blank_unused(segment: Fields, options: MapOptions) -> Fields:
    if not options.unused_elements:
        return segment
    tag = segment[0]
    return [tag, *("" if f"{tag}.{n:02d}" in options.unused_elements else v
                   for n, v in enumerate(segment[1:], start=1))]  # fmt: skip


def _check(notice: AdvanceShipNotice, segments: list[Fields], spec: SetSpec) -> None:
    """Refuse to write an element that breaks the spec (length, type, code, required)."""
    rules = dict(_segment_specs(spec.body))
    for segment in segments:
        rule = rules.get(segment[0])
        for element in rule.elements if rule else ():
            value = segment[element.position] if element.position < len(segment) else ""
            problem = element_problem(element, value)
            if problem is not None:
                raise SchemaViolation(
                    f"writing ASN {notice.asn_number}: {segment[0]}{element.position:02d} "
                    f"({element.name}): {problem[2]}"
                )


def _segment_specs(usages: tuple[Usage, ...]) -> Iterator[tuple[str, SegmentSpec]]:
    for usage in reversed(usages):  # the first declaration of a tag wins
        if isinstance(usage, LoopSpec):
            yield from _segment_specs(usage.children)
        else:
            yield usage.tag, usage
