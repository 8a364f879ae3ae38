"""A confirmed purchase amended in a real Tryton when a buyer accepts a supplier's changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distsync.connectors.tryton import TrytonConnector
from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.erp.sandbox import TrytonSandbox
from distsync.errors import PurchaseOrderNotFound, Rejected
from distsync.model.examples.master import qty, usd
from distsync.model.items import ItemRef
from distsync.model.procurement import PurchaseOrder, PurchaseOrderLine
from tests.integration.tryton_documents import count, purchase_order, receipt

pytestmark = pytest.mark.service


def revised(order: PurchaseOrder, lines: tuple[PurchaseOrderLine, ...]) -> PurchaseOrder:
    return order.model_copy(update={"revision": order.revision + 1, "lines": lines})


def changed(line: PurchaseOrderLine, **values: object) -> PurchaseOrderLine:
    return line.model_copy(update=values)


def amendments(sandbox: TrytonSandbox, order: PurchaseOrder) -> int:
    rpc = TrytonRpc(
        url=sandbox.url, database=sandbox.database, user=sandbox.user, password=sandbox.password
    )
    try:
        domain = [["purchase.reference", "=", order.po_number]]
        return int(rpc.model("purchase.amendment", "search_count", domain))
    finally:
        rpc.close()


async def test_accepted_changes_amend_the_purchase_once_and_receiving_follows_them(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    order = purchase_order("PO-AMEND-1")
    await erp.create_purchase_order(order)
    first, second, _dropped = order.lines
    amended = revised(
        order,
        (changed(first, quantity=qty(400, "EA")), changed(second, unit_price=usd("53.90"))),
    )

    done = await erp.amend_purchase_order(amended)
    again = await erp.amend_purchase_order(amended)
    back = await erp.read_purchase_order("PO-AMEND-1")
    delivery = receipt("REC-AMEND-1", "PO-AMEND-1", (1, "FAS-10432", 400, "EA"))
    posted = await erp.post_receipt(delivery)

    assert not done.duplicate
    assert again.duplicate
    assert amendments(tryton, order) == 1
    assert back is not None
    assert [(ln.line_number, ln.quantity.value, ln.unit_price.amount) for ln in back.lines] == [
        (1, Decimal(400), Decimal("0.08")),
        (2, Decimal(2), Decimal("53.90")),
    ]
    assert not posted.duplicate
    assert count(tryton, "purchase.purchase", "PO-AMEND-1") == 1


async def test_an_unchanged_order_amends_nothing(
    erp: TrytonConnector, tryton: TrytonSandbox
) -> None:
    order = purchase_order("PO-AMEND-2")
    await erp.create_purchase_order(order)

    answer = await erp.amend_purchase_order(revised(order, order.lines))

    assert answer.remote_id is None
    assert amendments(tryton, order) == 0


async def test_a_substituted_item_replaces_the_product_on_its_line(erp: TrytonConnector) -> None:
    order = purchase_order("PO-AMEND-3")
    await erp.create_purchase_order(order)
    first, lubricant, third = order.lines
    other = changed(lubricant, item=ItemRef(sku="LUB-5510"), unit_price=usd("58.00"))

    await erp.amend_purchase_order(revised(order, (first, other, third)))
    back = await erp.read_purchase_order("PO-AMEND-3")

    assert back is not None
    assert (back.lines[1].item.sku, back.lines[1].unit_price.amount) == ("LUB-5510", Decimal(58))


async def test_what_an_amendment_cannot_do_is_refused(erp: TrytonConnector) -> None:
    order = purchase_order("PO-AMEND-4")
    await erp.create_purchase_order(order)
    extra = changed(order.lines[0], line_number=9)

    with pytest.raises(Rejected, match="line 9 is not on the Tryton purchase"):
        await erp.amend_purchase_order(revised(order, (*order.lines, extra)))
    with pytest.raises(PurchaseOrderNotFound):
        await erp.amend_purchase_order(purchase_order("PO-NEVER-SENT"))
