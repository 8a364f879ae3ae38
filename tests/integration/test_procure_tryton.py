"""The procure flow against a real Tryton, with the supplier and the 3PL as real X12 simulators.

A purchase order created and confirmed in Tryton is polled, sent to ACME as
an 850 over HTTP (``SupplierSimulator``), and everything ACME answers — the
997, an 855 with a price change within tolerance, two 856s (half now, half
later), an 810 per 856 — is received as X12 from ACME, in the order a
receiving dock would see it. Each matched notice goes to the 3PL as a 943
(``ThreePlSimulator``), whose 944 is received back. Tryton is then asked
what it holds: the amended purchase, one done incoming shipment per
receipt with the received quantities, the balance still expected, the stock
of WH-EAST, and the draft supplier invoices. Notices and receipts the
partners send again, byte for byte or in a new interchange, change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from distsync.bootstrap import Services
from distsync.config_x12 import X12Identity
from distsync.connectors.tryton import TrytonConnector
from distsync.demo.supplier_behaviour import SupplierBehaviour
from distsync.demo.supplier_sim import SupplierSimulator
from distsync.demo.threepl_sim import ThreePlSimulator
from distsync.erp.sandbox import TrytonSandbox
from distsync.flows.procure_state import PoRecord, load_po
from distsync.model.examples.master import qty
from distsync.model.procurement import PurchaseOrderStatus
from distsync.partners.x12_in import X12Inbound
from distsync.rules.po_lifecycle import PoState
from distsync.runtime.ports import EventFilter
from tests.integration.procure_tryton_world import (
    PASSWORD_ENV,
    TrytonBook,
    open_services,
    partners,
    run_job,
    settle,
)
from tests.integration.tryton_documents import purchase_order
from tests.integration.tryton_fixtures import make_connector

pytestmark = pytest.mark.service

PO = "PO-TRY-0001"
SIM_TIME = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
ACME = X12Identity(qualifier="ZZ", id="ACME", version="004010")
EAST3PL = X12Identity(qualifier="ZZ", id="EAST3PL", version="004010")
GLOVE_PRICE = Decimal("8.10")  # ordered at 7.90: +2.5%, within the 5% tolerance
HALF_ON_HAND = {
    "FAS-10432": (Decimal(250), "EA"),
    "LUB-5500": (Decimal(12), "EA"),
    "GLV-2211": (Decimal(3), "BX"),
}
BEHAVIOUR = SupplierBehaviour(
    partial={"*": Decimal("0.5")}, rest_delay=0, price_changes={"GLV-2211": GLOVE_PRICE}
)


def sim_clock() -> datetime:
    return SIM_TIME


@dataclass
class World:
    """distsync on SQLite, Tryton, ACME and the 3PL; the test hands partner answers in."""

    services: Services
    erp: TrytonConnector
    book: TrytonBook
    supplier: SupplierSimulator
    warehouse: ThreePlSimulator
    folder: Path

    async def poll(self) -> None:
        """The procure jobs' polls of Tryton: master data, then confirmed purchase orders."""
        await run_job(self.services, "poll:erp:master_data")
        await run_job(self.services, "poll:erp:purchase_orders")
        await settle(self.services)

    async def receive(self, partner: str, body: bytes) -> int:
        """An interchange from ``partner`` received as the inbound API would; events appended."""
        s = self.services
        inbound = X12Inbound(landscape=s.landscape, log=s.backend, intake=s.intake, clock=s.clock)
        received = await inbound.receive(body, partner=partner)
        await settle(s)
        return len(received.appended)

    def from_supplier(self, set_id: str, index: int = 0) -> bytes:
        assert self.supplier.wait_idle()
        return [s.body for s in self.supplier.sent if s.set_id == set_id][index]

    def from_warehouse(self, index: int) -> bytes:
        assert self.warehouse.wait_idle()
        return [s.body for s in self.warehouse.sent if s.set_id == "944"][index]

    def sent_again_by_supplier(self, set_id: str, index: int = 0) -> bytes:
        """What ACME's system sends when it runs the order again: same documents, new controls."""
        with SupplierSimulator(
            ACME, BEHAVIOUR, reply_to=self.folder / "acme-again", first_control=500, clock=sim_clock
        ) as again:
            again.take(self.supplier.received[0].body)
            assert again.wait_idle()
        return [s.body for s in again.sent if s.set_id == set_id][index]

    def sent_again_by_warehouse(self, index: int) -> bytes:
        """The 3PL's system sends a receipt again: the same receipt in a new interchange."""
        with ThreePlSimulator(
            EAST3PL, reply_to=self.folder / "3pl-again", first_control=500, clock=sim_clock
        ) as again:
            for notice in self.warehouse.received[: index + 1]:
                again.take(notice.body)
            assert again.wait_idle()
        return [s.body for s in again.sent if s.set_id == "944"][index]

    async def record(self) -> PoRecord:
        record = await load_po(self.services.backend, PO)
        assert record is not None
        return record

    async def on_hand(self) -> dict[str, tuple[Decimal, str]]:
        stock = await self.erp.read_stock("WH-EAST", ["FAS-10432", "LUB-5500", "GLV-2211"])
        return {b.sku: (b.on_hand.value, b.on_hand.uom) for b in stock.balances}


@pytest.fixture
def supplier(tmp_path: Path) -> Iterator[SupplierSimulator]:
    with SupplierSimulator(
        ACME, BEHAVIOUR, reply_to=tmp_path / "from-acme", clock=sim_clock
    ) as simulator:
        yield simulator


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[ThreePlSimulator]:
    with ThreePlSimulator(EAST3PL, reply_to=tmp_path / "from-3pl", clock=sim_clock) as simulator:
        yield simulator


@pytest.fixture
async def world(
    tryton: TrytonSandbox,
    supplier: SupplierSimulator,
    warehouse: ThreePlSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    monkeypatch.setenv(PASSWORD_ENV, tryton.password)
    services = open_services(
        tmp_path,
        tryton,
        partners=partners(supplier.url, warehouse.url),
        procure={"warehouses": {"WH-EAST": "partner:east3pl"}, "price_tolerance_pct": 5},
    )
    erp, book = make_connector(tryton), TrytonBook(tryton)
    try:
        yield World(services, erp, book, supplier, warehouse, tmp_path)
    finally:
        book.close()
        await erp.close()
        await services.close()


async def test_an_order_confirmed_in_tryton_comes_back_received_and_invoiced(
    world: World,
) -> None:
    await world.erp.create_purchase_order(purchase_order(PO))
    await world.poll()
    assert [r.status for r in world.supplier.received] == [202], "the 850 reached ACME"

    await world.receive("acme", world.from_supplier("997"))
    await world.receive("acme", world.from_supplier("855"))
    await assert_amended_in_tryton_and_not_sent_again(world)

    await world.receive("acme", world.from_supplier("856", 0))
    await world.receive("east3pl", world.from_warehouse(0))
    await assert_first_half_in_tryton(world)
    await assert_partners_repeating_themselves_change_nothing(world)
    await world.receive("acme", world.from_supplier("810", 0))
    await assert_invoiced_in_tryton(world, "SUP-INV-000001")

    await world.receive("acme", world.from_supplier("856", 1))
    await world.receive("east3pl", world.from_warehouse(1))
    await world.receive("acme", world.from_supplier("810", 1))
    await assert_invoiced_in_tryton(world, "SUP-INV-000002")
    await assert_all_in_tryton_and_closed(world)


async def assert_amended_in_tryton_and_not_sent_again(world: World) -> None:
    """The 855's price within tolerance amends Tryton's purchase, which is polled again."""
    amended = await world.erp.read_purchase_order(PO)
    assert amended is not None
    prices = [line.unit_price.amount for line in amended.lines]
    assert prices == [Decimal("0.08"), Decimal("55.20"), GLOVE_PRICE]
    await world.poll()
    assert len(world.supplier.received) == 1, "the amended order is not sent to ACME again"
    assert (await world.record()).state is PoState.ACKNOWLEDGED


async def assert_first_half_in_tryton(world: World) -> None:
    """The first notice's receipt: one done shipment, half of each line still expected."""
    receipt = await world.erp.read_receipt("R000001")
    assert receipt is not None
    assert [(ln.po_line_number, ln.item.sku, ln.received_quantity) for ln in receipt.lines] == [
        (1, "FAS-10432", qty(250, "EA")),
        (2, "LUB-5500", qty(1, "CA")),  # the 3PL counted 12 spray cans
        (3, "GLV-2211", qty(3, "BX")),
    ]
    assert world.book.shipments("R000001") == ["done"]
    assert world.book.still_expected(PO) == {
        (1, "FAS-10432"): (Decimal(250), "u"),
        (2, "LUB-5500"): (Decimal(1), "CA"),
        (3, "GLV-2211"): (Decimal(3), "BX"),
    }
    order = await world.erp.read_purchase_order(PO)
    assert order is not None
    assert order.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert await world.on_hand() == HALF_ON_HAND
    record = await world.record()
    assert record.state is PoState.PARTIALLY_RECEIVED
    assert record.received == {1: Decimal(250), 2: Decimal(12), 3: Decimal(3)}


async def assert_partners_repeating_themselves_change_nothing(world: World) -> None:
    """The first 856 and 944 again: byte for byte, and re-sent in new interchanges."""
    assert await world.receive("acme", world.from_supplier("856", 0)) == 0
    assert await world.receive("east3pl", world.from_warehouse(0)) == 0
    assert await world.receive("acme", world.sent_again_by_supplier("856", 0)) > 0
    assert await world.receive("east3pl", world.sent_again_by_warehouse(0)) > 0

    assert len(world.warehouse.received) == 1, "the notice went to the 3PL once"
    assert world.book.shipments("R000001") == ["done"], "one shipment for the receipt"
    assert await world.on_hand() == HALF_ON_HAND
    posts = await world.services.backend.list_events(EventFilter(types=("outbound.requested",)))
    operations = [e.envelope.payload["operation"] for e in posts]
    assert operations.count("post_receipt") == 1


async def assert_invoiced_in_tryton(world: World, number: str) -> None:
    """An 810 for half of each line, at the acknowledged prices: a draft supplier invoice."""
    invoice = await world.erp.read_supplier_invoice(number)
    assert invoice is not None
    assert invoice.po_number == PO
    assert [(ln.item.sku, ln.quantity.value, ln.unit_price.amount) for ln in invoice.lines] == [
        ("FAS-10432", Decimal(250), Decimal("0.08")),
        ("LUB-5500", Decimal(1), Decimal("55.20")),
        ("GLV-2211", Decimal(3), GLOVE_PRICE),
    ]
    assert invoice.total.amount == Decimal("99.50")


async def assert_all_in_tryton_and_closed(world: World) -> None:
    """Both notices received in Tryton, nothing left to expect; the flow closed the order."""
    order = await world.erp.read_purchase_order(PO)
    assert order is not None
    assert order.status is PurchaseOrderStatus.RECEIVED
    assert world.book.shipments("R000002") == ["done"]
    assert world.book.still_expected(PO) == {}
    assert await world.on_hand() == {
        "FAS-10432": (Decimal(500), "EA"),
        "LUB-5500": (Decimal(24), "EA"),
        "GLV-2211": (Decimal(6), "BX"),
    }
    record = await world.record()
    assert record.state is PoState.CLOSED
    assert list(record.receipts) == ["R000001", "R000002"]
    assert record.invoiced == record.received
    stats = await world.services.backend.stats()
    assert (stats.dead_letters_open, stats.exceptions_open) == (0, 0)
