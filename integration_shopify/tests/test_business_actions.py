"""A Shopify order that fails for an unknown product or tax is fixed from the event by a
finance person (Create or map the product, Map the tax), without editing JSON; the choice
is audited and later orders find the mapping by themselves."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import ShopifyCaseMixin, balanced, order_fixture

ORDER_ID = 450789469


@tagged("post_install", "-at_install")
class TestShopifyBusinessActions(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _wizard(self, event, action):
        result = action()
        return self.env[result["res_model"]].with_context(**result["context"]).create({})

    def _unknown_sku_order(self, order_id=ORDER_ID, name="#1001"):
        order = order_fixture()
        order["id"], order["name"] = order_id, name
        order["line_items"][1]["sku"] = "IPOD2008SILVER"
        order["line_items"][1]["variant_id"] = 49148999
        return balanced(order)

    def test_unknown_sku_fixed_by_creating_the_product(self):
        event = self._deliver("orders/create", self._unknown_sku_order())
        self.assertEqual((event.state, event.fix_code), ("failed", "shopify_unknown_product"))
        self.assertIn("Create or map the product", event.error_message)
        self.assertTrue(event.shopify_can_fix_product)
        self.assertFalse(event.shopify_can_map_tax)
        wizard = self._wizard(event, event.action_shopify_open_product_wizard)
        self.assertRecordValues(
            wizard,
            [{"sku": "IPOD2008SILVER", "variant_id": "49148999", "mode": "create", "list_price": 199.0}],
        )
        self.assertIn("IPod Nano", wizard.name)
        wizard.name = "iPod Nano 8gb silver"
        wizard.action_apply()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        silver = self._line(self._sale_for(ORDER_ID), "518995019").product_id
        self.assertRecordValues(
            silver, [{"name": "iPod Nano 8gb silver", "default_code": "IPOD2008SILVER", "list_price": 199.0}]
        )
        resolved = event.audit_ids.filtered(lambda a: a.action == "resolved")
        self.assertIn("SKU IPOD2008SILVER", resolved.message)
        self.assertIn("created as", resolved.message)
        self.assertFalse(event.shopify_can_fix_product, "done: not offered any more")
        sale = self._sale_for(ORDER_ID)
        self.assertTrue(event.display_name.startswith("Order #1001 "), event.display_name)
        self.assertIn("#1001", sale.message_ids[:1].body, "the chatter names Shopify's order")
        self.assertEqual(sale.integration_event_count, 1)

    def test_unknown_sku_mapped_to_an_existing_product_and_later_orders_find_it(self):
        existing = self.env["product.product"].create(
            {
                "name": "iPod silver (old code)",
                "default_code": "IPOD-SLV",
                "type": "consu",
                "is_storable": True,
            }
        )
        event = self._deliver("orders/create", self._unknown_sku_order())
        wizard = self._wizard(event, event.action_shopify_open_product_wizard)
        wizard.mode = "map"
        with self.assertRaises(UserError):
            wizard.action_apply()  # no product chosen
        wizard.product_id = existing
        wizard.action_apply()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self._line(self._sale_for(ORDER_ID), "518995019").product_id, existing)
        self.assertEqual(existing.default_code, "IPOD-SLV", "the product's own code is left alone")

        later = self._deliver("orders/create", self._unknown_sku_order(450789480, "#1010"))
        self.assertEqual(later.state, "done", "the variant is bound: found without asking again")

    def test_line_without_sku_or_variant_offers_no_product_action(self):
        order = order_fixture()
        order["line_items"][1]["sku"] = ""
        order["line_items"][1]["variant_id"] = None
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual((event.state, event.fix_code), ("failed", "shopify_unknown_product"))
        self.assertFalse(event.shopify_can_fix_product, "no product could ever be found for it")
        with self.assertRaises(UserError):
            event.action_shopify_open_product_wizard()

    def test_unknown_tax_fixed_by_creating_it_with_shopify_rate(self):
        self.backend.shopify_tax_policy = "map"
        order = order_fixture()
        order["tax_lines"] = [{"price": "47.76", "rate": 0.08, "title": "City Tax"}]
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual((event.state, event.fix_code), ("failed", "shopify_unknown_tax"))
        self.assertTrue(event.shopify_can_map_tax)
        wizard = self._wizard(event, event.action_shopify_open_tax_wizard)
        self.assertRecordValues(
            wizard, [{"title": "City Tax", "rate": 8.0, "included": False, "mode": "create"}]
        )
        wizard.action_apply()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        tax = sale.order_line.filtered("product_id.is_storable").tax_ids
        self.assertRecordValues(tax, [{"name": "City Tax", "amount": 8.0, "price_include": False}])
        self.assertEqual(sale.amount_tax, 47.76)
        self.assertIn("City Tax", event.audit_ids.filtered(lambda a: a.action == "resolved").message)

    def test_unknown_tax_mapped_to_an_existing_tax_is_used_by_later_orders(self):
        """Mapping binds the Shopify tax to the Odoo tax chosen, here a group of 5% + 3% that
        no search by rate finds; the next order with that tax uses it without asking."""
        self.backend.shopify_tax_policy = "map"
        order = order_fixture()
        order["tax_lines"] = [{"price": "47.76", "rate": 0.08, "title": "City Tax"}]
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual(event.fix_code, "shopify_unknown_tax")
        parts = self.env["account.tax"].create(
            [
                {"name": "City part", "amount": 5.0, "amount_type": "percent", "type_tax_use": "none"},
                {"name": "County part", "amount": 3.0, "amount_type": "percent", "type_tax_use": "none"},
            ]
        )
        group = self.env["account.tax"].create(
            {
                "name": "City + County",
                "amount_type": "group",
                "type_tax_use": "sale",
                "children_tax_ids": [Command.set(parts.ids)],
            }
        )
        wizard = self._wizard(event, event.action_shopify_open_tax_wizard)
        wizard.mode = "map"
        wizard.tax_id = group
        wizard.action_apply()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        self.assertEqual(sale.order_line.filtered("product_id.is_storable").tax_ids, group)
        self.assertEqual(sale.amount_tax, 47.76)

        later = order_fixture()
        later["id"], later["name"] = 450789481, "#1011"
        later["tax_lines"] = [{"price": "47.76", "rate": 0.08, "title": "City Tax"}]
        self.assertEqual(self._deliver("orders/create", balanced(later)).state, "done")

    def test_backend_without_token_warns_what_it_disables(self):
        self.backend.shopify_access_token = False
        self.backend.invalidate_recordset(["credential_warnings"])
        warnings = self.backend.credential_warnings
        self.assertIn("Admin API access token", warnings)
        self.assertIn("fulfilments and stock levels are not sent", warnings)
        self.assertNotIn("Shop domain", warnings, "the domain is set: no warning for it")
        self.backend.shopify_access_token = "shpat_test"
        self.backend.invalidate_recordset(["credential_warnings"])
        self.assertFalse(self.backend.credential_warnings)
