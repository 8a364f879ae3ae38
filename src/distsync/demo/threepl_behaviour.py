"""How the simulated 3PL warehouse behaves: receipts (943), shipments (940) and its stock.

``WarehouseBehaviour`` is a (pydantic) dataclass, checked when built, also
from a dict or JSON (``from_dict``, ``from_json``). Per-item settings are
keyed by the SKU on the 943 (``"*"``: every item without a key of its own).

``receive(notice, behaviour, receipt_number, now)`` is pure: each W04 item
of the notice becomes a receipt line, less its shortage, with its damaged
part, a lot (the notice's, else a generated one), serial numbers (the
notice's first ones, else generated for serialised items) and an expiry date
(the notice's, else ``now`` plus the item's shelf life). Generated values
depend only on ``seed``, the notice number and the line, so the same notice
is always received the same way. An item short in full has no line; a
notice short in full gives no receipt. Shipping is in ``threepl_shipping``,
the stock book in ``threepl_stock``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass

from distsync.demo.supplier_behaviour import for_sku
from distsync.model.asn import AdvanceShipNotice, ShippedItem
from distsync.model.receipts import Receipt, ReceiptCondition, ReceiptLine
from distsync.model.units import Quantity

__all__ = ["WarehouseBehaviour", "receive"]

Units = Annotated[Decimal, Field(gt=0)]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class WarehouseBehaviour:
    """What the simulated 3PL does with each 943 and 940 it receives, and its stock.

    Receiving (943 → 944):

    - ``shortages``: units of each advised line that never arrive;
    - ``damages``: units of each received line booked as damaged (at most
      what was received);
    - ``lots``: give a lot number to lines the notice sends without one;
    - ``serialised``: SKUs whose units get serial numbers when the notice
      has none (whole quantities only);
    - ``shelf_life_days``: expiry date of lines the notice sends without one;
    - ``location``: the storage location booked on every line;
    - ``receipt_delay``: seconds between the 943 and its 944;
    - ``duplicate_receipt``: every 944 interchange is sent twice, byte for
      byte, with the same control numbers;
    - ``send_997``, ``seed``, ``number_prefix`` (receipt numbers
      ``<prefix>000001``: W17-03 holds 12 characters).

    Shipping (940 → 945):

    - ``short_ship``: units of each ordered line not shipped (the line is
      confirmed with what is left, zero when nothing is);
    - ``carrier``: SCAC of the carrier used when the 940 names none;
    - ``ship_delay``: seconds between the 940 and its 945;
    - ``duplicate_945``: every 945 interchange is sent twice, byte for byte;
    - ``shipment_prefix``: shipment ids ``<prefix>000001``. Tracking numbers
      (one package per shipped line) depend only on ``seed``, the order
      number and the line.

    Stock (846 snapshots, 947 adjustments):

    - ``stock``: what the book holds of each SKU at the start; receipts add
      what was received, shipments take away what was shipped;
    - ``units``: the unit of a SKU's book (else the unit of the first
      document that moves it, else ``EA``);
    - ``variance``: SKU → units added to the book at the start without
      telling anyone (negative: missing), for a reconciliation to find;
    - ``snapshot_every``: after every N documents answered (943 and 940), an
      846 of the whole book follows the answers (None: only on request);
    - ``warehouse``: the warehouse code on 846 and 947 (else the one named by
      the last 943 or 940, else the profile's id).
    """

    seed: int = 0
    number_prefix: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,6}$")] = "R"
    send_997: bool = True
    receipt_delay: Annotated[float, Field(ge=0, le=3600)] = 0.0
    shortages: Mapping[str, Units] = field(default_factory=dict)
    damages: Mapping[str, Units] = field(default_factory=dict)
    lots: bool = True
    serialised: frozenset[str] = frozenset()
    shelf_life_days: Mapping[str, Annotated[int, Field(ge=1)]] = field(default_factory=dict)
    location: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,29}$")] | None = None
    duplicate_receipt: bool = False
    short_ship: Mapping[str, Units] = field(default_factory=dict)
    carrier: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")] = "UPSN"
    ship_delay: Annotated[float, Field(ge=0, le=3600)] = 0.0
    duplicate_945: bool = False
    shipment_prefix: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,6}$")] = "S"
    stock: Mapping[str, Annotated[Decimal, Field(ge=0)]] = field(default_factory=dict)
    units: Mapping[str, Annotated[str, Field(pattern=r"^[A-Z0-9]{2,3}$")]] = field(
        default_factory=dict
    )
    variance: Mapping[str, Decimal] = field(default_factory=dict)
    snapshot_every: Annotated[int, Field(ge=1)] | None = None
    warehouse: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WarehouseBehaviour:
        """A behaviour from plain data (a JSON object, a YAML mapping)."""
        return TypeAdapter(cls).validate_python(dict(data))

    @classmethod
    def from_json(cls, text: str | bytes) -> WarehouseBehaviour:
        return TypeAdapter(cls).validate_json(text)


def receive(
    notice: AdvanceShipNotice, behaviour: WarehouseBehaviour, receipt_number: str, now: datetime
) -> Receipt | None:
    """The receipt the 3PL books for ``notice``; None when nothing arrived."""
    lines = []
    for number, entry in enumerate(notice.items(), 1):
        line = _line(entry, number, notice.asn_number, behaviour, now.date())
        if line is not None:
            lines.append(line)
    if not lines:
        return None
    orders = list(dict.fromkeys(line.po_number for line in lines))
    return Receipt(
        receipt_number=receipt_number,
        warehouse_id=notice.ship_to_warehouse_id,
        received_at=now,
        supplier=notice.supplier,
        asn_number=notice.asn_number,
        po_number=orders[0] if len(orders) == 1 else None,
        lines=tuple(lines),
    )


def _line(
    entry: ShippedItem, number: int, asn: str, behaviour: WarehouseBehaviour, today: date
) -> ReceiptLine | None:
    advised, sku = entry.item.quantity, entry.item.item.sku
    received = advised.value - (for_sku(behaviour.shortages, sku) or 0)
    if received <= 0:
        return None
    damaged = min(for_sku(behaviour.damages, sku) or Decimal(0), received)
    generator = random.Random(f"{behaviour.seed}:{asn}:{number}")
    return ReceiptLine(
        line_number=number,
        po_number=entry.po_number,
        po_line_number=entry.item.po_line_number,
        item=entry.item.item,
        received_quantity=Quantity(value=received, uom=advised.uom),
        damaged_quantity=Quantity(value=damaged, uom=advised.uom) if damaged else None,
        condition=ReceiptCondition.DAMAGED if damaged else ReceiptCondition.GOOD,
        lot=entry.item.lot or (f"W{generator.randrange(10**7):07d}" if behaviour.lots else None),
        serial_numbers=_serials(entry, number, received, behaviour, generator),
        expiry_date=entry.item.expiry_date or _expiry(sku, behaviour, today),
        location_id=behaviour.location,
    )


def _serials(
    entry: ShippedItem,
    number: int,
    received: Decimal,
    behaviour: WarehouseBehaviour,
    generator: random.Random,
) -> tuple[str, ...]:
    known = entry.item.serial_numbers
    if known:
        return tuple(known[: int(received)]) if received == int(received) else ()
    if entry.item.item.sku not in behaviour.serialised and "*" not in behaviour.serialised:
        return ()
    if received != received.to_integral_value():
        return ()
    batch = generator.randrange(10**7)
    return tuple(f"S{batch:07d}-{number}-{unit}" for unit in range(1, int(received) + 1))


def _expiry(sku: str, behaviour: WarehouseBehaviour, today: date) -> date | None:
    days = for_sku(behaviour.shelf_life_days, sku)
    return today + timedelta(days=days) if days is not None else None
