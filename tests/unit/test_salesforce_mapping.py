from datetime import date
from decimal import Decimal

import pytest

from integration_salesforce.lib import mapping
from integration_salesforce.lib.schemas import Opportunity, Quote

OPP = "0065g00000AbCdEAAZ"


def quote_line(
    line_id,
    number,
    code,
    qty,
    net_total,
    *,
    list_price=None,
    net_price=None,
    discount=None,
    required_by=None,
    bundle=False,
    subscription=None,
    prior=None,
    **extra,
):
    return {
        "attributes": {"type": "SBQQ__QuoteLine__c"},
        "Id": line_id,
        "SBQQ__Number__c": number,
        "SBQQ__Product__r": {"ProductCode": code, "Name": f"Product {code}"},
        "SBQQ__Quantity__c": qty,
        "SBQQ__PriorQuantity__c": prior,
        "SBQQ__ListPrice__c": list_price,
        "SBQQ__NetPrice__c": net_price,
        "SBQQ__NetTotal__c": net_total,
        "SBQQ__Discount__c": discount,
        "SBQQ__RequiredBy__c": required_by,
        "SBQQ__Bundle__c": bundle,
        "SBQQ__SubscriptionPricing__c": subscription,
        **extra,
    }


def quote(lines, net_amount, **extra):
    return Quote.model_validate(
        {
            "Id": "a0x5g000001QuoteAA",
            "Name": "Q-00042",
            "SBQQ__Primary__c": True,
            "SBQQ__Status__c": "Approved",
            "SBQQ__Opportunity2__c": OPP,
            "SBQQ__NetAmount__c": net_amount,
            "CurrencyIsoCode": "EUR",
            "SBQQ__LineItems__r": {"totalSize": len(lines), "done": True, "records": lines},
            **extra,
        }
    )


def test_bundle_parent_then_components_in_line_order():
    lines = [
        quote_line("a0yC2", 4, "SUPPORT", 1, 0, net_price=0, required_by="a0yP"),
        quote_line("a0yP", 1, "BUNDLE", 1, 1000.00, net_price=1000.00, bundle=True),
        quote_line("a0yC1", 2, "LAPTOP", 2, 0, net_price=0, required_by="a0yP"),
        quote_line("a0yX", 3, "CABLE", 3, 29.97, list_price=9.99, net_price=9.99),
    ]
    result = mapping.quote_order_lines(quote(lines, 1029.97))
    assert [(line.key, line.parent_key) for line in result] == [
        ("a0yP", None),
        ("a0yC1", "a0yP"),
        ("a0yC2", "a0yP"),
        ("a0yX", None),
    ]
    assert result[0].is_bundle and not result[1].is_bundle
    assert result[1].name.startswith("  ")  # shown under its bundle
    assert sum(line.subtotal for line in result) == Decimal("1029.97")


def test_price_on_the_components():
    lines = [
        quote_line("a0yP", 1, "BUNDLE", 1, 0, net_price=0, bundle=True),
        quote_line("a0yC1", 2, "LAPTOP", 2, 1798.00, net_price=899.00, required_by="a0yP"),
        quote_line("a0yC2", 3, "DOCK", 2, 239.98, net_price=119.99, required_by="a0yP"),
    ]
    result = mapping.quote_order_lines(quote(lines, 2037.98))
    assert [line.price_unit for line in result] == [Decimal(0), Decimal("899.00"), Decimal("119.99")]


def test_discount_kept_when_it_gives_the_net_total_to_the_cent():
    [line] = mapping.quote_order_lines(
        quote([quote_line("a0y1", 1, "LIC", 3, 270.00, list_price=100, net_price=90, discount=10)], 270.00)
    )
    assert (line.price_unit, line.discount, line.subtotal) == (
        Decimal("100.00"),
        Decimal("10"),
        Decimal("270.00"),
    )


def test_net_price_used_when_the_discount_would_round_differently():
    # 3 x 33.33 with a 7 % discount is 92.9901: CPQ approved 93.00 as 3 x 31.00
    [line] = mapping.quote_order_lines(
        quote([quote_line("a0y1", 1, "LIC", 3, 93.00, list_price=33.33, net_price=31.00, discount=7)], 93.00)
    )
    assert (line.price_unit, line.discount) == (Decimal("31.00"), Decimal(0))


def test_a_net_total_two_decimals_cannot_give_is_refused_not_rounded():
    lines = [quote_line("a0y1", 1, "LIC", 3, 100.00, net_price=33.333333)]
    with pytest.raises(mapping.QuoteMappingError, match="cannot give the approved net total 100.00"):
        mapping.quote_order_lines(quote(lines, 100.00))


def test_lines_not_adding_up_to_the_net_amount_show_the_difference():
    lines = [quote_line("a0y1", 1, "LIC", 1, 99.99, net_price=99.99)]
    with pytest.raises(mapping.QuoteMappingError, match=r"difference 0.01"):
        mapping.quote_order_lines(quote(lines, 100.00))


def test_component_of_a_missing_bundle_is_refused():
    with pytest.raises(mapping.QuoteMappingError, match="not on the quote"):
        mapping.quote_order_lines(quote([quote_line("a0y1", 1, "X", 1, 0, required_by="a0yNOPE")], 0))


def test_subscription_keeps_term_start_and_end():
    lines = [
        quote_line(
            "a0y1",
            1,
            "SAAS",
            10,
            12000.00,
            net_price=1200.00,
            subscription="Fixed Price",
            SBQQ__SubscriptionTerm__c=12,
            SBQQ__StartDate__c="2027-01-01",
            SBQQ__EndDate__c="2027-12-31",
        ),
        quote_line("a0y2", 2, "SETUP", 1, 500.00, net_price=500.00),
    ]
    sub, setup = mapping.quote_order_lines(quote(lines, 12500.00))
    assert (sub.subscription_term, sub.start_date, sub.end_date) == (12, date(2027, 1, 1), date(2027, 12, 31))
    assert "2027-01-01 - 2027-12-31" in sub.name
    assert (setup.subscription_term, setup.start_date) == (None, None)


def test_amendment_delta():
    amendment = quote(
        [
            quote_line(
                "a0yA1", 1, "SAAS", 15, 3000.00, net_price=1200.00, prior=10, subscription="Fixed Price"
            ),
            quote_line("a0yA2", 2, "SUPPORT", 1, 0, net_price=100.00, prior=1),  # unchanged
            quote_line("a0yA3", 3, "ADDON", 2, 200.00, net_price=100.00),  # new
            quote_line("a0yA4", 4, "LEGACY", 0, -150.00, net_price=150.00, prior=1),  # removed
        ],
        3050.00,
        SBQQ__Type__c="Amendment",
        SBQQ__MasterContract__c="800C000000abcdeAAA",
    )
    assert amendment.is_amendment
    delta = mapping.amendment_delta(amendment)
    assert [(d.product_code, d.quantity, d.price_unit, d.subtotal) for d in delta] == [
        ("SAAS", Decimal(5), Decimal("600.00"), Decimal("3000.00")),  # prorated by CPQ
        ("ADDON", Decimal(2), Decimal("100.00"), Decimal("200.00")),
        ("LEGACY", Decimal(-1), Decimal("150.00"), Decimal("-150.00")),
    ]


def test_opportunity_line_items_without_cpq():
    opportunity = Opportunity.model_validate(
        {
            "Id": OPP,
            "Name": "Acme renewal",
            "IsWon": True,
            "IsClosed": True,
            "Amount": 2160.00,
            "OpportunityLineItems": {
                "done": True,
                "records": [
                    {
                        "Id": "00k1",
                        "Quantity": 2,
                        "UnitPrice": 1200.00,
                        "TotalPrice": 2160.00,
                        "Discount": 10,
                        "SortOrder": 1,
                        "PricebookEntry": {"Product2": {"ProductCode": "LIC", "Name": "License"}},
                    },
                ],
            },
        }
    )
    [line] = mapping.opportunity_order_lines(opportunity)
    assert (line.product_code, line.price_unit, line.discount, line.subtotal) == (
        "LIC",
        Decimal("1200.00"),
        Decimal(10),
        Decimal("2160.00"),
    )


def test_changes_between_two_approvals():
    before = mapping.quote_order_lines(
        quote(
            [quote_line("a", 1, "A", 1, 100, net_price=100), quote_line("b", 2, "B", 1, 50, net_price=50)],
            150,
        )
    )
    after = mapping.quote_order_lines(
        quote(
            [quote_line("a", 1, "A", 2, 200, net_price=100), quote_line("c", 3, "C", 1, 10, net_price=10)],
            210,
        )
    )
    changes = {c.key: c.what for c in mapping.line_changes(before, after)}
    assert changes == {"a": "changed", "c": "added", "b": "removed"}
    assert mapping.line_changes(before, before) == []
    assert [mapping.line_from_json(mapping.line_to_json(line)) for line in before] == [
        mapping.OrderLine(
            **{**line.__dict__, "subscription_term": None, "start_date": None, "end_date": None}
        )
        for line in before
    ]


def test_echo_only_when_the_integration_user_changed_odoo_owned_fields():
    owned = ["Odoo_Status__c", "Odoo_Order_Number__c"]
    applied = {"Id": OPP, "StageName": "Closed Won", "Amount": 100, "Odoo_Status__c": "quotation"}
    previous = mapping.content_hash(applied, owned)
    echo = {
        **applied,
        "Odoo_Status__c": "sale",
        "LastModifiedById": "005000000000001AAA",
        "SystemModstamp": "2026-12-01T10:00:00Z",
    }
    assert mapping.is_echo(echo, "005000000000001", previous, owned)
    real_change = {**echo, "Amount": 120}
    assert not mapping.is_echo(real_change, "005000000000001", previous, owned)
    by_someone_else = {**echo, "LastModifiedById": "005000000000002AAA"}
    assert not mapping.is_echo(by_someone_else, "005000000000001", previous, owned)
    assert not mapping.is_echo(echo, "", previous, owned)
    assert not mapping.is_echo(echo, "005000000000001", None, owned)


def test_what_commits_a_deal():
    won = Opportunity.model_validate({"Id": OPP, "IsWon": True, "IsClosed": True, "StageName": "Closed Won"})
    signed = Opportunity.model_validate({"Id": OPP, "IsWon": False, "StageName": "Contract Signed"})
    assert mapping.deal_is_committed(won) and not mapping.deal_is_committed(signed)
    assert mapping.deal_is_committed(signed, "Contract Signed") and not mapping.deal_is_committed(
        won, "Contract Signed"
    )
    lost = Opportunity.model_validate(
        {"Id": OPP, "IsWon": False, "IsClosed": True, "StageName": "Closed Lost"}
    )
    assert lost.is_lost and not won.is_lost
