"""Properties of ship-notice matching that must hold for any shipment (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distsync.rules.asn_index import OpenLineIndex
from distsync.rules.tolerances import Tolerances, share_of
from tests.unit.rules.support import Ship, match, notice, open_line

CASE = 12  # eaches per case of BOLT
quantities = st.integers(min_value=1, max_value=500)
percents = st.decimals(min_value=0, max_value=25, places=1)


@st.composite
def partitions(draw: st.DrawFn) -> tuple[int, list[tuple[int, str]]]:
    """A total in eaches and a split of it into parts, each in cases or eaches."""
    parts = draw(st.lists(quantities, min_size=1, max_size=8))
    shipped = [(p, "CA") if draw(st.booleans()) else (p * CASE, "EA") for p in parts]
    return sum(p * CASE for p in parts), shipped


@given(partitions())
def test_any_split_into_notices_consumes_what_one_notice_does(
    case: tuple[int, list[tuple[int, str]]],
) -> None:
    total, parts = case
    split = OpenLineIndex([open_line(ordered=total)])
    for number, (quantity, uom) in enumerate(parts):
        result = match(notice(Ship(quantity=quantity, uom=uom), number=f"A-{number}"), split)
        assert result.ok, result.problems
        split.apply(result)
    whole = OpenLineIndex([open_line(ordered=total)])
    whole.apply(match(notice(Ship(quantity=total)), whole))

    assert split.line("PO-1", 1) == whole.line("PO-1", 1)
    assert split.line("PO-1", 1).open_balance == 0


@given(partitions())
def test_any_split_into_items_of_one_notice_consumes_what_one_item_does(
    case: tuple[int, list[tuple[int, str]]],
) -> None:
    total, parts = case
    lines = OpenLineIndex([open_line(ordered=total)])
    items = [
        Ship(quantity=quantity, uom=uom, lot=f"L{n}") for n, (quantity, uom) in enumerate(parts)
    ]

    result = match(notice(*items), lines)

    assert result.ok
    assert [use.quantity for use in result.lines] == [Decimal(total)]
    assert sum(item.quantity for item in result.items) == total


@given(
    ordered=quantities,
    shipments=st.lists(quantities, min_size=1, max_size=12),
    pct=percents,
)
def test_matched_quantity_never_exceeds_the_order_plus_tolerance(
    ordered: int, shipments: list[int], pct: Decimal
) -> None:
    tolerances = Tolerances(asn_qty_pct=pct)
    ceiling = ordered + share_of(Decimal(ordered), pct)
    lines = OpenLineIndex([open_line(ordered=ordered)])
    for number, quantity in enumerate(shipments):
        before = lines.line("PO-1", 1).shipped
        result = match(
            notice(Ship(quantity=quantity), number=f"A-{number}"), lines, tolerances=tolerances
        )
        assert result.ok is (before + quantity <= ceiling)
        if result.ok:
            lines.apply(result)
        else:
            assert [p.reason_code for p in result.problems] == ["over_shipment"]
        assert lines.line("PO-1", 1).shipped <= ceiling
