"""The reconciliation rules: the ERP's stock against a warehouse's count, SKU by SKU.

And the settings a run takes from the landscape (``flows/reconcile_settings.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distsync.flows.reconcile_settings import ReconcileSettings
from distsync.model.inventory import InventoryBalance, InventorySnapshot
from distsync.model.units import Quantity
from distsync.rules.reconcile import (
    InFlight,
    Thresholds,
    Variance,
    VarianceStatus,
    reconcile,
    variance_exception,
)

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
WH = "WH-EAST"
Line = tuple[str, int | str, str]  # SKU, on hand, unit


def snapshot(
    *lines: Line, complete: bool = True, warehouse: str = WH, lot: str = ""
) -> InventorySnapshot:
    balances = [
        InventoryBalance(
            sku=sku,
            warehouse_id=warehouse,
            lot=f"{lot}{index}" if lot else None,
            on_hand=Quantity(value=Decimal(on_hand), uom=uom),
            allocated=Quantity(value=Decimal(0), uom=uom),
            as_of=AT,
        )
        for index, (sku, on_hand, uom) in enumerate(lines)
    ]
    return InventorySnapshot(
        snapshot_id="INV-1", warehouse_id=warehouse, as_of=AT, complete=complete, balances=balances
    )


def verdicts(variances: list[Variance]) -> list[tuple[str, Decimal, VarianceStatus]]:
    return [(v.sku, v.difference, v.status) for v in variances]


def test_figures_that_agree_are_matched() -> None:
    erp = snapshot(("GLV-2211", 40, "BX"), ("FAS-10432", 500, "EA"))
    assert {v.status for v in reconcile(erp, erp)} == {VarianceStatus.MATCHED}


def test_shrinkage_in_the_warehouse_is_a_variance_above_the_default_threshold() -> None:
    erp = snapshot(("GLV-2211", 40, "BX"), ("FAS-10432", 500, "EA"))
    counted = snapshot(("GLV-2211", 37, "BX"), ("FAS-10432", 500, "EA"))
    bolts, gloves = reconcile(erp, counted)  # by SKU
    assert (gloves.erp, gloves.warehouse, gloves.difference) == (40, 37, -3)
    assert gloves.percent == Decimal("-7.5")
    assert gloves.needs_person
    assert gloves.key == "GLV-2211@WH-EAST"
    assert bolts.status is VarianceStatus.MATCHED


@pytest.mark.parametrize(
    ("thresholds", "erp", "counted", "status"),
    [
        (Thresholds(units=Decimal(2)), 10, 8, VarianceStatus.WITHIN_TOLERANCE),
        (Thresholds(units=Decimal(2)), 10, 7, VarianceStatus.ABOVE_THRESHOLD),
        (Thresholds(percent=Decimal(10)), 100, 90, VarianceStatus.WITHIN_TOLERANCE),
        (Thresholds(percent=Decimal(10)), 100, 89, VarianceStatus.ABOVE_THRESHOLD),
        (
            Thresholds(units=Decimal(5), percent=Decimal(1)),
            1000,
            995,
            VarianceStatus.WITHIN_TOLERANCE,
        ),
        (
            Thresholds(units=Decimal(5), percent=Decimal(1)),
            1000,
            994,
            VarianceStatus.WITHIN_TOLERANCE,
        ),
        (Thresholds(units=Decimal(5), percent=Decimal(1)), 10, 4, VarianceStatus.ABOVE_THRESHOLD),
        (Thresholds(percent=Decimal(50)), 0, 1, VarianceStatus.ABOVE_THRESHOLD),
    ],
)
def test_a_difference_is_above_threshold_only_beyond_every_threshold_set(
    thresholds: Thresholds, erp: int, counted: int, status: VarianceStatus
) -> None:
    (variance,) = reconcile(snapshot(("A", erp, "EA")), snapshot(("A", counted, "EA")), thresholds)
    assert variance.status is status


def test_thresholds_from_the_landscape_are_exact_decimals() -> None:
    assert Thresholds.of(0.1, 2.5) == Thresholds(Decimal("0.1"), Decimal("2.5"))
    assert Thresholds.of(3).percent is None


def test_an_item_the_erp_does_not_know_is_always_above_threshold() -> None:
    lenient = Thresholds(units=Decimal(1000))
    (variance,) = reconcile(snapshot(), snapshot(("NEW-1", 2, "EA")), lenient)
    assert (variance.erp, variance.warehouse, variance.status) == (
        None, 2, VarianceStatus.ABOVE_THRESHOLD,
    )  # fmt: skip
    assert variance.note == "not in the ERP"


def test_an_item_missing_from_a_complete_count_is_compared_with_nothing_on_hand() -> None:
    erp = snapshot(("DRL-1800", 6, "EA"), ("TAP-0048", 0, "RL"))
    found = reconcile(erp, snapshot(complete=True))
    assert verdicts(found) == [
        ("DRL-1800", Decimal(-6), VarianceStatus.ABOVE_THRESHOLD),
        ("TAP-0048", Decimal(0), VarianceStatus.MATCHED),
    ]


def test_a_partial_count_compares_only_the_items_it_lists() -> None:
    erp = snapshot(("DRL-1800", 6, "EA"), ("TAP-0048", 4, "RL"))
    found = reconcile(erp, snapshot(("TAP-0048", 4, "RL"), complete=False))
    assert verdicts(found) == [("TAP-0048", Decimal(0), VarianceStatus.MATCHED)]


def test_counts_in_another_unit_cannot_be_compared_and_need_a_person() -> None:
    (variance,) = reconcile(snapshot(("LUB-5500", 24, "EA")), snapshot(("LUB-5500", 2, "CA")))
    assert variance.needs_person
    assert variance.note == "counted in CA, the ERP in EA"


def test_lots_and_locations_of_an_item_are_summed() -> None:
    counted = snapshot(("FAS-10432", 300, "EA"), ("FAS-10432", 200, "EA"), lot="L")
    (variance,) = reconcile(snapshot(("FAS-10432", 500, "EA")), counted)
    assert variance.status is VarianceStatus.MATCHED


def test_quantity_in_flight_to_the_erp_explains_a_variance_it_covers() -> None:
    erp, counted = snapshot(("GLV-2211", 40, "BX")), snapshot(("GLV-2211", 45, "BX"))
    receipt = InFlight("GLV-2211", WH, Decimal(5), "receipt:WH-EAST/R1")
    (explained,) = reconcile(erp, counted, explained_by=[receipt])
    assert (explained.status, explained.explained_by) == (
        VarianceStatus.EXPLAINED, ("receipt:WH-EAST/R1",),
    )  # fmt: skip
    partial = InFlight("GLV-2211", WH, Decimal(3), "receipt:WH-EAST/R2")
    elsewhere = InFlight("GLV-2211", "WH-WEST", Decimal(5), "receipt:WH-WEST/R3")
    in_cases = InFlight("GLV-2211", WH, Decimal(5), "receipt:WH-EAST/R4", "CA")
    for flights in ([partial], [elsewhere], [in_cases]):
        (variance,) = reconcile(erp, counted, explained_by=flights)
        assert variance.status is VarianceStatus.ABOVE_THRESHOLD


def test_postings_the_erp_has_that_came_after_the_count_explain_a_shortfall() -> None:
    erp, counted = snapshot(("DRL-1800", 10, "EA")), snapshot(("DRL-1800", 6, "EA"))
    later = InFlight("DRL-1800", WH, Decimal(-4), "post_receipt:R7", "EA")
    (variance,) = reconcile(erp, counted, explained_by=[later])
    assert variance.status is VarianceStatus.EXPLAINED


def test_snapshots_of_two_warehouses_are_not_compared() -> None:
    with pytest.raises(ValueError, match="WH-WEST"):
        reconcile(snapshot(warehouse="WH-WEST"), snapshot())


@settings(max_examples=60, deadline=None)
@given(
    erp=st.integers(min_value=0, max_value=10_000),
    counted=st.integers(min_value=0, max_value=10_000),
    units=st.integers(min_value=0, max_value=50),
)
def test_a_variance_needs_a_person_exactly_when_it_exceeds_the_unit_threshold(
    erp: int, counted: int, units: int
) -> None:
    (variance,) = reconcile(
        snapshot(("A", erp, "EA")), snapshot(("A", counted, "EA")), Thresholds(units=Decimal(units))
    )
    assert variance.difference == counted - erp
    assert variance.needs_person == (abs(counted - erp) > units)
    assert (variance.status is VarianceStatus.MATCHED) == (counted == erp)


def test_the_exception_names_the_item_the_warehouse_and_both_figures() -> None:
    row = {
        "sku": "GLV-2211", "warehouse_id": WH, "uom": "BX", "erp": "40", "warehouse": "37",
        "difference": "-3", "percent": "-7.5", "note": "", "snapshot_id": "INV000002",
    }  # fmt: skip
    problem = variance_exception(row)
    assert problem.reason_code == "inventory_variance"
    assert problem.document_ref == "inventory:GLV-2211@WH-EAST"
    assert str(problem) == (
        "WH-EAST counts 37 BX of GLV-2211 in snapshot INV000002, the ERP has 40 BX "
        "(difference -3, -7.5%)"
    )
    assert (problem.facts["erp"], problem.facts["warehouse_qty"]) == ("40", "37")


@dataclass(frozen=True)
class Policy:
    reconcile_erp: str = "ledger"
    reconcile_warehouses: tuple[str, ...] = ("WH-EAST",)
    reconcile_minutes: float = 15.0
    reconcile_threshold_units: float = 0.1
    reconcile_threshold_pct: float | None = None
    reconcile_in_flight_days: float = 2.0
    reconcile_report_dir: str = "/srv/reports"


def test_settings_from_the_landscape_keep_every_key() -> None:
    settings = ReconcileSettings.from_policy(Policy())
    assert settings == ReconcileSettings(
        erp="ledger", warehouses=("WH-EAST",), thresholds=Thresholds(Decimal("0.1")),
        report_dir=Path("/srv/reports"), every_minutes=15.0, in_flight_days=2.0,
    )  # fmt: skip
