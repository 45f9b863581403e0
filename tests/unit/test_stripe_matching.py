"""The Match an invoice picker's order: exact amount, then the payer's, then closest."""

from decimal import Decimal

from integration_stripe.lib.matching import Candidate, rank_invoices


def _ids(ranked):
    return [c.invoice_id for c in ranked]


def test_exact_amount_first_then_payer_then_closest():
    candidates = [
        Candidate(1, partner_id=7, amount_due=Decimal("50.00"), invoice_date="2026-10-01"),
        Candidate(2, partner_id=9, amount_due=Decimal("42.42"), invoice_date="2026-11-01"),
        Candidate(3, partner_id=7, amount_due=Decimal("42.00"), invoice_date="2026-11-02"),
        Candidate(4, partner_id=9, amount_due=Decimal("42.40"), invoice_date="2026-09-01"),
        Candidate(5, partner_id=7, amount_due=Decimal("42.42"), invoice_date="2026-11-20"),
    ]
    ranked = rank_invoices(Decimal("42.42"), 7, candidates)
    # both exact amounts first (the payer's before another customer's), then the payer's
    # closest, then the others by distance
    assert _ids(ranked) == [5, 2, 3, 1, 4]


def test_unknown_payer_ranks_by_amount_then_date():
    candidates = [
        Candidate(1, partner_id=7, amount_due=Decimal("10.00"), invoice_date="2026-11-02"),
        Candidate(2, partner_id=8, amount_due=Decimal("12.00"), invoice_date="2026-11-01"),
        Candidate(3, partner_id=9, amount_due=Decimal("12.00"), invoice_date="2026-10-01"),
    ]
    assert _ids(rank_invoices(Decimal("11.50"), False, candidates)) == [3, 2, 1]


def test_limit_keeps_the_best():
    candidates = [Candidate(i, partner_id=1, amount_due=Decimal(i)) for i in range(1, 40)]
    ranked = rank_invoices(Decimal(5), 1, candidates, limit=3)
    assert _ids(ranked) == [5, 4, 6]
