"""Order-to-cash and inventory examples: web order SO-100245 shipped by UPS from WH-EAST.

The customer orders tape, a drill and lubricant; the warehouse ships two
parcels, and the first is delivered. The inventory examples show the east
warehouse's stock after the ACME receipt.
"""

from __future__ import annotations

from datetime import date

from distsync.model.examples.master import (
    BLUEBIRD,
    UPS,
    at,
    customer_address,
    item_ref,
    qty,
    usd,
)
from distsync.model.inventory import (
    AdjustmentReason,
    InventoryAdjustment,
    InventoryBalance,
    InventoryReservation,
    InventorySnapshot,
    InventoryTransfer,
    TransferStatus,
)
from distsync.model.sales import SalesOrder, SalesOrderLine
from distsync.model.shipping import (
    Package,
    PackageContent,
    ShipmentConfirmation,
    ShipmentConfirmationLine,
    ShipmentOrder,
    ShipmentOrderLine,
)
from distsync.model.tracking import Milestone, ProofOfDelivery, TrackingEvent, TrackingLocation

__all__ = [
    "example_inventory_adjustment",
    "example_inventory_reservation",
    "example_inventory_snapshot",
    "example_inventory_transfer",
    "example_sales_order",
    "example_shipment_confirmation",
    "example_shipment_order",
    "example_tracking_event",
]

ORDER_NUMBER = "SO-100245"
SHIPMENT_ORDER_NUMBER = "SHO-100245-1"
DRILL_SERIAL = "CD18-240512-0002"
FIRST_PARCEL, SECOND_PARCEL = "1Z999AA10123456784", "1Z999AA10123456793"

# line number, catalog index, quantity, unit, unit price
ORDER_LINES = ((1, 2, 2, "RL", "5.99"), (2, 4, 1, "EA", "149.00"), (3, 3, 3, "EA", "7.49"))


def example_sales_order() -> SalesOrder:
    """A web-shop order of three lines with a shipping charge."""
    return SalesOrder(
        order_number=ORDER_NUMBER,
        external_order_id="WS-77812",
        channel="webshop",
        ordered_at=at("2024-05-21T19:48:03+00:00"),
        customer=BLUEBIRD,
        ship_to=customer_address(),
        requested_ship_date=date(2024, 5, 22),
        ship_from_warehouse_id="WH-EAST",
        carrier=UPS,
        currency="USD",
        shipping_charge=usd("9.95"),
        payment_reference="pi_3PJx2Q0001",
        lines=tuple(
            SalesOrderLine(
                line_number=number,
                item=item_ref(index, for_supplier=False),
                quantity=qty(quantity, uom),
                unit_price=usd(price),
                external_line_id=f"WS-77812-{number}",
            )
            for number, index, quantity, uom, price in ORDER_LINES
        ),
    )


def example_shipment_order() -> ShipmentOrder:
    """The web order released to the east warehouse for UPS ground."""
    return ShipmentOrder(
        shipment_order_number=SHIPMENT_ORDER_NUMBER,
        sales_order_number=ORDER_NUMBER,
        warehouse_id="WH-EAST",
        released_at=at("2024-05-21T19:50:40+00:00"),
        requested_ship_date=date(2024, 5, 22),
        customer=BLUEBIRD,
        ship_to=customer_address(),
        carrier=UPS,
        lines=tuple(
            ShipmentOrderLine(
                line_number=number,
                sales_order_line_number=number,
                item=item_ref(index, for_supplier=False),
                quantity=qty(quantity, uom),
            )
            for number, index, quantity, uom, _ in ORDER_LINES
        ),
    )


def example_shipment_confirmation() -> ShipmentConfirmation:
    """Everything shipped in two UPS parcels; the drill travels alone."""
    lines = tuple(
        ShipmentConfirmationLine(
            line_number=number,
            item=item_ref(index, for_supplier=False),
            ordered_quantity=qty(quantity, uom),
            shipped_quantity=qty(quantity, uom),
            serial_numbers=(DRILL_SERIAL,) if number == 2 else (),
        )
        for number, index, quantity, uom, _ in ORDER_LINES
    )
    packages = (
        Package(
            tracking_number=FIRST_PARCEL,
            weight=qty("2.4", "KG"),
            contents=(
                PackageContent(line_number=1, quantity=qty(2, "RL")),
                PackageContent(line_number=3, quantity=qty(3, "EA")),
            ),
        ),
        Package(
            tracking_number=SECOND_PARCEL,
            weight=qty("2.9", "KG"),
            contents=(PackageContent(line_number=2, quantity=qty(1, "EA")),),
        ),
    )
    return ShipmentConfirmation(
        shipment_id="SHP-WH-EAST-9981",
        shipment_order_number=SHIPMENT_ORDER_NUMBER,
        warehouse_id="WH-EAST",
        shipped_at=at("2024-05-22T15:12:00-04:00"),
        carrier=UPS,
        lines=lines,
        packages=packages,
    )


def example_tracking_event() -> TrackingEvent:
    """The first parcel delivered, with proof of delivery."""
    delivered_at = at("2024-05-24T11:37:00-04:00")
    return TrackingEvent(
        tracking_number=FIRST_PARCEL,
        carrier=UPS,
        milestone=Milestone.DELIVERED,
        carrier_status_code="D",
        carrier_status_text="DELIVERED FRONT DOOR",
        occurred_at=delivered_at,
        location=TrackingLocation(city="Dayton", region="OH", postal_code="45402", country="US"),
        shipment_id="SHP-WH-EAST-9981",
        shipment_order_number=SHIPMENT_ORDER_NUMBER,
        proof_of_delivery=ProofOfDelivery(signed_by="LOPEZ", delivered_at=delivered_at),
    )


def example_inventory_snapshot() -> InventorySnapshot:
    """Stock of three items in the east warehouse after the ACME receipt."""
    as_of = at("2024-05-21T06:00:00-04:00")

    def balance(
        sku: str, on_hand: int, allocated: int, uom: str, lot: str | None
    ) -> InventoryBalance:
        return InventoryBalance(
            sku=sku,
            warehouse_id="WH-EAST",
            lot=lot,
            on_hand=qty(on_hand, uom),
            allocated=qty(allocated, uom),
            as_of=as_of,
        )

    return InventorySnapshot(
        snapshot_id="SNAP-WH-EAST-20240521",
        warehouse_id="WH-EAST",
        as_of=as_of,
        complete=False,
        balances=(
            balance("FAS-10432", 2400, 0, "EA", "L2405-118"),
            balance("GLV-2211", 40, 4, "BX", "G2404-77"),
            balance("DRL-1800", 3, 1, "EA", None),
        ),
    )


def example_inventory_adjustment() -> InventoryAdjustment:
    """The damaged case of gloves written off: ten boxes less."""
    return InventoryAdjustment(
        adjustment_id="ADJ-WH-EAST-3318",
        warehouse_id="WH-EAST",
        location_id="QC-1",
        item=item_ref(1, for_supplier=False),
        lot="G2404-77",
        delta=qty(-10, "BX"),
        reason_code=AdjustmentReason.DAMAGED,
        adjusted_at=at("2024-05-20T13:05:00-04:00"),
        adjusted_by="j.ortiz",
        on_hand_after=qty(40, "BX"),
        note="Crushed case from ASN-88120",
    )


def example_inventory_reservation() -> InventoryReservation:
    """One drill held for line 2 of the web order."""
    return InventoryReservation(
        reservation_id="RSV-SO-100245-2",
        item=item_ref(4, for_supplier=False),
        warehouse_id="WH-EAST",
        quantity=qty(1, "EA"),
        sales_order_number=ORDER_NUMBER,
        sales_order_line_number=2,
        reserved_at=at("2024-05-21T19:48:05+00:00"),
        expires_at=at("2024-05-28T19:48:05+00:00"),
    )


def example_inventory_transfer() -> InventoryTransfer:
    """A case of bolts sent from the east to the west warehouse."""
    return InventoryTransfer(
        transfer_id="TRF-2024-0412",
        item=item_ref(0, for_supplier=False),
        quantity=qty(1, "CA"),
        lot="L2405-118",
        from_warehouse_id="WH-EAST",
        from_location_id="R-12-04",
        to_warehouse_id="WH-WEST",
        status=TransferStatus.SHIPPED,
        transferred_at=at("2024-05-23T08:30:00-04:00"),
    )
