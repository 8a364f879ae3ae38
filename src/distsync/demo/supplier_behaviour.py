"""How the simulated supplier answers a purchase order, and the answers it works out (pure).

``SupplierBehaviour`` is the scenario knob: a (pydantic) dataclass, checked
when built, also from a dict or JSON (``from_dict``, ``from_json``): unknown
keys and bad values are refused with the field named. Per-item settings are keyed by our SKU (the
buyer item of the 850); the key ``"*"`` applies to every item without a key
of its own.

``plan_answers`` turns one ``PurchaseOrder`` into the supplier's
documents: the acknowledgement (855), and one or two shipments, each an
advance ship notice (856) and the invoice for what it shipped (810). Given
the same order, behaviour, numbers and time it gives the same documents:
lots come from a generator seeded with ``seed`` and the notice number,
labels and document numbers from counters.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Mapping
from dataclasses import field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated, Any, TypeVar

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass

from distsync.model.items import ItemRef

__all__ = ["DocumentNumbers", "SupplierBehaviour", "for_sku"]

T = TypeVar("T")
Share = Annotated[Decimal, Field(gt=0, lt=1)]
Seconds = Annotated[float, Field(ge=0, le=3600)]
Prefix = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,6}$")]


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class SupplierBehaviour:
    """What the simulated supplier does with each purchase order it receives.

    - ``partial``: the share of each ordered quantity shipped at once; the
      rest follows in a second notice ``rest_delay`` seconds later (whole
      units stay whole: 0.5 of 5 ships 2, then 3);
    - ``substitutions``: ship this item instead, announced on the 855
      (line status substituted) and invoiced as shipped;
    - ``unknown_skus``: ship the item under this supplier code, the only
      id on its 856 line, that the distributor has never heard of;
    - ``price_changes``: the unit price confirmed on the 855 (line status
      changed) and invoiced;
    - ``invoice_extra``: units invoiced beyond those shipped;
    - ``late_days``: the notice promises delivery this many days after the
      requested date; ``asn_delay``: seconds before the first notice goes;
    - ``duplicate_asn``: every 856 interchange is sent twice, byte for
      byte, with the same control numbers;
    - ``send_997``: whether received groups are acknowledged at all;
    - ``seed`` for lot numbers, ``number_prefix`` for document numbers
      (``ACME-ASN-000001``), ``carrier_scac`` for the notices' carrier,
      ``gs1_prefix`` for the pallet labels (SSCC).
    """

    seed: int = 0
    number_prefix: Prefix = "SUP"
    send_997: bool = True
    ack_delay: Seconds = 0.0
    asn_delay: Seconds = 0.0
    rest_delay: Seconds = 0.5
    invoice_delay: Seconds = 0.0
    partial: Mapping[str, Share] = field(default_factory=dict)
    substitutions: Mapping[str, ItemRef] = field(default_factory=dict)
    unknown_skus: Mapping[str, Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,29}$")]] = field(
        default_factory=dict
    )
    price_changes: Mapping[str, Annotated[Decimal, Field(gt=0)]] = field(default_factory=dict)
    invoice_extra: Mapping[str, Annotated[Decimal, Field(gt=0)]] = field(default_factory=dict)
    late_days: Annotated[int, Field(ge=0, le=365)] = 0
    duplicate_asn: bool = False
    lots: bool = True
    carrier_scac: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")] | None = None
    gs1_prefix: Annotated[str, Field(pattern=r"^\d{7,10}$")] = "0614141"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SupplierBehaviour:
        """A behaviour from plain data (a JSON object, a YAML mapping)."""
        return TypeAdapter(cls).validate_python(dict(data))

    @classmethod
    def from_json(cls, text: str | bytes) -> SupplierBehaviour:
        return TypeAdapter(cls).validate_json(text)


def for_sku(settings: Mapping[str, T], sku: str) -> T | None:
    """The setting for ``sku``, else the ``"*"`` one, else None."""
    found = settings.get(sku)
    return found if found is not None else settings.get("*")


def split_quantity(quantity: Decimal, share: Decimal | None) -> tuple[Decimal, Decimal]:
    """(now, later): whole quantities split into whole units, rounding the first part down."""
    if share is None:
        return quantity, Decimal(0)
    now = quantity * share
    if quantity == quantity.to_integral_value():
        now = now.to_integral_value(ROUND_DOWN)
    return now, quantity - now


def amount(quantity: Decimal, price: Decimal, minor: Decimal) -> Decimal:
    """Quantity times price in the currency's minor unit, half up (as the 810 map writes it)."""
    return (quantity * price).quantize(minor, rounding=ROUND_HALF_UP)


class DocumentNumbers:
    """Acknowledgement, notice, invoice and label numbers from counters (thread-safe)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._counters = {kind: itertools.count(1) for kind in ("ACK", "ASN", "INV", "SSCC")}
        self._lock = threading.Lock()

    def next(self, kind: str) -> str:
        """``<prefix>-<kind>-000001``, then 000002..."""
        return f"{self.prefix}-{kind}-{self._take(kind):06d}"

    def serial(self) -> int:
        return self._take("SSCC")

    def _take(self, kind: str) -> int:
        with self._lock:
            return next(self._counters[kind])


def lot_numbers(seed: int, asn_number: str) -> random.Random:
    """The generator of one notice's lot numbers."""
    return random.Random(f"{seed}:{asn_number}")
