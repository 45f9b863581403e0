"""Shopify money: decimal strings ("199.00") read exactly, never through float maths."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class MoneyError(ValueError):
    """A money amount in the payload cannot be read."""


def to_decimal(value, places: int = 2) -> Decimal:
    """'199.00', 199, None -> Decimal rounded half-up to the currency's decimal places."""
    if value in (None, ""):
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    if isinstance(value, bool | float):
        # Shopify sends money as strings; a float here means the payload was rewritten.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MoneyError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def to_minor(value, places: int = 2) -> int:
    """Amount in the currency's minor unit (cents for USD, yen for JPY)."""
    return int(to_decimal(value, places).scaleb(places))


def from_minor(minor: int, places: int = 2) -> Decimal:
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def fmt(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"
