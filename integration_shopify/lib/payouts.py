"""Shopify Payments payouts (pure Python): a payout and the balance transactions it settles,
summed to the cent; the Odoo layer books the fees and checks payout = its transactions."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...integration_core.lib.money import decimal_amount, exponent
from . import schemas
from .orders import parse_time
from .schemas import ShopifyPayloadError


@dataclass
class PayoutFacts:
    """A payout and the balance transactions it settles, summed (Decimal, to the cent)."""

    ref: str
    currency: str
    amount: Decimal  # what reached the bank
    issued_at: datetime | None
    gross: Decimal  # charges less refunds, adjustments, ... before fees
    fees: Decimal
    net: Decimal  # what the transactions add up to: must equal `amount`
    count: int

    @property
    def difference(self):
        return self.amount - self.net


def payout_facts(payout: schemas.Payout, transactions: list[schemas.BalanceTransaction]) -> PayoutFacts:
    currency = payout.net.currencyCode.upper()
    places = exponent(currency)
    settled = [t for t in transactions if (t.type or "").upper() != "PAYOUT"]
    foreign = [t for t in settled if t.net.currencyCode and t.net.currencyCode.upper() != currency]
    if foreign:
        raise ShopifyPayloadError(
            f"payout {payout.ref} in {currency} settles transaction {foreign[0].id} "
            f"in {foreign[0].net.currencyCode}"
        )

    def total(values):
        return sum((decimal_amount(v, places) for v in values), Decimal(0))

    return PayoutFacts(
        ref=payout.ref,
        currency=currency,
        amount=decimal_amount(payout.net.amount, places),
        issued_at=parse_time(payout.issuedAt),
        gross=total(t.amount.amount for t in settled),
        fees=total(t.fee.amount for t in settled if t.fee),
        net=total(t.net.amount for t in settled),
        count=len(settled),
    )
