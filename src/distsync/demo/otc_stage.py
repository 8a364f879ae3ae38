"""The order-to-cash day's landscape, brought up for real: Tryton, channels, warehouses, carrier.

:class:`OtcStage` uses a running Tryton sandbox (the procure day's, shared)
or starts its own under ``var/otc-tryton``. Its warehouses' simulators
start only once Tryton's stock is known (``start_partners(stock)``), so
each 3PL's book opens at what Tryton holds of that warehouse: the web shop
(signed order webhooks, fulfilments in), the two 3PLs (X12 005010: 940 in,
945 on cue and 846 out; WH-EAST ships one box of gloves short) and the carrier
(JSON tracking webhooks, the pickup scan late, the delivery twice). It
writes ``var/otc-landscape.yaml`` with ``flows.orders`` on and serves
distsync in this event loop, on a database of its own (``otc.sqlite``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from distsync.bootstrap import Services, build
from distsync.config import Landscape, build_landscape
from distsync.config_x12 import X12Identity
from distsync.connectors.tryton import TrytonConfig, TrytonConnector
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.demo.otc_shop import PricedShop
from distsync.demo.otc_warehouse import CuedThreePl, warehouse_behaviour
from distsync.demo.procure_stage import PASSWORD_ENV, RUNTIME, free_port
from distsync.erp.sandbox import TrytonSandbox
from distsync.model.inventory import InventorySnapshot
from distsync.model.tracking import Milestone
from distsync.server import serve

__all__ = ["CUSTOMER", "DATABASE", "EAST", "WEST", "OtcStage"]

DATABASE = "otc.sqlite"
EAST, WEST = "WH-EAST", "WH-WEST"
SHOP_SECRET_ENV = "DISTSYNC_DEMO_SHOP_SECRET"
WAREHOUSES = {EAST: ("east3pl", "EAST3PL", "E"), WEST: ("west3pl", "WEST3PL", "W")}
CUSTOMER = ("harbor", "CUS-2077", X12Identity(qualifier="ZZ", id="HARBOR", version="004010"))
SHOP_PARTY = "CUS-1042"
ORDERS: dict[str, Any] = {
    "enabled": True,
    "split": True,
    "regions": {"OH": [EAST, WEST], "*": [WEST, EAST]},
    "warehouses": {EAST: "partner:east3pl", WEST: "partner:west3pl"},
    "short_shipment": "backorder",
    "invoice_on_delivery": True,
}
CARRIER = CarrierBehaviour(
    scac="RLCA",
    event_interval=0.05,
    event_hours=2.0,
    late=frozenset({Milestone.PICKED_UP}),
    duplicates=frozenset({Milestone.DELIVERED}),
)


@dataclass
class OtcStage:
    """Everything the order-to-cash day runs against (see the module docstring)."""

    var: Path
    tryton: TrytonSandbox | None = None  # given: shared, not stopped here
    port: int = field(default_factory=free_port)
    shop: PricedShop | None = None
    warehouses: dict[str, CuedThreePl] = field(default_factory=dict)
    carrier: CarrierSimulator | None = None
    services: Services | None = None
    landscape_file: Path | None = None
    _owns_tryton: bool = False
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_erp(self) -> TrytonSandbox:
        if self.tryton is None:
            self.tryton = TrytonSandbox(directory=self.var / "otc-tryton")
            self.tryton.start()
            self._owns_tryton = True
        os.environ[PASSWORD_ENV] = self.tryton.password
        return self.tryton

    def erp_connector(self) -> TrytonConnector:
        """A connector of the demo's own (the ERP user's), apart from distsync's."""
        assert self.tryton is not None
        sandbox = self.tryton
        config = TrytonConfig(
            url=sandbox.url, database=sandbox.database, user=sandbox.user,
            password_env=PASSWORD_ENV, warehouse=EAST, timeout_seconds=10, poll_settle_seconds=0,
        )  # fmt: skip
        return TrytonConnector("erp", config, password=lambda: sandbox.password)

    def start_partners(
        self, stock: Mapping[str, InventorySnapshot], prices: Mapping[str, Decimal]
    ) -> None:
        """The simulators, each 3PL's book opening at Tryton's ``stock`` of its warehouse."""
        os.environ.setdefault(SHOP_SECRET_ENV, secrets.token_hex(16))
        self.shop = PricedShop(prices, os.environ[SHOP_SECRET_ENV], reply_to=self.url)
        self.shop.start()
        inbound = f"{self.url}/v1/inbound/x12"
        for warehouse, (partner, x12_id, prefix) in WAREHOUSES.items():
            behaviour = warehouse_behaviour(warehouse, stock[warehouse], prefix, CARRIER.scac)
            profile = X12Identity(qualifier="ZZ", id=x12_id, version="005010")
            sim = CuedThreePl(profile, behaviour, reply_to=f"{inbound}/{partner}")
            sim.start()
            self.warehouses[warehouse] = sim
        target = f"{self.url}/v1/webhooks/carrier/rlca"
        self.carrier = CarrierSimulator("rlca", CARRIER, reply_to=target)
        self.carrier.start()

    def landscape_data(self) -> dict[str, Any]:
        assert self.tryton is not None
        assert self.shop is not None
        sandbox = self.tryton
        erp = {
            "type": "tryton", "url": sandbox.url, "database": sandbox.database,
            "user": sandbox.user, "password_env": PASSWORD_ENV, "warehouse": EAST,
            "timeout_seconds": 10, "poll_settle_seconds": 0,
            "policy": {"breaker": {"failures": 3, "cooldown_seconds": 1}},
        }  # fmt: skip
        shop = {"type": "http-json", "url": self.shop.url, "webhook_secret_env": SHOP_SECRET_ENV}
        return {
            "runtime": RUNTIME | {"database": DATABASE,
                                  "http": {"host": "127.0.0.1", "port": self.port}},
            "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
            "systems": {"erp": erp, "shopadmin": shop},
            "partners": self._partners(),
            "flows": {"orders": ORDERS, "inventory": {"reconcile_erp": "erp"}},
        }  # fmt: skip

    def _partners(self) -> dict[str, Any]:
        name, party, identity = CUSTOMER
        partners: dict[str, Any] = {
            "shop": {"kind": "channel", "party_id": SHOP_PARTY, "portal": "shopadmin"},
            name: {"kind": "customer", "party_id": party, "sends": ["x12-850"],
                   "x12": {"qualifier": identity.qualifier, "id": identity.id,
                           "version": identity.version}},
            "rlca": {"kind": "carrier", "party_id": "CAR-RLCA"},
        }  # fmt: skip
        for warehouse, (partner, x12_id, _) in WAREHOUSES.items():
            partners[partner] = {
                "kind": "warehouse",
                "x12": {"qualifier": "ZZ", "id": x12_id, "version": "005010"},
                "channel": {"transport": "http", "url": self.warehouses[warehouse].url},
                "receives": ["x12-940"], "sends": ["x12-945", "x12-846"],
            }  # fmt: skip
        return partners

    def write_landscape(self) -> Landscape:
        data = self.landscape_data()
        self.landscape_file = self.var / "otc-landscape.yaml"
        self.landscape_file.write_text(
            "# Written by `distsync demo` (the order-to-cash day), for the distsync commands.\n"
            + yaml.safe_dump(data, sort_keys=False),
            encoding="utf-8",
        )
        return build_landscape(data, base_dir=self.var)

    async def serve(self) -> Services:
        """Build the services from the landscape file and serve them here (API, worker, jobs)."""
        self.services = build(self.write_landscape())
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
        if self.tryton is not None and self._owns_tryton:
            self.tryton.stop()

    def _simulators(self) -> Iterator[Any]:
        if self.shop is not None:
            yield self.shop
        yield from self.warehouses.values()
        if self.carrier is not None:
            yield self.carrier


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
