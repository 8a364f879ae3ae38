"""Value types: exact decimals, money, quantities, units, identifiers, datetimes."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from distsync.errors import BusinessException
from distsync.model.examples import example_item, example_purchase_order, variant
from distsync.model.identifiers import has_valid_check_digit, normalize_gtin
from distsync.model.items import Item, ItemRef, MissingUomConversion, UomConversion
from distsync.model.money import Money, minor_unit
from distsync.model.parties import PartyRef
from distsync.model.shipping import Package
from distsync.model.units import Quantity


def only_error(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    """The location and message of the single error of a validation failure."""
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    return ".".join(str(part) for part in errors[0]["loc"]), errors[0]["msg"]


def test_money_refuses_a_python_float() -> None:
    with pytest.raises(ValidationError) as exc:
        Money(amount=12.5, currency="USD")  # type: ignore[arg-type]
    location, message = only_error(exc)
    assert location == "amount"
    assert "binary floats are refused" in message


def test_money_refuses_a_json_float() -> None:
    with pytest.raises(ValidationError) as exc:
        Money.model_validate_json('{"amount": 19.99, "currency": "USD"}')
    location, message = only_error(exc)
    assert location == "amount"
    assert "binary floats are refused (19.99)" in message


def test_quantity_refuses_floats_from_python_and_json() -> None:
    with pytest.raises(ValidationError, match="binary floats are refused"):
        Quantity(value=1.5, uom="EA")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="binary floats are refused"):
        Quantity.model_validate_json('{"value": 1.5, "uom": "EA"}')


def test_a_float_deep_in_a_document_is_refused_at_its_path() -> None:
    with pytest.raises(ValidationError) as exc:
        variant(example_purchase_order(), {"lines.2.unit_price.amount": 75.6})
    location, _ = only_error(exc)
    assert location == "lines.2.unit_price.amount"


@pytest.mark.parametrize("amount", [Decimal("12.50"), 12, "12.50", "-3", "1.2E+3", ".5"])
def test_money_accepts_decimals_ints_and_decimal_strings(amount: Decimal | int | str) -> None:
    money = Money(amount=amount, currency="EUR")  # type: ignore[arg-type]
    assert money.amount == Decimal(str(amount))


def test_money_keeps_the_scale_it_was_given() -> None:
    money = Money.model_validate_json('{"amount": "12.50", "currency": "USD"}')
    assert money.model_dump(mode="json") == {"amount": "12.50", "currency": "USD"}


@pytest.mark.parametrize("text", ["NaN", "Infinity", "1_000", " 12", "12,50", "", "0x10"])
def test_decimal_strings_must_be_plain_numbers(text: str) -> None:
    with pytest.raises(ValidationError, match="not a decimal number"):
        Money(amount=text, currency="USD")  # type: ignore[arg-type]


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(ValidationError, match="a boolean is not a number"):
        Quantity(value=True, uom="EA")  # type: ignore[arg-type]


def test_more_than_six_decimal_places_are_refused() -> None:
    with pytest.raises(ValidationError, match="6 decimal places"):
        Quantity(value="0.0000001", uom="KG")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "U$D"])
def test_currency_must_be_three_upper_case_letters(currency: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Money(amount=Decimal(1), currency=currency)
    assert only_error(exc)[0] == "currency"


def test_minor_units_follow_iso_4217() -> None:
    assert minor_unit("USD") == Decimal("0.01")
    assert minor_unit("JPY") == Decimal(1)
    assert minor_unit("KWD") == Decimal("0.001")


def test_units_of_measure_must_be_known_codes() -> None:
    with pytest.raises(ValidationError, match="unit of measure 'XX' is not known"):
        Quantity(value=Decimal(1), uom="XX")
    with pytest.raises(ValidationError, match="pattern"):
        Quantity(value=Decimal(1), uom="ea")


def test_bad_gtin_check_digit_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as exc:
        ItemRef(sku="FAS-10432", gtin="0614141104322")
    location, message = only_error(exc)
    assert location == "gtin"
    assert "GTIN 0614141104322 has check digit 2, expected 1" in message


@pytest.mark.parametrize("gtin", ["96385074", "036000291452", "4006381333931", "10614141104328"])
def test_gtins_of_eight_twelve_thirteen_and_fourteen_digits_are_accepted(gtin: str) -> None:
    assert ItemRef(sku="X", gtin=gtin).gtin == gtin


@pytest.mark.parametrize("gtin", ["0360002914", "03600029145\uff12", "abcdefghijklm"])
def test_gtins_of_other_lengths_or_characters_are_refused(gtin: str) -> None:
    with pytest.raises(ValidationError):
        ItemRef(sku="X", gtin=gtin)


def test_normalized_gtins_of_one_item_compare_equal() -> None:
    assert normalize_gtin("036000291452") == normalize_gtin("0036000291452") == "00036000291452"


def test_bad_gln_check_digit_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as exc:
        PartyRef(party_id="SUP-ACME", gln="5012345000016")
    location, message = only_error(exc)
    assert location == "gln"
    assert "GLN 5012345000016 has check digit 6, expected 5" in message


def test_bad_sscc_check_digit_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as exc:
        Package(sscc="006141410000000013")
    location, message = only_error(exc)
    assert location == "sscc"
    assert "SSCC 006141410000000013 has check digit 3, expected 2" in message


def test_duns_is_nine_digits() -> None:
    assert PartyRef(party_id="A", duns="081466203").duns == "081466203"
    with pytest.raises(ValidationError):
        PartyRef(party_id="A", duns="08146620")


def test_naive_datetimes_are_refused_from_python_and_json() -> None:
    purchase_order = example_purchase_order()
    with pytest.raises(ValidationError) as exc:
        purchase_order.model_validate(
            purchase_order.model_dump() | {"issued_at": datetime(2024, 5, 6, 9, 15)}
        )
    assert only_error(exc)[0] == "issued_at"
    with pytest.raises(ValidationError) as exc:
        variant(purchase_order, {"issued_at": "2024-05-06T09:15:00"})
    assert only_error(exc) == ("issued_at", "Input should have timezone info")


def test_unknown_fields_are_refused_at_every_level() -> None:
    purchase_order = example_purchase_order()
    with pytest.raises(ValidationError) as exc:
        variant(purchase_order, {"priority": "high"})
    assert only_error(exc) == ("priority", "Extra inputs are not permitted")
    with pytest.raises(ValidationError) as exc:
        variant(purchase_order, {"lines.0.item.colour": "red"})
    assert only_error(exc)[0] == "lines.0.item.colour"


def test_numbers_in_strings_are_not_coerced_into_integers() -> None:
    with pytest.raises(ValidationError) as exc:
        variant(example_purchase_order(), {"revision": "1"})
    assert only_error(exc)[0] == "revision"


def test_documents_are_immutable() -> None:
    purchase_order = example_purchase_order()
    with pytest.raises(ValidationError, match="frozen"):
        purchase_order.po_number = "PO-2"  # type: ignore[misc]


def case_of_twelve() -> Item:
    return Item(
        sku="LUB-5500",
        description="Penetrating lubricant spray 400 ml",
        base_uom="EA",
        conversions=(
            UomConversion(uom="CA", base_quantity=Decimal(12)),
            UomConversion(uom="PL", base_quantity=Decimal(960)),
        ),
    )


def test_a_case_of_twelve_converts_to_twelve_each() -> None:
    item = case_of_twelve()
    assert item.to_base(Quantity(value=Decimal(1), uom="CA")) == Quantity(
        value=Decimal(12), uom="EA"
    )
    assert item.to_base(Quantity(value=Decimal(12), uom="CA")).value == 144


def test_conversion_uses_exact_decimal_arithmetic() -> None:
    item = case_of_twelve()
    assert item.to_base(Quantity(value=Decimal("0.25"), uom="CA")).value == Decimal("3.00")
    assert item.to_base(Quantity(value=Decimal("0.1"), uom="PL")).value == Decimal(96)
    assert item.to_base(Quantity(value=Decimal(7), uom="EA")) == Quantity(
        value=Decimal(7), uom="EA"
    )


def test_a_unit_without_conversion_raises_an_error_naming_item_and_unit() -> None:
    with pytest.raises(MissingUomConversion) as exc:
        case_of_twelve().to_base(Quantity(value=Decimal(2), uom="BX"))
    message = str(exc.value)
    assert "item LUB-5500 has no conversion from BX to its base unit EA" in message
    assert isinstance(exc.value, BusinessException)
    assert exc.value.reason_code == "missing_uom_conversion"
    assert exc.value.document_ref == "item:LUB-5500"
    assert exc.value.resolutions[0].action == "add_uom_conversion"


def test_an_item_refuses_a_conversion_of_its_base_unit_or_a_repeated_one() -> None:
    item = example_item()
    with pytest.raises(ValidationError, match="item FAS-10432: conversions lists the base unit EA"):
        variant(item, {"conversions.0.uom": "EA"})
    with pytest.raises(ValidationError, match="item FAS-10432: conversions lists CA twice"):
        variant(item, {"conversions.0.uom": "CA"})


def test_money_and_quantity_survive_json_as_exact_text() -> None:
    data = json.loads(Money(amount=Decimal("0.10"), currency="USD").model_dump_json())
    assert data == {"amount": "0.10", "currency": "USD"}
    assert has_valid_check_digit("006141410000000012")


def test_numbers_too_large_for_a_decimal_are_refused() -> None:
    with pytest.raises(ValidationError, match="not a decimal number"):
        Quantity(value="1e99999999999999999999", uom="EA")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no more than 24 digits"):
        Quantity(value="1e30", uom="EA")  # type: ignore[arg-type]
