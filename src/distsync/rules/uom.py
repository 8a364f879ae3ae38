"""Units of measure in documents: a partner's quantity in the item's base unit, exactly.

A supplier ships ``2 CA``; the item master says a case holds 12 eaches; the
open PO line counts eaches: :func:`to_base` gives ``24 EA`` by multiplication
only, so the result is exact. Where the item has no conversion for the unit,
or no item master is at hand, :class:`MissingUomConversion` names the
document and the field path (``asn:SUP-ACME/ASN-1``,
``orders.0.packs.0.items.1.quantity``) so that a person knows what to fix.

Prices go the other way (per case = per each times 12): :func:`price_in`
converts a unit price to another unit of the same item.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from distsync.errors import Resolution
from distsync.model.items import Item, MissingUomConversion
from distsync.model.units import Quantity
from distsync.rules.exceptions import discard

__all__ = ["base_factor", "price_in", "to_base", "value_in"]

PRICE_PLACES = Decimal("0.000001")


def base_factor(item: Item | None, uom: str, *, sku: str, document_ref: str, field: str) -> Decimal:
    """How many base units of item ``sku`` one ``uom`` holds; raises MissingUomConversion."""
    if item is not None and uom == item.base_uom:
        return Decimal(1)
    if item is not None:
        for conversion in item.conversions:
            if conversion.uom == uom:
                return conversion.base_quantity
        known = ", ".join([item.base_uom, *(c.uom for c in item.conversions)])
        problem = f"item {sku} has no conversion from {uom} to {item.base_uom} (it knows {known})"
    else:
        problem = f"there is no item master for {sku} to convert {uom} with"
    raise _missing(problem, uom, sku=sku, document_ref=document_ref, field=field)


def to_base(quantity: Quantity, item: Item, *, document_ref: str, field: str) -> Quantity:
    """``quantity`` in ``item``'s base unit: 2 CA of a 12-per-case item is 24 EA."""
    factor = base_factor(item, quantity.uom, sku=item.sku, document_ref=document_ref, field=field)
    return Quantity(value=quantity.value * factor, uom=item.base_uom)


def value_in(
    quantity: Quantity, unit: str, item: Item | None, *, sku: str, document_ref: str, field: str
) -> Decimal:
    """How much of ``unit``, the item's base unit, ``quantity`` is (no item needed if the same).

    Raises MissingUomConversion when the units differ and ``item`` cannot
    convert, or when ``unit`` is not the item's base unit.
    """
    if quantity.uom == unit:
        return quantity.value
    if item is not None and item.base_uom != unit:
        problem = f"{unit} is not the base unit of item {sku} ({item.base_uom})"
        raise _missing(problem, unit, sku=sku, document_ref=document_ref, field=field)
    factor = base_factor(item, quantity.uom, sku=sku, document_ref=document_ref, field=field)
    return quantity.value * factor


def price_in(
    price: Decimal, per: str, unit: str, item: Item | None, *, sku: str, document_ref: str
) -> Decimal:
    """A unit price per ``per`` converted to a price per ``unit``, to six decimal places."""
    if per == unit:
        return price
    field = "unit_price"
    per_base = base_factor(item, per, sku=sku, document_ref=document_ref, field=field)
    unit_base = base_factor(item, unit, sku=sku, document_ref=document_ref, field=field)
    with localcontext() as context:
        context.prec = 40
        return (price * unit_base / per_base).quantize(PRICE_PLACES)


def _missing(
    problem: str, uom: str, *, sku: str, document_ref: str, field: str
) -> MissingUomConversion:
    return MissingUomConversion(
        f"{document_ref}: {field} is in {uom}, but {problem}",
        document_ref=document_ref,
        resolutions=(
            Resolution("add_uom_conversion", f"Add a {uom} conversion to item {sku}, then replay"),
            discard(),
        ),
        facts={"sku": sku, "uom": uom, "field": field, "problem_key": f"uom:{sku}/{uom}"},
    )
