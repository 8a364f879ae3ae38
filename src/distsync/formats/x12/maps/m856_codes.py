"""The X12 codes the 856 map depends on, and their canonical meaning."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone, tzinfo

from distsync.model.asn import AsnPurpose, PackKind

SHIPMENT, ORDER, TARE, PACK, ITEM = "S", "O", "T", "P", "I"

CONTAINS = {
    SHIPMENT: frozenset({ORDER, TARE, PACK, ITEM}),
    ORDER: frozenset({TARE, PACK, ITEM}),
    TARE: frozenset({PACK, ITEM}),
    PACK: frozenset({ITEM}),
    ITEM: frozenset(),
}
"""HL03 level → the levels it may hold: S/O/I, S/O/P/I, S/O/T/P/I, S/I and S/P/I shapes."""

STRUCTURES = ("0001", "0002", "0004")
"""BSN05: 0001 shipment/order/packaging/item, 0002 shipment/order/item/packaging, 0004 s/o/i."""

PICK_AND_PACK, ORDER_ITEM = "0001", "0004"

PURPOSES = {
    "00": AsnPurpose.ORIGINAL,
    "06": AsnPurpose.ORIGINAL,  # confirmation
    "07": AsnPurpose.ORIGINAL,  # duplicate: a resend, de-duplicated by its identity
    "14": AsnPurpose.ORIGINAL,  # advance notification
    "05": AsnPurpose.REPLACE,
    "01": AsnPurpose.CANCEL,
}
"""BSN01 → purpose. Written: 00, 05, 01."""

PURPOSE_CODES = {
    AsnPurpose.ORIGINAL: "00",
    AsnPurpose.REPLACE: "05",
    AsnPurpose.CANCEL: "01",
}

PACKAGING = {
    "PLT": PackKind.PALLET,
    "SKD": PackKind.PALLET,
    "CTN": PackKind.CARTON,
    "BOX": PackKind.CARTON,
    "CAS": PackKind.CARTON,
    "TOT": PackKind.TOTE,
    "LSE": PackKind.LOOSE,
}
"""Packaging form (first three characters of PO404/TD101, code list 103) → pack kind."""

PACKAGING_CODES = {
    PackKind.PALLET: "PLT",
    PackKind.CARTON: "CTN",
    PackKind.TOTE: "TOT",
    PackKind.LOOSE: "LSE",
}

LEVEL_KINDS = {TARE: PackKind.PALLET, PACK: PackKind.CARTON}
"""The kind a pack has when its level says nothing else."""

SHIPPED = "011"
DELIVERY = ("017", "067")  # estimated delivery, current schedule delivery
EXPIRY = "036"

SUPPLIER_ROLES = ("SU", "SE", "VN", "SF", "SH")
"""N101 codes that may name the supplier, in order of preference."""

BUYER_ITEM = ("BP", "IN", "SK", "CB")
VENDOR_ITEM = ("VN", "VP", "VA")
GTIN = ("UP", "UK", "EN")
LOT = "LT"
SERIAL = "SN"
PO_LINE = "PL"

TIME_CODES: dict[str, tzinfo] = {
    "UT": UTC,
    "GM": UTC,
    **{
        code: timezone(timedelta(hours=hours), code)
        for code, hours in (
            ("ES", -5), ("ED", -4), ("CS", -6), ("CD", -5),
            ("MS", -7), ("MD", -6), ("PS", -8), ("PD", -7),
        )
    },
}  # fmt: skip
"""DTM04 codes with a fixed offset. Others (LT, ET...) are read as the partner's time code."""


def zone(code: str) -> tzinfo:
    """The zone of a time code; unknown codes are UTC (X12 carries no zone by default)."""
    return TIME_CODES.get(code, UTC)


def gtin_qualifier(gtin: str) -> str:
    """UP for a 12-digit UPC, UK for a GTIN-14, EN for EAN-13 and EAN-8."""
    return {12: "UP", 14: "UK"}.get(len(gtin), "EN")
