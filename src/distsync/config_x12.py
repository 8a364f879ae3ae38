"""The X12 part of the landscape file: interchange identities and how a partner writes X12.

Kept apart from ``config.py`` so each stays small; ``config`` re-exports
these models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

X12_VERSIONS = ("004010", "005010")
SET_ID = r"^\d{3}$"
ELEMENT_REF = r"^[A-Z][A-Z0-9]{1,2}\.\d{2}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class X12Delimiters(_Model):
    """The separators a partner wants in the interchanges we send it."""

    element: Annotated[str, Field(min_length=1, max_length=1)] = "*"
    component: Annotated[str, Field(min_length=1, max_length=1)] = ">"
    segment: Annotated[str, Field(min_length=1, max_length=1)] = "~"
    repetition: Annotated[str, Field(min_length=1, max_length=1)] | None = "^"
    line_break: bool = True  # a line break after each segment terminator

    @model_validator(mode="after")
    def _distinct(self) -> X12Delimiters:
        chosen = [self.element, self.component, self.segment]
        if self.repetition is not None:
            chosen.append(self.repetition)
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"the separators must all differ, got {chosen}")
        if any(c.isalnum() or c == " " for c in chosen):
            raise ValueError(f"a separator cannot be a letter, digit or space, got {chosen}")
        return self


class X12Mapping(_Model):
    """A partner's variations of one transaction set's map, declared instead of forked.

    ``qualifiers``: the qualifier a role uses (``vendor_part: VN``);
    ``code_lists``: our code → theirs per list (``uom: {CA: CS}``);
    ``skip_segments``: segments they neither send nor accept; ``extra_segments``:
    fixed segments to add when writing (tag first); ``required_elements`` /
    ``unused_elements``: element usage as ``"PO1.07"``.
    """

    qualifiers: dict[str, str] = {}
    code_lists: dict[str, dict[str, str]] = {}
    skip_segments: list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")]] = []
    extra_segments: list[list[str]] = []
    required_elements: list[Annotated[str, Field(pattern=ELEMENT_REF)]] = []
    unused_elements: list[Annotated[str, Field(pattern=ELEMENT_REF)]] = []


class X12Identity(_Model):
    """An X12 interchange identity and how to write for it.

    ``version`` is the GS08 base version; ``variant`` an industry suffix
    (``VICS``, ``UCS``); ``application`` the GS02/GS03 code when it differs from
    the ISA id; ``maps`` pins transaction sets to map versions
    (``{"850": "1"}``); ``usage`` is ISA15 (``P`` production, ``T`` test).
    """

    qualifier: Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]
    id: Annotated[str, Field(min_length=1, max_length=15)]
    version: Literal["004010", "005010"] = "004010"
    variant: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,6}$")] | None = None
    application: Annotated[str, Field(min_length=1, max_length=15)] | None = None
    delimiters: X12Delimiters = X12Delimiters()
    maps: dict[Annotated[str, Field(pattern=SET_ID)], Annotated[str, Field(min_length=1)]] = {}
    mapping: dict[Annotated[str, Field(pattern=SET_ID)], X12Mapping] = {}
    usage: Literal["P", "T"] = "P"
    acknowledgement: Literal["997", "999"] = "997"

    @field_validator("qualifier", "id", "version", mode="before")
    @classmethod
    def _quoted(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(_quote_hint(str(info.field_name), value))
        return value

    @property
    def gs_version(self) -> str:
        return self.version + (self.variant or "")

    def map_version(self, set_id: str) -> str:
        return self.maps.get(set_id, "1")


def _quote_hint(field: str, number: int) -> str:
    if field == "version":  # YAML 1.1 reads 004010 as octal
        written = next((v for v in X12_VERSIONS if int(v, 8) == number or int(v) == number), None)
        example = f'"{written or X12_VERSIONS[0]}"'
    else:
        example = f'"{number:02d}"' if field == "qualifier" else '"..." as written'
    return f"write it in quotes: {field}: {example}; unquoted, YAML reads the number {number}"
