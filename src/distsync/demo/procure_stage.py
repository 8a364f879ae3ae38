"""The demo's landscape, brought up for real: Tryton, partner simulators and distsync itself.

:class:`Stage` starts, in order: a fresh Tryton sandbox (a copy of the
cached template under ``var/demo-tryton``), the partners' simulators on free
127.0.0.1 ports — ACME (X12 004010), Globex (X12 005010 with its own
delimiters), Initech's JSON portal and the east 3PL (X12 005010) — then
writes ``var/demo-landscape.yaml`` naming them all, and serves distsync
(API, worker and jobs, as ``distsync serve`` does) in this event loop. The
simulators answer to distsync's inbound routes. ``stop`` takes it all down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from distsync.bootstrap import Services, build
from distsync.config import Landscape, build_landscape
from distsync.config_x12 import X12Identity
from distsync.demo.portal_sim import PortalSimulator
from distsync.demo.supplier_behaviour import SupplierBehaviour
from distsync.demo.supplier_sim import SupplierSimulator
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.erp.sandbox import TrytonSandbox
from distsync.erp.tryton_process import free_port
from distsync.server import serve

__all__ = ["PASSWORD_ENV", "Stage", "free_port"]

PASSWORD_ENV = "DISTSYNC_DEMO_ERP_PASSWORD"
WAREHOUSE = "WH-EAST"
RUNTIME: dict[str, Any] = {
    "database": "demo.sqlite",
    "poll_interval_ms": 50,
    "retry": {"max_attempts": 200, "base_seconds": 0.2, "cap_seconds": 1.0},
}
"""Quick retries: an ERP outage of a few seconds is ridden out without a dead letter."""

PROCURE: dict[str, Any] = {
    "enabled": True,
    "poll_seconds": 0.5,
    "warehouses": {WAREHOUSE: "partner:east3pl"},
    "asn_date_tolerance_days": 30,
    "ack_qty_tolerance_pct": 10,
    "price_tolerance_pct": 1,
    "ack_deadline_hours": 4,
}

ACME = X12Identity(qualifier="ZZ", id="ACME", version="004010")
GLOBEX = X12Identity(qualifier="ZZ", id="GLOBEX", version="005010")
EAST3PL = X12Identity(qualifier="ZZ", id="EAST3PL", version="005010")
GLOBEX_DELIMITERS = {"element": "|", "component": ":", "segment": "~", "line_break": True}
SUPPLIER_IDS = {"acme": "SUP-ACME", "globex": "SUP-GLOBEX", "initech": "SUP-INITECH"}


@dataclass
class Stage:
    """Everything the demo runs against (see the module docstring)."""

    var: Path
    behaviours: dict[str, SupplierBehaviour]
    warehouse: WarehouseBehaviour
    port: int = field(default_factory=free_port)
    procure: dict[str, Any] = field(default_factory=dict)  # laid over PROCURE
    tryton: TrytonSandbox | None = None
    suppliers: dict[str, SupplierSimulator] = field(default_factory=dict)
    portal: PortalSimulator | None = None
    threepl: ThreePlSimulator | None = None
    services: Services | None = None
    landscape_file: Path | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_erp(self) -> TrytonSandbox:
        sandbox = TrytonSandbox(directory=self.var / "demo-tryton")
        sandbox.start()
        os.environ[PASSWORD_ENV] = sandbox.password
        self.tryton = sandbox
        return sandbox

    def start_partners(self) -> None:
        inbound = f"{self.url}/v1/inbound"
        for name, profile in (("acme", ACME), ("globex", GLOBEX)):
            sim = SupplierSimulator(
                profile, self.behaviours[name], reply_to=f"{inbound}/x12/{name}"
            )
            sim.start()
            self.suppliers[name] = sim
        self.portal = PortalSimulator("initech", self.behaviours["initech"], reply_to=self.url)
        self.portal.start()
        self.threepl = ThreePlSimulator(EAST3PL, self.warehouse, reply_to=f"{inbound}/x12/east3pl")
        self.threepl.start()

    def write_landscape(self) -> Landscape:
        data = self.landscape_data()
        self.landscape_file = self.var / "demo-landscape.yaml"
        self.landscape_file.write_text(
            "# Written by `distsync demo`: its database, ERP and partners, for the distsync "
            "commands.\n" + yaml.safe_dump(data, sort_keys=False),
            encoding="utf-8",
        )
        return build_landscape(data, base_dir=self.var)

    def landscape_data(self) -> dict[str, Any]:
        assert self.tryton is not None
        assert self.portal is not None
        assert self.threepl is not None
        sandbox = self.tryton
        erp = {
            "type": "tryton", "url": sandbox.url, "database": sandbox.database,
            "user": sandbox.user, "password_env": PASSWORD_ENV, "warehouse": WAREHOUSE,
            "timeout_seconds": 10, "poll_settle_seconds": 0,
            "policy": {"breaker": {"failures": 3, "cooldown_seconds": 1}},
        }  # fmt: skip
        return {
            "runtime": RUNTIME | {"http": {"host": "127.0.0.1", "port": self.port}},
            "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
            "systems": {
                "erp": erp,
                "initech-portal": {"type": "http-json", "url": self.portal.url},
            },
            "partners": self._partners(),
            "flows": {"procure": PROCURE | self.procure},
        }

    def _partners(self) -> dict[str, Any]:
        assert self.threepl is not None
        acme, globex = self.suppliers["acme"], self.suppliers["globex"]
        x12_supplier = {"kind": "supplier", "receives": ["x12-850"],
                        "sends": ["x12-855", "x12-856", "x12-810"]}  # fmt: skip
        return {
            "acme": x12_supplier | {
                "party_id": SUPPLIER_IDS["acme"],
                "x12": {"qualifier": "ZZ", "id": "ACME", "version": "004010"},
                "channel": {"transport": "http", "url": acme.url},
            },
            "globex": x12_supplier | {
                "party_id": SUPPLIER_IDS["globex"],
                "x12": {"qualifier": "ZZ", "id": "GLOBEX", "version": "005010",
                        "delimiters": GLOBEX_DELIMITERS},
                "channel": {"transport": "http", "url": globex.url},
            },
            "initech": {
                "kind": "supplier", "party_id": SUPPLIER_IDS["initech"],
                "portal": "initech-portal",
                "sends": ["json-po_ack", "json-asn", "json-invoice"],
            },
            "east3pl": {
                "kind": "warehouse",
                "x12": {"qualifier": "ZZ", "id": "EAST3PL", "version": "005010"},
                "channel": {"transport": "http", "url": self.threepl.url},
                "receives": ["x12-943"], "sends": ["x12-944"],
            },
        }  # fmt: skip

    async def serve(self) -> Services:
        """Build the services from the landscape file and serve them here (API, worker, jobs)."""
        landscape = self.write_landscape()
        self.services = build(landscape)
        for connector in self.services.connectors.values():
            await connector.connect()
        self._server = asyncio.create_task(
            serve(self.services, role="all", host="127.0.0.1", port=self.port, stop=self._stop)
        )
        await _until_listening(self.port)
        return self.services

    async def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server
        for simulator in self._simulators():
            simulator.stop()
        if self.tryton is not None:
            self.tryton.stop()

    def _simulators(self) -> Iterator[Any]:
        yield from self.suppliers.values()
        if self.portal is not None:
            yield self.portal
        if self.threepl is not None:
            yield self.threepl


async def _until_listening(port: int, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"distsync did not listen on 127.0.0.1:{port} within {seconds:.0f} s")


def default_behaviours() -> tuple[dict[str, SupplierBehaviour], WarehouseBehaviour]:
    """ACME ships half now and the rest later; Globex ships one item under its own code."""
    return (
        {
            "acme": SupplierBehaviour(partial={"*": Decimal("0.5")}, number_prefix="ACM"),
            "globex": SupplierBehaviour(
                unknown_skus={"TAP-0048": "GX-TAPE-48"}, number_prefix="GLX"
            ),
            "initech": SupplierBehaviour(number_prefix="INI"),
        },
        WarehouseBehaviour(receipt_delay=0.5, number_prefix="R"),
    )
