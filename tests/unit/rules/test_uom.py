"""Units of measure: partner quantities in base units, exactly, or a clear error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from distsync.model.items import MissingUomConversion
from distsync.rules.uom import base_factor, price_in, to_base, value_in
from tests.unit.rules.support import ITEMS, qty

WHERE = {"document_ref": "asn:SUP-ACME/ASN-1", "field": "orders.0.packs.0.items.0.quantity"}


def test_cases_of_twelve_are_eaches_times_twelve() -> None:
    assert to_base(qty(3, "CA"), ITEMS["BOLT"], **WHERE) == qty(36, "EA")
    assert to_base(qty(1, "PL"), ITEMS["BOLT"], **WHERE) == qty(960, "EA")


def test_the_base_unit_converts_to_itself() -> None:
    assert to_base(qty("2.5", "BX"), ITEMS["GLOVE"], **WHERE) == qty("2.5", "BX")


def test_a_missing_conversion_names_the_document_and_the_field() -> None:
    with pytest.raises(MissingUomConversion) as exc:
        to_base(qty(1, "BX"), ITEMS["BOLT"], **WHERE)

    error = exc.value
    assert error.reason_code == "missing_uom_conversion"
    assert error.document_ref == "asn:SUP-ACME/ASN-1"
    assert error.facts == {
        "sku": "BOLT",
        "uom": "BX",
        "field": "orders.0.packs.0.items.0.quantity",
        "problem_key": "uom:BOLT/BX",
    }
    assert str(error) == (
        "asn:SUP-ACME/ASN-1: orders.0.packs.0.items.0.quantity is in BX, but item BOLT has no "
        "conversion from BX to EA (it knows EA, CA, PL)"
    )
    assert [r.action for r in error.resolutions] == ["add_uom_conversion", "discard"]


def test_without_an_item_master_only_the_same_unit_passes() -> None:
    assert value_in(qty(5, "CA"), "CA", None, sku="NEW-1", **WHERE) == 5
    with pytest.raises(MissingUomConversion, match="there is no item master for NEW-1"):
        value_in(qty(5, "CA"), "EA", None, sku="NEW-1", **WHERE)


def test_a_unit_that_is_not_the_items_base_is_refused_as_a_target() -> None:
    with pytest.raises(MissingUomConversion, match="CA is not the base unit of item BOLT"):
        value_in(qty(24, "EA"), "CA", ITEMS["BOLT"], sku="BOLT", **WHERE)


def test_a_price_per_each_is_twelve_times_that_per_case() -> None:
    item = ITEMS["BOLT"]
    assert price_in(Decimal("0.80"), "EA", "CA", item, sku="BOLT", document_ref="x") == Decimal(
        "9.600000"
    )
    assert price_in(Decimal("10"), "CA", "EA", item, sku="BOLT", document_ref="x") == Decimal(
        "0.833333"
    )
    assert base_factor(item, "CA", sku="BOLT", document_ref="x", field="f") == 12


@given(st.decimals(min_value=0, max_value=10**9, places=6), st.sampled_from(["EA", "CA", "PL"]))
def test_conversion_to_base_is_exact(value: Decimal, uom: str) -> None:
    item = ITEMS["BOLT"]
    converted = to_base(qty(str(value), uom), item, **WHERE).value

    assert converted == value * item.base_quantity_per(uom)
    assert converted / item.base_quantity_per(uom) == value
