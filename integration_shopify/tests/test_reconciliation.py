"""Reconciliation: orders updated in Shopify (GraphQL, paginated) against Odoo; a missed
order is found and replayed through the webhook handler."""

import json
from datetime import datetime

import responses
from freezegun import freeze_time
from odoo import Command
from odoo.tests import TransactionCase, tagged

from .common import SHOP, ShopifyApiCaseMixin, balanced, fixture, order_fixture, presentment_order

GRAPHQL = f"https://{SHOP}/admin/api/2025-07/graphql.json"


def money(amount):
    return {"shopMoney": {"amount": amount}}


def taxes(tax_lines):
    return [{"title": t["title"], "rate": t["rate"], "priceSet": money(t["price"])} for t in tax_lines]


def graphql_node(order):
    """The fixture order (REST shape) as the GraphQL `orders` query returns it."""
    return {
        "id": f"gid://shopify/Order/{order['id']}",
        "legacyResourceId": str(order["id"]),
        "name": order["name"],
        "email": order["email"],
        "createdAt": order["created_at"],
        "updatedAt": order["updated_at"],
        "cancelledAt": order["cancelled_at"],
        "currencyCode": order["currency"],
        "taxesIncluded": order["taxes_included"],
        "displayFinancialStatus": order["financial_status"].upper(),
        "totalPriceSet": money(order["total_price"]),
        "totalTaxSet": money(order["total_tax"]),
        "totalDiscountsSet": money(order["total_discounts"]),
        "taxLines": taxes(order["tax_lines"]),
        "customer": {
            "legacyResourceId": str(order["customer"]["id"]),
            "firstName": order["customer"]["first_name"],
            "lastName": order["customer"]["last_name"],
            "email": order["customer"]["email"],
            "phone": None,
        },
        "billingAddress": None,
        "shippingAddress": None,
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/LineItem/{item['id']}",
                    "sku": item["sku"],
                    "name": item["name"],
                    "quantity": item["quantity"],
                    "currentQuantity": item["quantity"],
                    "taxable": True,
                    "variant": {"legacyResourceId": str(item["variant_id"])},
                    "originalUnitPriceSet": money(item["price"]),
                    "discountAllocations": [],
                    "taxLines": [],
                }
                for item in order["line_items"]
            ]
        },
        "shippingLines": {
            "nodes": [
                {
                    "id": f"gid://shopify/ShippingLine/{index}",
                    "title": ship["title"],
                    "code": ship["code"],
                    "originalPriceSet": money(ship["price"]),
                    "discountAllocations": [],
                    "taxLines": [],
                }
                for index, ship in enumerate(order["shipping_lines"])
            ]
        },
    }


def page(nodes, cursor=None):
    cost = {
        "requestedQueryCost": 252,
        "actualQueryCost": 40,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1960, "restoreRate": 100.0},
    }
    info = {"hasNextPage": bool(cursor), "endCursor": cursor}
    return {"data": {"orders": {"pageInfo": info, "nodes": nodes}}, "extensions": {"cost": cost}}


@tagged("post_install", "-at_install")
class TestShopifyReconciliation(ShopifyApiCaseMixin, TransactionCase):
    @responses.activate
    def test_reconciliation_finds_a_missed_order_and_replays_it(self):
        known = balanced(order_fixture())
        known["shipping_lines"][0]["id"] = 0  # the GraphQL id the node below carries
        event = self._ingest_shopify("orders/create", known)
        self.assertEqual(event.state, "done", event.error_message)
        missed = balanced(order_fixture())
        missed.update(id=450789999, name="#1002", financial_status="paid", updated_at="2026-11-26T09:00:00Z")
        throttled = {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 252, "throttleStatus": {
                "maximumAvailable": 2000.0, "currentlyAvailable": 250, "restoreRate": 100.0}}},
        }  # fmt: skip
        responses.post(GRAPHQL, json=page([graphql_node(known)], cursor="c1"))
        responses.post(GRAPHQL, json=throttled)
        responses.post(GRAPHQL, json=page([graphql_node(missed)]))
        with freeze_time(datetime(2026, 11, 27, 12, 0)):
            run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "done", run.error_message)
        self.assertEqual(run.checked_count, 2)
        self.assertEqual(len(responses.calls), 3, "two pages, one of them asked again after throttling")
        second = json.loads(responses.calls[2].request.body)
        self.assertEqual(second["variables"]["after"], "c1")
        self.assertIn("updated_at:>=", second["variables"]["query"])
        [line] = run.line_ids
        self.assertEqual((line.issue, line.external_id), ("missing_odoo", "450789999"))
        self.assertEqual(line.reference, "#1002 608.94 USD")
        self.assertEqual((line.event_type, line.entity_key), ("orders/updated", "450789999"))

        line.action_replay()
        self._process_events()
        self.assertEqual(line.event_id.state, "done", line.event_id.error_message)
        sale = self._sale_for(450789999)
        self.assertEqual((sale.state, sale.amount_total, sale.client_order_ref), ("sale", 608.94, "#1002"))
        self.assertEqual(sale.invoice_ids.state, "posted", "paid in Shopify: invoiced and paid")

    @responses.activate
    def test_a_total_that_differs_is_reported(self):
        self._ingest_shopify("orders/create", balanced(order_fixture()))
        changed = balanced(order_fixture())
        changed["line_items"][0]["quantity"] = 2
        responses.post(GRAPHQL, json=page([graphql_node(balanced(changed))]))
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        [line] = run.line_ids
        self.assertEqual(line.issue, "differs")
        self.assertEqual(line.remote_value, "807.94 USD, authorized")
        self.assertEqual(line.odoo_value, "608.94 USD, not invoiced")
        self.assertEqual(line.res_id, self._sale_for(450789469).id)

    def test_business_exceptions(self):
        self.backend.shopify_stuck_minutes = 10
        order = order_fixture()  # totals that do not add up: the event fails
        with freeze_time(datetime(2026, 11, 27, 10, 0)):
            self._ingest_shopify("orders/create", order)
        paid = balanced(order_fixture())
        paid.update(id=450789470, name="#1002", financial_status="paid")
        # invoiced on delivery: the paid order cannot be invoiced yet
        products = self.green | self.red | self.black | self.shipping_product | self.tax_product
        products.product_tmpl_id.write({"invoice_policy": "delivery"})
        event = self._ingest_shopify("orders/paid", paid)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertIn("Invoice not created", event.result_note)
        with freeze_time(datetime(2026, 11, 27, 10, 30)):
            checks = {check["code"]: check for check in self.backend._business_exceptions()}
        self.assertEqual(checks["shopify_orders_stuck"]["count"], 1)
        self.assertEqual(checks["shopify_orders_stuck"]["action"]["res_model"], "integration.event")
        self.assertEqual(checks["shopify_invoices_missing"]["count"], 1)
        self.assertEqual(checks["shopify_invoices_missing"]["action"]["res_model"], "sale.order")
        self.assertIn("open_drift", checks, "the core's checks stay")


@tagged("post_install", "-at_install")
class TestShopifyImport(ShopifyApiCaseMixin, TransactionCase):
    @responses.activate
    def test_initial_import_of_products_and_customers(self):
        product = fixture("product.json")["product"]
        customer = fixture("customer.json")["customer"]
        variants = [
            {
                "id": f"gid://shopify/ProductVariant/{v['id']}",
                "legacyResourceId": str(v["id"]),
                "title": v["title"],
                "sku": v["sku"],
                "barcode": None,
                "price": v["price"],
                "inventoryItem": {"legacyResourceId": "77"},
            }
            for v in product["variants"]
        ]
        node = {
            "id": f"gid://shopify/Product/{product['id']}",
            "legacyResourceId": str(product["id"]),
            "title": product["title"],
            "updatedAt": product["updated_at"],
            "variants": {"nodes": variants},
        }
        address = customer["default_address"]
        person = {
            "id": f"gid://shopify/Customer/{customer['id']}",
            "legacyResourceId": str(customer["id"]),
            "firstName": customer["first_name"],
            "lastName": customer["last_name"],
            "email": customer["email"],
            "phone": None,
            "updatedAt": customer["updated_at"],
            "defaultAddress": {
                "address1": address["address1"],
                "city": address["city"],
                "zip": address["zip"],
                "countryCodeV2": address["country_code"],
                "provinceCode": address["province_code"],
            },
        }
        info = {"hasNextPage": False, "endCursor": None}
        responses.post(GRAPHQL, json={"data": {"products": {"pageInfo": info, "nodes": [node]}}})
        responses.post(GRAPHQL, json={"data": {"customers": {"pageInfo": info, "nodes": [person]}}})
        action = self.backend.action_shopify_import_catalog()
        events = self.env["integration.event"].search(action["domain"])
        self.assertEqual(sorted(events.mapped("event_type")), ["customers/update", "products/update"])
        self.assertEqual(set(events.mapped("source")), {"pull"})
        self._process_events()
        self.assertEqual(set(events.mapped("state")), {"done"}, events.mapped("error_message"))
        binder = self.env["integration.external.id"]
        pink = binder._record_for(self.backend, "product.product", str(product["variants"][0]["id"]))
        self.assertEqual((pink.name, pink.shopify_inventory_item_id), ("IPod Nano - 8GB - Pink", "77"))
        partner = binder._record_for(self.backend, "res.partner", str(customer["id"]))
        self.assertEqual(
            (partner.name, partner.city, partner.state_id.code), ("Bob Norman", "Louisville", "KY")
        )

    @responses.activate
    def test_order_invoiced_in_its_presentment_currency_is_no_difference(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        pricelist = self.env["product.pricelist"].create({"name": "Shopify EUR", "currency_id": eur.id})
        self.backend.shopify_pricelist_ids = [Command.link(pricelist.id)]
        order = presentment_order()
        event = self._ingest_shopify("orders/paid", order)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self._sale_for(450789469).amount_total, 489.60)

        def bag(shop, presentment):
            return {"shopMoney": {"amount": shop, "currencyCode": "USD"},
                    "presentmentMoney": {"amount": presentment, "currencyCode": "EUR"}}  # fmt: skip

        node = graphql_node(order)
        node.update(
            presentmentCurrencyCode="EUR",
            totalPriceSet=bag("612.00", "489.60"),
            totalTaxSet=bag("12.00", "9.60"),
            totalDiscountsSet=bag("0.00", "0.00"),
            taxLines=[{"title": "State Tax", "rate": 0.02, "priceSet": bag("12.00", "9.60")}],
        )
        for item in node["lineItems"]["nodes"]:
            item["originalUnitPriceSet"] = bag("200.00", "160.00")
        node["shippingLines"]["nodes"][0]["originalPriceSet"] = bag("0.00", "0.00")
        responses.post(GRAPHQL, json=page([node]))
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual((run.state, run.checked_count), ("done", 1), run.error_message)
        self.assertFalse(run.line_ids, "489.60 EUR in Odoo is Shopify's presentment total")
