"""The built-in maps, listed explicitly, and the look-up by set id and map version."""

from __future__ import annotations

from collections.abc import Mapping

from distsync.errors import SchemaViolation
from distsync.formats.x12.maps.base import X12Map
from distsync.formats.x12.maps.m214 import TRANSPORTATION_STATUS_214
from distsync.formats.x12.maps.m810 import INVOICE_810
from distsync.formats.x12.maps.m846 import INVENTORY_846
from distsync.formats.x12.maps.m850 import PURCHASE_ORDER_850
from distsync.formats.x12.maps.m855 import PO_ACKNOWLEDGEMENT_855
from distsync.formats.x12.maps.m856 import ADVANCE_SHIP_NOTICE_856
from distsync.formats.x12.maps.m860 import PURCHASE_ORDER_CHANGE_860
from distsync.formats.x12.maps.m940 import WAREHOUSE_SHIPPING_ORDER_940
from distsync.formats.x12.maps.m943 import WAREHOUSE_SHIPMENT_ADVICE_943
from distsync.formats.x12.maps.m944 import WAREHOUSE_RECEIPT_ADVICE_944
from distsync.formats.x12.maps.m945 import WAREHOUSE_SHIPPING_ADVICE_945
from distsync.formats.x12.maps.m947 import WAREHOUSE_INVENTORY_ADJUSTMENT_947

BUILTIN: tuple[X12Map, ...] = (
    INVOICE_810,
    INVENTORY_846,
    PURCHASE_ORDER_850,
    PO_ACKNOWLEDGEMENT_855,
    ADVANCE_SHIP_NOTICE_856,
    PURCHASE_ORDER_CHANGE_860,
    WAREHOUSE_SHIPPING_ORDER_940,
    WAREHOUSE_SHIPMENT_ADVICE_943,
    WAREHOUSE_RECEIPT_ADVICE_944,
    WAREHOUSE_SHIPPING_ADVICE_945,
    WAREHOUSE_INVENTORY_ADJUSTMENT_947,
    TRANSPORTATION_STATUS_214,
)

MAPS: Mapping[tuple[str, str], X12Map] = {(m.set_id, m.map_version): m for m in BUILTIN}


def map_for(
    set_id: str, map_version: str = "1", maps: Mapping[tuple[str, str], X12Map] = MAPS
) -> X12Map:
    """The map for a transaction set at a map version, or a clear refusal."""
    found = maps.get((set_id, map_version))
    if found is None:
        known = sorted(f"{s} v{v}" for s, v in maps)
        raise SchemaViolation(
            f"mapping transaction set {set_id} (map version {map_version}): no such map; "
            f"known: {', '.join(known) or 'none'}"
        )
    return found
