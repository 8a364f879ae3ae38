"""Global identifiers: GS1 keys (GTIN, GLN, SSCC) and D-U-N-S numbers.

GS1 keys end in a mod-10 check digit computed by :func:`gs1_check_digit`;
every GS1 type below refuses a code whose last digit is wrong, so a typo in a
barcode or an EDI segment stops at the door instead of matching nothing later.

==========  ================  ======================================================
type        digits            what it identifies
==========  ================  ======================================================
``GTIN``    8, 12, 13 or 14   a trade item (EAN-8, UPC-A, EAN-13, GTIN-14 case codes)
``GLN``     13                a party or a location (Global Location Number)
``SSCC``    18                a logistic unit: pallet or carton (SSCC-18)
``DUNS``    9                 a company (Dun & Bradstreet); no check digit
==========  ================  ======================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = [
    "DUNS",
    "GLN",
    "GTIN",
    "SSCC",
    "gs1_check_digit",
    "has_valid_check_digit",
    "normalize_gtin",
]


def gs1_check_digit(data_digits: str) -> int:
    """The GS1 mod-10 check digit for ``data_digits`` (the code without its check digit).

    Weights 3 and 1 alternate from the rightmost data digit leftwards.
    """
    if not data_digits.isascii() or not data_digits.isdigit():
        raise ValueError(f"{data_digits!r} is not a string of digits")
    backwards = data_digits[::-1].encode("ascii")
    triple, single = backwards[0::2], backwards[1::2]  # the bytes are ASCII digits: "0" is 48
    total = 3 * (sum(triple) - 48 * len(triple)) + sum(single) - 48 * len(single)
    return (10 - total % 10) % 10


def has_valid_check_digit(code: str) -> bool:
    """Whether the last digit of a GS1 key is the check digit of the others."""
    return len(code) >= 2 and gs1_check_digit(code[:-1]) == int(code[-1])


def normalize_gtin(gtin: str) -> str:
    """A GTIN as 14 digits (left-padded with zeros), so GTIN-12 and GTIN-13 compare equal."""
    return gtin.zfill(14)


def _check_digit_validator(kind: str) -> Callable[[str], str]:
    def validate(code: str) -> str:
        expected = gs1_check_digit(code[:-1])
        if int(code[-1]) != expected:
            raise ValueError(f"{kind} {code} has check digit {code[-1]}, expected {expected}")
        return code

    return validate


GTIN = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9]{8}|[0-9]{12,14})$"),
    AfterValidator(_check_digit_validator("GTIN")),
]
"""Global Trade Item Number: 8, 12, 13 or 14 digits with a valid check digit."""

GLN = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{13}$"),
    AfterValidator(_check_digit_validator("GLN")),
]
"""Global Location Number: 13 digits with a valid check digit."""

SSCC = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{18}$"),
    AfterValidator(_check_digit_validator("SSCC")),
]
"""Serial Shipping Container Code: 18 digits (no ``00`` AI prefix) with a valid check digit."""

DUNS = Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
"""D-U-N-S number: 9 digits."""
