"""The 856 structure as the map reads and writes it (segments in standard order)."""

from __future__ import annotations

from distsync.formats.x12.maps.m856_codes import PURPOSES, STRUCTURES
from distsync.formats.x12.schema import UNBOUNDED, LoopSpec, SegmentSpec, SetSpec, el, loop, seg


def _dtm(max_use: int) -> SegmentSpec:
    return seg("DTM", "date/time reference",
               el(1, "date/time qualifier", "ID", 3, 3, required=True),
               el(2, "date", "DT", 8, 8), el(3, "time", "TM", 4, 8),
               el(4, "time code", "ID", 2, 2), max_use=max_use)  # fmt: skip


def _ref(version: str, max_use: int) -> SegmentSpec:
    longest = 50 if version.startswith("005") else 30
    return seg("REF", "reference identification",
               el(1, "reference qualifier", "ID", 2, 3, required=True),
               el(2, "reference identification", "AN", 1, longest),
               max_use=max_use)  # fmt: skip


def _party_loop(version: str) -> LoopSpec:
    return loop("N1",
        seg("N1", "name", el(1, "entity identifier code", "ID", 2, 3, required=True),
            el(2, "name", "AN", 1, 60), el(3, "identification code qualifier", "ID", 1, 2),
            el(4, "identification code", "AN", 2, 80)),
        seg("N2", "additional name", el(1, "name", "AN", 1, 60, required=True), max_use=2),
        seg("N3", "address", el(1, "address", "AN", 1, 55, required=True),
            el(2, "address", "AN", 1, 55), max_use=2),
        seg("N4", "geographic location", el(1, "city", "AN", 2, 30),
            el(2, "state or province", "ID", 2, 2), el(3, "postal code", "ID", 3, 15),
            el(4, "country", "ID", 2, 3)),
        _ref(version, 12),
        seg("PER", "contact", el(1, "contact function code", "ID", 2, 2, required=True),
            el(3, "communication qualifier", "ID", 2, 2), el(4, "number", "AN", 1, 80),
            el(5, "communication qualifier", "ID", 2, 2), el(6, "number", "AN", 1, 80),
            max_use=3),
        max_use=200)  # fmt: skip


def _hl_loop(version: str) -> LoopSpec:
    return loop("HL",
        seg("HL", "hierarchical level", el(1, "hierarchical id", "AN", 1, 12, required=True),
            el(2, "parent id", "AN", 1, 12),
            el(3, "level code", "ID", 1, 2, required=True, codes=["S", "O", "T", "P", "I"]),
            el(4, "child code", "ID", 1, 1, codes=["0", "1"]), min_use=1),
        seg("LIN", "item identification", el(1, "assigned identification", "AN", 1, 20),
            el(2, "product id qualifier", "ID", 2, 2, required=True),
            el(3, "product id", "AN", 1, 48, required=True)),
        seg("SN1", "item detail (shipment)", el(1, "assigned identification", "AN", 1, 20),
            el(2, "units shipped", "R", 1, 10, required=True),
            el(3, "unit of measure", "ID", 2, 2, required=True)),
        seg("SLN", "subline item detail", el(1, "assigned identification", "AN", 1, 20,
            required=True), max_use=1000),
        seg("PRF", "purchase order reference", el(1, "purchase order number", "AN", 1, 22,
            required=True), el(4, "purchase order date", "DT", 8, 8)),
        seg("PO4", "item physical details", el(4, "packaging code", "AN", 3, 5),
            el(5, "weight qualifier", "ID", 1, 2), el(6, "gross weight per pack", "R", 1, 9),
            el(7, "unit of measure", "ID", 2, 2)),
        seg("PID", "product description", el(1, "description type", "ID", 1, 1,
            required=True), el(5, "description", "AN", 1, 80), max_use=200),
        seg("MEA", "measurements", el(1, "measurement reference", "ID", 2, 2),
            el(2, "measurement qualifier", "ID", 1, 3), el(3, "value", "R", 1, 20), max_use=40),
        seg("TD1", "carrier details (quantity and weight)", el(1, "packaging code", "AN", 3, 5),
            el(2, "lading quantity", "N0", 1, 7), el(6, "weight qualifier", "ID", 1, 2),
            el(7, "weight", "R", 1, 10), el(8, "unit of measure", "ID", 2, 2), max_use=20),
        seg("TD5", "carrier details (routing)", el(2, "identification code qualifier", "ID",
            1, 2), el(3, "identification code", "AN", 2, 80),
            el(4, "transportation method", "ID", 1, 2), el(5, "routing", "AN", 1, 35),
            el(12, "service level code", "ID", 2, 2), max_use=12),
        seg("TD3", "carrier details (equipment)", el(1, "equipment code", "ID", 2, 2),
            max_use=12),
        _ref(version, UNBOUNDED),
        seg("MAN", "marks and numbers", el(1, "marks and numbers qualifier", "ID", 1, 2,
            required=True), el(2, "marks and numbers", "AN", 1, 48, required=True),
            max_use=10),
        _dtm(10),
        _party_loop(version),
        min_use=1, max_use=200_000)  # fmt: skip


def _bsn(version: str) -> SegmentSpec:
    structure_required = version[6:] in ("VICS", "UCS")
    return seg("BSN", "beginning segment for ship notice",
               el(1, "purpose", "ID", 2, 2, required=True, codes=list(PURPOSES)),
               el(2, "shipment identification", "AN", 2, 30, required=True),
               el(3, "date", "DT", 8, 8, required=True), el(4, "time", "TM", 4, 8, required=True),
               el(5, "hierarchical structure code", "ID", 4, 4, required=structure_required,
                  codes=STRUCTURES), min_use=1)  # fmt: skip


def spec_856(version: str) -> SetSpec:
    """The 856 as this map reads and writes it, for a GS08 version."""
    body = (
        _bsn(version),
        _dtm(10),
        _hl_loop(version),
        seg("CTT", "transaction totals", el(1, "number of line items", "N0", 1, 6,
            required=True), el(2, "hash total", "R", 1, 10)),
    )  # fmt: skip
    return SetSpec("856", "Ship Notice/Manifest", body)
