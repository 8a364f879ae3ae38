"""The open-line index: built from orders, updated by matches, revisions and receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distsync.model.items import MissingUomConversion
from distsync.rules.asn_index import OpenLineIndex, open_lines
from tests.unit.rules.support import ITEMS, Ship, d, match, notice, open_line, order


def test_open_lines_count_an_order_in_its_items_base_units() -> None:
    po = order((1, "BOLT", 2, "CA", "10.00"), (2, "GLOVE", 3, "BX", "4.00"))

    lines = open_lines(po, ITEMS, shipped={1: d(6)})

    assert [(line.sku, line.ordered, line.uom, line.shipped) for line in lines] == [
        ("BOLT", d(24), "EA", d(6)),
        ("GLOVE", d(3), "BX", d(0)),
    ]
    assert lines[0].open_balance == d(18)
    assert (lines[0].warehouse_id, lines[0].supplier_id) == ("WH-EAST", "SUP-ACME")


def test_open_lines_refuse_a_unit_the_item_does_not_know() -> None:
    po = order((1, "GLOVE", 2, "PL", "10.00"))

    with pytest.raises(MissingUomConversion) as exc:
        open_lines(po, ITEMS)

    assert exc.value.document_ref == "purchase_order:PO-1"
    assert exc.value.facts["field"] == "lines.0.quantity"


def test_a_line_without_an_item_master_keeps_its_own_unit() -> None:
    [line] = open_lines(order((1, "NEW-1", 5, "CA", "1.00")), ITEMS)

    assert (line.ordered, line.uom) == (d(5), "CA")


def test_the_index_finds_lines_by_number_and_by_sku_in_line_order() -> None:
    lines = OpenLineIndex(
        [open_line(number=3), open_line(number=1), open_line(number=2, sku="TAPE", uom="RL")]
    )

    assert [line.line_number for line in lines.lines_with_sku("PO-1", "BOLT")] == [1, 3]
    assert lines.line("PO-1", 2).sku == "TAPE"
    assert lines.supplier_of("PO-1") == "SUP-ACME"
    assert lines.supplier_of("PO-2") is None
    assert lines.lines_with_sku("PO-2", "BOLT") == ()
    assert len(lines) == 3


def test_replacing_a_line_with_another_item_moves_it_in_the_sku_index() -> None:
    lines = OpenLineIndex([open_line(number=1), open_line(number=2)])

    lines.put(open_line(number=1, sku="TAPE", uom="RL"))

    assert [line.line_number for line in lines.lines_with_sku("PO-1", "BOLT")] == [2]
    assert [line.line_number for line in lines.lines_with_sku("PO-1", "TAPE")] == [1]


def test_a_revision_keeps_what_has_shipped_and_been_received() -> None:
    lines = OpenLineIndex([open_line(number=1, ordered=100, shipped=40, received=30)])

    lines.revise_order([open_line(number=1, ordered=80), open_line(number=2, sku="TAPE")])

    first = lines.line("PO-1", 1)
    assert first is not None
    assert (first.ordered, first.shipped, first.received) == (d(80), d(40), d(30))
    assert lines.line("PO-1", 2) is not None


def test_a_line_dropped_by_a_revision_is_gone() -> None:
    lines = OpenLineIndex([open_line(number=1), open_line(number=2)])

    lines.revise_order([open_line(number=1)])

    assert lines.line("PO-1", 2) is None
    assert [line.line_number for line in lines.lines_with_sku("PO-1", "BOLT")] == [1]


def test_reversing_an_applied_match_gives_the_balance_back() -> None:
    lines = OpenLineIndex([open_line(ordered=100)])
    result = match(notice(Ship(quantity=30)), lines)

    lines.apply(result)
    assert lines.line("PO-1", 1).open_balance == d(70)
    lines.reverse(result)
    assert lines.line("PO-1", 1).open_balance == d(100)


def test_received_goods_close_the_balance_without_a_notice() -> None:
    lines = OpenLineIndex([open_line(ordered=100)])

    lines.record_received("PO-1", 1, Decimal(60))

    assert lines.line("PO-1", 1).open_balance == d(40)
    with pytest.raises(KeyError, match="no open line 9"):
        lines.record_received("PO-1", 9, Decimal(1))


def test_a_removed_order_is_not_known_any_more() -> None:
    lines = OpenLineIndex([open_line()])

    lines.remove_order("PO-1")

    result = match(notice(Ship()), lines)
    assert [p.reason_code for p in result.problems] == ["purchase_order_not_found"]
    assert list(lines) == []
