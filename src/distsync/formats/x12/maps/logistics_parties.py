"""Parties, places, carriers and items as the warehouse and carrier maps read and write them.

N1 loops (``N1`` name and one identifier, ``N3`` street lines, ``N4`` city,
state, postal code and country, ``PER`` phone and e-mail) become addresses,
party references, the warehouse id and the carrier. An N1 carries one
identifier: a ``PartyRef`` is written with its party id (qualifier ``92``,
assigned by the buyer, i.e. us; ``qualifiers["party_id"]``); its GLN and
D-U-N-S are read when a partner sends them (``UL``, ``1``/``9``) but not
written. Ids pass through the partner's code lists (``party``, ``warehouse``,
``carrier``), so a partner's codes become ours on reading and ours theirs on
writing.

Items: our SKU travels as the vendor's item number (``VN``; the depositor is
the seller of the goods), the supplier's part number as ``VP``, the GTIN as
``UP``/``EN``/``UK``/``EO`` by its length. A line that names no ``VN`` item
keeps its first identifier as SKU (a warning says so); an identifier sent as
a GTIN that is not one is kept as SKU only, with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.logistics_common import Indexed, Reading, compact, value
from distsync.formats.x12.schema import LoopSpec, SegmentSpec, el, loop, seg
from distsync.formats.x12.tokenizer import Segment
from distsync.model.identifiers import has_valid_check_digit
from distsync.model.items import ItemRef
from distsync.model.parties import Address, CarrierRef, PartyRef

GTIN_QUALIFIERS = {12: "UP", 13: "EN", 14: "UK", 8: "EO"}
WEIGHT_UNITS = {"KG": "K", "KGM": "K", "LB": "L", "LBR": "L", "GR": "G", "GRM": "G",
                "OZ": "O", "ONZ": "O", "TNE": "E"}  # fmt: skip
WEIGHT_UOMS = {"K": "KG", "L": "LB", "G": "GR", "O": "OZ", "E": "TNE"}
PARTY_TAGS = ("N1", "N2", "N3", "N4", "PER")


# -- specs --------------------------------------------------------------------------


def n1_loop(*, min_use: int = 0, max_use: int = 10, contact: bool = True) -> LoopSpec:
    """The N1 loop of a heading: name, address lines, place and (optionally) contact."""
    parts: list[SegmentSpec] = [
        seg("N1", "party", el(1, "entity identifier", "ID", 2, 3, required=True),
            el(2, "name", "AN", 1, 60), el(3, "identification qualifier", "ID", 1, 2),
            el(4, "identification code", "AN", 2, 80), min_use=1),
        seg("N2", "additional name", el(1, "name", "AN", 1, 60, required=True), max_use=2),
        seg("N3", "address", el(1, "address", "AN", 1, 55, required=True),
            el(2, "address", "AN", 1, 55), max_use=2),
        seg("N4", "place", el(1, "city", "AN", 2, 30), el(2, "state or province", "ID", 2, 2),
            el(3, "postal code", "ID", 3, 15), el(4, "country", "ID", 2, 3)),
    ]  # fmt: skip
    if contact:
        parts.append(seg(
            "PER", "contact", el(1, "contact function", "ID", 2, 2, required=True),
            el(2, "name", "AN", 1, 60), el(3, "number qualifier", "ID", 2, 2),
            el(4, "number", "AN", 1, 80), el(5, "number qualifier", "ID", 2, 2),
            el(6, "number", "AN", 1, 80), max_use=3,
        ))  # fmt: skip
    return loop("N1", *parts, min_use=min_use, max_use=max_use)


def n9(max_use: int, version: str) -> SegmentSpec:
    size = 50 if version >= "005010" else 30
    return seg("N9", "reference", el(1, "reference qualifier", "ID", 2, 3, required=True),
               el(2, "reference", "AN", 1, size), el(3, "description", "AN", 1, 45),
               el(4, "date", "DT", 8, 8), max_use=max_use)  # fmt: skip


def g62(max_use: int) -> SegmentSpec:
    return seg("G62", "date and time", el(1, "date qualifier", "ID", 2, 2),
               el(2, "date", "DT", 8, 8), el(3, "time qualifier", "ID", 1, 2),
               el(4, "time", "TM", 4, 8), el(5, "time code", "ID", 2, 2),
               max_use=max_use)  # fmt: skip


def g69() -> SegmentSpec:
    return seg("G69", "description", el(1, "description", "AN", 1, 45, required=True), max_use=5)


def lx(min_use: int = 1) -> SegmentSpec:
    return seg("LX", "assigned number", el(1, "assigned number", "N0", 1, 6, required=True),
               min_use=min_use)  # fmt: skip


# -- N1 loops -------------------------------------------------------------------------


@dataclass
class PartyBlock:
    """One N1 loop as read: the N1 and the N2/N3/N4/PER after it."""

    n1: Indexed
    parts: list[Indexed] = field(default_factory=list)

    @property
    def entity(self) -> str:
        return self.n1[1].element(1)

    @property
    def identifier(self) -> str | None:
        return value(self.n1[1], 4)

    def first(self, tag: str) -> Indexed | None:
        return next((item for item in self.parts if item[1].tag == tag), None)


def party_blocks(items: Sequence[Indexed]) -> list[PartyBlock]:
    blocks: list[PartyBlock] = []
    for item in items:
        tag = item[1].tag
        if tag == "N1":
            blocks.append(PartyBlock(item))
        elif tag in PARTY_TAGS and blocks:
            blocks[-1].parts.append(item)
    return blocks


def block_for(blocks: Sequence[PartyBlock], *entities: str) -> PartyBlock | None:
    """The first block of the first entity code that has one."""
    for entity in entities:
        found = next((block for block in blocks if block.entity == entity), None)
        if found is not None:
            return found
    return None


def read_address(reading: Reading, block: PartyBlock, path: str) -> dict[str, Any]:
    """An Address (as a dict for the model) from an N1 loop; sources recorded under ``path``."""
    n1_index = block.n1[0]
    lines = [v for item in block.parts if item[1].tag == "N3" for v in _n3_lines(item[1])]
    n3 = block.first("N3")
    reading.source(path, n1_index, 1)
    reading.source(f"{path}.name", n1_index, 2)
    reading.source(f"{path}.gln", n1_index, 4)
    if n3 is not None:
        reading.source(f"{path}.lines", n3[0], 1)
    data = {
        "name": value(block.n1[1], 2),
        "lines": lines,
        "gln": block.identifier if value(block.n1[1], 3) == "UL" else None,
    }
    return compact(data | _place(reading, block, path) | _contact(block))


def _n3_lines(segment: Segment) -> list[str]:
    return [line for line in (value(segment, 1), value(segment, 2)) if line is not None]


def _place(reading: Reading, block: PartyBlock, path: str) -> dict[str, Any]:
    n4 = block.first("N4")
    country = reading.options.qualifier("default_country", "US")
    if n4 is None:
        reading.source(f"{path}.city", block.n1[0], None)
        return {"country": country}
    for name, position in (("city", 1), ("region", 2), ("postal_code", 3), ("country", 4)):
        reading.source(f"{path}.{name}", n4[0], position)
    segment = n4[1]
    return {
        "city": value(segment, 1),
        "region": value(segment, 2),
        "postal_code": value(segment, 3),
        "country": value(segment, 4) or country,
    }


def _contact(block: PartyBlock) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _, segment in (item for item in block.parts if item[1].tag == "PER"):
        for position in (3, 5):
            kind, number = value(segment, position), value(segment, position + 1)
            if kind == "TE":
                found.setdefault("phone", number)
            elif kind == "EM":
                found.setdefault("email", number)
    return found


def write_address(entity: str, address: Address) -> list[list[str]]:
    """An N1 loop for an address (the GLN, when known, as its identifier)."""
    n1 = ["N1", entity, address.name or ""]
    if address.gln:
        n1 += ["UL", address.gln]
    segments = [n1]
    lines = list(address.lines)
    for start in range(0, len(lines), 2):
        segments.append(["N3", *lines[start : start + 2]])
    segments.append(
        ["N4", address.city, address.region or "", address.postal_code, address.country]
    )
    contact = [
        *(["TE", address.phone] if address.phone else []),
        *(["EM", address.email] if address.email else []),
    ]
    if contact:
        segments.append(["PER", "IC", "", *contact])
    return segments


def read_party(reading: Reading, block: PartyBlock, path: str) -> dict[str, Any]:
    """A PartyRef (as a dict) from an N1: id through the ``party`` code list, GLN, D-U-N-S."""
    segment = block.n1[1]
    qualifier, identifier = value(segment, 3), block.identifier
    reading.source(path, block.n1[0], 4)
    reading.source(f"{path}.name", block.n1[0], 2)
    party_id = reading.options.from_partner("party", identifier) if identifier else None
    return compact(
        {
            "party_id": party_id,
            "name": value(segment, 2),
            "gln": identifier if qualifier == "UL" else None,
            "duns": identifier[:9] if identifier and qualifier in ("1", "9") else None,
        }
    )


def write_party(entity: str, party: PartyRef, options: MapOptions) -> list[str]:
    qualifier = options.qualifier("party_id", "92")
    return ["N1", entity, party.name or "", qualifier, options.to_partner("party", party.party_id)]


def read_warehouse(reading: Reading, blocks: Sequence[PartyBlock], gs_element: int) -> str | None:
    """Our warehouse id from N1 WH (or SF, ship from), else the warehouse's GS02/GS03 code."""
    block = block_for(blocks, reading.options.qualifier("warehouse", "WH"), "WH", "SF")
    if block is not None and block.identifier:
        reading.source("warehouse_id", block.n1[0], 4)
        return reading.options.from_partner("warehouse", block.identifier)
    code = reading.transaction.group.gs.element(gs_element).strip()
    return reading.options.from_partner("warehouse", code) if code else None


def write_warehouse(warehouse_id: str, options: MapOptions) -> list[str]:
    entity = options.qualifier("warehouse", "WH")
    qualifier = options.qualifier("warehouse_id", "91")
    return ["N1", entity, "", qualifier, options.to_partner("warehouse", warehouse_id)]


# -- carriers -------------------------------------------------------------------------


def read_carrier(
    reading: Reading, blocks: Sequence[PartyBlock], scac: str | None, service: str | None
) -> dict[str, Any] | None:
    """A CarrierRef (as a dict) from a SCAC, a routing and the N1 CA loop; None if none."""
    block = block_for(blocks, "CA")
    name = value(block.n1[1], 2) if block else None
    if scac is None and block is not None and value(block.n1[1], 3) == "2":
        scac = block.identifier
    code = scac or (block.identifier if block else None)
    if code is None:
        return None
    if block is not None:
        reading.source("carrier.name", block.n1[0], 2)
    party_id = reading.options.from_partner("carrier", code)
    return compact({"party_id": party_id, "name": name, "scac": scac, "service": service})


def write_carrier_party(carrier: CarrierRef, options: MapOptions) -> list[str]:
    if carrier.scac:
        return ["N1", "CA", carrier.name or "", "2", carrier.scac]
    return ["N1", "CA", carrier.name or "", "ZZ", options.to_partner("carrier", carrier.party_id)]


# -- items ----------------------------------------------------------------------------


def write_item_ids(item: ItemRef, options: MapOptions) -> list[tuple[str, str]]:
    """(qualifier, id) pairs for a line segment's id slots: SKU, GTIN, supplier part."""
    pairs = [(options.qualifier("sku", "VN"), item.sku)]
    if item.gtin:
        pairs.append((GTIN_QUALIFIERS[len(item.gtin)], item.gtin))
    if item.supplier_part_number:
        pairs.append((options.qualifier("supplier_part", "VP"), item.supplier_part_number))
    return pairs


def read_item(
    reading: Reading, item: Indexed, slots: Sequence[int], upc: int | None, path: str
) -> dict[str, Any]:
    """An ItemRef (as a dict) from the id slots (qualifier positions) of a line segment."""
    index, segment = item
    pairs = [(p, value(segment, p), value(segment, p + 1)) for p in slots]
    found = [(p, q, v) for p, q, v in pairs if q is not None and v is not None]
    sku_qualifier = reading.options.qualifier("sku", "VN")
    part_qualifier = reading.options.qualifier("supplier_part", "VP")
    gtin = _gtin(reading, index, found, value(segment, upc) if upc else None)
    sku = next(((p, v) for p, q, v in found if q == sku_qualifier), None)
    if sku is None and found:
        sku = (found[0][0], found[0][2])
        reading.warn(
            index, sku[0] + 1, "no_sku", f"no {sku_qualifier} item id: {sku[1]!r} is the SKU"
        )
    reading.source(f"{path}.sku", index, sku[0] + 1 if sku else None)
    part = next((v for _, q, v in found if q == part_qualifier), None)
    return compact({"sku": sku[1] if sku else None, "gtin": gtin, "supplier_part_number": part})


def _gtin(
    reading: Reading, index: int, found: Sequence[tuple[int, str, str]], upc: str | None
) -> str | None:
    for position, qualifier, code in found:
        if qualifier not in GTIN_QUALIFIERS.values():
            continue
        if len(code) in GTIN_QUALIFIERS and code.isdigit() and has_valid_check_digit(code):
            return code
        reading.warn(index, position + 1, "not_a_gtin", f"{qualifier} {code!r} is not a GTIN")
    if upc and upc.isdigit() and len(upc) == 12 and has_valid_check_digit(upc):
        return upc
    return None


def slots(pairs: Sequence[tuple[str, str]], count: int) -> list[list[str]]:
    """``count`` (qualifier, id) slots filled from ``pairs``, empty ones as ``["", ""]``."""
    filled = [list(pair) for pair in pairs[:count]]
    return filled + [["", ""]] * (count - len(filled))


def description(items: Sequence[Indexed]) -> str | None:
    """G69 pieces joined back into one description."""
    joined = "".join(segment.element(1) for _, segment in items if segment.tag == "G69").strip()
    return joined or None


def weight_unit(uom: str) -> str:
    return WEIGHT_UNITS.get(uom, uom)
