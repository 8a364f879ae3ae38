"""X12 846 Inventory Inquiry/Advice ↔ canonical ``InventorySnapshot`` (group IB), 004010 and 005010.

The event behind it is ``inventory.snapshot_received``: one warehouse's stock at
one moment, one ``InventoryBalance`` per LIN loop. What the map reads and
writes (``options`` names a partner's variation):

=====================  ================================================================
segment                canonical field
=====================  ================================================================
BIA01                  ``complete``: the purpose code of option ``complete_purpose``
                       (default 05, replace: the report replaces all stock we hold of
                       the warehouse); anything else (00 original, 25 incremental) is
                       a partial snapshot. Written 05 or 00.
BIA02                  written DD, distributor inventory report (option
                       ``report_type``); read, not kept
BIA03                  ``snapshot_id``
BIA04 / BIA05          ``as_of`` (written in UTC, HHMM or HHMMSS), unless a header
                       DTM*007 (option ``as_of``) gives it, with its DTM04 time zone
N1 loop                ``warehouse_id``: N104 of the N1 whose N101 is WH (option
                       ``warehouse``), else SF, SE, SU, VN, through code list
                       ``warehouse``; else the ISA sender (with a warning)
LIN loop               one balance: ``sku`` from the product ids (option ``sku``:
                       read BP, then IN, SK, VP, VN, UP, EN, UK, then the first;
                       written SK); REF*LT ``lot``, REF*LU ``location_id`` (option
                       ``location``); DTM*007 the balance's own ``as_of``
QTY loop               QTY01 17 ``on_hand``, 27 (committed) ``allocated`` (0 when
                       absent), 33 ``available`` (34, non-committed on shelf, read
                       too); the unit from QTY03, else the loop's UIT, else the
                       LIN's UIT, else EA (code list ``uom``). A report of
                       availability only (no 17) has that much on hand, none
                       allocated. Other quantities (on order 63, ...) are not kept.
CTT01                  the number of LIN loops (a mismatch is a warning)
=====================  ================================================================

Versions: 005010 carries longer references (BIA03 and REF02 up to 50).
CUR, PID, CTP, SAC, LDT, SCH and the LIN's own N1 loop are read and checked,
not kept: the snapshot has no prices or schedules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel

from distsync.errors import SchemaViolation
from distsync.formats.x12.envelope import TransactionSet
from distsync.formats.x12.maps.base import (
    MapOptions,
    MapResult,
    fields,
    format_date,
    format_decimal,
)
from distsync.formats.x12.maps.helpers_810_846 import (
    assigned_qualifier,
    base_version,
    finish,
    model_of,
    sent_version,
)
from distsync.formats.x12.maps.m846_read import (
    ALLOCATED,
    AVAILABLE,
    ON_HAND,
    SnapshotReading,
    complete_purpose,
)
from distsync.formats.x12.problems import Severity
from distsync.formats.x12.schema import UNBOUNDED, SegmentSpec, SetSpec, Usage, el, loop, seg
from distsync.formats.x12.validate import validate
from distsync.formats.x12.writer import Fields
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.units import Quantity

__all__ = ["INVENTORY_846", "InventoryAdvice846"]

PARTIAL_PURPOSE = "00"


def _ref(length: int, max_use: int) -> SegmentSpec:
    return seg("REF", "reference",
               el(1, "qualifier", "ID", 2, 3, required=True),
               el(2, "reference", "AN", 1, length), el(3, "description", "AN", 1, 80),
               max_use=max_use)  # fmt: skip


def _party_loop(reference: int, max_use: int) -> Usage:
    return loop("N1",
                seg("N1", "party", el(1, "entity identifier", "ID", 2, 3, required=True),
                    el(2, "name", "AN", 1, 60), el(3, "id qualifier", "ID", 1, 2),
                    el(4, "identification code", "AN", 2, 80)),
                seg("N2", "additional name", max_use=2), seg("N3", "address", max_use=2),
                seg("N4", "geographic location"), _ref(reference, 12),
                seg("PER", "contact", max_use=3),
                max_use=max_use)  # fmt: skip


def spec_846(options: MapOptions) -> SetSpec:
    """The 846 as this map reads and writes it, for the options' version."""
    reference = 30 if base_version(options) == "004010" else 50
    body = (
        seg("BIA", "beginning of inventory advice",
            el(1, "purpose", "ID", 2, 2, required=True),
            el(2, "report type", "ID", 2, 2, required=True),
            el(3, "reference", "AN", 1, reference, required=True),
            el(4, "date", "DT", 8, 8, required=True), el(5, "time", "TM", 4, 8),
            el(6, "action", "ID", 1, 2), min_use=1),
        seg("CUR", "currency"), _dtm(), _ref(reference, 12), seg("PER", "contact", max_use=3),
        seg("MEA", "measurements", max_use=20), _party_loop(reference, 5),
        _item_loop(reference),
        seg("CTT", "transaction totals",
            el(1, "number of line items", "N0", 1, 6, required=True)),
    )  # fmt: skip
    return options.adjust(SetSpec("846", "Inventory Inquiry/Advice", body))


def _dtm() -> SegmentSpec:
    return seg("DTM", "date", el(1, "qualifier", "ID", 3, 3, required=True),
               el(2, "date", "DT", 8, 8), el(3, "time", "TM", 4, 8),
               el(4, "time code", "ID", 2, 2), max_use=10)  # fmt: skip


def _item_loop(reference: int) -> Usage:
    uit = seg("UIT", "unit detail", el(1, "unit", "ID", 2, 2, required=True), max_use=12)
    pairs = [el(p, "product id qualifier" if p % 2 == 0 else "product id",
                "ID" if p % 2 == 0 else "AN", 2 if p % 2 == 0 else 1, 2 if p % 2 == 0 else 48)
             for p in range(4, 32)]  # fmt: skip
    quantity = loop("QTY",
        seg("QTY", "quantity", el(1, "qualifier", "ID", 2, 2, required=True),
            el(2, "quantity", "R", 1, 15), el(3, "unit", "ID", 2, 2)),
        uit, seg("MEA", "measurements", max_use=25), seg("LDT", "lead time", max_use=12), _dtm(),
        loop("SCH", seg("SCH", "schedule"), seg("MEA", "measurements", max_use=25), max_use=25),
        max_use=99)  # fmt: skip
    return loop("LIN",
        seg("LIN", "item identification", el(1, "line number", "AN", 1, 20),
            el(2, "product id qualifier", "ID", 2, 2, required=True),
            el(3, "product id", "AN", 1, 48, required=True), *pairs),
        seg("PID", "description", max_use=200), seg("MEA", "measurements", max_use=40),
        seg("PKG", "packaging", max_use=25), _dtm(), seg("CTP", "pricing", max_use=25),
        seg("CUR", "currency"), seg("SAC", "charge or allowance", max_use=25),
        _ref(reference, UNBOUNDED), seg("PER", "contact", max_use=3),
        seg("SDQ", "destination quantity", max_use=500), seg("MAN", "marks and numbers"),
        uit, seg("LDT", "lead time", max_use=12), quantity, _party_loop(reference, 200),
        min_use=1, max_use=10_000)  # fmt: skip


class InventoryAdvice846:
    """The 846 map: reads and writes ``InventorySnapshot``."""

    set_id: ClassVar[str] = "846"
    map_version: ClassVar[str] = "1"
    functional_id: ClassVar[str] = "IB"
    document: ClassVar[type[BaseModel]] = InventorySnapshot

    def spec(self, options: MapOptions) -> SetSpec:
        return spec_846(options)

    def read(self, transaction: TransactionSet, options: MapOptions) -> MapResult:
        options = sent_version(transaction, options)
        spec = self.spec(options)
        problems = validate(transaction, spec)
        if any(p.severity is Severity.ERROR for p in problems):
            return MapResult(None, problems)
        reading = SnapshotReading(transaction, spec, options)
        snapshot = reading.snapshot()
        problems += reading.problems.found
        return MapResult(None if reading.problems.has_errors else snapshot, problems)

    def write(self, document: BaseModel, options: MapOptions) -> Sequence[Fields]:
        snapshot = model_of(document, InventorySnapshot, "846")
        if not snapshot.balances:
            raise SchemaViolation(f"writing {snapshot.describe()}: an 846 needs at least one item")
        purpose = complete_purpose(options) if snapshot.complete else PARTIAL_PURPOSE
        blocks = [
            [fields("BIA", purpose, options.qualifier("report_type", "DD"), snapshot.snapshot_id,
                    *_date_time(snapshot.as_of))],
            [fields("N1", options.qualifier("warehouse", "WH"), None, assigned_qualifier(options),
                    options.to_partner("warehouse", snapshot.warehouse_id))],
            *(_balance(balance, snapshot.as_of, options) for balance in snapshot.balances),
            [fields("CTT", len(snapshot.balances))],
        ]  # fmt: skip
        return finish(blocks, self.spec(options), options, snapshot.describe())


def _balance(balance: InventoryBalance, as_of: datetime, options: MapOptions) -> list[list[str]]:
    segments = [fields("LIN", None, options.qualifier("sku", "SK"), balance.sku)]
    if balance.as_of != as_of:
        qualifier = options.qualifier("as_of", "007")
        segments.append(fields("DTM", qualifier, *_date_time(balance.as_of), "UT"))
    if balance.lot is not None:
        segments.append(fields("REF", "LT", balance.lot))
    if balance.location_id is not None:
        segments.append(fields("REF", options.qualifier("location", "LU"), balance.location_id))
    segments.append(_quantity(ON_HAND, balance.on_hand, options))
    if balance.allocated.value != 0:
        segments.append(_quantity(ALLOCATED, balance.allocated, options))
    if balance.available is not None:
        segments.append(_quantity(AVAILABLE, balance.available, options))
    return segments


def _quantity(qualifier: str, quantity: Quantity, options: MapOptions) -> list[str]:
    unit = options.to_partner("uom", quantity.uom)
    return fields("QTY", qualifier, format_decimal(quantity.value), unit)


def _date_time(moment: datetime) -> tuple[str, str]:
    """Date and time in UTC; seconds only when there are some (X12 carries no microseconds)."""
    utc = moment.astimezone(UTC)
    return format_date(utc.date()), utc.strftime("%H%M%S" if utc.second else "%H%M")


INVENTORY_846 = InventoryAdvice846()
