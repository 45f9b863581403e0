"""A message that cannot be sent names exactly what is missing (issue 16: it asked for the shop
domain, which was set)."""

from odoo.addons.integration_core.exceptions import PermanentError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestShopifyMissingSettings(TransactionCase):
    def test_the_message_names_only_what_is_missing(self):
        backend = self.env["integration.backend"].create(
            {"name": "Half-set shop", "kind": "shopify", "shopify_shop_domain": "demo-store.myshopify.com"}
        )
        with self.assertRaises(PermanentError) as raised:
            backend._shopify_client()
        self.assertIn("the Admin API access token", raised.exception.message)
        self.assertNotIn("shop domain", raised.exception.message)
        backend.shopify_shop_domain = False
        with self.assertRaises(PermanentError) as raised:
            backend._shopify_client()
        self.assertIn("the shop domain and the Admin API access token", raised.exception.message)
