"""Items (the things we buy, stock and sell), their units and conversions.

An item counts in its base unit (``EA``) and lists how many base units each
other unit holds (``1 CA = 12 EA``, ``1 PL = 960 EA``). :meth:`Item.to_base`
turns any quantity of the item into base units with exact decimal arithmetic;
a unit the item does not know raises :class:`MissingUomConversion`, a
business exception that a person resolves by adding the conversion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Self

from pydantic import Field, model_validator

from distsync.errors import BusinessException, Resolution
from distsync.model.base import (
    Canonical,
    DecimalValue,
    Document,
    DocumentNumber,
    Many,
    Name,
    Text,
    duplicates,
)
from distsync.model.identifiers import GTIN
from distsync.model.parties import PartnerIds
from distsync.model.units import Quantity, UnitOfMeasure

__all__ = ["Item", "ItemRef", "MissingUomConversion", "Sku", "UomConversion"]

Sku = DocumentNumber
"""Our stock-keeping unit: the item's identity everywhere in distsync."""


class MissingUomConversion(BusinessException):
    """A quantity is in a unit the item has no conversion for."""

    reason_code = "missing_uom_conversion"


class ItemRef(Canonical):
    """An item as a document line names it: our SKU and the partner's identifiers."""

    sku: Sku
    supplier_part_number: DocumentNumber | None = None
    gtin: GTIN | None = None
    description: Text | None = None


class UomConversion(Canonical):
    """How many base units one ``uom`` holds: ``uom="CA", base_quantity=12``."""

    uom: UnitOfMeasure
    base_quantity: DecimalValue = Field(gt=0)
    gtin: GTIN | None = None


class Item(Document):
    """An item master record (event ``item.changed``)."""

    number_field: ClassVar[str] = "sku"
    kind: ClassVar[str] = "item"

    sku: Sku
    gtin: GTIN | None = None
    description: Text
    brand: Name | None = None
    base_uom: UnitOfMeasure
    conversions: Many[UomConversion] = ()
    net_weight: Quantity | None = None
    partner_ids: PartnerIds = Field(default_factory=dict)
    lot_controlled: bool = False
    serial_controlled: bool = False
    shelf_life_days: int | None = Field(default=None, ge=1)
    active: bool = True

    @model_validator(mode="after")
    def _conversions_are_distinct(self) -> Self:
        units = [conversion.uom for conversion in self.conversions]
        if self.base_uom in units:
            raise ValueError(f"{self.describe()}: conversions lists the base unit {self.base_uom}")
        repeated = duplicates(units)
        if repeated:
            raise ValueError(f"{self.describe()}: conversions lists {repeated[0]} twice")
        return self

    def base_quantity_per(self, uom: str) -> Decimal:
        """How many base units one ``uom`` holds; raises MissingUomConversion."""
        if uom == self.base_uom:
            return Decimal(1)
        for conversion in self.conversions:
            if conversion.uom == uom:
                return conversion.base_quantity
        known = ", ".join([self.base_uom, *(c.uom for c in self.conversions)])
        raise MissingUomConversion(
            f"item {self.sku} has no conversion from {uom} to its base unit "
            f"{self.base_uom} (it knows {known})",
            document_ref=f"item:{self.sku}",
            resolutions=(
                Resolution("add_uom_conversion", f"Add a {uom} conversion to item {self.sku}"),
                Resolution("discard", "Discard the message, with a reason", ("reason",)),
            ),
            facts={"sku": self.sku, "uom": uom, "base_uom": self.base_uom},
        )

    def to_base(self, quantity: Quantity) -> Quantity:
        """``quantity`` in the item's base unit: 12 CA of a 12-per-case item is 144 EA."""
        factor = self.base_quantity_per(quantity.uom)
        return Quantity(value=quantity.value * factor, uom=self.base_uom)

    def reference(self) -> ItemRef:
        """How document lines name this item."""
        return ItemRef(sku=self.sku, gtin=self.gtin, description=self.description)
