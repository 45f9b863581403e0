"""Money from vendors (pure Python): amounts in minor units with the exponent the vendor
uses, and decimal strings read exactly. Decimal only, never float arithmetic."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that are not 2.
ISO_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}
# Where a vendor's API amounts differ from ISO. Stripe: ISK and UGX amounts are sent
# multiplied by 100 (two-decimal), MGA is zero-decimal.
VENDOR_EXPONENTS = {
    "stripe": {"ISK": 2, "UGX": 2, "MGA": 0},
}


class MoneyError(ValueError):
    """An amount in a payload cannot be read."""


def exponent(code: str, vendor: str | None = None) -> int:
    """Digits after the decimal point of `code`'s minor unit in `vendor`'s API amounts."""
    code = (code or "").upper()
    vendor_table = VENDOR_EXPONENTS.get(vendor or "", {})
    if code in vendor_table:
        return vendor_table[code]
    return ISO_EXPONENTS.get(code, 2)


def minor_to_amount(minor: int, code: str, vendor: str | None = None) -> Decimal:
    """12345 USD -> Decimal('123.45'); 500 JPY -> Decimal('500'); Stripe 500 ISK -> Decimal('5.00')."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise MoneyError(f"an amount in minor units is an integer, not {minor!r}")
    return Decimal(minor).scaleb(-exponent(code, vendor))


def amount_to_minor(amount, code: str, vendor: str | None = None) -> int:
    """An amount (Decimal, int or float) -> integer minor units of `vendor`, rounded half up."""
    value = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    places = exponent(code, vendor)
    return int(value.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decimal_amount(value, places: int = 2) -> Decimal:
    """'199.00', 199, None -> Decimal rounded half-up to `places` (vendors that send strings)."""
    if value in (None, ""):
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    if isinstance(value, bool | float):
        value = repr(value)  # money should come as text; a float means the payload was rewritten
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise MoneyError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, code: str, places: int | None = None) -> str:
    """Human text for messages: '49.00 EUR', '500 JPY'."""
    places = exponent(code) if places is None else places
    return f"{Decimal(amount):.{places}f} {(code or '').upper()}"
