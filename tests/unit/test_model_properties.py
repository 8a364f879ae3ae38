"""Property tests: the GS1 check digit, and exact JSON round trips of money and quantities."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distsync.model.identifiers import gs1_check_digit, has_valid_check_digit
from distsync.model.money import Money
from distsync.model.units import KNOWN_UNITS, Quantity

data_digits = st.text(alphabet="0123456789", min_size=1, max_size=17)


def reference_check_digit(data: str) -> int:
    """GS1 general specifications, 7.9.1: weights 3,1,3,... from the right, round up to ten."""
    weighted = sum(int(d) * w for d, w in zip(reversed(data), [3, 1] * 9, strict=False))
    return (-weighted) % 10


@given(data_digits)
def test_check_digit_matches_the_gs1_reference_computation(data: str) -> None:
    assert gs1_check_digit(data) == reference_check_digit(data)


@given(data_digits)
def test_a_code_with_its_check_digit_is_valid(data: str) -> None:
    assert has_valid_check_digit(data + str(gs1_check_digit(data)))


@given(data_digits, st.data())
def test_any_single_wrong_digit_is_detected(data: str, draw: st.DataObject) -> None:
    code = data + str(gs1_check_digit(data))
    position = draw.draw(st.integers(min_value=0, max_value=len(code) - 1))
    wrong = draw.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    assert not has_valid_check_digit(code[:position] + wrong + code[position + 1 :])


def test_published_gs1_codes_are_valid() -> None:
    for code in ("036000291452", "4006381333931", "9780306406157", "96385074"):
        assert has_valid_check_digit(code), code


exact_decimals = st.integers(min_value=0, max_value=6).flatmap(
    lambda places: st.decimals(
        min_value=Decimal("-1e17"),
        max_value=Decimal("1e17"),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )
)


@given(exact_decimals, st.from_regex(r"[A-Z]{3}", fullmatch=True))
def test_money_round_trips_through_json_exactly(amount: Decimal, currency: str) -> None:
    money = Money(amount=amount, currency=currency)
    text = json.dumps(money.model_dump(mode="json"))
    back = Money.model_validate_json(text)
    assert back == money
    assert back.amount.as_tuple() == money.amount.as_tuple()


@given(exact_decimals, st.sampled_from(sorted(KNOWN_UNITS)))
def test_quantity_round_trips_through_json_exactly(value: Decimal, uom: str) -> None:
    quantity = Quantity(value=value, uom=uom)
    back = Quantity.model_validate_json(quantity.model_dump_json())
    assert back == quantity
    assert back.value.as_tuple() == quantity.value.as_tuple()
