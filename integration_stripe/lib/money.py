"""Stripe amounts are integers in the currency's minor unit; Odoo amounts follow the
currency's decimal places (0 for JPY, 2 for EUR, 3 for KWD). Decimal only, never floats
built from strings."""

from decimal import ROUND_HALF_UP, Decimal


def to_amount(minor: int, decimal_places: int) -> Decimal:
    """12345 with 2 decimals -> Decimal('123.45'); 500 JPY (0 decimals) -> Decimal('500')."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise ValueError(f"a Stripe amount is an integer in minor units, not {minor!r}")
    return Decimal(minor).scaleb(-decimal_places)


def to_minor(amount, decimal_places: int) -> int:
    """Odoo amount (float or Decimal) -> integer minor units, rounded half up."""
    value = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    return int(value.scaleb(decimal_places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_minor(minor: int, decimal_places: int, currency: str) -> str:
    """Human text for messages: '49.00 EUR', '500 JPY'."""
    return f"{to_amount(minor, decimal_places):.{decimal_places}f} {currency.upper()}"
