"""The master data of the Tryton sandbox, written over JSON-RPC into a fresh database.

After ``trytond-admin -u purchase sale`` the database has the stock module's
warehouse ``WH`` and the UoM ``Unit``, nothing else. :func:`seed` adds what
purchases, sales and draft supplier invoices need without a full accounting
set-up (see ``docs/erp-tryton.md``):

- the currency USD, the country US with Ohio, and the company *Northwind
  Distribution* (party code ``NWD``) as the admin user's company;
- purchases and sales invoiced ``manual`` (the default ``order`` needs
  account categories and silently leaves confirmed purchases unprocessed);
- the warehouse renamed ``WH-EAST`` (the canonical examples' warehouse id)
  and a second one, ``WH-WEST``, with input, storage and output zones of
  its own at a second address of the company;
- units ``BX`` (box) and ``RL`` (roll) in categories of their own, and
  ``CA``, a case of 12 units;
- a tiny chart of accounts (payable, receivable, expense, revenue) and a
  product category using it, so that supplier invoices can be drafted;
- suppliers and customers in party categories ``Supplier`` / ``Customer``,
  coded like the canonical examples (``SUP-ACME``, ``CUS-1042``), each
  customer with a credit limit (module ``account_credit_limit``), a small
  one for ``CUS-3150`` so that an order can be held for credit;
- the catalog of ``model/examples/master.py`` (plus the substitute
  ``LUB-5510``) as purchasable, salable goods with their GTINs, and the
  spare part ``SKU-NS-1``, purchasable but not salable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from distsync.connectors.tryton_rpc import TrytonRpc

__all__ = [
    "COMPANY",
    "CREDIT_LIMITS",
    "CUSTOMERS",
    "PRODUCTS",
    "SECOND_WAREHOUSE",
    "SUPPLIERS",
    "WAREHOUSE_CODE",
    "SeedParty",
    "seed",
]

WAREHOUSE_CODE = "WH-EAST"


class SeedParty(NamedTuple):
    """A party of the sandbox with its main address."""

    code: str
    name: str
    street: str
    city: str
    postal_code: str


class SeedProduct(NamedTuple):
    """A product: code (the SKU), name, GTIN, stock unit, purchase unit and prices."""

    code: str
    name: str
    gtin: str
    uom: str
    purchase_uom: str
    list_price: str
    cost_price: str
    salable: bool = True


class SeedWarehouse(NamedTuple):
    """A warehouse besides the stock module's: code, name, zone code prefix and its address."""

    code: str
    name: str
    zone_prefix: str
    street: str
    city: str
    postal_code: str


COMPANY = SeedParty("NWD", "Northwind Distribution", "4400 Logistics Parkway", "Columbus", "43217")
SECOND_WAREHOUSE = SeedWarehouse(
    "WH-WEST", "West Distribution Center", "W", "1850 Commerce Boulevard", "Cincinnati", "45246"
)
SUPPLIERS = (
    SeedParty("SUP-ACME", "ACME Industrial Supply", "1200 Industrial Drive", "Cleveland", "44114"),
    SeedParty("SUP-GLOBEX", "Globex Components", "77 Foundry Lane", "Toledo", "43604"),
    SeedParty("SUP-INITECH", "Initech Packaging", "3 Carton Court", "Akron", "44308"),
)
CUSTOMERS = (
    SeedParty("CUS-1042", "Bluebird Hardware", "218 Maple Street", "Dayton", "45402"),
    SeedParty("CUS-2077", "Harbor Tools", "9 Wharf Road", "Sandusky", "44870"),
    SeedParty("CUS-3150", "Keystone Builders", "51 Quarry Avenue", "Youngstown", "44503"),
)
CREDIT_LIMITS = {"CUS-1042": "50000", "CUS-2077": "20000", "CUS-3150": "500"}
"""Customer code -> credit limit in the company currency (USD)."""
PRODUCTS = (
    SeedProduct("FAS-10432", "Hex bolt M8x40 zinc plated", "0614141104321", "u", "u",
                "0.25", "0.08"),
    SeedProduct("GLV-2211", "Nitrile gloves size L, box of 100", "0614141221103", "BX", "BX",
                "12.90", "7.90"),
    SeedProduct("TAP-0048", "Duct tape 48 mm x 50 m silver", "0614141004805", "RL", "RL",
                "5.99", "3.15"),
    SeedProduct("LUB-5500", "Penetrating lubricant spray 400 ml", "0614141550050", "u", "CA",
                "7.49", "4.60"),
    SeedProduct("LUB-5510", "Penetrating lubricant spray 500 ml", "0614141009992", "u", "CA",
                "8.49", "4.60"),
    SeedProduct("DRL-1800", "Cordless drill driver 18 V", "0614141090709", "u", "u",
                "149.00", "89.00"),
    SeedProduct("SKU-NS-1", "Drive belt for DRL-1800 (spare part)", "0614141900015", "u", "u",
                "0", "2.40", salable=False),
)  # fmt: skip


class _Seeder:
    def __init__(self, rpc: TrytonRpc) -> None:
        self.rpc = rpc

    def create(self, model: str, *values: dict[str, Any]) -> list[int]:
        return [int(i) for i in self.rpc.model(model, "create", list(values))]

    def find(self, model: str, domain: list[Any]) -> int:
        ids = self.rpc.model(model, "search", domain, 0, 1, None)
        if not ids:
            raise LookupError(f"no {model} matches {domain}")
        return int(ids[0])

    def write(self, model: str, ids: list[int], values: dict[str, Any]) -> None:
        self.rpc.model(model, "write", ids, values)


def seed(rpc: TrytonRpc) -> None:
    """Write the sandbox's master data (see the module docstring) into an initialised database."""
    s = _Seeder(rpc)
    s.write("party.configuration", [1], {"party_sequence": None})
    currency, country, ohio = _money_and_places(s)
    company = _company(s, currency, country, ohio)
    rpc.login()  # the context now names the company
    _order_settings(s)
    category = _accounts(s, company)
    _warehouse(s)
    _second_warehouse(s, country, ohio)
    units = _units(s)
    _parties(s, country, ohio)
    _credit_limits(s)
    _products(s, units, category)


def _money_and_places(s: _Seeder) -> tuple[int, int, int]:
    (currency,) = s.create(
        "currency.currency",
        {"name": "US Dollar", "code": "USD", "symbol": "$", "rounding": Decimal("0.01"),
         "digits": 2},
    )  # fmt: skip
    (country,) = s.create("country.country", {"name": "United States", "code": "US"})
    (ohio,) = s.create(
        "country.subdivision",
        {"country": country, "name": "Ohio", "code": "US-OH", "type": "state"},
    )
    return currency, country, ohio


def _address(party: SeedParty, country: int, ohio: int) -> dict[str, Any]:
    return {
        "street": party.street,
        "city": party.city,
        "postal_code": party.postal_code,
        "country": country,
        "subdivision": ohio,
    }


def _company(s: _Seeder, currency: int, country: int, ohio: int) -> int:
    (party,) = s.create(
        "party.party",
        {
            "code": COMPANY.code,
            "name": COMPANY.name,
            "addresses": [["create", [_address(COMPANY, country, ohio)]]],
        },
    )
    (company,) = s.create("company.company", {"party": party, "currency": currency})
    s.write("res.user", [1], {"companies": [["add", [company]]], "company": company})
    return company


def _order_settings(s: _Seeder) -> None:
    s.write("purchase.configuration", [1], {"purchase_invoice_method": "manual"})
    s.write(
        "sale.configuration",
        [1],
        {"sale_invoice_method": "manual", "sale_shipment_method": "order"},
    )


def _accounts(s: _Seeder, company: int) -> int:
    """Four accounts and a product category using them; returns the category."""
    kinds = (
        ("Payable", "balance", "payable", "2100", "Accounts payable"),
        ("Receivable", "balance", "receivable", "1200", "Accounts receivable"),
        ("Expense", "income", "expense", "5000", "Purchases"),
        ("Revenue", "income", "revenue", "4000", "Sales"),
    )
    accounts: dict[str, int] = {}
    for type_name, statement, flag, code, name in kinds:
        (kind,) = s.create(
            "account.account.type",
            {"name": type_name, "statement": statement, flag: True, "company": company,
             "assets": flag == "receivable"},
        )  # fmt: skip
        party_required = flag in ("payable", "receivable")
        (accounts[flag],) = s.create(
            "account.account",
            {"name": name, "code": code, "type": kind, "company": company,
             "reconcile": party_required, "party_required": party_required},
        )  # fmt: skip
    s.write(
        "account.configuration",
        [1],
        {
            "default_account_payable": accounts["payable"],
            "default_account_receivable": accounts["receivable"],
        },
    )
    (category,) = s.create(
        "product.category",
        {"name": "Goods", "accounting": True, "account_expense": accounts["expense"],
         "account_revenue": accounts["revenue"]},
    )  # fmt: skip
    return category


def _warehouse(s: _Seeder) -> None:
    warehouse = s.find("stock.location", [["type", "=", "warehouse"]])
    party = s.find("party.party", [["code", "=", COMPANY.code]])
    address = s.find("party.address", [["party", "=", party]])
    s.write(
        "stock.location",
        [warehouse],
        {"code": WAREHOUSE_CODE, "name": "East Distribution Center", "address": address},
    )


def _second_warehouse(s: _Seeder, country: int, ohio: int) -> None:
    """A warehouse with zones of its own (Tryton parents them under it on create)."""
    west = SECOND_WAREHOUSE
    party = s.find("party.party", [["code", "=", COMPANY.code]])
    place = SeedParty(COMPANY.code, west.name, west.street, west.city, west.postal_code)
    (address,) = s.create("party.address", {"party": party, **_address(place, country, ohio)})
    zones = (("input_location", "IN", "Input Zone"), ("storage_location", "STO", "Storage Zone"),
             ("output_location", "OUT", "Output Zone"))  # fmt: skip
    values: dict[str, Any] = {"code": west.code, "name": west.name, "type": "warehouse",
                              "address": address}  # fmt: skip
    for field, code, name in zones:
        (values[field],) = s.create(
            "stock.location",
            {"code": f"{west.zone_prefix}-{code}", "name": f"{name} {west.zone_prefix}",
             "type": "storage"},
        )  # fmt: skip
    (values["lost_found_location"],) = s.create(
        "stock.location", {"name": f"Lost and Found {west.zone_prefix}", "type": "lost_found"}
    )
    s.create("stock.location", values)


def _units(s: _Seeder) -> dict[str, int]:
    units = {"u": s.find("product.uom", [["symbol", "=", "u"]])}
    unit_category = s.find("product.uom.category", [["name", "=", "Units"]])
    for name, symbol in (("Box", "BX"), ("Roll", "RL")):
        (category,) = s.create("product.uom.category", {"name": name})
        (units[symbol],) = s.create("product.uom", _uom(name, symbol, category, 1))
    (units["CA"],) = s.create("product.uom", _uom("Case of 12", "CA", unit_category, 12))
    return units


def _uom(name: str, symbol: str, category: int, factor: int) -> dict[str, Any]:
    return {
        "name": name,
        "symbol": symbol,
        "category": category,
        "factor": float(factor),
        "rate": round(1.0 / factor, 12),
        "rounding": 1.0,
        "digits": 0,
    }


def _parties(s: _Seeder, country: int, ohio: int) -> None:
    for label, parties in (("Supplier", SUPPLIERS), ("Customer", CUSTOMERS)):
        (category,) = s.create("party.category", {"name": label})
        s.create(
            "party.party",
            *(
                {
                    "code": party.code,
                    "name": party.name,
                    "categories": [["add", [category]]],
                    "addresses": [["create", [_address(party, country, ohio)]]],
                }
                for party in parties
            ),
        )


def _credit_limits(s: _Seeder) -> None:
    for code, limit in CREDIT_LIMITS.items():
        party = s.find("party.party", [["code", "=", code]])
        s.write("party.party", [party], {"credit_limit_amount": Decimal(limit)})


def _products(s: _Seeder, units: dict[str, int], category: int) -> None:
    for product in PRODUCTS:
        s.create(
            "product.template",
            {
                "name": product.name,
                "code": product.code,
                "type": "goods",
                "default_uom": units[product.uom],
                "purchasable": True,
                "purchase_uom": units[product.purchase_uom],
                "salable": product.salable,
                "sale_uom": units[product.uom] if product.salable else None,
                "list_price": Decimal(product.list_price),
                "account_category": category,
                "products": [["create", [_variant(product)]]],
            },
        )


def _variant(product: SeedProduct) -> dict[str, Any]:
    return {
        "cost_price": Decimal(product.cost_price),
        "identifiers": [["create", [{"type": "ean", "code": product.gtin}]]],
    }
