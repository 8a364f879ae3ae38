"""Availability to the sales channels: only changes, at most one per SKU per interval.

The inventory flow calls :meth:`AvailabilityFeed.mark` with every SKU whose
figures changed (``InventoryFlow.on_change``); the feed only remembers the
SKU. A job runs :meth:`AvailabilityFeed.run` every
``flows.inventory.feed_interval_seconds``: for each marked SKU and each
channel it takes the network available to promise, rounded down to whole
units (a shop sells whole items), and pushes it when it differs from the
last figure pushed. Fifty events for an item within one interval are one
update, with the figure as it stands when the job runs; an event that moves
nothing pushes nothing.

**Through the outbox.** A push is an ``outbound.requested`` event,
``inventory_levels/set`` to the channel's system with ``{"sku",
"location_id", "available"}``, appended to the log as a handler's
``ctx.send`` would write it. While the shop is down the outbox retries it;
nothing is lost. Calls for one SKU share a partition key, so they reach
the shop in the order pushed and the newest figure wins. The
idempotency key holds the push number and the figure, so a retried call
has no second effect and a later push of an earlier figure is not mistaken
for a repeat.

**No flood.** While the SKU's last push is still waiting in the outbox,
the SKU stays marked and nothing more is queued for it; once that push is
done (or dead-lettered) the next run pushes the figure then current. An
outage therefore leaves at most one waiting call per SKU and channel.

**Restart.** The last push per channel and SKU is a document
(``feed.pushed``, key ``<channel>:<sku>``: figure, push number, outbox
event id), written after its event is appended: a crash in between pushes
the same figure again under the same key, which the log drops. The marks
live in memory and are rebuilt: ``InventoryFlow.rebuild`` marks every SKU
it applies, so the first run after a start sends exactly what changed
while the process was away.

:meth:`AvailabilityFeed.resync` pushes every known SKU's figure whatever
was pushed before (``distsync feed resync``).

**Cost.** Each SKU looked at is one document read; each push one more
write, in pages of :data:`PAGE` (one append per page). On SQLite with full
durability a write is a few milliseconds: a run touches only the marked
SKUs, a resync of 10,000 pushes takes a minute or two.

Run the job in the process that owns the book (the worker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Protocol

from distsync.config_inventory import InventoryPolicy
from distsync.errors import ConfigError
from distsync.flows.ports import EventSink, StateStore
from distsync.model.envelope import Envelope
from distsync.runtime.context import OUTBOUND_EVENT, outbound_keys, outbound_payload
from distsync.runtime.outbox import OUTBOX
from distsync.runtime.ports import DeliveryState, DeliveryStateKind

__all__ = [
    "PUSHED_KIND",
    "AvailabilityBook",
    "AvailabilityFeed",
    "FeedStore",
    "FeedTarget",
    "PushCount",
    "feed_targets",
    "whole_units",
]

PUSHED_KIND = "feed.pushed"
OPERATION = "inventory_levels/set"
SOURCE = "distsync"
PAGE = 500
WAITING = {
    DeliveryStateKind.PENDING,
    DeliveryStateKind.IN_FLIGHT,
    DeliveryStateKind.WAITING_RETRY,
    DeliveryStateKind.QUEUED,
}


class AvailabilityBook(Protocol):
    """The figures the feed reads (``InventoryFlow``)."""

    def network_available(self, sku: str) -> Decimal: ...

    def skus(self) -> list[str]: ...


class FeedStore(StateStore, Protocol):
    """The last pushes (documents) and where their outbox calls stand (the backend)."""

    async def delivery_states(self, event_id: str) -> list[DeliveryState]: ...


@dataclass(frozen=True)
class FeedTarget:
    """One channel: the system that takes its levels and the location that holds them."""

    channel: str
    system: str
    location: str


@dataclass
class PushCount:
    """What one run or resync did for one channel."""

    channel: str
    pushed: list[str] = field(default_factory=list)
    unchanged: int = 0
    held: list[str] = field(default_factory=list)


def feed_targets(
    policy: InventoryPolicy, systems: Iterable[str], channel: str | None = None
) -> list[FeedTarget]:
    """The channels of ``flows.inventory.feed_channels`` (only ``channel`` when given)."""
    declared = set(systems)
    chosen = policy.feed_channels
    if channel is not None and channel not in chosen:
        known = ", ".join(sorted(chosen)) or "none"
        raise ConfigError(f"no feed channel {channel!r} (flows.inventory.feed_channels: {known})")
    targets = []
    for name, settings in sorted(chosen.items()):
        if settings.system not in declared:
            raise ConfigError(
                f"flows.inventory.feed_channels.{name}: system {settings.system} is not declared",
                location=f"flows.inventory.feed_channels.{name}.system",
            )
        if channel in (None, name):
            targets.append(FeedTarget(name, settings.system, settings.location))
    return targets


class AvailabilityFeed:
    """Coalesced availability pushes to the channels (see the module docstring)."""

    def __init__(
        self,
        *,
        book: AvailabilityBook,
        targets: Sequence[FeedTarget],
        store: FeedStore,
        sink: EventSink,
        clock: Callable[[], datetime],
    ) -> None:
        self._book = book
        self._targets = list(targets)
        self._store = store
        self._sink = sink
        self._clock = clock
        self._marked: set[str] = set()

    @property
    def marked(self) -> frozenset[str]:
        """The SKUs waiting for the next run."""
        return frozenset(self._marked)

    def mark(self, sku: str) -> None:
        """Note that ``sku``'s figures changed (``InventoryFlow.on_change``)."""
        self._marked.add(sku)

    async def run(self) -> bool:
        """Push each marked SKU's changed figure once (the job); never more to do at once."""
        skus, self._marked = self._marked, set()
        try:
            counts = await self._push(sorted(skus), force=False)
        except BaseException:
            self._marked |= skus  # nothing is lost: the next run tries them again
            raise
        for count in counts:
            self._marked.update(count.held)
        return False

    async def resync(self) -> list[PushCount]:
        """Push every known SKU's figure to every channel, whatever was pushed before."""
        return await self._push(self._book.skus(), force=True)

    async def _push(self, skus: Sequence[str], *, force: bool) -> list[PushCount]:
        counts = [PushCount(target.channel) for target in self._targets]
        for start in range(0, len(skus), PAGE):
            await self._push_page(skus[start : start + PAGE], counts, force=force)
        return counts

    async def _push_page(
        self, skus: Sequence[str], counts: list[PushCount], *, force: bool
    ) -> None:
        pending: list[tuple[Envelope, str, dict[str, Any]]] = []
        for target, count in zip(self._targets, counts, strict=True):
            for sku in skus:
                push = await self._decide(target, sku, count, force=force)
                if push is not None:
                    pending.append(push)
                    count.pushed.append(sku)
        if pending:
            await self._sink.accept([envelope for envelope, _, _ in pending])
        for _, key, body in pending:
            await self._store.put_document(PUSHED_KIND, key, body, by="feed")

    async def _decide(
        self, target: FeedTarget, sku: str, count: PushCount, *, force: bool
    ) -> tuple[Envelope, str, dict[str, Any]] | None:
        figure = whole_units(self._book.network_available(sku))
        key = f"{target.channel}:{sku}"
        stored = await self._store.get_document(PUSHED_KIND, key)
        last = stored.body if stored is not None else {}
        if not force and last.get("available") == figure:
            count.unchanged += 1
            return None
        if not force and last and await self._waiting(str(last["event_id"])):
            count.held.append(sku)
            return None
        number = int(last.get("push", 0)) + 1
        envelope = self._outbound(target, sku, figure, number)
        body = {"available": figure, "push": number, "event_id": envelope.event_id}
        return envelope, key, body | {"at": envelope.occurred_at.isoformat()}

    async def _waiting(self, event_id: str) -> bool:
        states = await self._store.delivery_states(event_id)
        return any(s.subscription == OUTBOX.name and s.state in WAITING for s in states)

    def _outbound(self, target: FeedTarget, sku: str, figure: int, number: int) -> Envelope:
        """The event ``ctx.send`` writes for this call, appended outside a handler."""
        key = f"availability:{target.channel}:{sku}:{number}:{figure}"
        body = {"sku": sku, "location_id": target.location, "available": figure}
        event_key, partition = outbound_keys(
            target.system, key, order_key=f"availability:{target.channel}:{sku}"
        )
        now = self._clock()
        return Envelope(
            type=OUTBOUND_EVENT,
            schema_version=1,
            source_system=SOURCE,
            correlation_id=f"availability:{sku}",
            idempotency_key=event_key,
            partition_key=partition,
            occurred_at=now,
            received_at=now,
            payload=outbound_payload(target.system, OPERATION, body, key),
        )


def whole_units(available: Decimal) -> int:
    """What a channel may sell: the figure rounded down, never below zero."""
    return max(0, int(available.to_integral_value(rounding=ROUND_FLOOR)))
