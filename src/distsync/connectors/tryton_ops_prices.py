"""Sales prices from Tryton: the list price of every salable, active product.

Mapping (``product.product`` and its template -> canonical ``Price``)::

    code                  sku; price_id ``list:<sku>``, price_list ``list``
    list_price            unit_price: the variant's list price, else the
                          template's, in the company currency; Tryton keeps
                          it per default unit, so it is converted to the
                          sale unit
    sale_uom              uom
    (none)                valid_from ``date.min``, valid_to None and
                          min_quantity 0: Tryton keeps one current list price
                          with no dates or quantity breaks

Only products that are salable and active have a price: a product without
one is not for sale, which is how a caller tells that an item is not
sellable. Customer-specific prices (module sale_price_list) are not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import decimal
from distsync.model.money import Money
from distsync.model.prices import Price

__all__ = ["PRICE_LIST", "read_sales_prices"]

PRICE_LIST = "list"
FIELDS = ["code", "default_uom", "sale_uom", "list_price", "template.list_price"]
PRICE_PLACES = Decimal("0.0001")  # the digits of Tryton's prices


def read_sales_prices(directory: TrytonDirectory, skus: Sequence[str] | None = None) -> list[Price]:
    """The list price of each salable, active product (only those of ``skus`` when given)."""
    _, _, currency_id = directory.company()
    (currency,) = directory.rpc.model("currency.currency", "read", [currency_id], ["code"])
    domain: list[Any] = [["code", "!=", None], ["salable", "=", True]]
    if skus is not None:
        domain.append(["code", "in", list(skus)])
    rows = directory.rpc.model(
        "product.product", "search_read", domain, 0, None, [["code", "ASC"]], FIELDS
    )
    return [_price(directory, row, str(currency["code"])) for row in rows if row["sale_uom"]]


def _price(directory: TrytonDirectory, row: Mapping[str, Any], currency: str) -> Price:
    per_default_unit = decimal(row["list_price"] or row["template."]["list_price"])
    sale_unit = int(row["sale_uom"])
    per_sale_unit = per_default_unit * directory.convert(
        Decimal(1), sale_unit, int(row["default_uom"])
    )
    if per_sale_unit != per_default_unit:
        per_sale_unit = per_sale_unit.quantize(PRICE_PLACES)
    return Price(
        price_id=f"{PRICE_LIST}:{row['code']}",
        sku=row["code"],
        price_list=PRICE_LIST,
        unit_price=Money(amount=per_sale_unit, currency=currency),
        uom=directory.unit_code(sale_unit),
        min_quantity=Decimal(0),
        valid_from=date.min,
    )
