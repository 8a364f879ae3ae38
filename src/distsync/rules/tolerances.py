"""The procure flow's tolerances as exact decimals, and how the rules compare and print them.

The landscape file's ``flows.procure`` section (``ProcurePolicy``) holds floats,
as YAML does; the rules never compare floats. :meth:`Tolerances.from_policy`
takes each value through its shortest text form (``1.1`` stays ``1.1``, not
``1.100000000000000088817841970012523``), so a figure exactly at the tolerance
is within it. The rules do not import the configuration: anything with the
attributes of :class:`TolerancePolicy` will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

__all__ = [
    "TolerancePolicy",
    "Tolerances",
    "exceeds",
    "percent_change",
    "percent_of",
    "plain",
    "share_of",
    "signed_percent",
]

HUNDRED = Decimal(100)


class TolerancePolicy(Protocol):
    """What the rules read from ``flows.procure`` (``distsync.config.ProcurePolicy``)."""

    @property
    def asn_qty_tolerance_pct(self) -> float: ...
    @property
    def asn_date_tolerance_days(self) -> float: ...
    @property
    def price_tolerance_pct(self) -> float: ...
    @property
    def po_wait_minutes(self) -> float: ...
    @property
    def ack_qty_tolerance_pct(self) -> float: ...
    @property
    def ack_date_tolerance_days(self) -> float: ...
    @property
    def receipt_qty_tolerance_pct(self) -> float: ...
    @property
    def invoice_qty_tolerance_pct(self) -> float: ...
    @property
    def invoice_charge_codes(self) -> Iterable[str]: ...
    @property
    def invoice_charge_tolerance_pct(self) -> float: ...


def _exact(value: float) -> Decimal:
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class Tolerances:
    """Every tolerance the procure rules apply; percentages in percent, days in days.

    The defaults are the strictest: no over-shipment, no date or price difference.
    """

    asn_qty_pct: Decimal = Decimal(0)
    asn_date_days: Decimal = Decimal(0)
    price_pct: Decimal = Decimal(0)
    ack_qty_pct: Decimal = Decimal(0)
    ack_date_days: Decimal = Decimal(0)
    receipt_qty_pct: Decimal = Decimal(0)
    invoice_qty_pct: Decimal = Decimal(0)
    charge_codes: frozenset[str] = frozenset({"D240"})
    charge_pct: Decimal = Decimal(10)
    po_wait: timedelta = timedelta(minutes=60)

    @classmethod
    def from_policy(cls, policy: TolerancePolicy) -> Tolerances:
        """The tolerances of ``landscape.flows.procure``, as exact decimals."""
        return cls(
            asn_qty_pct=_exact(policy.asn_qty_tolerance_pct),
            asn_date_days=_exact(policy.asn_date_tolerance_days),
            price_pct=_exact(policy.price_tolerance_pct),
            ack_qty_pct=_exact(policy.ack_qty_tolerance_pct),
            ack_date_days=_exact(policy.ack_date_tolerance_days),
            receipt_qty_pct=_exact(policy.receipt_qty_tolerance_pct),
            invoice_qty_pct=_exact(policy.invoice_qty_tolerance_pct),
            charge_codes=frozenset(policy.invoice_charge_codes),
            charge_pct=_exact(policy.invoice_charge_tolerance_pct),
            po_wait=timedelta(minutes=policy.po_wait_minutes),
        )


def share_of(base: Decimal, pct: Decimal) -> Decimal:
    """``pct`` percent of ``base``, exactly (a shift of the decimal point, no division)."""
    return base * pct.scaleb(-2)


def exceeds(actual: Decimal, expected: Decimal, pct: Decimal) -> bool:
    """Whether ``actual`` differs from ``expected`` by more than ``pct`` percent of it."""
    return abs(actual - expected) > share_of(abs(expected), pct)


def percent_change(actual: Decimal, expected: Decimal) -> Decimal | None:
    """How far ``actual`` lies from ``expected``, in percent; None when nothing was expected."""
    if expected == 0:
        return None
    return (actual - expected) * HUNDRED / expected


def plain(value: Decimal) -> str:
    """A decimal as people write it: ``12``, ``0.5``, ``1200`` (no exponent, no trailing 0)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def signed_percent(actual: Decimal, expected: Decimal) -> str:
    """``+2.5%`` / ``-16.7%`` (one decimal), or ``new`` when nothing was expected."""
    change = percent_change(actual, expected)
    if change is None:
        return "new"
    rounded = change.quantize(Decimal("0.1"))
    sign = "+" if rounded > 0 else ""
    return f"{sign}{plain(rounded)}%"


def percent_of(part: Decimal, whole: Decimal) -> str:
    """``part`` as a share of ``whole``: ``20%`` (one decimal), or ``all`` of nothing."""
    if whole == 0:
        return "all"
    return f"{plain((part * HUNDRED / whole).quantize(Decimal('0.1')))}%"
