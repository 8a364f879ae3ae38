"""Tryton ids for the codes canonical documents use, looked up once and remembered.

Canonical documents name things by code: a SKU, a party id, a warehouse id,
a unit code, a currency. Tryton wants record ids. :class:`TrytonDirectory`
resolves each code on first use and keeps the answer for the life of the
connection: the connector makes a new directory on every ``connect()``, so
master data changed in Tryton is seen after a reconnect.

Units: a canonical unit code maps to the Tryton unit whose *symbol* it names,
through :data:`DEFAULT_UNITS` (``EA`` is Tryton's ``u``, ``KG`` its ``kg``)
and the landscape's ``units`` overrides. Reading back, a Tryton symbol maps
to the first canonical code that names it, else to itself when it is a
canonical code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_rpc import TrytonRpc
from distsync.errors import Rejected, UnknownSku
from distsync.model.units import KNOWN_UNITS

__all__ = ["DEFAULT_UNITS", "Location", "Party", "Product", "TrytonDirectory", "Unit"]

DEFAULT_UNITS: Mapping[str, str] = {
    "EA": "u", "PC": "u", "C62": "u", "H87": "u",
    "KG": "kg", "KGM": "kg", "GR": "g", "GRM": "g", "LB": "lb", "LBR": "lb",
    "OZ": "oz", "ONZ": "oz", "LT": "l", "LTR": "l", "GA": "gal", "FT": "ft",
    "MR": "m", "MTR": "m", "CMT": "cm", "MTK": "m²", "MTQ": "m³",
}  # fmt: skip
"""Canonical unit code -> Tryton unit symbol, where they differ."""


@dataclass(frozen=True)
class Unit:
    """A Tryton unit of measure: its id, symbol, category and size relative to the category."""

    id: int
    symbol: str
    category: int
    factor: Decimal
    digits: int


@dataclass(frozen=True)
class Location:
    """A Tryton warehouse with its input, storage and output locations."""

    id: int
    code: str
    input: int
    storage: int
    output: int


@dataclass(frozen=True)
class Party:
    """A Tryton party: id, code, name and the address documents use."""

    id: int
    code: str
    name: str
    address: int | None


@dataclass(frozen=True)
class Product:
    """A Tryton product variant: id, code (the SKU) and stock unit."""

    id: int
    code: str
    unit: int


class TrytonDirectory:
    """Looks up Tryton ids by code and remembers them (see the module docstring)."""

    def __init__(
        self,
        rpc: TrytonRpc,
        *,
        units: Mapping[str, str] | None = None,
        warehouses: Mapping[str, str] | None = None,
        company: str | None = None,
    ) -> None:
        self.rpc = rpc
        self._unit_symbols = {**DEFAULT_UNITS, **(units or {})}
        self._warehouse_codes = dict(warehouses or {})
        self._company_name = company
        self._units: dict[int, Unit] | None = None
        self._locations: dict[str, Location] = {}
        self._parties: dict[str, Party] = {}
        self._products: dict[str, Product] = {}
        self._codes: dict[tuple[str, str], int] = {}
        self._company: tuple[int, Party, int] | None = None

    def search_one(self, model: str, domain: list[Any], what: str) -> int:
        """The id of the one record ``domain`` finds; Rejected when there is none."""
        ids = self.rpc.model(model, "search", domain, 0, 1, None)
        if not ids:
            raise Rejected(f"Tryton has no {what}")
        return int(ids[0])

    def find_reference(self, model: str, reference: str) -> dict[str, Any] | None:
        """The company's oldest record of ``model`` with this reference: id and state.

        The look-up before every create (idempotency): only the reference
        counts, never Tryton's own number.
        """
        company, _, _ = self.company()
        rows = self.rpc.model(
            model, "search_read", [["reference", "=", reference], ["company", "=", company]],
            0, 1, [["id", "ASC"]], ["state"],
        )  # fmt: skip
        return dict(rows[0]) if rows else None

    def find_document(self, model: str, number: str, fields: list[str]) -> dict[str, Any] | None:
        """The company's record of ``model`` whose reference, else number, is ``number``.

        One call; of several records with that reference the oldest wins.
        """
        company, _, _ = self.company()
        either = ["OR", ["reference", "=", number], ["number", "=", number]]
        rows = self.rpc.model(
            model, "search_read", [["company", "=", company], either],
            0, None, [["id", "ASC"]], ["reference", *fields],
        )  # fmt: skip
        for row in rows:
            if row["reference"] == number:
                return dict(row)
        return dict(rows[0]) if rows else None

    def company(self) -> tuple[int, Party, int]:
        """The company's id, its party and its currency id (the one the context names)."""
        if self._company is None:
            domain: list[Any] = [["id", "=", self.rpc.context.get("company")]]
            if self._company_name:
                domain = [["party.name", "=", self._company_name]]
            rows = self.rpc.model(
                "company.company", "search_read", domain, 0, 1, None,
                ["party", "party.code", "party.name", "currency"],
            )  # fmt: skip
            if not rows:
                raise Rejected(f"Tryton has no company {self._company_name or '(in the context)'}")
            row = rows[0]
            party = Party(row["party"], row["party."]["code"] or "", row["party."]["name"], None)
            self._company = (int(row["id"]), party, int(row["currency"]))
            self.rpc.set_context(company=row["id"], companies=[row["id"]])
        return self._company

    def warehouse(self, warehouse_id: str) -> Location:
        """The Tryton warehouse for a canonical warehouse id."""
        code = self._warehouse_codes.get(warehouse_id, warehouse_id)
        if code not in self._locations:
            rows = self.rpc.model(
                "stock.location", "search_read",
                [["type", "=", "warehouse"], ["code", "=", code]], 0, 1, None,
                ["code", "input_location", "storage_location", "output_location"],
            )  # fmt: skip
            if not rows:
                raise Rejected(f"Tryton has no warehouse with code {code}")
            self._locations[code] = _location(rows[0])
        return self._locations[code]

    def warehouse_id_of(self, code: str) -> str:
        """The canonical warehouse id of a Tryton warehouse code."""
        for canonical, tryton_code in self._warehouse_codes.items():
            if tryton_code == code:
                return canonical
        return code

    def party(self, code: str) -> Party:
        """The Tryton party with this code (our canonical party id)."""
        if code not in self._parties:
            rows = self.rpc.model(
                "party.party", "search_read", [["code", "=", code]], 0, 1, None,
                ["code", "name", "addresses"],
            )  # fmt: skip
            if not rows:
                raise Rejected(f"Tryton has no party with code {code}")
            row = rows[0]
            address = row["addresses"][0] if row["addresses"] else None
            self._parties[code] = Party(int(row["id"]), code, row["name"], address)
        return self._parties[code]

    def product(self, sku: str, *, document_ref: str) -> Product:
        """The Tryton product whose code is ``sku``; UnknownSku when there is none."""
        if sku not in self._products:
            rows = self.rpc.model(
                "product.product", "search_read", [["code", "=", sku]], 0, 1, None,
                ["code", "default_uom"],
            )  # fmt: skip
            if not rows:
                raise UnknownSku(
                    f"Tryton has no product with code {sku}",
                    document_ref=document_ref,
                    facts={"sku": sku},
                )
            self._products[sku] = Product(int(rows[0]["id"]), sku, int(rows[0]["default_uom"]))
        return self._products[sku]

    def currency(self, code: str) -> int:
        """The Tryton currency id for an ISO 4217 code."""
        return self._by_code("currency.currency", code, "currency")

    def country(self, code: str) -> int:
        """The Tryton country id for an ISO 3166 alpha-2 code."""
        return self._by_code("country.country", code, "country")

    def subdivision(self, code: str) -> int:
        """The Tryton subdivision id for an ISO 3166-2 code (``US-OH``)."""
        return self._by_code("country.subdivision", code, "subdivision")

    def find_subdivision(self, code: str) -> int | None:
        """The subdivision id for ``code``, or None when Tryton does not have it loaded."""
        key = ("country.subdivision", code)
        if key not in self._codes:
            found = self.rpc.model(
                "country.subdivision", "search", [["code", "=", code]], 0, 1, None
            )
            if not found:
                return None
            self._codes[key] = int(found[0])
        return self._codes[key]

    def remember(self, key: str, find: Callable[[], int]) -> int:
        """The id remembered under ``key``, found with ``find()`` the first time."""
        if ("", key) not in self._codes:
            self._codes[("", key)] = find()
        return self._codes[("", key)]

    def _by_code(self, model: str, code: str, what: str) -> int:
        key = (model, code)
        if key not in self._codes:
            self._codes[key] = self.search_one(model, [["code", "=", code]], f"{what} {code}")
        return self._codes[key]

    def units(self) -> dict[int, Unit]:
        """Every Tryton unit by id."""
        if self._units is None:
            rows = self.rpc.model(
                "product.uom", "search_read", [], 0, None, None,
                ["symbol", "category", "factor", "digits"],
            )  # fmt: skip
            self._units = {int(r["id"]): _unit(r) for r in rows}
        return self._units

    def unit(self, code: str) -> Unit:
        """The Tryton unit for a canonical unit code."""
        symbol = self._unit_symbols.get(code, code)
        for unit in self.units().values():
            if unit.symbol == symbol:
                return unit
        raise Rejected(f"Tryton has no unit with symbol {symbol} (canonical unit {code})")

    def unit_code(self, unit_id: int) -> str:
        """The canonical code of a Tryton unit."""
        symbol = self.units()[unit_id].symbol
        for code, mapped in self._unit_symbols.items():
            if mapped == symbol:
                return code
        if symbol in KNOWN_UNITS:
            return symbol
        raise Rejected(f"Tryton unit {symbol} has no canonical unit code; map it in units")

    def convert(self, quantity: Decimal, from_unit: int, to_unit: int) -> Decimal:
        """``quantity`` in ``from_unit`` expressed in ``to_unit`` (same category)."""
        if from_unit == to_unit:
            return quantity
        source, target = self.units()[from_unit], self.units()[to_unit]
        if source.category != target.category:
            raise Rejected(f"cannot convert {source.symbol} into {target.symbol}")
        return quantity * source.factor / target.factor


def _location(row: Mapping[str, Any]) -> Location:
    return Location(
        id=int(row["id"]),
        code=str(row["code"]),
        input=int(row["input_location"]),
        storage=int(row["storage_location"]),
        output=int(row["output_location"]),
    )


def _unit(row: Mapping[str, Any]) -> Unit:
    return Unit(
        id=int(row["id"]),
        symbol=str(row["symbol"]),
        category=int(row["category"]),
        factor=Decimal(str(row["factor"])),
        digits=int(row["digits"] or 0),
    )
