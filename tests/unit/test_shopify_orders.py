import json
from datetime import datetime
from decimal import Decimal

import pytest

from integration_core.lib.money import MoneyError, decimal_amount
from integration_shopify.lib import schemas
from integration_shopify.lib.orders import (
    ShopifyPayloadError,
    customer_values,
    parse_order,
    parse_refund,
    product_variants,
)


@pytest.fixture
def order(fixtures_dir):
    return json.loads((fixtures_dir / "shopify/python/order.json").read_text())


@pytest.fixture
def refund(fixtures_dir):
    return json.loads((fixtures_dir / "shopify/python/refund.json").read_text())


def test_money_is_exact():
    # Shopify's amounts go through the core toolkit (its own to_minor/from_minor were dead code)
    assert decimal_amount("199.00") == Decimal("199.00")
    assert decimal_amount("0.105") == Decimal("0.11")  # half-up, not banker's and not float
    with pytest.raises(MoneyError):
        decimal_amount("abc")
    with pytest.raises(MoneyError):
        decimal_amount("NaN")


def test_fixture_order_wrapped_or_bare(order):
    for payload in (order, order["order"]):
        parsed = parse_order(payload)
        assert parsed.id == "450789469"
        assert parsed.name == "#1001"
        assert parsed.currency == "USD"
        assert parsed.updated_at == datetime(2008, 1, 10, 16, 0)
        assert [line.sku for line in parsed.products] == ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]
        assert [line.ref for line in parsed.products] == ["466157049", "518995019", "703073504"]
        assert all(line.unit_price == Decimal("199.00") and line.quantity == 1 for line in parsed.products)
        assert [(s.ref, s.unit_price) for s in parsed.shipping] == [("shipping:0", Decimal("0.00"))]
        # the python fixture has its taxes on the order only
        assert [(t.title, t.rate, t.amount) for t in parsed.order_taxes] == [
            ("State Tax", Decimal("0.06"), Decimal("11.94"))
        ]
        assert parsed.total_price == Decimal("409.94")
        assert parsed.order_discount == Decimal(0)  # total_discounts is 0.00 despite the code


def test_line_and_order_discounts_split(order):
    data = order["order"]
    data["line_items"][0]["discount_allocations"] = [{"amount": "20.00"}, {"amount": "5.00"}]
    data["total_discounts"] = "35.00"
    parsed = parse_order(data)
    assert parsed.products[0].discount == Decimal("25.00")
    assert parsed.order_discount == Decimal("10.00")


def test_edited_quantity_wins_and_line_taxes_replace_order_taxes(fixtures_dir):
    data = json.loads((fixtures_dir / "shopify/ruby/order.json").read_text())["order"]
    data["line_items"][1]["current_quantity"] = 0
    data["line_items"][0]["tax_lines"] = [{"title": "VAT", "rate": 0.2, "price": "39.80"}]
    parsed = parse_order(data)
    assert parsed.products[1].quantity == 0
    assert parsed.order_taxes == []
    assert parsed.products[0].taxes[0].amount == Decimal("39.80")


def test_bad_orders(order):
    with pytest.raises(ShopifyPayloadError):
        parse_order({"name": "#1"})
    data = order["order"]
    data["line_items"][0]["price"] = "one hundred"
    with pytest.raises(ShopifyPayloadError, match="price"):
        parse_order(data)
    data = dict(order["order"], currency=None)
    with pytest.raises(ShopifyPayloadError, match="currency"):
        parse_order(data)


def test_fixture_refund(refund):
    parsed = parse_refund(refund)
    assert (parsed.id, parsed.order_id) == ("509562969", "450789469")
    assert [(r.line_item_id, r.quantity, r.amount, r.tax, r.restock) for r in parsed.lines] == [
        ("703073504", 1, Decimal("199.00"), Decimal("3.98"), True),
        ("466157049", 1, Decimal("199.00"), Decimal("3.98"), True),
    ]
    assert parsed.refunded == Decimal("209.00")
    assert parsed.shipping == 0


def test_refund_shipping_adjustment_and_restock_type(refund):
    data = refund["refund"]
    data["order_adjustments"] = [{"kind": "shipping_refund", "amount": "-5.00", "tax_amount": "-0.30"}]
    data["refund_line_items"][0]["restock_type"] = "no_restock"
    parsed = parse_refund(data)
    assert (parsed.shipping, parsed.shipping_tax) == (Decimal("5.00"), Decimal("0.30"))
    assert parsed.lines[0].restock is False


def test_customer_and_product_fixtures(fixtures_dir):
    customer = json.loads((fixtures_dir / "shopify/python/customer.json").read_text())["customer"]
    values = customer_values(schemas.parse("customer", customer))
    assert values["name"] == "Bob Norman"
    assert (values["city"], values["country_code"], values["state_code"]) == ("Louisville", "US", "KY")
    product = json.loads((fixtures_dir / "shopify/python/product.json").read_text())
    product_id, updated, variants = product_variants(product)
    assert product_id == "632910392"
    assert variants[0][0] == "808950810"
    assert variants[0][1]["name"] == "IPod Nano - 8GB - Pink"
    assert variants[0][1]["price"] == Decimal("199.00")


def test_refunded_items_stay_sold_and_the_total_counts_the_refunded_money(order, refund):
    """After a refund Shopify lowers `current_quantity` and `current_total_price`; the sale
    order keeps what was sold (the refund is a credit note)."""
    data = order["order"]
    refund = refund["refund"]
    refund["refund_line_items"] = refund["refund_line_items"][:1]  # the black iPod, line 703073504
    refund["transactions"][0]["amount"] = "202.98"
    data["refunds"] = [refund]
    for item in data["line_items"]:
        item["current_quantity"] = 0 if item["id"] == 703073504 else item["quantity"]
    data["current_total_price"] = "405.96"  # 608.94 - 202.98
    parsed = parse_order(data)
    assert [line.quantity for line in parsed.products] == [1, 1, 1]
    assert parsed.total_price == Decimal("608.94")
    edited = dict(data, refunds=[], current_total_price="409.94")
    assert [line.quantity for line in parse_order(edited).products] == [1, 1, 0], "an edit removes the line"
