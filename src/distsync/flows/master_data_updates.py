"""Inbound master-data updates, applied only where the sender is the system of record.

One ordered subscription, ``master_data.updates``, takes ``item.changed``,
``party.changed`` and ``warehouse.changed`` (payload: the canonical Item,
Party or Warehouse) from any system. Senders partition by the record's key
(:func:`partition_key`: ``item:FAS-10432``) so that updates of one record
apply in order.

For each update the handler compares the record with the cached one
(``rules/field_groups.py``: a new record touches every group, an unchanged
one touches none and is left alone), asks ``rules/governance.check_update``
whether the sender (the envelope's ``source_system``) may change the groups
it touches under the landscape's ``ownership:``, and then either

- stores it in the reference cache (``upsert_many``, not complete), or
- raises ``NotSystemOfRecord``: the update parks for a data steward with
  the owners, the sender and the changed fields in its facts, and nothing
  of it is applied. ``replay`` runs it again (after the ownership changed
  and distsync restarted); ``discard`` and ``accept_from_owner`` leave the
  cache as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from distsync.config import Landscape
from distsync.model.items import Item
from distsync.model.parties import Party
from distsync.model.warehouses import Warehouse
from distsync.rules.field_groups import changed_fields, touched_groups
from distsync.rules.governance import check_update
from distsync.runtime.context import HandlerContext
from distsync.runtime.ports import SubscriptionSpec
from distsync.runtime.worker import Subscription
from distsync.store.ports import MasterRecord, ReferenceData, ReferenceKind

__all__ = ["RECORDS", "UPDATES", "MasterDataUpdates", "partition_key", "subscriptions"]

RECORDS: Mapping[str, tuple[ReferenceKind, type[MasterRecord]]] = MappingProxyType(
    {
        "item.changed": (ReferenceKind.ITEM, Item),
        "party.changed": (ReferenceKind.PARTY, Party),
        "warehouse.changed": (ReferenceKind.WAREHOUSE, Warehouse),
    }
)
"""Event type -> the cache's kind and the model of its payload."""

UPDATES = SubscriptionSpec("master_data.updates", tuple(RECORDS), ordered=True)


def partition_key(record: MasterRecord) -> str:
    """What a sender partitions an update by: the record's kind and key (``item:FAS-10432``)."""
    return f"{record.kind}:{record.document_number()}"


def subscriptions(
    landscape: Landscape, reference: ReferenceData, clock: Callable[[], datetime]
) -> list[Subscription]:
    """The master-data update subscription, governed by the landscape's ``ownership:``."""
    updates = MasterDataUpdates(MappingProxyType(dict(landscape.ownership)), reference, clock)
    return [Subscription(UPDATES, handler=updates.handle)]


@dataclass(frozen=True)
class MasterDataUpdates:
    """Applies an update of an item, party or warehouse from its system of record."""

    ownership: Mapping[str, str]
    reference: ReferenceData
    clock: Callable[[], datetime]

    async def handle(self, ctx: HandlerContext) -> None:
        kind, model = RECORDS[ctx.envelope.type]
        record = ctx.envelope.document(model)
        key, sender = record.document_number(), ctx.envelope.source_system
        cached = await self.reference.entry(kind, key)
        fields = changed_fields(cached.record if cached else None, record)
        if not fields:
            ctx.log.info("master data unchanged", action="master_data.unchanged", key=key)
            return
        groups = touched_groups(kind.value, fields)
        decision = check_update(
            self.ownership,
            object_type=kind.value,
            field_groups=groups,
            source_system=sender,
            document_ref=f"{kind.value}:{key}",
        )
        problem = decision.exception()
        if problem is not None:
            problem.facts |= {
                "key": key,
                "changed_fields": ", ".join(fields),
                "field_groups": ", ".join(groups),
            }
            raise problem
        await self.reference.upsert_many(
            kind, [record], source_system=sender, fetched_at=self.clock()
        )
        ctx.log.info(
            "master data applied",
            action="master_data.applied",
            kind=kind.value,
            key=key,
            source_system=sender,
            field_groups=list(groups),
        )
