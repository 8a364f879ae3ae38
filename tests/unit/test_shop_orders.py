"""The simulated shop prices its orders from its catalogue, or from the prices it is given."""

from __future__ import annotations

from decimal import Decimal

from distsync.demo.shop_orders import OrderBook, ShopBehaviour


def test_given_prices_win_over_the_catalogue_and_the_totals_follow() -> None:
    book = OrderBook(
        ShopBehaviour(prices={"FAS-10432": Decimal("0.25")}, shipping_price=Decimal(0))
    )
    placed = book.place({"FAS-10432": 40, "WIDGET-1": 1})
    prices = {line["sku"]: line["price"] for line in placed.payload["line_items"]}
    assert prices == {"FAS-10432": "0.25", "WIDGET-1": "99.95"}
    assert placed.payload["total_price"] == "109.95"
