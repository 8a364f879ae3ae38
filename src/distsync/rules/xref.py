"""A partner's cross-reference: its item numbers and unit codes in our terms.

The flow passes whatever holds a partner's cross-reference (the store's
repository, a CSV loaded at start-up) as a :class:`PartnerXref`: two look-ups
that answer None when the partner's code is not mapped. :class:`MappingXref`
is the plain-dictionary one, for tests and benchmarks.

How a document line's item becomes our SKU (:func:`resolve_sku`), first hit wins:

1. the partner's part number (``supplier_part_number``) through the cross-reference;
2. the line's ``sku`` through the cross-reference (a partner that sends only
   its own number lands it in ``sku``);
3. the line's ``sku`` itself, when we know it as one of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

from distsync.model.items import ItemRef

__all__ = ["MappingXref", "PartnerXref", "partner_sku", "resolve_sku"]


class PartnerXref(Protocol):
    """One partner's cross-reference, as the rules read it."""

    def our_sku(self, partner_sku: str) -> str | None:
        """Our SKU for the partner's item number, if mapped."""
        ...

    def our_uom(self, partner_uom: str) -> str | None:
        """Our unit code for the partner's unit code, if mapped (``CT`` -> ``CA``)."""
        ...

    def pack_factor(self, partner_sku: str, partner_uom: str) -> Decimal | None:
        """How many of our item's base unit one ``partner_uom`` of the partner's item holds,
        when its mapping says so (ACME sells ``HB-M8`` by the ``CS`` of 10): this partner's
        pack, which may differ from the case in our item master."""
        ...


@dataclass(frozen=True)
class MappingXref:
    """A cross-reference held in dictionaries: partner SKU -> SKU, partner unit -> unit,
    and (partner SKU, partner unit) -> base units per pack."""

    skus: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    uoms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    packs: Mapping[tuple[str, str], Decimal] = field(default_factory=lambda: MappingProxyType({}))

    def our_sku(self, partner_sku: str) -> str | None:
        """Our SKU for the partner's item number, if mapped."""
        return self.skus.get(partner_sku)

    def our_uom(self, partner_uom: str) -> str | None:
        """Our unit code for the partner's unit code, if mapped."""
        return self.uoms.get(partner_uom)

    def pack_factor(self, partner_sku: str, partner_uom: str) -> Decimal | None:
        """Base units per pack of the partner's item in that unit, if mapped."""
        return self.packs.get((partner_sku, partner_uom))


def partner_sku(ref: ItemRef) -> str:
    """The partner's own number for the item: its part number, else what it sent as SKU."""
    return ref.supplier_part_number or ref.sku


def resolve_sku(ref: ItemRef, xref: PartnerXref, known: Callable[[str], bool]) -> str | None:
    """Our SKU for a partner's item reference, or None when nothing maps it."""
    if ref.supplier_part_number is not None:
        mapped = xref.our_sku(ref.supplier_part_number)
        if mapped is not None:
            return mapped
    mapped = xref.our_sku(ref.sku)
    if mapped is not None:
        return mapped
    return ref.sku if known(ref.sku) else None
