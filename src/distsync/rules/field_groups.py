"""Field groups: which part of an item, party or warehouse each field belongs to.

The landscape's ``ownership:`` section names owners per object and field
group (``item.content: pim``); this table says which fields make up a group,
so an update can be governed by what it really changes:

========== ============ ==========================================================
object     field group  fields
========== ============ ==========================================================
item       identity     sku, gtin, partner_ids
item       content      description, brand
item       logistics    base_uom, conversions, net_weight, lot_controlled,
                        serial_controlled, shelf_life_days
item       status       active
party      identity     party_id, gln, duns, scac, partner_ids
party      content      name
party      roles        roles
party      addresses    addresses
party      financial    tax_id
party      status       active
warehouse  identity     warehouse_id, gln, partner_ids
warehouse  content      name
warehouse  address      address, time_zone
warehouse  operations   managed_by, locations
warehouse  status       active
========== ============ ==========================================================

An item carries no costs or prices: those travel as ``price.changed``
documents, so ``item.financial`` governs no field of an item. Fields are
compared in their JSON form, the form the reference cache hashes, so "changed"
means the same here and there. A field missing from the table (a new model
field nobody classified yet) falls into the group ``other``, which only the
whole object's owner (``item: erp``) or nobody owns.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from distsync.model.base import Document

__all__ = ["FIELD_GROUPS", "UNCLASSIFIED", "changed_fields", "field_group", "touched_groups"]

UNCLASSIFIED = "other"


def _table(groups: Mapping[str, tuple[str, ...]]) -> Mapping[str, str]:
    return MappingProxyType({field: group for group, fields in groups.items() for field in fields})


FIELD_GROUPS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "item": _table(
            {
                "identity": ("sku", "gtin", "partner_ids"),
                "content": ("description", "brand"),
                "logistics": (
                    "base_uom",
                    "conversions",
                    "net_weight",
                    "lot_controlled",
                    "serial_controlled",
                    "shelf_life_days",
                ),
                "status": ("active",),
            }
        ),
        "party": _table(
            {
                "identity": ("party_id", "gln", "duns", "scac", "partner_ids"),
                "content": ("name",),
                "roles": ("roles",),
                "addresses": ("addresses",),
                "financial": ("tax_id",),
                "status": ("active",),
            }
        ),
        "warehouse": _table(
            {
                "identity": ("warehouse_id", "gln", "partner_ids"),
                "content": ("name",),
                "address": ("address", "time_zone"),
                "operations": ("managed_by", "locations"),
                "status": ("active",),
            }
        ),
    }
)
"""Per object type (the model's ``kind``), field name -> field group."""


def field_group(object_type: str, field: str) -> str:
    """The group ``field`` of ``object_type`` belongs to; ``other`` when unclassified."""
    return FIELD_GROUPS.get(object_type, {}).get(field, UNCLASSIFIED)


def changed_fields(old: Document | None, new: Document) -> tuple[str, ...]:
    """The fields whose JSON form differs, in model order; every field when ``old`` is None."""
    after = new.model_dump(mode="json")
    if old is None:
        return tuple(after)
    before = old.model_dump(mode="json")
    return tuple(name for name, value in after.items() if before.get(name) != value)


def touched_groups(object_type: str, fields: tuple[str, ...]) -> tuple[str, ...]:
    """The field groups ``fields`` belong to, each once, in the order first touched."""
    return tuple(dict.fromkeys(field_group(object_type, field) for field in fields))
