"""The shared toolkit every connector uses: money with the vendor's exponent, UTC times, JSON."""

from datetime import datetime
from decimal import Decimal

import pytest

from integration_core.lib import jsontext, money, timeparse


@pytest.mark.parametrize(
    ("minor", "code", "vendor", "expected"),
    [
        (12345, "USD", None, Decimal("123.45")),
        (500, "JPY", None, Decimal("500")),
        (1500, "KWD", None, Decimal("1.500")),
        (500, "ISK", "stripe", Decimal("5.00")),  # Stripe: ISK amounts are two-decimal
        (500, "ISK", None, Decimal("500")),  # ISO: zero-decimal
        (1000, "UGX", "stripe", Decimal("10.00")),
        (5000, "MGA", "stripe", Decimal("5000")),  # Stripe: zero-decimal
        (5000, "MGA", None, Decimal("50.00")),
    ],
)
def test_minor_units_follow_the_vendor_table_then_iso(minor, code, vendor, expected):
    assert money.minor_to_amount(minor, code, vendor) == expected
    assert money.amount_to_minor(expected, code, vendor) == minor


def test_minor_amounts_must_be_integers():
    with pytest.raises(money.MoneyError):
        money.minor_to_amount("10.99", "USD")
    with pytest.raises(money.MoneyError):
        money.minor_to_amount(True, "USD")


def test_decimal_strings_are_read_exactly():
    assert money.decimal_amount("199.005") == Decimal("199.01")
    assert money.decimal_amount(None, 3) == Decimal("0.000")
    with pytest.raises(money.MoneyError):
        money.decimal_amount("NaN")
    assert money.format_amount(Decimal("5"), "jpy") == "5 JPY"


def test_times_become_naive_utc():
    assert timeparse.to_utc(0) == datetime(1970, 1, 1)
    assert timeparse.to_utc("2026-12-01T10:00:00+01:00") == datetime(2026, 12, 1, 9, 0)
    assert timeparse.to_utc("2026-12-01T10:00:00Z") == datetime(2026, 12, 1, 10, 0)
    assert timeparse.to_utc("") is None


@pytest.mark.parametrize("value", [True, "yesterday", 10**20, "99999999999999999999", [1]])
def test_what_is_not_a_time_is_a_clear_error(value):
    with pytest.raises(timeparse.TimeError):
        timeparse.to_utc(value)


def test_pretty_json_leaves_other_text_alone():
    assert jsontext.pretty('{"a":1}') == '{\n  "a": 1\n}'
    assert jsontext.pretty("not json") == "not json"
    assert jsontext.pretty(None) is None
