"""Purchase orders (X12 850/860) and the supplier's acknowledgement (X12 855).

A purchase order is identified by its number and changes by revision: the
ERP confirms revision 0, every change is a new revision with the whole order
(event ``purchase_order.revised``), so a consumer never merges partial
updates. An acknowledgement answers one revision, line by line.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    Name,
    Text,
)
from distsync.model.checks import (
    line_path,
    require_currency,
    require_distinct_line_numbers,
    require_not_before,
    require_positive,
)
from distsync.model.items import ItemRef
from distsync.model.money import CurrencyCode, Money
from distsync.model.parties import Address, PartyRef
from distsync.model.units import Quantity

__all__ = [
    "AckLine",
    "AckLineStatus",
    "AckStatus",
    "PoAcknowledgement",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
]


class PurchaseOrderStatus(StrEnum):
    """Where a purchase order is in its life."""

    CONFIRMED = "confirmed"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PurchaseOrderLine(Canonical):
    """One ordered item; ``unit_price`` is per one ``quantity.uom``.

    ``ship_to_warehouse_id`` overrides the order's when set.
    """

    line_number: LineNumber
    item: ItemRef
    quantity: Quantity
    unit_price: Money
    requested_delivery_date: date
    ship_to_warehouse_id: Code | None = None

    def amount(self) -> Decimal:
        """Quantity times unit price, exact (not rounded to the currency)."""
        return self.quantity.value * self.unit_price.amount


class PurchaseOrder(Document):
    """A purchase order revision sent to a supplier (events ``purchase_order.*``)."""

    number_field: ClassVar[str] = "po_number"
    kind: ClassVar[str] = "purchase order"

    po_number: DocumentNumber
    revision: int = Field(ge=0)
    status: PurchaseOrderStatus
    order_date: date
    issued_at: AwareDatetime
    buyer: PartyRef
    supplier: PartyRef
    ship_to_warehouse_id: Code
    ship_to: Address | None = None
    currency: CurrencyCode
    payment_terms: Name | None = None
    incoterm: Code | None = None
    note: Text | None = None
    lines: Many[PurchaseOrderLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _lines_are_consistent(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        require_currency(
            self,
            self.currency,
            [
                (line_path(i, line, "unit_price"), line.unit_price)
                for i, line in enumerate(self.lines)
            ],
        )
        for index, line in enumerate(self.lines):
            require_positive(self, line_path(index, line, "quantity"), line.quantity)
            require_not_before(
                self,
                (line_path(index, line, "requested_delivery_date"), line.requested_delivery_date),
                ("order_date", self.order_date),
            )
        return self

    def line(self, line_number: int) -> PurchaseOrderLine | None:
        """The line with this number, if the order has it."""
        return next((line for line in self.lines if line.line_number == line_number), None)

    def ship_to_warehouse_of(self, line: PurchaseOrderLine) -> str:
        """The warehouse a line is delivered to."""
        return line.ship_to_warehouse_id or self.ship_to_warehouse_id

    def total(self) -> Money:
        """The sum of the lines' amounts, exact."""
        amount = sum((line.amount() for line in self.lines), Decimal(0))
        return Money(amount=amount, currency=self.currency)


class AckStatus(StrEnum):
    """The supplier's answer to the whole order (X12 855 BAK02)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_CHANGES = "accepted_with_changes"
    REJECTED = "rejected"


class AckLineStatus(StrEnum):
    """The supplier's answer to one line (X12 855 ACK01)."""

    ACCEPTED = "accepted"
    CHANGED = "changed"
    REJECTED = "rejected"
    BACKORDERED = "backordered"
    SUBSTITUTED = "substituted"


_QUANTITY_DATE_PRICE = frozenset(
    {"changed_quantity", "changed_delivery_date", "changed_unit_price"}
)
_ALLOWED_CHANGES: dict[AckLineStatus, frozenset[str]] = {
    AckLineStatus.ACCEPTED: frozenset(),
    AckLineStatus.REJECTED: frozenset(),
    AckLineStatus.CHANGED: _QUANTITY_DATE_PRICE,
    AckLineStatus.BACKORDERED: frozenset({"changed_quantity", "changed_delivery_date"}),
    AckLineStatus.SUBSTITUTED: _QUANTITY_DATE_PRICE | {"substitute_item"},
}
# A status in this table needs at least one of its fields.
_REQUIRED_CHANGES: dict[AckLineStatus, frozenset[str]] = {
    AckLineStatus.CHANGED: _QUANTITY_DATE_PRICE,
    AckLineStatus.BACKORDERED: frozenset({"changed_delivery_date"}),
    AckLineStatus.SUBSTITUTED: frozenset({"substitute_item"}),
}


class AckLine(Canonical):
    """The supplier's answer to one purchase order line.

    Which ``changed_*`` fields a line may or must carry depends on its status:

    =============  ==========================================  ===========================
    status         must set                                    may set
    =============  ==========================================  ===========================
    accepted       nothing                                     nothing
    rejected       nothing                                     nothing (``reason`` helps)
    changed        one of quantity, delivery date, unit price  all three
    backordered    ``changed_delivery_date``                   ``changed_quantity``
    substituted    ``substitute_item``                         quantity, date, price
    =============  ==========================================  ===========================
    """

    line_number: LineNumber
    item: ItemRef
    status: AckLineStatus
    changed_quantity: Quantity | None = None
    changed_delivery_date: date | None = None
    changed_unit_price: Money | None = None
    substitute_item: ItemRef | None = None
    reason: Text | None = None

    def change_fields(self) -> set[str]:
        """The change fields this line sets."""
        fields = _ALLOWED_CHANGES[AckLineStatus.SUBSTITUTED]
        return {name for name in fields if getattr(self, name) is not None}

    def problem(self) -> str | None:
        """What is wrong with this line's fields for its status, if anything."""
        present = self.change_fields()
        unexpected = sorted(present - _ALLOWED_CHANGES[self.status])
        if unexpected:
            return f"is {self.status} but sets {', '.join(unexpected)}"
        required = _REQUIRED_CHANGES.get(self.status)
        if required and not present & required:
            return f"is {self.status} but sets none of {', '.join(sorted(required))}"
        return None


class PoAcknowledgement(Document):
    """A supplier's acknowledgement of a purchase order revision (event ``po_ack.received``)."""

    number_field: ClassVar[str] = "po_number"
    kind: ClassVar[str] = "acknowledgement of purchase order"

    po_number: DocumentNumber
    po_revision: int | None = Field(default=None, ge=0)
    ack_number: DocumentNumber | None = None
    acknowledged_at: AwareDatetime
    supplier: PartyRef
    status: AckStatus
    lines: Many[AckLine] = ()

    @model_validator(mode="after")
    def _lines_fit_their_status(self) -> Self:
        require_distinct_line_numbers(self, self.lines)
        for index, line in enumerate(self.lines):
            problem = line.problem()
            if problem:
                raise ValueError(f"{self.describe()}: {line_path(index, line)} {problem}")
            if line.changed_quantity is not None:
                path = line_path(index, line, "changed_quantity")
                require_positive(self, path, line.changed_quantity)
        return self

    @model_validator(mode="after")
    def _header_agrees_with_lines(self) -> Self:
        if self.lines and self.status is not AckStatus.ACCEPTED_WITH_CHANGES:
            wanted = AckLineStatus(self.status.value)
            for index, line in enumerate(self.lines):
                if line.status is not wanted:
                    raise ValueError(
                        f"{self.describe()}: status is {self.status} but "
                        f"{line_path(index, line, 'status')} is {line.status}"
                    )
        return self

    @staticmethod
    def status_for(lines: Sequence[AckLine]) -> AckStatus:
        """The header status that lines call for: all accepted, all rejected, or mixed."""
        statuses = {line.status for line in lines}
        if statuses <= {AckLineStatus.ACCEPTED}:
            return AckStatus.ACCEPTED
        if statuses == {AckLineStatus.REJECTED}:
            return AckStatus.REJECTED
        return AckStatus.ACCEPTED_WITH_CHANGES
