"""lib/schemas.py and the facts of lib/orders.py for issue 15's variations of the fixtures."""

import copy
import json
from decimal import Decimal

import pytest

from integration_shopify.lib import schemas
from integration_shopify.lib.orders import parse_order, parse_refund
from integration_shopify.lib.schemas import ShopifyPayloadError


@pytest.fixture
def order(fixtures_dir):
    return json.loads((fixtures_dir / "shopify/python/order.json").read_text())["order"]


@pytest.fixture
def refund(fixtures_dir):
    return json.loads((fixtures_dir / "shopify/python/refund.json").read_text())["refund"]


def money_set(shop, presentment):
    return {"shop_money": {"amount": shop, "currency_code": "USD"},
            "presentment_money": {"amount": presentment, "currency_code": "EUR"}}  # fmt: skip


def test_fixtures_parse_into_typed_models_ignoring_unknown_fields(order, refund, fixtures_dir):
    typed = schemas.parse("order", {"order": order})
    assert isinstance(typed, schemas.Order)
    assert (typed.id, typed.line_items[0].variant_id, typed.line_items[0].price) == (
        "450789469", "39072856", Decimal("199.00"))  # fmt: skip
    assert not hasattr(typed, "cart_token")
    assert schemas.parse("refund", refund).refund_line_items[0].line_item.id == "703073504"
    customer = json.loads((fixtures_dir / "shopify/python/customer.json").read_text())
    assert schemas.parse("customer", customer).default_address.city == "Louisville"
    product = json.loads((fixtures_dir / "shopify/python/product.json").read_text())
    assert schemas.parse("product", product).variants[0].id == "808950810"
    fulfillment = schemas.parse("fulfillment", order["fulfillments"][0])
    assert (fulfillment.tracking_number, fulfillment.line_items[0].id) == ("1Z2345", "466157049")


def test_errors_name_the_field(order):
    order["line_items"][1]["price"] = "NaN"
    with pytest.raises(ShopifyPayloadError, match=r"line_items\.1\.price"):
        schemas.parse("order", order)
    with pytest.raises(ShopifyPayloadError, match="an object with an 'id'"):
        schemas.parse("refund", [])


def test_presentment_amounts_and_payments(order):
    order = copy.deepcopy(order)
    order["presentment_currency"] = "EUR"
    for item in order["line_items"]:
        item["price_set"] = money_set("200.00", "160.00")
    order["tax_lines"] = [
        {"price": "12.00", "rate": 0.02, "title": "T", "price_set": money_set("12.00", "9.60")}
    ]
    order["shipping_lines"][0]["price_set"] = money_set("0.00", "0.00")
    order.update(total_price_set=money_set("612.00", "489.60"), total_tax_set=money_set("12.00", "9.60"),
                 total_discounts_set=money_set("0.00", "0.00"))  # fmt: skip
    order["transactions"] = [
        {
            "id": 1,
            "kind": "sale",
            "gateway": "gift_card",
            "status": "success",
            "amount": "100.00",
            "currency": "EUR",
        },
        {"id": 2, "kind": "authorization", "gateway": "x", "status": "success", "amount": "389.60"},
        {
            "id": 3,
            "kind": "capture",
            "gateway": "x",
            "status": "success",
            "amount": "389.60",
            "currency": "EUR",
        },
        {"id": 4, "kind": "sale", "gateway": "x", "status": "failure", "amount": "1.00"},
    ]
    parsed = parse_order(order)
    assert (parsed.currency, parsed.shop_currency, parsed.total_price, parsed.shop_total) == (
        "EUR", "USD", Decimal("489.60"), Decimal("612.00"))  # fmt: skip
    assert [line.unit_price for line in parsed.products] == [Decimal("160.00")] * 3
    assert parsed.lines_total == Decimal("489.60")
    assert [(p.ref, p.amount, p.gift_card) for p in parsed.payments] == [
        ("1", Decimal("100.00"), True), ("3", Decimal("389.60"), False)]  # fmt: skip
    shop = parse_order(order, presentment=False)
    assert (shop.currency, shop.total_price, shop.lines_total) == (
        "USD",
        Decimal("612.00"),
        Decimal("612.00"),
    )
    del order["line_items"][0]["price_set"]
    with pytest.raises(ShopifyPayloadError, match="no presentment amount"):
        parse_order(order)


def test_shipping_discount_is_not_an_order_discount_too(order):
    order["shipping_lines"][0].update(price="10.00", discount_allocations=[{"amount": "10.00"}])
    order["total_discounts"] = "10.00"
    parsed = parse_order(order)
    assert parsed.shipping[0].discount == Decimal("10.00")
    assert parsed.order_discount == Decimal(0)


def test_restock_types_and_adjustments(refund):
    refund["refund_line_items"][0]["restock_type"] = "cancel"
    refund["order_adjustments"] = [
        {"kind": "shipping_refund", "amount": "-7.50", "tax_amount": "0.00"},
        {"kind": "refund_discrepancy", "amount": "10.48", "tax_amount": "0.00"},
    ]
    parsed = parse_refund(refund)
    assert [line.restock_type for line in parsed.lines] == ["cancel", "legacy_restock"]  # `restock: true`
    assert (parsed.shipping, parsed.discrepancy, parsed.currencies) == (
        Decimal("7.50"),
        Decimal("10.48"),
        {"USD"},
    )
    refund["restock"] = False
    refund["refund_line_items"][0].pop("restock_type")
    assert parse_refund(refund).lines[0].restock_type == "no_restock"


def _usd(amount):
    return {"amount": amount, "currencyCode": "USD"}


def test_payout_facts_sum_fees_and_adjustments_to_the_cent():
    from integration_shopify.lib.payouts import payout_facts

    payout = schemas.Payout.model_validate(
        {"id": "gid://shopify/ShopifyPaymentsPayout/9", "status": "PAID", "net": _usd("95.26")}
    )
    nodes = [("CHARGE", "100.00", "3.20", "96.80"), ("REFUND", "-10.00", "0.00", "-10.00"),
             ("ADJUSTMENT", "8.46", "0.00", "8.46"), ("PAYOUT", "-95.26", "0.00", "-95.26")]  # fmt: skip
    transactions = [
        schemas.BalanceTransaction.model_validate(
            {"id": str(i), "type": kind, "amount": _usd(a), "fee": _usd(f), "net": _usd(n)}
        )
        for i, (kind, a, f, n) in enumerate(nodes)
    ]
    facts = payout_facts(payout, transactions)
    assert (facts.ref, facts.amount, facts.gross, facts.fees, facts.net, facts.count) == (
        "9", Decimal("95.26"), Decimal("98.46"), Decimal("3.20"), Decimal("95.26"), 3)  # fmt: skip
    assert facts.difference == 0
    short = payout_facts(payout, transactions[:1])
    assert short.difference == Decimal("-1.54")
