"""The server process of ``bench/order_release.py``: the real app under uvicorn on 127.0.0.1.

``bootstrap.build`` on a landscape with a SQLite file, the ERP's reads
replaced by :class:`order_release_world.ErpTerms` (``Overrides.sales_terms``)
and the stock book by a flow fed two warehouse snapshots
(``Overrides.inventory``); ``api.app.create_app`` serves it, as
``distsync serve --role api`` would. One route is added for the benchmark
alone: ``GET /_bench/erp-reads``, how many times the stand-in ERP was read.

It prints ``listening <port> stack <http>+<loop>``
just before it serves, and stops on SIGTERM. ``--listener`` says who binds
the port:

- ``serve``: bound first by ``distsync.server.listen`` and handed to
  uvicorn, as ``distsync serve`` does;
- ``uvicorn``: uvicorn binds it itself.

Both have Nagle's algorithm off (``TCP_NODELAY``): ``listen`` sets it, since
asyncio turns it off only on sockets made with ``IPPROTO_TCP``. Before it
did, every answer of ``distsync serve`` waited about 40 ms for the client's
delayed acknowledgement.

With ``--profile FILE``, ``POST /_bench/profile/start`` starts cProfile in
the serving thread and ``POST /_bench/profile/stop`` writes its stats to
that file, so that only a chosen window is profiled.

Usage (``bench/order_release.py`` starts it)::

    python bench/order_release_server.py --customers 1000 --items 10000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import socket
import tempfile
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from distsync.api.app import create_app
from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.server import listen
from order_release_world import ErpTerms, stocked_flow

HOST = "127.0.0.1"
LISTENERS = ("serve", "uvicorn")
TTL_SECONDS = 3600
TOLERANCE_PCT = 2


def services(folder: Path, terms: ErpTerms, items: int) -> Services:
    orders = {"terms_ttl_seconds": TTL_SECONDS, "price_tolerance_pct": TOLERANCE_PCT}
    landscape = build_landscape(
        {"runtime": {"database": str(folder / "distsync.sqlite")}, "flows": {"orders": orders}},
        base_dir=folder,
    )
    overrides = Overrides(sales_terms=terms, inventory=stocked_flow(items))
    return build(landscape, overrides=overrides)


def app(built: Services, terms: ErpTerms, profile_to: Path | None) -> FastAPI:
    served = create_app(built)

    async def erp_reads() -> dict[str, int]:
        return {"reads": terms.reads}

    served.add_api_route("/_bench/erp-reads", erp_reads, methods=["GET"])
    if profile_to is not None:
        add_profiling(served, profile_to)
    return served


def add_profiling(served: FastAPI, profile_to: Path) -> None:
    profile = cProfile.Profile()

    async def start() -> dict[str, str]:
        profile.enable()
        return {"profiling": "on"}

    async def stop() -> dict[str, str]:
        profile.disable()
        profile.dump_stats(profile_to)
        return {"profile": str(profile_to)}

    served.add_api_route("/_bench/profile/start", start, methods=["POST"])
    served.add_api_route("/_bench/profile/stop", stop, methods=["POST"])


def stack() -> str:
    """What uvicorn's "auto" picks: httptools and uvloop when installed, else h11 and asyncio."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{http}+{'uvloop' if importlib.util.find_spec('uvloop') else 'asyncio'}"


def free_port() -> int:
    with socket.create_server((HOST, 0)) as probe:
        port: int = probe.getsockname()[1]
        return port


async def serve(customers: int, items: int, listener: str, profile_to: Path | None) -> None:
    terms = ErpTerms(customers, items)
    with tempfile.TemporaryDirectory(prefix="distsync-bench-") as folder:
        built = services(Path(folder), terms, items)
        served = app(built, terms, profile_to)
        port = free_port()
        config = uvicorn.Config(served, host=HOST, port=port, log_config=None, access_log=False)
        print(f"listening {port} stack {stack()}", flush=True)
        try:
            if listener == "uvicorn":
                await uvicorn.Server(config).serve()
            else:  # bound first, as distsync serve binds it
                with listen(HOST, port) as bound:
                    await uvicorn.Server(config).serve(sockets=[bound])
        finally:
            await built.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--listener", choices=LISTENERS, default="serve")
    parser.add_argument("--profile", type=Path, help="where /_bench/profile/stop writes stats")
    args = parser.parse_args()
    asyncio.run(serve(args.customers, args.items, args.listener, args.profile))


if __name__ == "__main__":
    main()
