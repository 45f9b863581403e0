"""customers/* and products/*: partners and products through external IDs, by ownership."""

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ShopifyCaseMixin, balanced, fixture, order_fixture


@tagged("post_install", "-at_install")
class TestShopifyCatalog(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _ownership(self, domain, system, update):
        self.backend.ownership_ids.filtered(lambda line: line.domain == domain).write(
            {"system_of_record": system, "other_side_update": update}
        )

    def test_ownership_defaults(self):
        owners = {line.domain: line.system_of_record for line in self.backend.ownership_ids}
        self.assertEqual(owners["order"], "remote")
        self.assertEqual(owners["price"], "remote")
        self.assertEqual(owners["invoice"], "odoo")
        self.assertEqual(owners["stock"], "odoo")

    def test_customer_created_then_updated_through_its_external_id(self):
        customer = fixture("customer.json")["customer"]
        event = self._deliver("customers/create", customer)
        self.assertEqual(event.state, "done", event.error_message)
        partner = event.result_ref
        self.assertEqual(
            (partner.name, partner.email, partner.city),
            ("Bob Norman", "bob.norman@hostmail.com", "Louisville"),
        )
        self.assertEqual((partner.country_id.code, partner.state_id.code), ("US", "KY"))
        updated = dict(customer, last_name="Normann", updated_at="2015-05-28T10:00:00-04:00")
        self._deliver("customers/update", updated)
        self.assertEqual(partner.name, "Bob Normann")
        self.assertEqual(self.env["res.partner"].search_count([("email", "=", "bob.norman@hostmail.com")]), 1)
        # an order of that customer uses the same contact
        self._deliver("orders/create", balanced(order_fixture()))
        self.assertEqual(self._sale_for(450789469).partner_id, partner)

    def test_customer_update_when_odoo_owns_customers(self):
        customer = fixture("customer.json")["customer"]
        partner = self._deliver("customers/create", customer).result_ref
        self._ownership("customer", "odoo", "ignore")
        ignored = self._deliver(
            "customers/update", dict(customer, first_name="Robert", updated_at="2015-06-01T00:00:00Z")
        )
        self.assertEqual(ignored.state, "done")
        self.assertIn("system of record", ignored.result_note)
        self.assertEqual(partner.name, "Bob Norman")
        self._ownership("customer", "odoo", "review")
        review = self._deliver(
            "customers/update", dict(customer, first_name="Robert", updated_at="2015-06-02T00:00:00Z")
        )
        self.assertEqual((review.state, review.error_class), ("failed", "permanent"))
        self.assertEqual(partner.name, "Bob Norman")

    def test_products_create_variants_and_orders_match_them(self):
        product = fixture("product.json")["product"]
        event = self._deliver("products/create", product)
        self.assertEqual(event.state, "done", event.error_message)
        binder = self.env["integration.external.id"]
        variants = product["variants"]
        pink = binder._record_for(self.backend, "product.product", str(variants[0]["id"]))
        self.assertEqual(pink.name, "IPod Nano - 8GB - Pink")
        self.assertEqual((pink.default_code, pink.list_price), (variants[0]["sku"], 199.0))
        self.assertTrue(pink.is_storable)
        # prices: Shopify owns them by default, Odoo's own price stays when Odoo owns them
        self._ownership("price", "odoo", "ignore")
        changed = dict(product, updated_at="2011-10-21T10:00:00-04:00", title="IPod Nano - 8GB (2011)")
        changed["variants"] = [dict(variants[0], price="149.00")] + variants[1:]
        self._deliver("products/update", changed)
        self.assertEqual(pink.name, "IPod Nano - 8GB (2011) - Pink")
        self.assertEqual(pink.list_price, 199.0)
        # an order line of that variant finds it through the binding, whatever its SKU
        order = order_fixture()
        order["line_items"] = order["line_items"][:1]
        order["line_items"][0].update(variant_id=variants[0]["id"], sku="SOMETHING-ELSE")
        order["tax_lines"] = []
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(
            self._sale_for(450789469).order_line.filtered("product_id.is_storable").product_id, pink
        )

    def test_a_read_only_user_cannot_make_odoo_call_shopify(self):
        # Issue 19: Register webhooks and Import were callable over RPC by Integration Users.
        user = new_test_user(self.env, "shopify_reader", groups="integration_core.group_integration_user")
        backend = self.backend.with_user(user)
        for action in (backend.action_shopify_register_webhooks, backend.action_shopify_import_catalog):
            with self.assertRaises(AccessError):
                action()
