"""``distsync feed``: the availability feed to the sales channels.

``distsync feed resync [--channel NAME] [--json]`` rebuilds the stock book
from the log, as ``serve`` does at start, and queues every known SKU's
figure for each channel of ``flows.inventory.feed_channels`` (or the one
named) in the outbox, whatever was pushed before. The worker delivers the
calls; the command shows how many SKUs were queued per channel.
``docs/inventory.md`` ("Availability feed") is the reference.
"""

from __future__ import annotations

from typing import Annotated

import typer

from distsync import cli_render as render
from distsync.bootstrap import Services
from distsync.cli_ops import CommandRefused, Json, run
from distsync.cli_procure import emit_json
from distsync.config_inventory import InventoryPolicy
from distsync.flows.inventory_feed import AvailabilityFeed, PushCount, feed_targets

__all__ = ["feed_app", "resync_feed"]

feed_app = typer.Typer(help="The availability feed to the sales channels.", no_args_is_help=True)

ChannelOption = Annotated[
    str | None, typer.Option("--channel", help="Only this channel (default: every one).")
]


async def resync_feed(
    services: Services, policy: InventoryPolicy, channel: str | None = None
) -> list[PushCount]:
    """Rebuild the book from the log and queue every SKU's figure for the channels."""
    book = services.inventory
    if book is None:
        raise CommandRefused("this landscape keeps no stock book (no inventory flow)")
    targets = feed_targets(policy, services.connectors, channel)
    if not targets:
        raise CommandRefused("no feed channels: set flows.inventory.feed_channels")
    await book.rebuild(services.backend)
    feed = AvailabilityFeed(
        book=book, targets=targets, store=services.backend, sink=services.intake,
        clock=services.clock,
    )  # fmt: skip
    return await feed.resync()


@feed_app.command("resync")
def resync_command(
    ctx: typer.Context, channel: ChannelOption = None, as_json: Json = False
) -> None:
    """Queue every SKU's current figure for the channels, whatever was pushed before."""

    async def work(services: Services) -> list[PushCount]:
        return await resync_feed(services, services.landscape.flows.inventory, channel)

    counts = run(ctx, work)
    if as_json:
        emit_json({"channels": [{"channel": c.channel, "queued": len(c.pushed)} for c in counts]})
        return
    for count in counts:
        render.say(f"{count.channel}: {render.plural(len(count.pushed), 'SKU')} queued")
