"""An order-to-cash landscape on real servers: Tryton, distsync's API, a shop, two 3PLs, a carrier.

Everything talks HTTP on 127.0.0.1 as in production: the shop simulator
posts signed ``orders/create`` webhooks to distsync's API and takes
fulfilments on its admin API; each warehouse is a 3PL simulator that takes
940s on its channel and answers 997 and 945 (and its 846 on request) to
``/v1/inbound/x12/<partner>``; the carrier posts tracker webhooks to
``/v1/webhooks/carrier/<partner>``; a B2B customer's 850 is posted as its
EDI system would. The ERP is a ``tryton`` system, so credit and prices are
read from Tryton and sales, shipments and invoices are posted there.
:class:`TrytonSales` reads back what Tryton holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from distsync.api.app import create_app
from distsync.bootstrap import Services, build
from distsync.config import build_landscape
from distsync.config_x12 import X12Identity
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.demo.carrier_behaviour import CarrierBehaviour
from distsync.demo.carrier_sim import CarrierSimulator
from distsync.demo.shop_orders import ShopBehaviour
from distsync.demo.shop_sim import ShopSimulator
from distsync.demo.threepl_behaviour import WarehouseBehaviour
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.order_records import OrderRecord, load_order
from distsync.formats.x12.maps.base import MapOptions
from distsync.formats.x12.maps.registry import map_for
from distsync.formats.x12.writer import Envelope, Party
from distsync.model.envelope import Envelope as LogEnvelope
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, PartyRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from distsync.model.tracking import Milestone
from distsync.model.units import Quantity
from distsync.runtime.operations import ParkedRecord
from distsync.runtime.ports import EventFilter
from distsync.testing_http import loopback_listener
from tests.integration.procure_tryton_world import settle, tryton_system

__all__ = [
    "EAST",
    "SHOP_SECRET_ENV",
    "WEST",
    "OrderWorld",
    "TrytonSales",
    "customer_po",
    "open_world",
]

EAST, WEST = "WH-EAST", "WH-WEST"
SHOP_SECRET_ENV = "DISTSYNC_TEST_ORDER_SHOP_SECRET"
NORTHWIND = Party("ZZ", "NORTHWIND")
CUSTOMERS = {"harbor": ("CUS-2077", "HARBOR"), "keystone": ("CUS-3150", "KEYSTONE")}
QUIET_ROUNDS = 6
PRICES = {"FAS-10432": Decimal("0.25"), "LUB-5500": Decimal("7.49")}  # Tryton's list prices


def landscape_data(
    tmp_path: Path, sandbox: TrytonSandbox, *, shop: str, east: str, west: str
) -> dict[str, Any]:
    """The ERP, the shop, both 3PLs, two B2B customers and a carrier; orders on."""
    return {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "systems": {
            "erp": tryton_system(sandbox),
            "shopadmin": {"type": "http-json", "url": shop, "webhook_secret_env": SHOP_SECRET_ENV},
        },
        "partners": {
            "east3pl": _warehouse("EAST3PL", east),
            "west3pl": _warehouse("WEST3PL", west),
            "shop": {"kind": "channel", "party_id": "CUS-1042", "portal": "shopadmin"},
            **_customers(),
            "rlca": {"kind": "carrier", "party_id": "CAR-RLCA"},
        },
        "flows": {
            "orders": {
                "enabled": True,
                "erp": "erp",
                "price_tolerance_pct": 2,
                "warehouses": {EAST: "partner:east3pl", WEST: "partner:west3pl"},
                "regions": {"OH": [EAST, WEST], "*": [EAST, WEST]},
            }
        },
    }


def _customers() -> dict[str, Any]:
    return {
        name: {
            "kind": "customer",
            "party_id": party,
            "x12": {"qualifier": "ZZ", "id": x12_id},
            "sends": ["x12-850"],
        }
        for name, (party, x12_id) in CUSTOMERS.items()
    }


def _warehouse(x12_id: str, url: str) -> dict[str, Any]:
    return {
        "kind": "warehouse",
        "x12": {"qualifier": "ZZ", "id": x12_id},
        "channel": {"transport": "http", "url": url},
        "receives": ["x12-940"],
        "sends": ["x12-945", "x12-846", "x12-947"],
    }


def customer_po(number: str, lines: Sequence[tuple[str, int, str]], buyer: str) -> PurchaseOrder:
    """A B2B customer's purchase order to us: (SKU, quantity, unit price) per line, to Ohio."""
    party, _ = CUSTOMERS[buyer]
    today = datetime.now(UTC)
    return PurchaseOrder(
        po_number=number,
        revision=0,
        status=PurchaseOrderStatus.CONFIRMED,
        order_date=today.date(),
        issued_at=today,
        buyer=PartyRef(party_id=party, name=buyer.title()),
        supplier=PartyRef(party_id="NWD", name="Northwind Distribution"),
        ship_to_warehouse_id="STORE-12",
        ship_to=Address(name=f"{buyer.title()} store 12", lines=("9 Wharf Road",),
                        city="Sandusky", region="OH", postal_code="44870", country="US"),
        currency="USD",
        lines=tuple(
            PurchaseOrderLine(line_number=n, item=ItemRef(sku=sku),
                              quantity=Quantity(value=Decimal(q), uom="EA"),
                              unit_price=Money(amount=Decimal(price), currency="USD"),
                              requested_delivery_date=today.date())
            for n, (sku, q, price) in enumerate(lines, 1)
        ),
    )  # fmt: skip


def interchange_850(po: PurchaseOrder, sender: str) -> bytes:
    """``po`` as the customer's EDI system sends it: its ISA id, our map, version 004010."""
    chosen = map_for("850")
    body = chosen.write(po, MapOptions(version="004010"))
    envelope = Envelope(Party("ZZ", sender), NORTHWIND, version="004010")
    return envelope.interchange(
        chosen.functional_id, [("850", body)], interchange_control=850,
        group_control=850, first_set_control=850, at=po.issued_at,
    ).encode()  # fmt: skip


@dataclass
class OrderWorld:
    """distsync served on 127.0.0.1 and the simulators around it."""

    services: Services
    url: str
    shop: ShopSimulator
    east: ThreePlSimulator
    west: ThreePlSimulator
    carrier: CarrierSimulator

    async def quiet(self) -> None:
        """Let the worker and every simulator run until nothing new reaches the log."""
        seen = -1
        for _ in range(QUIET_ROUNDS):
            await settle(self.services)
            sims = (self.shop, self.east, self.west, self.carrier)
            assert all(await asyncio.gather(*(asyncio.to_thread(s.wait_idle) for s in sims)))
            events = (await self.services.backend.stats()).events
            if events == seen:
                return
            seen = events
        raise AssertionError(f"the landscape did not quieten in {QUIET_ROUNDS} rounds")

    async def send_po(self, po: PurchaseOrder, partner: str) -> None:
        """The customer's 850 posted to ``/v1/inbound/x12/<partner>``."""
        _, sender = CUSTOMERS[partner]
        async with httpx.AsyncClient(base_url=self.url) as client:
            answer = await client.post(
                f"/v1/inbound/x12/{partner}",
                content=interchange_850(po, sender),
                headers={"Content-Type": "application/edi-x12"},
            )
        assert answer.status_code < 300, answer.text
        await self.quiet()

    async def record(self, order_number: str) -> OrderRecord:
        record = await load_order(self.services.backend, order_number)
        assert record is not None, f"no record of {order_number}"
        return record

    def available(self, sku: str, warehouse: str) -> Decimal:
        assert self.services.inventory is not None
        return self.services.inventory.available(sku, warehouse)

    async def events(self, event_type: str) -> list[LogEnvelope]:
        stored = await self.services.backend.list_events(EventFilter(types=(event_type,)))
        return [event.envelope for event in stored]

    async def exceptions(self, reason_code: str | None = None) -> list[ParkedRecord]:
        return await self.services.backend.exceptions(reason_code=reason_code)


THREEPLS = {EAST: ("EAST3PL", "east3pl"), WEST: ("WEST3PL", "west3pl")}


@asynccontextmanager
async def open_world(
    tmp_path: Path,
    sandbox: TrytonSandbox,
    *,
    warehouses: Mapping[str, Mapping[str, Any]],
    secret: str,
) -> AsyncIterator[OrderWorld]:
    """Start the simulators (each 3PL with its ``warehouses`` behaviour settings), then
    distsync's API on a port they already know."""
    async with AsyncExitStack() as stack:
        listener = stack.enter_context(loopback_listener())
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        east, west = (
            stack.enter_context(_threepl(warehouse, warehouses[warehouse], url))
            for warehouse in (EAST, WEST)
        )
        to_api = {"url": url, "attempts": 3, "backoff": 0.05}
        shop_sim = stack.enter_context(
            ShopSimulator("shop", secret, reply_to=to_api, behaviour=ShopBehaviour(prices=PRICES))
        )
        behaviour = CarrierBehaviour(
            event_interval=0.01,
            shuffle=True,
            late=frozenset({Milestone.PICKED_UP}),
            duplicates=frozenset({Milestone.DELIVERED}),
        )
        carrier = stack.enter_context(
            CarrierSimulator("rlca", behaviour, reply_to=f"{url}/v1/webhooks/carrier/rlca")
        )
        data = landscape_data(tmp_path, sandbox, shop=shop_sim.url, east=east.url, west=west.url)
        services = build(build_landscape(data, base_dir=tmp_path))
        stack.push_async_callback(services.close)
        server = uvicorn.Server(
            uvicorn.Config(create_app(services), log_config=None, access_log=False)
        )
        task = asyncio.create_task(server.serve(sockets=[listener]))
        stack.push_async_callback(_stop, server, task)
        yield OrderWorld(services, url, shop_sim, east, west, carrier)


def _threepl(warehouse: str, settings: Mapping[str, Any], url: str) -> ThreePlSimulator:
    x12_id, partner = THREEPLS[warehouse]
    return ThreePlSimulator(
        X12Identity(qualifier="ZZ", id=x12_id, version="004010"),
        WarehouseBehaviour.from_dict({"warehouse": warehouse, **settings}),
        reply_to={"url": f"{url}/v1/inbound/x12/{partner}", "attempts": 3, "backoff": 0.05},
    )


async def _stop(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task


def _rpc(sandbox: TrytonSandbox) -> TrytonRpc:
    return TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )


class TrytonSales:
    """Tryton's sales, outgoing shipments and customer invoices, read over JSON-RPC."""

    def __init__(self, sandbox: TrytonSandbox) -> None:
        self.rpc = _rpc(sandbox)

    def close(self) -> None:
        self.rpc.close()

    def sales(self, prefix: str) -> dict[str, tuple[str, str]]:
        """Reference -> (customer code, warehouse code) of every sale whose reference starts so."""
        rows = self.rpc.model(
            "sale.sale", "search_read", [["reference", "like", f"{prefix}%"]],
            0, None, [["id", "ASC"]], ["reference", "party.code", "warehouse.code"],
        )  # fmt: skip
        return {
            str(r["reference"]): (str(r["party."]["code"]), str(r["warehouse."]["code"]))
            for r in rows
        }

    def shipped(self, reference: str) -> dict[str, Decimal]:
        """SKU -> quantity on the done outgoing shipment(s) that carry ``reference``."""
        rows = self.rpc.model(
            "stock.shipment.out", "search_read",
            [["reference", "=", reference], ["state", "=", "done"]],
            0, None, None, ["outgoing_moves"],
        )  # fmt: skip
        return self._moves([m for row in rows for m in row["outgoing_moves"]])

    def invoices(self, reference: str) -> list[tuple[str, str, dict[str, Decimal]]]:
        """(type, state, SKU -> quantity) of every invoice whose reference is ``reference``."""
        rows = self.rpc.model(
            "account.invoice", "search_read", [["reference", "=", reference]],
            0, None, [["id", "ASC"]], ["type", "state", "lines"],
        )  # fmt: skip
        found = []
        for row in rows:
            lines = self.rpc.model(
                "account.invoice.line", "read", row["lines"], ["product.code", "quantity"]
            )
            quantities = {
                str(ln["product."]["code"]): Decimal(str(ln["quantity"]))
                for ln in lines
                if ln.get("product.")
            }
            found.append((str(row["type"]), str(row["state"]), quantities))
        return found

    def _moves(self, ids: list[int]) -> dict[str, Decimal]:
        moves = self.rpc.model("stock.move", "read", ids, ["product.code", "quantity"])
        found: dict[str, Decimal] = {}
        for move in moves:
            sku = str(move["product."]["code"])
            found[sku] = found.get(sku, Decimal(0)) + Decimal(str(move["quantity"]))
        return found
