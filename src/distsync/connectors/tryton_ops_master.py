"""Master data and stock from Tryton: items, suppliers, customers, warehouses, stock on hand.

Mapping::

    Item          product.product of type goods: code -> sku, name -> description,
                  default unit -> base_uom, purchase and sale units -> conversions
                  (same unit category), EAN/UPC identifier -> gtin,
                  partner_ids[<system>] = the Tryton id
    Party         party.party with a code: code -> party_id; roles from the party
                  categories named Supplier, Customer and Carrier; addresses with
                  street, postal code and country (the first is the main one)
    Warehouse     stock.location of type warehouse: code -> warehouse_id, its
                  address, its input / storage / output locations as receiving /
                  storage / shipping locations; managed_by names this connector
    InventoryBalance   per product: on_hand = quantity in the warehouse,
                  allocated = on_hand less the quantity once assigned moves are
                  counted (Tryton's ``stock_assign`` context), in the stock unit
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import decimal
from distsync.connectors.tryton_ops_sale import read_address
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.items import Item, UomConversion
from distsync.model.parties import AddressPurpose, Party, PartyAddress, PartyRole
from distsync.model.units import Quantity
from distsync.model.warehouses import Location, LocationKind, Warehouse

__all__ = ["ROLE_CATEGORIES", "read_items", "read_parties", "read_stock", "read_warehouses"]

EVERY_RECORD = {"active_test": False}
"""Master data reads include what Tryton deactivated: it comes as ``active=False``
rather than vanishing (which the reference cache would take for a deletion)."""
ROLE_CATEGORIES = {
    "Supplier": PartyRole.SUPPLIER,
    "Customer": PartyRole.CUSTOMER,
    "Carrier": PartyRole.CARRIER,
}
"""Tryton party category name -> canonical role."""
ADDRESS_FIELDS = ["party", "party_name", "street", "city", "postal_code", "country.code",
                  "subdivision.code"]  # fmt: skip


def read_items(directory: TrytonDirectory, *, system: str) -> list[Item]:
    """Every goods product with a code, as canonical items."""
    rows = directory.rpc.model(
        "product.product", "search_read", [["type", "=", "goods"], ["code", "!=", None]],
        0, None, [["code", "ASC"]],
        ["code", "name", "default_uom", "purchase_uom", "sale_uom", "active"],
        context=EVERY_RECORD,
    )  # fmt: skip
    gtins = _gtins(directory, [int(row["id"]) for row in rows])
    return [_item(directory, row, gtins.get(int(row["id"])), system) for row in rows]


def _gtins(directory: TrytonDirectory, product_ids: list[int]) -> dict[int, str]:
    rows = directory.rpc.model(
        "product.identifier", "search_read",
        [["product", "in", product_ids], ["type", "in", ["ean", "upc"]]],
        0, None, None, ["product", "code"],
    )  # fmt: skip
    return {int(row["product"]): str(row["code"]) for row in rows}


def _item(
    directory: TrytonDirectory, row: Mapping[str, Any], gtin: str | None, system: str
) -> Item:
    base = int(row["default_uom"])
    others = {int(u) for u in (row["purchase_uom"], row["sale_uom"]) if u} - {base}
    conversions = tuple(
        UomConversion(uom=directory.unit_code(unit), base_quantity=directory.convert(
            Decimal(1), unit, base))
        for unit in sorted(others)
    )  # fmt: skip
    return Item(
        sku=row["code"],
        gtin=gtin,
        description=row["name"],
        base_uom=directory.unit_code(base),
        conversions=conversions,
        partner_ids={system: str(row["id"])},
        active=bool(row["active"]),
    )


def read_parties(
    directory: TrytonDirectory, role: PartyRole | None = None, *, system: str
) -> list[Party]:
    """Parties with a code and at least one role (only those of ``role`` when given)."""
    categories = _role_categories(directory)
    wanted = [cid for cid, r in categories.items() if role is None or r is role]
    rows = directory.rpc.model(
        "party.party", "search_read", [["categories", "in", wanted], ["code", "!=", None]],
        0, None, [["code", "ASC"]], ["code", "name", "categories", "active"],
        context=EVERY_RECORD,
    )  # fmt: skip
    addresses = directory.rpc.model(
        "party.address", "search_read", [["party", "in", [row["id"] for row in rows]]],
        0, None, [["sequence", "ASC"], ["id", "ASC"]], ADDRESS_FIELDS,
    )  # fmt: skip
    return [_party(row, categories, addresses, system) for row in rows]


def _role_categories(directory: TrytonDirectory) -> dict[int, PartyRole]:
    rows = directory.rpc.model(
        "party.category", "search_read", [["name", "in", list(ROLE_CATEGORIES)]],
        0, None, None, ["name"],
    )  # fmt: skip
    return {int(row["id"]): ROLE_CATEGORIES[row["name"]] for row in rows}


def _party(
    row: Mapping[str, Any],
    categories: Mapping[int, PartyRole],
    addresses: Sequence[Mapping[str, Any]],
    system: str,
) -> Party:
    roles = list(dict.fromkeys(categories[c] for c in row["categories"] if c in categories))
    own = [a for a in addresses if a["party"] == row["id"] and _complete(a)]
    return Party(
        party_id=row["code"],
        name=row["name"],
        roles=tuple(roles),
        partner_ids={system: str(row["id"])},
        addresses=tuple(
            PartyAddress(
                purpose=AddressPurpose.MAIN if index == 0 else AddressPurpose.SHIPPING,
                **read_address(address).model_dump(),
            )
            for index, address in enumerate(own)
        ),
        active=bool(row["active"]),
    )


def _complete(address: Mapping[str, Any]) -> bool:
    return bool((address["street"] or "").strip() and address["city"] and address["postal_code"])


def read_warehouses(directory: TrytonDirectory, *, system: str) -> list[Warehouse]:
    """Every Tryton warehouse with a code and an address, as canonical warehouses."""
    rows = directory.rpc.model(
        "stock.location", "search_read", [["type", "=", "warehouse"], ["address", "!=", None]],
        0, None, [["code", "ASC"]],
        ["code", "name", "address", "active", "input_location.code", "storage_location.code",
         "output_location.code"],
        context=EVERY_RECORD,
    )  # fmt: skip
    addresses = directory.rpc.model(
        "party.address", "read", [row["address"] for row in rows], ADDRESS_FIELDS
    )
    by_id = {int(a["id"]): a for a in addresses}
    return [_warehouse(directory, row, by_id[int(row["address"])], system) for row in rows]


def _warehouse(
    directory: TrytonDirectory, row: Mapping[str, Any], address: Mapping[str, Any], system: str
) -> Warehouse:
    kinds = (
        ("input_location.", LocationKind.RECEIVING),
        ("storage_location.", LocationKind.STORAGE),
        ("output_location.", LocationKind.SHIPPING),
    )
    return Warehouse(
        warehouse_id=directory.warehouse_id_of(row["code"]),
        name=row["name"],
        address=read_address(address),
        managed_by=system,
        partner_ids={system: str(row["id"])},
        locations=tuple(
            Location(location_id=row[key]["code"], kind=kind, pickable=kind is LocationKind.STORAGE)
            for key, kind in kinds
            if (row.get(key) or {}).get("code")
        ),
        active=bool(row["active"]),
    )


def read_stock(
    directory: TrytonDirectory, warehouse_id: str, skus: Sequence[str] | None = None
) -> InventorySnapshot:
    """Stock on hand and allocated per product in a warehouse (every goods product by default)."""
    warehouse = directory.warehouse(warehouse_id)
    domain: list[Any] = [["type", "=", "goods"], ["code", "!=", None]]
    if skus is not None:
        domain.append(["code", "in", list(skus)])
    fields = ["code", "default_uom", "quantity"]
    context: dict[str, Any] = {"locations": [warehouse.id]}
    as_of = datetime.now(UTC)
    rows = directory.rpc.model("product.product", "search_read", domain, 0, None,
                               [["code", "ASC"]], fields, context=context)  # fmt: skip
    free = directory.rpc.model("product.product", "read", [r["id"] for r in rows], ["quantity"],
                               context={**context, "stock_assign": True})  # fmt: skip
    unassigned = {int(r["id"]): decimal(r["quantity"]) for r in free}
    balances = tuple(
        _balance(directory, row, unassigned[int(row["id"])], warehouse_id, as_of) for row in rows
    )
    return InventorySnapshot(
        snapshot_id=f"{warehouse_id}-{as_of.strftime('%Y%m%dT%H%M%S%fZ')}",
        warehouse_id=warehouse_id,
        as_of=as_of,
        complete=skus is None,
        balances=balances,
    )


def _balance(
    directory: TrytonDirectory,
    row: Mapping[str, Any],
    unassigned: Decimal,
    warehouse_id: str,
    as_of: datetime,
) -> InventoryBalance:
    uom = directory.unit_code(int(row["default_uom"]))
    on_hand = decimal(row["quantity"])
    return InventoryBalance(
        sku=row["code"],
        warehouse_id=warehouse_id,
        on_hand=Quantity(value=on_hand, uom=uom),
        allocated=Quantity(value=max(on_hand - unassigned, Decimal(0)), uom=uom),
        as_of=as_of,
    )
