"""Tolerances from the landscape file, compared exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distsync.config import ProcurePolicy
from distsync.rules.tolerances import (
    Tolerances,
    exceeds,
    percent_of,
    plain,
    share_of,
    signed_percent,
)


def test_the_landscape_policy_becomes_exact_decimals() -> None:
    policy = ProcurePolicy(
        asn_qty_tolerance_pct=1.1,
        asn_date_tolerance_days=2,
        price_tolerance_pct=0.1,
        po_wait_minutes=90,
        invoice_charge_codes=("D240", "H850"),
    )

    tolerances = Tolerances.from_policy(policy)

    assert tolerances.asn_qty_pct == Decimal("1.1")
    assert tolerances.asn_date_days == Decimal("2.0")
    assert tolerances.price_pct == Decimal("0.1")
    assert tolerances.po_wait == timedelta(minutes=90)
    assert tolerances.charge_codes == {"D240", "H850"}
    assert tolerances.charge_pct == Decimal(10)


def test_the_default_policy_is_the_default_tolerances() -> None:
    assert Tolerances.from_policy(ProcurePolicy()) == Tolerances()


def test_a_difference_exactly_at_the_tolerance_is_within_it() -> None:
    assert not exceeds(Decimal("101.1"), Decimal(100), Decimal("1.1"))
    assert exceeds(Decimal("101.100001"), Decimal(100), Decimal("1.1"))
    assert not exceeds(Decimal("98.9"), Decimal(100), Decimal("1.1"))
    assert exceeds(Decimal("98.899999"), Decimal(100), Decimal("1.1"))


def test_figures_print_as_people_write_them() -> None:
    assert plain(Decimal("1200")) == "1200"
    assert plain(Decimal("2.50")) == "2.5"
    assert plain(Decimal("-0.00")) == "0"
    assert signed_percent(Decimal("8.10"), Decimal("7.90")) == "+2.5%"
    assert signed_percent(Decimal(5), Decimal(6)) == "-16.7%"
    assert signed_percent(Decimal(5), Decimal(0)) == "new"
    assert percent_of(Decimal(85), Decimal("1415.60")) == "6%"
    assert percent_of(Decimal(1), Decimal(0)) == "all"


amounts = st.decimals(min_value=Decimal("0.000001"), max_value=10**9, places=6)


@given(amounts, st.decimals(min_value=0, max_value=100, places=2))
def test_the_tolerance_edge_is_exact_both_ways(expected: Decimal, pct: Decimal) -> None:
    edge = share_of(expected, pct)

    assert not exceeds(expected + edge, expected, pct)
    assert not exceeds(expected - edge, expected, pct)
    assert exceeds(expected + edge + Decimal("1E-10"), expected, pct)
