"""The API process ``bench/inventory.py`` asks: the real app over a book of a given size.

Builds the services on a SQLite file in ``--folder`` with an inventory flow
whose book holds ``--pairs`` positions, then serves on 127.0.0.1:``--port``
until terminated, one of two ways:

- ``--listener serve``: ``distsync.server.serve`` with the role ``all``,
  exactly what ``distsync serve`` runs (the worker idles: no events come);
- ``--listener uvicorn``: the same app, uvicorn binding the port itself,
  each answer carrying ``Server-Timing: app;dur=<ms>``, the time from the
  request reaching the app until its response starts.

``serve`` binds the socket before uvicorn starts (``distsync.server.listen``,
with ``TCP_NODELAY`` set, as asyncio sets it only on sockets made with
``IPPROTO_TCP``; uvicorn's own socket has it too).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from distsync import server
from distsync.api.app import create_app
from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from inventory_traffic import filled_flow

HOST = "127.0.0.1"


async def with_serve(services: Services, port: int) -> None:
    await server.serve(services, role=server.Role.ALL, host=HOST, port=port, stop=asyncio.Event())


def timed(app: ASGIApp) -> ASGIApp:
    """``app``, with the time it takes until its response starts in a header."""

    async def timed_app(scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                spent = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
                message["headers"] = [*message["headers"], (b"server-timing", spent.encode())]
            await send(message)

        await app(scope, receive, send_timed)

    return timed_app


async def with_uvicorn(services: Services, port: int) -> None:
    app = timed(create_app(services))
    config = uvicorn.Config(app, host=HOST, port=port, log_config=None, access_log=False)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await services.close()


LISTENERS = {"serve": with_serve, "uvicorn": with_uvicorn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listener", choices=tuple(LISTENERS), default="serve")
    args = parser.parse_args()
    landscape = build_landscape(
        {"runtime": {"database": str(args.folder / "api.sqlite")}}, base_dir=args.folder
    )
    services = build(landscape, overrides=Overrides(inventory=filled_flow(args.pairs)))
    asyncio.run(LISTENERS[args.listener](services, args.port))


if __name__ == "__main__":
    main()
