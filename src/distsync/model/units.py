"""Units of measure and quantities.

A quantity always carries its unit: ``Quantity(value=12, uom="EA")``. A unit
is a code of two or three upper-case letters or digits, and it must be one of
:data:`KNOWN_UNITS`: the X12 (element 355) and UN/ECE Recommendation 20 codes
that distribution documents use. Partner formats translate their own codes
into these. Where X12 and Rec 20 name one unit differently (``KG`` / ``KGM``)
both are listed, and they are different codes here: an item converts between
them with its own conversions, like any other pair of units.

Adding a code to :data:`KNOWN_UNITS` widens what validates and needs no schema
version bump (the JSON Schema only carries the pattern); removing one does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from distsync.model.base import Canonical, DecimalValue

__all__ = ["KNOWN_UNITS", "Quantity", "UnitOfMeasure"]

KNOWN_UNITS: Mapping[str, str] = MappingProxyType(
    {
        # counted units (X12 355)
        "EA": "each",
        "PC": "piece",
        "PR": "pair",
        "DZ": "dozen",
        "ST": "set",
        "KT": "kit",
        # packaging levels (X12 355)
        "PK": "pack",
        "BX": "box",
        "CA": "case",
        "CT": "carton",
        "BG": "bag",
        "BO": "bottle",
        "CN": "can",
        "DR": "drum",
        "RL": "roll",
        "TB": "tube",
        "PL": "pallet",
        # weight, length, volume (X12 355)
        "KG": "kilogram",
        "GR": "gram",
        "LB": "pound",
        "OZ": "ounce",
        "LT": "litre",
        "GA": "gallon",
        "FT": "foot",
        "MR": "metre",
        # UN/ECE Recommendation 20
        "C62": "one",
        "H87": "piece",
        "DZN": "dozen",
        "SET": "set",
        "KGM": "kilogram",
        "GRM": "gram",
        "LBR": "pound",
        "ONZ": "ounce",
        "LTR": "litre",
        "MLT": "millilitre",
        "MTR": "metre",
        "CMT": "centimetre",
        "MTK": "square metre",
        "MTQ": "cubic metre",
        "TNE": "tonne",
    }
)
"""Every unit code the canonical model accepts, with what it means."""


def _known_unit(code: str) -> str:
    if code not in KNOWN_UNITS:
        raise ValueError(
            f"unit of measure {code!r} is not known; use one of {', '.join(sorted(KNOWN_UNITS))}"
        )
    return code


UnitOfMeasure = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9]{2,3}$"),
    AfterValidator(_known_unit),
    Field(description=f"A unit code, one of: {', '.join(KNOWN_UNITS)}."),
]
"""A unit code from :data:`KNOWN_UNITS` (X12 355 / UN/ECE Rec 20)."""


class Quantity(Canonical):
    """An exact amount of something in an explicit unit: ``12 EA``, ``2.5 KG``.

    ``value`` may be negative where a document says so (an inventory
    adjustment's delta); documents that need a positive quantity check it.
    """

    value: DecimalValue
    uom: UnitOfMeasure

    def __str__(self) -> str:
        return f"{self.value} {self.uom}"

    def is_positive(self) -> bool:
        """Whether there is more than nothing of it."""
        return self.value > 0
