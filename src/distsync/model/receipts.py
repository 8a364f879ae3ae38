"""Warehouse receipts (X12 944, WMS receiving webhooks): what actually arrived.

A receipt line says how much of an item was received, in which condition,
with which lots, serial numbers and expiry; ``damaged_quantity`` is the part of
``received_quantity`` that arrived damaged (so the good part is the
difference). The purchase order and notice references let the procure flow
match receipt, notice and order.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, model_validator

from distsync.model.base import (
    AwareDatetime,
    Canonical,
    Code,
    Document,
    DocumentNumber,
    LineNumber,
    Many,
    Text,
    duplicates,
)
from distsync.model.checks import (
    line_path,
    require_distinct_line_numbers,
    require_positive,
    require_same_unit,
)
from distsync.model.identifiers import SSCC
from distsync.model.items import ItemRef
from distsync.model.parties import PartyRef
from distsync.model.units import Quantity

__all__ = ["Receipt", "ReceiptCondition", "ReceiptLine"]


class ReceiptCondition(StrEnum):
    """The state of received goods as the warehouse booked them."""

    GOOD = "good"
    DAMAGED = "damaged"
    QUARANTINED = "quarantined"


class ReceiptLine(Canonical):
    """One received item, lot and condition.

    ``damaged_quantity`` is the damaged part of ``received_quantity``, in the same unit.
    """

    line_number: LineNumber
    po_number: DocumentNumber | None = None
    po_line_number: LineNumber | None = None
    item: ItemRef
    received_quantity: Quantity
    damaged_quantity: Quantity | None = None
    condition: ReceiptCondition = ReceiptCondition.GOOD
    lot: DocumentNumber | None = None
    serial_numbers: Many[DocumentNumber] = ()
    expiry_date: date | None = None
    sscc: SSCC | None = None
    location_id: Code | None = None
    note: Text | None = None

    def good_quantity(self) -> Quantity:
        """What arrived undamaged."""
        damaged = self.damaged_quantity.value if self.damaged_quantity else Decimal(0)
        return Quantity(
            value=self.received_quantity.value - damaged, uom=self.received_quantity.uom
        )


class Receipt(Document):
    """A warehouse receipt (events ``receipt.recorded``, ``inventory.received``)."""

    number_field: ClassVar[str] = "receipt_number"
    kind: ClassVar[str] = "receipt"

    receipt_number: DocumentNumber
    warehouse_id: Code
    received_at: AwareDatetime
    supplier: PartyRef | None = None
    asn_number: DocumentNumber | None = None
    po_number: DocumentNumber | None = None
    lines: Many[ReceiptLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_are_sound(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        for index, line in enumerate(self.lines):
            require_positive(
                self, line_path(index, line, "received_quantity"), line.received_quantity
            )
            self._check_damage(index, line)
        serials = [serial for line in self.lines for serial in line.serial_numbers]
        repeated = duplicates(serials)
        if repeated:
            raise ValueError(f"{self.describe()}: serial number {repeated[0]} appears twice")
        return self

    def _check_damage(self, index: int, line: ReceiptLine) -> None:
        if line.damaged_quantity is None:
            return
        path = line_path(index, line, "damaged_quantity")
        require_same_unit(self, path, line.damaged_quantity, line.received_quantity.uom)
        damaged, received = line.damaged_quantity.value, line.received_quantity.value
        if not 0 <= damaged <= received:
            raise ValueError(
                f"{self.describe()}: {path} ({damaged}) must lie between 0 and the "
                f"received quantity ({received})"
            )
        if damaged > 0 and line.condition is ReceiptCondition.GOOD:
            raise ValueError(
                f"{self.describe()}: {line_path(index, line, 'condition')} is good "
                f"but damaged_quantity is {damaged}"
            )

    def po_numbers(self) -> list[str]:
        """Every purchase order this receipt refers to, header first, without repeats."""
        numbers = [self.po_number, *(line.po_number for line in self.lines)]
        return list(dict.fromkeys(number for number in numbers if number is not None))
