"""Ranking of the open invoices a payment without invoice may pay (the *Match an invoice*
picker): an invoice for exactly the amount first, then the payer's own invoices, then the
closest amount, then the oldest."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Candidate:
    invoice_id: int
    partner_id: int
    amount_due: Decimal
    invoice_date: str = ""  # ISO date; empty sorts first (no date: oldest unknown)


def rank_invoices(amount, payer_id, candidates, limit=20):
    """`candidates` ordered best first, at most `limit`; `amount` and each `amount_due` in the
    payment's currency (Decimal)."""

    def key(candidate):
        difference = abs(candidate.amount_due - amount)
        return (
            difference != 0,
            candidate.partner_id != payer_id if payer_id else False,
            difference,
            candidate.invoice_date,
            candidate.invoice_id,
        )

    return sorted(candidates, key=key)[:limit]
