"""The shop ``bench/order_release.py`` serves: customers, price list, stock, and its orders.

Everything is a pure function of an item's or a customer's number, so the
server process (which holds the ERP stand-in and the stock book) and the
load generator (which writes the orders) agree without talking:

- ``customers`` accounts ``CUS-00000``…; one in twenty is near its credit
  limit (its orders are held for credit), one in a hundred is inactive
  (rejected); ``UNKNOWN`` are parties the ERP does not know (rejected);
- ``skus`` items ``SKU-00000``… with a list price each;
- stock in two warehouses; one item in thirty has almost none (lines held
  for stock).

An order has one to five lines at the list price; one line in fifty is
priced 10% off the list (held: the tolerance is 2%) and one in two hundred
names an item nobody sells (that line rejected, the order held).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from distsync.flows.inventory import SNAPSHOT, InventoryFlow
from distsync.model.credit import CustomerCredit
from distsync.model.envelope import Envelope
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.items import ItemRef
from distsync.model.money import Money
from distsync.model.parties import Address, CarrierRef, PartyRef
from distsync.model.prices import Price
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.units import Quantity

WAREHOUSES = ("WH-EAST", "WH-WEST")
UNKNOWN = tuple(f"CUS-GONE-{n}" for n in range(5))
LIMIT = Decimal(50_000)
UPS = CarrierRef(party_id="CAR-UPS", name="UPS", scac="UPSN", service="ground")
SHIP_TO = Address(name="Maria Lopez", lines=("218 Maple Street",), city="Dayton",
                  region="OH", postal_code="45402", country="US")  # fmt: skip


def customer(number: int) -> str:
    return f"CUS-{number:05d}"


def sku(number: int) -> str:
    return f"SKU-{number:05d}"


def list_price(number: int) -> Decimal:
    return Decimal(100 + number * 7919 % 20_000) / 100


def usd(amount: Decimal) -> Money:
    return Money(amount=amount, currency="USD")


def credit(number: int) -> CustomerCredit:
    near_limit = number % 20 == 7
    exposure = LIMIT - 50 if near_limit else Decimal(number * 37 % 30_000)
    return CustomerCredit(party_id=customer(number), currency="USD", credit_limit=usd(LIMIT),
                          exposure=usd(exposure), active=number % 100 != 42)  # fmt: skip


def on_hand(number: int, warehouse: int) -> int:
    if number % 30 == 11:
        return warehouse
    return 20 + (number * 31 + warehouse * 17) % 400


@dataclass
class ErpTerms:
    """Stand-in for the ERP's reads of credit and prices (no ERP runs); counts the reads."""

    customers: int
    items: int
    reads: int = 0
    _credits: dict[str, CustomerCredit] = field(default_factory=dict)
    _prices: list[Price] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._credits = {customer(n): credit(n) for n in range(self.customers)}
        valid = date(2026, 1, 1)
        self._prices = [
            Price(price_id=f"list:{sku(n)}", sku=sku(n), price_list="list",
                  unit_price=usd(list_price(n)), uom="EA", valid_from=valid)
            for n in range(self.items)
        ]  # fmt: skip

    async def read_customer_credit(self, party_ids: Sequence[str]) -> dict[str, CustomerCredit]:
        self.reads += 1
        return {p: self._credits[p] for p in party_ids if p in self._credits}

    async def read_sales_prices(self, skus: Sequence[str] | None = None) -> list[Price]:
        self.reads += 1
        return list(self._prices)


def stocked_flow(items: int) -> InventoryFlow:
    """An inventory flow fed one full snapshot per warehouse, as ``inventory.atp`` applies it."""
    flow = InventoryFlow(lambda: datetime.now(UTC))
    counted = datetime.now(UTC) - timedelta(minutes=5)
    for where, warehouse in enumerate(WAREHOUSES):
        balances = tuple(
            InventoryBalance(sku=sku(n), warehouse_id=warehouse, as_of=counted,
                             on_hand=each(on_hand(n, where)), allocated=each(0))
            for n in range(items)
        )  # fmt: skip
        snapshot = InventorySnapshot(
            snapshot_id=f"SNAP-{warehouse}", warehouse_id=warehouse, as_of=counted,
            balances=balances,
        )  # fmt: skip
        flow.apply(
            Envelope(type=SNAPSHOT, schema_version=1, source_system="partner:bench",
                     correlation_id=f"inventory:{warehouse}", idempotency_key=snapshot.snapshot_id,
                     partition_key=warehouse, occurred_at=counted,
                     payload=snapshot.model_dump(mode="json"))
        )  # fmt: skip
    return flow


def each(value: int) -> Quantity:
    return Quantity(value=Decimal(value), uom="EA")


class Orders:
    """Sales orders from random customers for random items, seeded."""

    def __init__(self, customers: int, items: int, seed: int) -> None:
        self._customers, self._items = customers, items
        self._pick = random.Random(seed)
        self._count = 0

    def party(self) -> str:
        if self._pick.random() < 0.005:
            return self._pick.choice(UNKNOWN)
        return customer(self._pick.randrange(self._customers))

    def next(self, party: str | None = None) -> SalesOrder:
        """The next order, from ``party`` if given, else from a random customer."""
        self._count += 1
        number = f"SO-{self._count:07d}"
        now = datetime.now(UTC)
        lines = tuple(self._line(n) for n in range(1, self._pick.randint(1, 5) + 1))
        return SalesOrder(order_number=number, external_order_id=f"WEB-{number}", channel="b2b",
                          ordered_at=now, customer=PartyRef(party_id=party or self.party()),
                          ship_to=SHIP_TO, requested_ship_date=now.date(), carrier=UPS,
                          currency="USD", lines=lines)  # fmt: skip

    def _line(self, number: int) -> SalesOrderLine:
        item = self._pick.randrange(self._items)
        price, code = list_price(item), sku(item)
        if self._pick.random() < 0.02:
            price = (price * Decimal("0.9")).quantize(Decimal("0.01"))
        if self._pick.random() < 0.005:
            code = f"GONE-{item:05d}"
        return SalesOrderLine(line_number=number, item=ItemRef(sku=code),
                              quantity=each(self._pick.randint(1, 6)),
                              unit_price=usd(price))  # fmt: skip

    def every_party(self) -> list[str]:
        """Each party an order may name: asking for each once warms the credit cache."""
        return [customer(n) for n in range(self._customers)] + list(UNKNOWN)
