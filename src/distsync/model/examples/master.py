"""The cast of the examples (parties, items, the warehouse) and small builders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from distsync.model.items import Item, ItemRef, UomConversion
from distsync.model.money import Money
from distsync.model.parties import (
    Address,
    AddressPurpose,
    CarrierRef,
    Party,
    PartyAddress,
    PartyRef,
    PartyRole,
)
from distsync.model.units import Quantity
from distsync.model.warehouses import Location, LocationKind, Warehouse

__all__ = [
    "ACME",
    "BLUEBIRD",
    "CATALOG",
    "NORTHWIND",
    "UPS",
    "CatalogEntry",
    "at",
    "customer_address",
    "east_warehouse_address",
    "example_item",
    "example_party",
    "example_warehouse",
    "item_ref",
    "qty",
    "usd",
]

NORTHWIND = PartyRef(party_id="NWD", name="Northwind Distribution", gln="0614141000012")
ACME = PartyRef(
    party_id="SUP-ACME", name="ACME Industrial Supply", gln="5012345000015", duns="081466203"
)
BLUEBIRD = PartyRef(party_id="CUS-1042", name="Bluebird Hardware")
UPS = CarrierRef(party_id="CAR-UPS", name="UPS", scac="UPSN", service="ground")


class CatalogEntry(NamedTuple):
    """An item of the examples: identifiers, base unit, and base units per case."""

    sku: str
    description: str
    gtin: str
    case_gtin: str
    base_uom: str
    per_case: int
    acme_part_number: str


CATALOG = (
    CatalogEntry("FAS-10432", "Hex bolt M8x40 zinc plated", "0614141104321", "10614141104328",
                 "EA", 1200, "HB-M8-40Z"),
    CatalogEntry("GLV-2211", "Nitrile gloves size L, box of 100", "0614141221103",
                 "10614141221100", "BX", 10, "NG-L-100"),
    CatalogEntry("TAP-0048", "Duct tape 48 mm x 50 m silver", "0614141004805", "10614141004802",
                 "RL", 24, "DT-4850-S"),
    CatalogEntry("LUB-5500", "Penetrating lubricant spray 400 ml", "0614141550050",
                 "10614141550057", "EA", 12, "PL-400"),
    CatalogEntry("DRL-1800", "Cordless drill driver 18 V", "0614141090709", "10614141090706",
                 "EA", 4, "CD-18V"),
)  # fmt: skip


def at(text: str) -> datetime:
    """A timezone-aware datetime from ISO 8601 text with an offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text} has no UTC offset")
    return moment


def qty(value: str | int | Decimal, uom: str) -> Quantity:
    """A quantity from a decimal string, an int or a Decimal."""
    return Quantity(value=Decimal(value), uom=uom)


def usd(amount: str | int | Decimal) -> Money:
    """An amount in US dollars."""
    return Money(amount=Decimal(amount), currency="USD")


def item_ref(index: int, *, for_supplier: bool = True, described: bool = True) -> ItemRef:
    """How documents name the catalog's item ``index`` (0 to 4)."""
    entry = CATALOG[index]
    return ItemRef(
        sku=entry.sku,
        gtin=entry.gtin,
        description=entry.description if described else None,
        supplier_part_number=entry.acme_part_number if for_supplier else None,
    )


def east_warehouse_address() -> Address:
    """Where the east warehouse receives goods."""
    return Address(
        name="Northwind Distribution - East DC",
        lines=("4400 Logistics Parkway", "Dock 3"),
        city="Columbus",
        region="OH",
        postal_code="43217",
        country="US",
        gln="0614141000029",
    )


def customer_address() -> Address:
    """Where the web-shop customer wants the parcel."""
    return Address(
        name="Maria Lopez",
        lines=("218 Maple Street",),
        city="Dayton",
        region="OH",
        postal_code="45402",
        country="US",
        phone="+1 937 555 0142",
        email="maria.lopez@example.com",
    )


def example_party() -> Party:
    """ACME as a supplier in the party master."""
    address = {
        "lines": ("1200 Industrial Drive",),
        "city": "Cleveland",
        "region": "OH",
        "postal_code": "44114",
        "country": "US",
    }
    return Party(
        party_id=ACME.party_id,
        name="ACME Industrial Supply",
        roles=(PartyRole.SUPPLIER,),
        gln=ACME.gln,
        duns=ACME.duns,
        tax_id="34-1234567",
        partner_ids={"erp": "S-100", "acme": "NWD-0042"},
        addresses=(
            PartyAddress.model_validate({"purpose": AddressPurpose.MAIN, **address}),
            PartyAddress.model_validate({"purpose": AddressPurpose.REMIT_TO, **address}),
        ),
    )


def example_item() -> Item:
    """The hex bolt: counted in each, sold by the box of 100 and the case of 1,200."""
    entry = CATALOG[0]
    return Item(
        sku=entry.sku,
        gtin=entry.gtin,
        description=entry.description,
        brand="Fastline",
        base_uom=entry.base_uom,
        conversions=(
            UomConversion(uom="BX", base_quantity=Decimal(100)),
            UomConversion(uom="CA", base_quantity=Decimal(entry.per_case), gtin=entry.case_gtin),
        ),
        net_weight=qty("0.022", "KG"),
        partner_ids={"erp": "P-10432", "acme": entry.acme_part_number},
    )


def example_warehouse() -> Warehouse:
    """The east distribution centre, run by the ``wms-east`` WMS."""
    return Warehouse(
        warehouse_id="WH-EAST",
        name="East Distribution Center",
        gln="0614141000029",
        address=east_warehouse_address(),
        managed_by="wms-east",
        time_zone="America/New_York",
        partner_ids={"erp": "3", "wms-east": "COL1"},
        locations=(
            Location(location_id="DOCK-3", kind=LocationKind.RECEIVING),
            Location(location_id="A-01-02", kind=LocationKind.PICKING, pickable=True),
            Location(location_id="R-12-04", kind=LocationKind.STORAGE),
            Location(location_id="QC-1", kind=LocationKind.QUARANTINE),
        ),
    )
