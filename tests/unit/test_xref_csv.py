"""Cross-reference sheets: what reads, what is refused (with its line and column), round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsync.errors import PermanentError
from distsync.store.ports import FieldProblem, XrefEntry, XrefInvalid, XrefKind
from distsync.xref_csv import SheetInvalid, decode_sheet, parse_factor, read_sheet, write_sheet

SKU, UOM, WAREHOUSE = XrefKind.SKU, XrefKind.UOM, XrefKind.WAREHOUSE


def problems_of(text: str) -> list[str]:
    with pytest.raises(SheetInvalid) as caught:
        read_sheet(text, source="acme.csv")
    return [str(problem) for problem in caught.value.problems]


def test_a_sheet_of_every_kind_reads_into_mappings() -> None:
    text = (
        "kind,partner_value,our_value,partner_uom,factor\n"
        "sku,ACME-100,FAS-10432,CS,12\n"
        "sku,ACME-200,FAS-20001,,\n"
        "uom,CS,CA,,\n"
        "warehouse,0614141000029,WH-EAST,,\n"
    )
    assert read_sheet(text, source="acme.csv") == [
        XrefEntry(SKU, "ACME-100", "FAS-10432", "CS", Decimal(12)),
        XrefEntry(SKU, "ACME-200", "FAS-20001"),
        XrefEntry(UOM, "CS", "CA"),
        XrefEntry(WAREHOUSE, "0614141000029", "WH-EAST"),
    ]


def test_columns_in_any_order_and_case_and_no_kind_column_means_sku() -> None:
    text = "Our Value , PARTNER_VALUE,factor,partner-uom\nFAS-1,  A-1 ,0.5,PK\n"
    assert read_sheet(text, source="s.csv") == [
        XrefEntry(SKU, "A-1", "FAS-1", "PK", Decimal("0.5"))
    ]


def test_blank_rows_comments_trailing_empty_columns_bom_and_semicolons_are_read() -> None:
    text = "# kept by purchasing, ACME\nkind;partner_value;our_value;;\n\n;;;;\nSKU;A-1;FAS-1;;\n"
    raw = "\ufeff".encode() + text.encode()
    assert read_sheet(decode_sheet(raw, source="s.csv"), source="s.csv") == [
        XrefEntry(SKU, "A-1", "FAS-1")
    ]


def test_every_bad_row_is_reported_with_its_line_and_column_and_nothing_is_read() -> None:
    text = (
        "kind,partner_value,our_value,partner_uom,factor\n"
        "sku,A-1,FAS-1,CS,12\n"
        "sku,A-2,FAS-2,CS,12,5\n"
        "pallet,A-3,FAS-3,,\n"
        "uom,CS,CASE,,\n"
        "sku,A-4,FAS-4,,12\n"
        "sku,,FAS-5,,\n"
        "warehouse,GLN 1,WH EAST,,\n"
        "sku,A-6,FAS-6,CS,-1\n"
    )
    assert problems_of(text) == [
        "line 3: a value in column 6, which the header row does not name",
        "line 4: kind: 'pallet' is not one of sku, uom, warehouse",
        "line 5: our_value: 'CASE' is not one of our unit codes (EA, CA, PL, KG, ...; "
        "see model.units)",
        "line 6: factor: needs partner_uom: the partner's unit that holds this many of ours",
        "line 7: partner_value: is empty",
        "line 8: our_value: 'WH EAST' is not a warehouse id "
        "(letters, digits and . _ / -, up to 64)",
        "line 9: factor: -1 must be a number greater than 0",
    ]


def test_the_error_names_the_sheet_says_nothing_was_imported_and_is_a_rejection() -> None:
    with pytest.raises(SheetInvalid) as caught:
        read_sheet("partner_value,our_value\nA-1,\n", source="xref/acme.csv")
    assert isinstance(caught.value, PermanentError)
    assert str(caught.value) == (
        "reading xref/acme.csv: 1 problem, nothing imported:\n"
        "  xref/acme.csv: line 2: our_value: is empty"
    )


def test_a_decimal_comma_gets_a_hint() -> None:
    assert problems_of("partner_value;our_value;partner_uom;factor\nA-1;F-1;CS;2,5\n") == [
        "line 2: factor: '2,5' is not a decimal number: write it with a point (2.5)"
    ]


def test_a_partner_value_given_twice_names_both_lines() -> None:
    text = "kind,partner_value,our_value\nsku,A-1,F-1\nuom,A-1,EA\nsku,A-1,F-2\n"
    assert problems_of(text) == ["line 4: partner_value: 'A-1' (sku) is also on line 2"]


def test_an_unknown_column_suggests_the_right_name_and_stops_before_the_rows() -> None:
    text = "kind,partner_value,our_value,factr\nsku,A-1,,x\n"
    assert problems_of(text) == [
        "line 1: factr: unknown column; did you mean 'factor'? "
        "the columns are kind, partner_value, our_value, partner_uom, factor"
    ]


def test_a_header_without_a_required_column_is_refused() -> None:
    assert problems_of("# comment\nkind,partner_value\nsku,A-1\n") == [
        "line 2: the header has no our_value column"
    ]


def test_an_empty_sheet_has_no_header() -> None:
    assert problems_of("\n# nothing\n") == [
        "line 1: no header row (write kind,partner_value,our_value,partner_uom,factor)"
    ]


def test_a_header_only_sheet_holds_no_mappings() -> None:
    assert read_sheet("kind,partner_value,our_value\n", source="s.csv") == []


def test_a_quoted_cell_over_two_lines_keeps_the_line_numbers_of_what_follows() -> None:
    text = 'partner_value,our_value\n"A-1\nsecond line",F-1\nA-2,\n'
    assert problems_of(text) == [
        "line 2: partner_value: 'A-1\\nsecond line' must be 1 to 64 characters without "
        "control characters or spaces at either end",
        "line 4: our_value: is empty",
    ]


def test_a_sheet_that_is_not_utf8_is_refused_with_its_line() -> None:
    with pytest.raises(SheetInvalid, match=r"line 2: not UTF-8 text"):
        decode_sheet(b"partner_value,our_value\nA-1,F\xe9-1\n", source="s.csv")


def test_factors_are_read_exactly() -> None:
    assert parse_factor("0.125") == Decimal("0.125")
    with pytest.raises(ValueError, match="not a decimal number"):
        parse_factor("1e3")


@pytest.mark.parametrize(
    ("entry", "problems"),
    [
        (XrefEntry(UOM, "CS", "CA", "CS"), [("partner_uom", "applies to kind sku only, not uom")]),
        (
            XrefEntry(WAREHOUSE, "0614141000029", "WH-EAST", factor=Decimal(2)),
            [("factor", "applies to kind sku only, not warehouse")],
        ),
        (
            XrefEntry(SKU, "A-1", "F-1", "CS", Decimal("0.0000001")),
            [("factor", "0.0000001 has more than 6 decimal places")],
        ),
        (
            XrefEntry(SKU, "A-1", "F-1", "CASE-OF-12", Decimal(12)),
            [("partner_uom", "'CASE-OF-12' is not a unit code (1 to 8 letters or digits)")],
        ),
        (XrefEntry(SKU, " A-1", "F-1"), [("partner_value", "' A-1' must be 1 to 64 characters")]),
    ],
)
def test_each_kind_has_its_own_rules(entry: XrefEntry, problems: list[tuple[str, str]]) -> None:
    found = entry.problems()
    assert [p.field for p in found] == [field for field, _ in problems]
    for problem, (_, message) in zip(found, problems, strict=True):
        assert problem.message.startswith(message)


def test_an_invalid_entry_raises_naming_the_action_and_the_fields() -> None:
    entry = XrefEntry(UOM, "CS", "CASE", factor=Decimal(12))
    with pytest.raises(XrefInvalid) as caught:
        entry.check("mapping for acme:")
    assert caught.value.problems == (
        FieldProblem("our_value", entry.problems()[0].message),
        FieldProblem("factor", "applies to kind sku only, not uom"),
    )
    assert str(caught.value).startswith("mapping for acme: uom 'CS': our_value: 'CASE' is not")


VALUE = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ,;\"#./-]{0,20}[A-Za-z0-9]", fullmatch=True)
SKU_ENTRY = st.builds(
    lambda value, ours, uom, factor: XrefEntry(SKU, value, ours, uom, factor and uom and factor),
    VALUE,
    VALUE,
    st.one_of(st.none(), st.from_regex(r"[A-Z]{1,3}", fullmatch=True)),
    st.one_of(st.none(), st.decimals(min_value="0.000001", max_value="100000", places=6)),
)


@given(st.lists(SKU_ENTRY, max_size=20, unique_by=lambda e: e.key))
def test_an_exported_sheet_reads_back_the_same_mappings(entries: list[XrefEntry]) -> None:
    read = read_sheet(write_sheet(entries), source="s.csv")
    assert read == sorted(entries, key=lambda e: e.key)
