"""The base of every canonical model, and the small value types they share.

Every canonical model is a :class:`Canonical`: extra fields are refused, values
are validated strictly (no silent coercion of ``"3"`` into ``3``) and an
instance never changes once built. A business document (something with a
number that travels as an event payload) is a :class:`Document`; it knows its
number so that validation errors can say which document they are about.

Decimals (money amounts, quantities, factors) accept ``Decimal``, ``int`` and
decimal strings such as ``"12.50"`` or ``"1.2E+3"``; they refuse binary
floats, from Python and from JSON alike, because ``0.1 + 0.2`` is not ``0.3``
and a float cannot hold every cent. A JSON document must write amounts as
strings (``"12.50"``) or integers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

__all__ = [
    "AwareDatetime",
    "Canonical",
    "Code",
    "CountryCode",
    "DecimalValue",
    "Document",
    "DocumentNumber",
    "LineNumber",
    "Many",
    "Name",
    "SystemName",
    "Text",
    "duplicates",
    "exact_decimal",
]

T = TypeVar("T")

DECIMAL_STRING = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
MAX_DIGITS = 24
MAX_DECIMAL_PLACES = 6


class Canonical(BaseModel):
    """Base of every canonical model: no extra fields, strict types, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Document(Canonical):
    """A business document: has a number and travels as an event payload.

    ``number_field`` names the field that identifies the document (``po_number``)
    and ``kind`` is how people call it ("purchase order"); both feed
    :meth:`describe`, which every validation message starts with.
    """

    number_field: ClassVar[str]
    kind: ClassVar[str]

    def document_number(self) -> str:
        """The value that identifies this document, as text."""
        return str(getattr(self, self.number_field))

    def describe(self) -> str:
        """How messages name this document: ``purchase order PO-1001``."""
        return f"{self.kind} {self.document_number()}"


def exact_decimal(value: Any) -> Any:
    """Turn int and decimal strings into Decimal; refuse floats and booleans.

    Anything else passes through unchanged so that the strict Decimal check
    reports it with pydantic's usual message.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        raise ValueError(
            f"binary floats are refused ({value!r}): write the number as a decimal "
            'string such as "12.50", or as an integer'
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if not DECIMAL_STRING.match(value):
            raise ValueError(f"{value!r} is not a decimal number")
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # an exponent too large for Decimal itself
            raise ValueError(f"{value!r} is not a decimal number") from exc
    return value


DECIMAL_JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": DECIMAL_STRING.pattern},
        {"type": "integer"},
    ],
    "description": 'A decimal number as a string ("12.50") or an integer; never a float.',
}

DecimalValue = Annotated[
    Decimal,
    BeforeValidator(exact_decimal),
    Field(max_digits=MAX_DIGITS, decimal_places=MAX_DECIMAL_PLACES, allow_inf_nan=False),
    WithJsonSchema(DECIMAL_JSON_SCHEMA, mode="validation"),
]
"""An exact decimal: at most 24 digits, 6 of them after the point; no float, NaN or infinity."""

Many = Annotated[tuple[T, ...], Strict(False)]
"""An immutable sequence of canonical models.

The sequence itself accepts a list as well as a tuple (JSON arrays become
tuples); its items stay strictly validated.
"""

Text = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
DocumentNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")
]
"""A document or object identifier as its issuer writes it: no surrounding blanks."""

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")]
"""Our own identifiers (party ids, warehouse ids, location ids, reason codes)."""

SystemName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
"""The name of a system or partner in the landscape file (``erp``, ``wms-east``, ``acme``)."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code (``US``, ``DE``)."""

LineNumber = Annotated[int, Field(ge=1, le=999_999)]


def duplicates(values: list[T]) -> list[T]:
    """The values that occur more than once, in order of their first repeat."""
    seen: set[T] = set()
    repeated: list[T] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
