"""An order-to-cash landscape on a real SQLite file, driven one event at a time.

The ERP's outbound calls, the 3PL's channel (WH-EAST, X12 940), the WMS
(WH-WEST, REST) and the shop's admin API are recording connectors: what the
flow asks of them is what these tests check. The ERP's *reads* of credit and
prices are :class:`ErpTerms`, a stand-in holding the figures a test sets
(the Tryton tests read them from a real Tryton). Stock comes in as warehouse
snapshots through intake, as a 3PL's 846 would bring it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from distsync.bootstrap import Overrides, Services, build
from distsync.config import build_landscape
from distsync.flows.order_records import OrderRecord, load_order
from distsync.model.base import Document
from distsync.model.credit import CustomerCredit
from distsync.model.envelope import Envelope, new_event_id
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, CarrierRef, PartyRef
from distsync.model.prices import Price
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.shipping import (
    Package,
    ShipmentConfirmation,
    ShipmentConfirmationLine,
)
from distsync.model.units import Quantity
from distsync.runtime.operations import ParkedRecord
from distsync.runtime.ports import EventFilter, OutboundRequest
from distsync.testing import FrozenClock, RecordingConnector

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EAST, WEST = "WH-EAST", "WH-WEST"
PRICES = {"FAS-100": Decimal("5.00"), "FAS-200": Decimal("12.50"), "FAS-300": Decimal("80.00")}
UPS = CarrierRef(party_id="CAR-UPS", name="UPS", scac="UPSN", service="ground")
NOWHERE = "http://127.0.0.1:9"


def landscape_data(
    tmp_path: Path, inventory: dict[str, Any] | None = None, **orders: Any
) -> dict[str, Any]:
    """The landscape; ``orders`` adds keys to ``flows.orders``, ``inventory`` is
    ``flows.inventory``."""
    return {
        "runtime": {"database": str(tmp_path / "var" / "distsync.sqlite")},
        "x12": {"qualifier": "ZZ", "id": "NORTHWIND"},
        "systems": {
            "erp": {"type": "http-json", "url": NOWHERE},
            "westwms": {"type": "http-json", "url": NOWHERE},
            "shopadmin": {"type": "http-json", "url": NOWHERE},
        },
        "partners": {
            "east3pl": {
                "kind": "warehouse",
                "x12": {"qualifier": "ZZ", "id": "EAST3PL"},
                "channel": {"transport": "http", "url": NOWHERE},
                "sends": ["x12-945", "x12-846"],
                "receives": ["x12-940"],
            },
            "shop": {"kind": "channel", "party_id": "CUS-1042", "portal": "shopadmin"},
        },
        "flows": {
            "orders": {
                "enabled": True,
                "warehouses": {EAST: "partner:east3pl", WEST: "westwms"},
                "regions": {"OH": [EAST, WEST], "CA": [WEST, EAST]},
            }
            | orders,
            "inventory": inventory or {},
        },
    }


@dataclass
class ErpTerms:
    """The ERP's credit and price list as a test sets them (a stand-in for its reads)."""

    credits: dict[str, CustomerCredit] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=lambda: dict(PRICES))
    reads: int = 0

    def customer(self, party_id: str, limit: str | None = "100000", exposure: str = "0") -> None:
        self.credits[party_id] = CustomerCredit(
            party_id=party_id,
            currency="USD",
            credit_limit=None if limit is None else usd(limit),
            exposure=usd(exposure),
        )

    async def read_customer_credit(self, party_ids: Sequence[str]) -> dict[str, CustomerCredit]:
        self.reads += 1
        return {p: self.credits[p] for p in party_ids if p in self.credits}

    async def read_sales_prices(self, skus: Sequence[str] | None = None) -> list[Price]:
        self.reads += 1
        return [
            Price(price_id=f"list:{sku}", sku=sku, price_list="list", unit_price=usd(str(amount)),
                  uom="EA", valid_from=date(2026, 1, 1))
            for sku, amount in self.prices.items()
        ]  # fmt: skip


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def address(region: str = "OH") -> Address:
    city, postal = ("Dayton", "45402") if region == "OH" else ("Fresno", "93650")
    return Address(name="Maria Lopez", lines=("218 Maple Street",), city=city,
                   region=region, postal_code=postal, country="US")  # fmt: skip


def order(
    number: str,
    lines: Sequence[tuple[str, int]],
    *,
    customer: str = "CUS-2077",
    region: str = "OH",
    channel: str = "b2b",
    price: dict[str, str] | None = None,
) -> SalesOrder:
    return SalesOrder(
        order_number=number,
        external_order_id=f"EXT-{number}",
        channel=channel,
        ordered_at=START,
        customer=PartyRef(party_id=customer),
        ship_to=address(region),
        requested_ship_date=START.date(),
        carrier=UPS,
        currency="USD",
        lines=tuple(
            SalesOrderLine(
                line_number=n,
                item=ItemRef(sku=sku),
                quantity=Quantity(value=Decimal(qty), uom="EA"),
                unit_price=usd((price or {}).get(sku, str(PRICES[sku]))),
            )
            for n, (sku, qty) in enumerate(lines, 1)
        ),
    )


def snapshot(warehouse: str, stock: dict[str, int], at: datetime, number: str) -> InventorySnapshot:
    return InventorySnapshot(
        snapshot_id=number,
        warehouse_id=warehouse,
        as_of=at,
        balances=tuple(
            InventoryBalance(sku=sku, warehouse_id=warehouse, as_of=at,
                             on_hand=Quantity(value=Decimal(q), uom="EA"),
                             allocated=Quantity(value=Decimal(0), uom="EA"))
            for sku, q in stock.items()
        ),
    )  # fmt: skip


def confirmation(
    shipment_order: str, warehouse: str, shipped: dict[int, tuple[str, int]], at: datetime, tn: str
) -> ShipmentConfirmation:
    return ShipmentConfirmation(
        shipment_id=f"SH-{shipment_order}",
        shipment_order_number=shipment_order,
        warehouse_id=warehouse,
        shipped_at=at,
        carrier=UPS,
        master_tracking_number=tn,
        lines=tuple(
            ShipmentConfirmationLine(line_number=n, item=ItemRef(sku=sku),
                                     shipped_quantity=Quantity(value=Decimal(q), uom="EA"))
            for n, (sku, q) in shipped.items()
        ),
        packages=(Package(tracking_number=tn),),
    )  # fmt: skip


@dataclass
class OrdersWorld:
    """The services of an order-to-cash landscape, with its endpoints recorded."""

    services: Services
    clock: FrozenClock
    terms: ErpTerms
    erp: RecordingConnector
    east: RecordingConnector
    west: RecordingConnector
    shop: RecordingConnector

    @classmethod
    def open(
        cls, tmp_path: Path, inventory: dict[str, Any] | None = None, **orders: Any
    ) -> OrdersWorld:
        data = landscape_data(tmp_path, inventory, **orders)
        landscape = build_landscape(data, base_dir=tmp_path)
        clock = FrozenClock(START)
        terms = ErpTerms()
        for party in ("CUS-1042", "CUS-2077"):
            terms.customer(party)
        erp, east, west, shop = (RecordingConnector() for _ in range(4))
        connectors = {"erp": erp, "partner:east3pl": east, "westwms": west, "shopadmin": shop}
        overrides = Overrides(connectors=connectors, clock=clock, sales_terms=terms)
        return cls(build(landscape, overrides=overrides), clock, terms, erp, east, west, shop)

    async def stock(self, warehouse: str, stock: dict[str, int]) -> None:
        self.clock.advance(1)
        number = f"SNAP-{warehouse}-{self.clock().timestamp():.0f}"
        await self.receive(
            snapshot(warehouse, stock, self.clock(), number), "inventory.snapshot_received"
        )

    async def receive(self, document: Document, event_type: str, *, drain: bool = True) -> Envelope:
        envelope = self.envelope(document, event_type)
        await self.services.intake.accept([envelope])
        if drain:
            await self.drain()
        return envelope

    def envelope(self, document: Document, event_type: str, key: str | None = None) -> Envelope:
        now, event_id = self.clock(), new_event_id()
        number = document.document_number()
        return Envelope(
            event_id=event_id, type=event_type, schema_version=1, source_system="test",
            correlation_id=f"test:{number}", idempotency_key=key or f"test:{event_id}",
            partition_key=number, occurred_at=now, received_at=now,
            payload=document.model_dump(mode="json"),
        )  # fmt: skip

    async def receive_delivered(self, tracking_number: str) -> None:
        """The logistics flow's ``shipment.delivered`` for one parcel, as it emits it."""
        now = self.clock()
        payload = {"tracking_number": tracking_number, "carrier": UPS.model_dump(mode="json"),
                   "order_number": None, "shipment_id": None, "delivered_at": now.isoformat(),
                   "proof_of_delivery": None}  # fmt: skip
        envelope = Envelope(
            type="shipment.delivered", schema_version=1, source_system="distsync",
            correlation_id=f"tracking:{tracking_number}",
            idempotency_key=f"shipment.delivered:{tracking_number}",
            partition_key=tracking_number, occurred_at=now, received_at=now, payload=payload,
        )  # fmt: skip
        await self.services.intake.accept([envelope])
        await self.drain()

    async def drain(self) -> None:
        await self.services.worker("test").drain()

    async def record(self, order_number: str) -> OrderRecord:
        record = await load_order(self.services.backend, order_number)
        assert record is not None, f"no record of {order_number}"
        return record

    def available(self, sku: str, warehouse: str) -> Decimal:
        assert self.services.inventory is not None
        return self.services.inventory.available(sku, warehouse)

    async def exceptions(self, reason_code: str | None = None) -> list[ParkedRecord]:
        return await self.services.backend.exceptions(reason_code=reason_code)

    async def resolve(self, exception: ParkedRecord, action: str, **params: str) -> None:
        await self.services.backend.resolve(
            exception.id, action=action, actor="credit@northwind", note="checked", params=params
        )
        await self.drain()

    async def events(self, event_type: str) -> list[Envelope]:
        stored = await self.services.backend.list_events(
            EventFilter(types=(event_type,)), limit=1000
        )
        return [event.envelope for event in stored]

    async def close(self) -> None:
        await self.services.close()


def calls(connector: RecordingConnector, operation: str) -> list[OutboundRequest]:
    """What an endpoint received for ``operation``, once per idempotency key."""
    return [r for r in connector.effects.values() if r.operation == operation]
