"""What a reconciliation run compares and where its report goes, from the landscape or the CLI.

The landscape keys live under ``flows.inventory`` beside the availability
feed's, all prefixed ``reconcile_`` (``docs/reconciliation.md`` lists them);
:meth:`ReconcileSettings.from_policy` reads anything with those attributes,
so this module does not import the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from distsync.rules.reconcile import Thresholds

__all__ = ["ReconcilePolicy", "ReconcileSettings"]


class ReconcilePolicy(Protocol):
    """The ``reconcile_*`` keys of ``flows.inventory``."""

    @property
    def reconcile_erp(self) -> str: ...
    @property
    def reconcile_warehouses(self) -> Sequence[str]: ...
    @property
    def reconcile_minutes(self) -> float: ...
    @property
    def reconcile_threshold_units(self) -> float: ...
    @property
    def reconcile_threshold_pct(self) -> float | None: ...
    @property
    def reconcile_in_flight_days(self) -> float: ...
    @property
    def reconcile_report_dir(self) -> str | Path: ...


@dataclass(frozen=True)
class ReconcileSettings:
    """What a run compares and where its report goes (empty ``warehouses``: every one counted).

    ``in_flight_days``: how far before the oldest count to look for postings
    that explain a difference.
    """

    erp: str = "erp"
    warehouses: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    report_dir: Path = Path("var/reconcile")
    every_minutes: float = 60.0
    in_flight_days: float = 7.0

    @classmethod
    def from_policy(cls, policy: ReconcilePolicy) -> ReconcileSettings:
        """The settings of ``landscape.flows.inventory`` (thresholds as exact decimals)."""
        return cls(
            erp=policy.reconcile_erp,
            warehouses=tuple(policy.reconcile_warehouses),
            thresholds=Thresholds.of(
                policy.reconcile_threshold_units, policy.reconcile_threshold_pct
            ),
            report_dir=Path(policy.reconcile_report_dir),
            every_minutes=policy.reconcile_minutes,
            in_flight_days=policy.reconcile_in_flight_days,
        )
