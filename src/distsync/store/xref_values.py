"""The values of the cross-references: mappings, their rules, changes and snapshots.

``store/ports.py`` re-exports them beside the ``CrossReferences`` port; this
module imports nothing but the model and the error taxonomy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from distsync.errors import SchemaViolation
from distsync.model.units import KNOWN_UNITS

_PARTNER_VALUE = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,62}[^\s\x00-\x1f\x7f])?$")
_SKU = _PARTNER_VALUE
_WAREHOUSE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_PARTNER_UOM = re.compile(r"^[A-Za-z0-9]{1,8}$")
MAX_FACTOR_PLACES = 6
MAX_FACTOR_DIGITS = 24
MAX_FACTOR = Decimal(10) ** (MAX_FACTOR_DIGITS - MAX_FACTOR_PLACES)


class XrefKind(StrEnum):
    """What a cross-reference translates."""

    SKU = "sku"
    UOM = "uom"
    WAREHOUSE = "warehouse"


class XrefKey(NamedTuple):
    """The identity of a mapping within one partner."""

    kind: XrefKind
    partner_value: str


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of a mapping."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class XrefInvalid(SchemaViolation):
    """A mapping breaks the rules of its kind; ``problems`` names each field."""

    def __init__(self, message: str, problems: Sequence[FieldProblem]) -> None:
        super().__init__(f"{message}: {'; '.join(str(p) for p in problems)}")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class XrefEntry:
    """A mapping as people write it: what the partner says, and what we mean by it."""

    kind: XrefKind
    partner_value: str
    our_value: str
    partner_uom: str | None = None
    factor: Decimal | None = None

    @property
    def key(self) -> XrefKey:
        return XrefKey(self.kind, self.partner_value)

    def problems(self) -> list[FieldProblem]:
        """Every rule of its kind this mapping breaks (empty when it is valid)."""
        found = [FieldProblem("partner_value", m) for m in _text_problems(self.partner_value)]
        found += [FieldProblem("our_value", m) for m in _our_value_problems(self)]
        if self.kind is not XrefKind.SKU:
            for name in ("partner_uom", "factor"):
                if getattr(self, name) is not None:
                    found.append(FieldProblem(name, f"applies to kind sku only, not {self.kind}"))
            return found
        if self.partner_uom is not None and not _PARTNER_UOM.fullmatch(self.partner_uom):
            message = f"{self.partner_uom!r} is not a unit code (1 to 8 letters or digits)"
            found.append(FieldProblem("partner_uom", message))
        if self.factor is not None:
            found += [FieldProblem("factor", m) for m in _factor_problems(self)]
        return found

    def check(self, action: str) -> XrefEntry:
        """This entry, or ``XrefInvalid`` naming ``action`` and every field that is wrong."""
        problems = self.problems()
        if problems:
            raise XrefInvalid(f"{action} {self.kind} {self.partner_value!r}", problems)
        return self

    def describe(self) -> str:
        """``ACME-100 → GLV-2211 (CS of 12)``."""
        unit = ""
        if self.partner_uom is not None:
            times = "" if self.factor is None else f" of {factor_text(self.factor)}"
            unit = f" ({self.partner_uom}{times})"
        return f"{self.partner_value} → {self.our_value}{unit}"


def factor_text(factor: Decimal) -> str:
    """A factor as the sheets and the store write it: ``12``, ``0.5``, never ``1.2E+1``."""
    return format(factor.normalize(), "f")


def _text_problems(value: str) -> list[str]:
    if not _PARTNER_VALUE.fullmatch(value):
        return [
            f"{value!r} must be 1 to 64 characters without control characters "
            "or spaces at either end"
        ]
    return []


def _our_value_problems(entry: XrefEntry) -> list[str]:
    value = entry.our_value
    if entry.kind is XrefKind.SKU and not _SKU.fullmatch(value):
        return [f"{value!r} is not a SKU (1 to 64 characters, no spaces at either end)"]
    if entry.kind is XrefKind.UOM and value not in KNOWN_UNITS:
        return [f"{value!r} is not one of our unit codes (EA, CA, PL, KG, ...; see model.units)"]
    if entry.kind is XrefKind.WAREHOUSE and not _WAREHOUSE_ID.fullmatch(value):
        return [f"{value!r} is not a warehouse id (letters, digits and . _ / -, up to 64)"]
    return []


def _factor_problems(entry: XrefEntry) -> list[str]:
    factor = entry.factor
    assert factor is not None
    if not factor.is_finite():
        return [f"{factor} is not a number"]
    shown = factor_text(factor)
    if factor <= 0:
        return [f"{shown} must be a number greater than 0"]
    exponent = factor.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_FACTOR_PLACES:
        return [f"{shown} has more than {MAX_FACTOR_PLACES} decimal places"]
    if factor >= MAX_FACTOR:
        return [f"{shown} is too large (at most {MAX_FACTOR_DIGITS - MAX_FACTOR_PLACES} digits)"]
    if entry.partner_uom is None:
        return ["needs partner_uom: the partner's unit that holds this many of ours"]
    return []


@dataclass(frozen=True)
class CrossReference:
    """A stored mapping of one partner, with who changed it last, when and why."""

    partner: str
    kind: XrefKind
    partner_value: str
    our_value: str
    partner_uom: str | None
    factor: Decimal | None
    changed_by: str
    changed_at: datetime
    reason: str

    @property
    def entry(self) -> XrefEntry:
        return XrefEntry(
            self.kind, self.partner_value, self.our_value, self.partner_uom, self.factor
        )


@dataclass(frozen=True)
class XrefChange:
    """One row of a mapping's history: ``before`` is ``None`` when added, ``after`` when removed."""

    id: int
    partner: str
    kind: XrefKind
    partner_value: str
    action: str
    before: XrefEntry | None
    after: XrefEntry | None
    changed_by: str
    changed_at: datetime
    reason: str


@dataclass(frozen=True)
class XrefDiff:
    """What a put or an import did (or, in a dry run, would do) to one partner's mappings.

    ``absent`` lists stored mappings the import did not mention: kept, unless
    the import replaces the partner's mappings, when they are ``removed``.
    """

    partner: str
    added: tuple[XrefEntry, ...] = ()
    changed: tuple[tuple[XrefEntry, XrefEntry], ...] = ()
    unchanged: int = 0
    removed: tuple[XrefEntry, ...] = ()
    absent: tuple[XrefEntry, ...] = ()
    dry_run: bool = False

    @property
    def count(self) -> int:
        """How many mappings were (or would be) added, changed or removed."""
        return len(self.added) + len(self.changed) + len(self.removed)


@dataclass(frozen=True)
class PartnerXrefs:
    """One partner's mappings at one revision: lookups without I/O.

    It fits ``rules.xref.PartnerXref`` (``our_sku``, ``our_uom``, ``pack_factor``), so a flow
    hands ``await xrefs.table(partner)`` to the matching rules as it is.
    """

    partner: str
    revision: int
    by_key: Mapping[XrefKey, CrossReference] = field(default_factory=dict)

    def get(self, kind: XrefKind, partner_value: str) -> CrossReference | None:
        return self.by_key.get(XrefKey(kind, partner_value))

    def sku(self, partner_sku: str) -> CrossReference | None:
        return self.by_key.get(XrefKey(XrefKind.SKU, partner_sku))

    def uom(self, partner_uom: str) -> CrossReference | None:
        return self.by_key.get(XrefKey(XrefKind.UOM, partner_uom))

    def warehouse(self, partner_code: str) -> CrossReference | None:
        return self.by_key.get(XrefKey(XrefKind.WAREHOUSE, partner_code))

    # the shape of rules.xref.PartnerXref: what the matching rules read

    def our_sku(self, partner_sku: str) -> str | None:
        found = self.sku(partner_sku)
        return None if found is None else found.our_value

    def our_uom(self, partner_uom: str) -> str | None:
        found = self.uom(partner_uom)
        return None if found is None else found.our_value

    def pack_factor(self, partner_sku: str, partner_uom: str) -> Decimal | None:
        found = self.sku(partner_sku)
        if found is None or found.partner_uom != partner_uom:
            return None
        return found.factor

    def our_warehouse(self, partner_code: str) -> str | None:
        found = self.warehouse(partner_code)
        return None if found is None else found.our_value
