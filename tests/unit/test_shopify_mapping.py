from decimal import Decimal

from integration_shopify.lib.mapping import tax_mapping_key


def test_tax_key_is_stable_across_rate_types():
    assert tax_mapping_key("CA State Tax", 7.25, False) == "tax:CA State Tax:7.25:excluded"
    assert tax_mapping_key(" CA State Tax ", Decimal("7.2500"), False) == "tax:CA State Tax:7.25:excluded"
    assert tax_mapping_key("VAT", 20.0, True) == "tax:VAT:20:included"


def test_tax_key_separates_included_from_excluded():
    assert tax_mapping_key("VAT", 20, True) != tax_mapping_key("VAT", 20, False)


def test_order_summary_names_the_shopify_order_and_total(fixtures_dir):
    import json

    from integration_shopify.lib import schemas
    from integration_shopify.lib.mapping import summary_of

    order = json.loads((fixtures_dir / "shopify" / "python" / "order.json").read_text())["order"]
    summary = summary_of("order", schemas.parse("order", order))
    assert summary.startswith(f"Order {order['name']} {order['total_price']} {order['currency']}")
    assert order["email"] in summary
