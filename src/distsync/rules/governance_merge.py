"""A system of record's full refresh, kept out of the field groups another system owns.

The ERP's periodic refresh sends whole records. When the landscape gives a
field group of that object to another system (``item.content: pim``), the
refresh must not undo what that system set: :func:`keep_others_fields`
takes the refreshed record and puts back, from the cached one, every field
of a group the refreshing system does not own. A record not cached yet is
taken whole (nothing better is known of it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeVar

from distsync.model.base import Document
from distsync.rules.field_groups import changed_fields, field_group
from distsync.rules.governance import check_update

__all__ = ["keep_others_fields"]

D = TypeVar("D", bound=Document)


def keep_others_fields(
    ownership: Mapping[str, str],
    *,
    object_type: str,
    source_system: str,
    refreshed: D,
    cached: D | None,
) -> D:
    """``refreshed``, with the cached value of each field whose group another system owns."""
    if cached is None or not ownership:
        return refreshed
    kept = refreshed.model_dump(mode="json")
    before = cached.model_dump(mode="json")
    for field in changed_fields(cached, refreshed):
        group = field_group(object_type, field)
        decision = check_update(
            ownership,
            object_type=object_type,
            field_groups=(group,),
            source_system=source_system,
            document_ref=f"{object_type}:{field}",
        )
        if not decision.allowed:
            kept[field] = before.get(field)
    return type(refreshed).model_validate_json(json.dumps(kept))
