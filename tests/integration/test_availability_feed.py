"""The availability feed against the shop simulator over HTTP, on a real SQLite file.

Inventory events enter through intake and the worker runs the inventory
flow; each ``feed.run()`` here is one tick of the feed's job (one interval).
The outbox delivers through the landscape's ``http-json`` system to the
shop's admin API (``POST /inventory_levels/set``). The clock is frozen so
that an outbox retry comes due when a test moves it, not after a sleep.
"""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import Overrides, Services, build
from distsync.cli_feed import resync_feed
from distsync.config import build_landscape
from distsync.config_inventory import FeedChannel, InventoryPolicy
from distsync.demo.shop_orders import ShopBehaviour
from distsync.demo.shop_sim import ShopSimulator
from distsync.errors import ConfigError
from distsync.flows import inventory_feed
from distsync.flows.inventory import InventoryFlow
from distsync.flows.inventory_feed import AvailabilityFeed, feed_targets
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.examples import example_inventory_adjustment
from distsync.model.inventory import InventoryAdjustment
from distsync.runtime.ports import EventFilter
from distsync.testing import FrozenClock

pytestmark = pytest.mark.asyncio

START = datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
EAST, WEST = "WH-EAST", "WH-WEST"
SKUS = ("GLV-2211", "FAS-10432", "DRL-1800")
LOCATION = "web"
POLICY = InventoryPolicy(
    feed_interval_seconds=30,
    feed_channels={"shop": FeedChannel(system="shop-admin", location=LOCATION)},
)
OUTBOUND = EventFilter(types=("outbound.requested",))


def adjustment(sku: str, warehouse: str, delta: int, number: int) -> InventoryAdjustment:
    example = example_inventory_adjustment()
    return example.model_copy(
        update={
            "adjustment_id": f"ADJ-{sku}-{warehouse}-{number}",
            "warehouse_id": warehouse,
            "item": example.item.model_copy(update={"sku": sku}),
            "delta": example.delta.model_copy(update={"value": Decimal(delta)}),
            "adjusted_at": START + timedelta(minutes=number),
            "on_hand_after": None,
        }
    )


@dataclass
class World:
    services: Services
    flow: InventoryFlow
    feed: AvailabilityFeed
    clock: FrozenClock

    async def receive(self, *adjustments: InventoryAdjustment) -> None:
        await self.services.intake.accept([self.envelope(a) for a in adjustments])
        await self.drain()

    async def drain(self) -> None:
        await self.services.worker("test").drain()

    def envelope(self, document: InventoryAdjustment) -> Envelope:
        now, key = self.clock(), f"{document.item.sku}@{document.warehouse_id}"
        return Envelope(
            type="inventory.adjusted", schema_version=1, source_system="partner:warehouse",
            correlation_id=f"inventory:{key}", idempotency_key=f"test:{new_event_id()}",
            partition_key=key, occurred_at=now, received_at=now,
            payload=document.model_dump(mode="json"),
        )  # fmt: skip

    async def outbound(self) -> list[Envelope]:
        stored = await self.services.backend.list_events(OUTBOUND, limit=1000)
        return [event.envelope for event in stored]


@asynccontextmanager
async def opened(tmp_path: Path, shop_url: str) -> AsyncIterator[World]:
    data = {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "systems": {
            "shop-admin": {
                "type": "http-json",
                "url": shop_url,
                "policy": {"retry": {"attempts": 1}},
            }
        },
    }
    clock = FrozenClock(START)
    flow = InventoryFlow(clock)
    services = build(
        build_landscape(data, base_dir=tmp_path), overrides=Overrides(inventory=flow, clock=clock)
    )
    feed = AvailabilityFeed(
        book=flow, targets=feed_targets(POLICY, services.connectors), store=services.backend,
        sink=services.intake, clock=clock,
    )  # fmt: skip
    flow.on_change = feed.mark
    try:
        yield World(services, flow, feed, clock)
    finally:
        await services.close()


@contextmanager
def shop_on(port: int = 0) -> Iterator[ShopSimulator]:
    simulator = ShopSimulator(
        "shop", "secret", reply_to="http://127.0.0.1:9", behaviour=ShopBehaviour(), port=port
    )
    with simulator:
        yield simulator


@pytest.fixture
def shop() -> Iterator[ShopSimulator]:
    with shop_on() as running:
        yield running


@pytest.fixture
async def world(tmp_path: Path, shop: ShopSimulator) -> AsyncIterator[World]:
    async with opened(tmp_path, shop.url) as running:
        yield running


def levels(shop: ShopSimulator) -> list[tuple[str, str, int]]:
    return [(level.sku, level.location, level.available) for level in shop.inventory]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_fifty_events_in_one_interval_reach_the_shop_as_one_update_per_sku(
    world: World, shop: ShopSimulator
) -> None:
    pick = random.Random(6)
    expected = dict.fromkeys(SKUS, 0)
    adjustments = [adjustment(sku, EAST, 100, n) for n, sku in enumerate(SKUS)]
    for number in range(len(SKUS), 50):
        sku, delta = pick.choice(SKUS), pick.choice((-3, -1, 2, 5))
        adjustments.append(adjustment(sku, pick.choice((EAST, WEST)), delta, number))
    for item in adjustments:
        expected[item.item.sku] += int(item.delta.value)
    for start in range(0, 50, 10):  # the events arrive over the interval, in five batches
        await world.receive(*adjustments[start : start + 10])

    await world.feed.run()
    await world.drain()

    assert sorted(levels(shop)) == sorted((sku, LOCATION, expected[sku]) for sku in SKUS)
    assert len(await world.outbound()) == len(SKUS)


async def test_an_event_that_changes_no_figure_pushes_nothing(
    world: World, shop: ShopSimulator
) -> None:
    first = adjustment(SKUS[0], EAST, 40, 1)
    await world.receive(first)
    await world.feed.run()
    await world.drain()

    await world.receive(first)  # the same adjustment again: a repeat changes nothing
    assert world.feed.marked == frozenset()
    await world.receive(adjustment(SKUS[0], EAST, 5, 2), adjustment(SKUS[0], EAST, -5, 3))
    assert world.feed.marked == {SKUS[0]}  # changed, and back where it was
    await world.feed.run()
    await world.drain()

    assert levels(shop) == [(SKUS[0], LOCATION, 40)]
    assert len(await world.outbound()) == 1


async def test_updates_made_while_the_shop_is_down_arrive_once_it_returns(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with opened(tmp_path, f"http://127.0.0.1:{port}") as world:
        await world.receive(adjustment(SKUS[0], EAST, 10, 1))
        await world.feed.run()
        await world.drain()  # refused: the call waits for a retry
        await world.receive(adjustment(SKUS[0], EAST, 7, 2), adjustment(SKUS[1], EAST, 3, 3))
        await world.feed.run()

        assert world.feed.marked == {SKUS[0]}  # held behind its waiting call: no flood
        assert len(await world.outbound()) == 2
        with shop_on(port) as shop:
            world.clock.advance(600)
            await world.drain()
            await world.feed.run()
            await world.drain()

            assert levels(shop)[-1] == (SKUS[0], LOCATION, 17)
            pushed = [(SKUS[0], LOCATION, 10), (SKUS[1], LOCATION, 3), (SKUS[0], LOCATION, 17)]
            assert sorted(levels(shop)) == sorted(pushed)
            assert shop.levels == {(SKUS[0], LOCATION): 17, (SKUS[1], LOCATION): 3}


async def test_last_pushed_figures_survive_a_restart(tmp_path: Path, shop: ShopSimulator) -> None:
    async with opened(tmp_path, shop.url) as world:
        await world.receive(adjustment(SKUS[0], EAST, 12, 1), adjustment(SKUS[1], WEST, 4, 2))
        await world.feed.run()
        await world.drain()

    async with opened(tmp_path, shop.url) as restarted:
        await restarted.flow.rebuild(restarted.services.backend)
        assert restarted.feed.marked == {SKUS[0], SKUS[1]}
        await restarted.receive(adjustment(SKUS[1], WEST, 1, 3))
        await restarted.feed.run()
        await restarted.drain()

    pushed = [(SKUS[0], LOCATION, 12), (SKUS[1], LOCATION, 4), (SKUS[1], LOCATION, 5)]
    assert sorted(levels(shop)) == sorted(pushed)


async def test_resync_pushes_every_sku_whatever_was_pushed_before(
    world: World, shop: ShopSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.receive(*(adjustment(sku, EAST, 20 + n, n) for n, sku in enumerate(SKUS)))
    await world.feed.run()
    await world.drain()
    monkeypatch.setattr(inventory_feed, "PAGE", 2)  # three SKUs: two pages

    counts = await resync_feed(world.services, POLICY, "shop")
    await world.drain()

    assert [(c.channel, sorted(c.pushed)) for c in counts] == [("shop", sorted(SKUS))]
    figures = {sku: 20 + n for n, sku in enumerate(SKUS)}
    assert sorted(levels(shop)) == sorted((sku, LOCATION, figures[sku]) for sku in SKUS * 2)
    with pytest.raises(ConfigError, match="no feed channel 'outlet'"):
        await resync_feed(world.services, POLICY, "outlet")


async def test_stock_reserved_by_order_release_is_taken_off_the_shop(
    world: World, shop: ShopSimulator
) -> None:
    await world.receive(adjustment(SKUS[0], EAST, 40, 1))
    await world.feed.run()
    await world.drain()

    decision = world.flow.reserve(SKUS[0], EAST, Decimal(3), "RSV-1", START + timedelta(hours=1))
    await world.feed.run()
    await world.drain()

    assert decision.ok
    assert shop.levels == {(SKUS[0], LOCATION): 37}
