"""The entitlement snapshot a support platform receives (integration_core/lib/entitlements.py)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from integration_core.lib.entitlements import (
    Account,
    Entitlement,
    Product,
    quantity_text,
    same_entitlements,
    snapshot,
    term_months,
)

AT = datetime(2026, 12, 1, 16, 30, 5, 123456)


def entitlement(contract_id=1, start=date(2026, 1, 1), end=date(2026, 12, 31), products=None):
    return Entitlement(
        contract=f"S000{contract_id} agreement",
        contract_id=contract_id,
        contract_version=1,
        provider="docusign",
        envelope_id=f"env-{contract_id}",
        start=start,
        end=end,
        sale_order=f"S000{contract_id}",
        deal="deal-0123456789abcdef",
        products=products or (Product("SUB-1", "Subscription", Decimal("10.00"), "Units"),),
    )


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), 12),
        (date(2026, 1, 15), date(2027, 1, 14), 12),
        (date(2026, 12, 1), date(2028, 11, 30), 24),
        (date(2026, 1, 31), date(2026, 2, 27), 1),  # a part month counts as one
        (date(2026, 1, 1), date(2026, 1, 1), 1),
        (date(2026, 1, 1), None, None),
        (None, date(2026, 1, 1), None),
        (date(2026, 2, 1), date(2026, 1, 1), None),  # ends before it starts: unknown, not negative
    ],
)
def test_term_in_months(start, end, months):
    assert term_months(start, end) == months


@pytest.mark.parametrize(
    ("quantity", "text"),
    [(Decimal("10.000"), "10"), (Decimal("2.50"), "2.5"), (Decimal("0.00"), "0"), (Decimal("1E+2"), "100")],
)
def test_quantities_are_exact_text(quantity, text):
    assert quantity_text(quantity) == text


def test_snapshot_document():
    account = Account(42, "Acme", vat="BE0477472701", email="", external_ids=(("salesforce", "001A"),))
    later = entitlement(2, start=date(2027, 1, 1), end=date(2027, 12, 31))
    products = (Product("B", "Bee", Decimal("1")), Product("A", "Ay", Decimal("3.5")))
    document = snapshot(account, [later, entitlement(1, products=products)], 7, AT)
    assert document["type"] == "entitlements.snapshot"
    assert (document["version"], document["generated_at"]) == (7, "2026-12-01T16:30:05Z")
    assert document["account"] == {
        "odoo_id": 42,
        "name": "Acme",
        "vat": "BE0477472701",
        "email": None,
        "external_ids": [{"system": "salesforce", "id": "001A"}],
    }
    first, second = document["entitlements"]
    assert (first["contract_id"], second["contract_id"]) == (1, 2), "in order of their start"
    assert first["start"] == "2026-01-01" and first["end"] == "2026-12-31" and first["term_months"] == 12
    assert [p["sku"] for p in first["products"]] == ["A", "B"]
    assert first["products"][0] == {"sku": "A", "name": "Ay", "quantity": "3.5", "unit": ""}
    assert first["deal"] == "deal-0123456789abcdef" and first["state"] == "active"
    assert "amount" not in str(document)


def test_same_entitlements_ignores_version_and_time_only():
    account = Account(42, "Acme")
    one = snapshot(account, [entitlement()], 1, AT)
    assert same_entitlements(one, snapshot(account, [entitlement()], 2, datetime(2027, 1, 1)))
    more = entitlement(products=(Product("SUB-1", "Subscription", Decimal("11")),))
    assert not same_entitlements(one, snapshot(account, [more], 2, AT))
    assert not same_entitlements(one, snapshot(account, [], 2, AT))
    assert not same_entitlements(one, snapshot(Account(42, "Acme Ltd"), [entitlement()], 2, AT))
    assert not same_entitlements(None, one)
