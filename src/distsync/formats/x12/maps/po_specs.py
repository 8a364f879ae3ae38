"""Segment declarations the purchasing sets (850, 860, 855) share, per X12 version.

Element rules follow the 004010 and 005010 standards. Where they differ for
what these maps use: element 127 (Reference Identification: REF02, N902,
BAK08) grows from 30 to 50 characters, and element 364 (PER communication
number) from 80 to 256. Releases between the two (004030 VICS, 004060) are
held to the longer limits: a partner on them may send the longer values.

A tag the maps read is declared in every place the standard allows it
(a REF inside an SCH loop, a DTM inside a line's N1 loop), so the validator
does not take it for a segment out of sequence.
"""

from __future__ import annotations

from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.po_common import is_5010
from distsync.formats.x12.schema import UNBOUNDED, Element, LoopSpec, SegmentSpec, el, loop, seg

PURPOSES = ("00", "01", "04", "05", "06", "07", "18", "22")  # 353, in BEG01/BCH01


def reference_length(options: MapOptions) -> int:
    return 50 if is_5010(options) else 30


def ref(options: MapOptions, max_use: int = UNBOUNDED) -> SegmentSpec:
    return seg("REF", "reference identification",
               el(1, "reference identification qualifier", "ID", 2, 3, required=True),
               el(2, "reference identification", "AN", 1, reference_length(options)),
               el(3, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def per(options: MapOptions, max_use: int = 3) -> SegmentSpec:
    number = 256 if is_5010(options) else 80
    return seg("PER", "administrative communications contact",
               el(1, "contact function code", "ID", 2, 2, required=True),
               el(2, "name", "AN", 1, 60),
               *(el(p, "communication number qualifier", "ID", 2, 2) for p in (3, 5, 7)),
               *(el(p, "communication number", "AN", 1, number) for p in (4, 6, 8)),
               max_use=max_use)  # fmt: skip


def cur() -> SegmentSpec:
    return seg("CUR", "currency",
               el(1, "entity identifier code", "ID", 2, 3, required=True),
               el(2, "currency code", "ID", 3, 3, required=True))  # fmt: skip


def fob(max_use: int = UNBOUNDED) -> SegmentSpec:
    return seg("FOB", "F.O.B. related instructions",
               el(1, "shipment method of payment", "ID", 2, 2, required=True),
               el(2, "location qualifier", "ID", 1, 2),
               el(3, "description", "AN", 1, 80),
               el(4, "transportation terms qualifier code", "ID", 2, 2),
               el(5, "transportation terms code", "ID", 3, 3),
               max_use=max_use)  # fmt: skip


def itd(max_use: int = UNBOUNDED) -> SegmentSpec:
    return seg("ITD", "terms of sale/deferred terms of sale",
               el(1, "terms type code", "ID", 2, 2),
               el(2, "terms basis date code", "ID", 1, 2),
               el(3, "terms discount percent", "R", 1, 6),
               el(4, "terms discount due date", "DT", 8, 8),
               el(5, "terms discount days due", "N0", 1, 3),
               el(6, "terms net due date", "DT", 8, 8),
               el(7, "terms net days", "N0", 1, 3),
               el(12, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def dtm(max_use: int = 10) -> SegmentSpec:
    return seg("DTM", "date/time reference",
               el(1, "date/time qualifier", "ID", 3, 3, required=True),
               el(2, "date", "DT", 8, 8),
               el(3, "time", "TM", 4, 8),
               el(4, "time code", "ID", 2, 2),
               max_use=max_use)  # fmt: skip


def td5(max_use: int = 12) -> SegmentSpec:
    return seg("TD5", "carrier details (routing sequence/transit time)",
               el(1, "routing sequence code", "ID", 1, 2),
               el(2, "identification code qualifier", "ID", 1, 2),
               el(3, "identification code", "AN", 2, 80),
               el(5, "routing", "AN", 1, 35),
               max_use=max_use)  # fmt: skip


def pid(max_use: int = 1) -> SegmentSpec:
    return seg("PID", "product/item description",
               el(1, "item description type", "ID", 1, 1, required=True),
               el(5, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def ctp() -> SegmentSpec:
    return seg("CTP", "pricing information",
               el(2, "price identifier code", "ID", 3, 3),
               el(3, "unit price", "R", 1, 17))  # fmt: skip


def sac() -> SegmentSpec:
    return seg("SAC", "service, promotion, allowance, or charge information",
               el(1, "allowance or charge indicator", "ID", 1, 1, required=True))  # fmt: skip


def amt(max_use: int = 1) -> SegmentSpec:
    return seg("AMT", "monetary amount",
               el(1, "amount qualifier code", "ID", 1, 3, required=True),
               el(2, "monetary amount", "R", 1, 18, required=True),
               max_use=max_use)  # fmt: skip


def po4() -> SegmentSpec:
    return seg("PO4", "item physical details",
               el(1, "pack", "N0", 1, 6),
               el(2, "size", "R", 1, 8),
               el(3, "unit or basis for measurement code", "ID", 2, 2),
               max_use=UNBOUNDED)  # fmt: skip


def notes(options: MapOptions, max_use: int = 1000) -> LoopSpec:
    """The N9 loop: a reference and free-form message lines (MSG)."""
    return loop("N9",
                seg("N9", "reference identification",
                    el(1, "reference identification qualifier", "ID", 2, 3, required=True),
                    el(2, "reference identification", "AN", 1, reference_length(options)),
                    el(3, "free-form description", "AN", 1, 45),
                    min_use=1),
                dtm(),
                seg("MSG", "message text",
                    el(1, "free-form message text", "AN", 1, 264, required=True),
                    el(2, "printer carriage control code", "ID", 2, 2),
                    max_use=1000),
                max_use=max_use)  # fmt: skip


def n1_segments(options: MapOptions) -> tuple[SegmentSpec, ...]:
    return (
        seg("N1", "party identification",
            el(1, "entity identifier code", "ID", 2, 3, required=True),
            el(2, "name", "AN", 1, 60),
            el(3, "identification code qualifier", "ID", 1, 2),
            el(4, "identification code", "AN", 2, 80),
            min_use=1),
        seg("N2", "additional name information",
            el(1, "name", "AN", 1, 60, required=True), max_use=2),
        seg("N3", "party location",
            el(1, "address information", "AN", 1, 55, required=True),
            el(2, "address information", "AN", 1, 55), max_use=2),
        seg("N4", "geographic location",
            el(1, "city name", "AN", 2, 30),
            el(2, "state or province code", "ID", 2, 2),
            el(3, "postal code", "ID", 3, 15),
            el(4, "country code", "ID", 2, 3), max_use=UNBOUNDED),
        ref(options, 12),
        per(options),
    )  # fmt: skip


def parties(options: MapOptions) -> LoopSpec:
    """The header N1 loop."""
    return loop("N1", *n1_segments(options), fob(1), td5(), max_use=200)


def line_parties(options: MapOptions) -> LoopSpec:
    """A line's N1 loop (its own ship-to)."""
    return loop("N1", *n1_segments(options), dtm(1), fob(1), td5(), max_use=200)


def header_charges() -> LoopSpec:
    return loop("SAC", sac(), cur(), max_use=25)


def line_charges() -> LoopSpec:
    return loop("SAC", sac(), cur(), ctp(), max_use=25)


def line_prices() -> LoopSpec:
    return loop("CTP", ctp(), cur())


def schedules(options: MapOptions) -> LoopSpec:
    return loop("SCH", seg("SCH", "line item schedule", min_use=1), td5(), ref(options),
                max_use=200)  # fmt: skip


def header_amounts(options: MapOptions) -> LoopSpec:
    return loop("AMT", amt(), ref(options), dtm(1))


def line_amounts(options: MapOptions) -> LoopSpec:
    return loop("AMT", amt(), ref(options, 1))


def totals() -> LoopSpec:
    return loop("CTT",
                seg("CTT", "transaction totals",
                    el(1, "number of line items", "N0", 1, 6, required=True),
                    el(2, "hash total", "R", 1, 10),
                    min_use=1),
                amt(),
                max_use=1)  # fmt: skip


def product_id_elements(first: int, pairs: int) -> tuple[Element, ...]:
    """Qualifier/value element pairs starting at ``first``."""
    out = []
    for k in range(pairs):
        position = first + 2 * k
        out.append(el(position, "product/service id qualifier", "ID", 2, 2))
        out.append(el(position + 1, "product/service id", "AN", 1, 48))
    return tuple(out)
