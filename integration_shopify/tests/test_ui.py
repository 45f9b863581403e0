"""UI tour in Chromium: a Shopify order with a missing product fixed by Create or map the product."""

import shutil

from odoo.tests import HttpCase, tagged

from .common import ShopifyCaseMixin, balanced, order_fixture

ORDER_ID = 450789469


@tagged("post_install", "-at_install")
class TestShopifyUi(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
            raise AssertionError("UI tours need Chromium: apt-get install chromium (setup/bootstrap.sh does)")
        super().setUpClass()
        cls._setup_shopify()

    def test_create_the_product_tour(self):
        order = order_fixture()
        order["line_items"][1]["sku"] = "IPOD2008SILVER"
        event = self._deliver("orders/create", balanced(order))
        self.assertEqual((event.state, event.fix_code), ("failed", "shopify_unknown_product"))
        self.start_tour(
            "/odoo/action-integration_core.integration_exception_action",
            "integration_shopify_create_product_tour",
            login="admin",
        )
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self._sale_for(ORDER_ID)
        product = self._line(sale, "518995019").product_id
        self.assertEqual((product.name, product.default_code), ("iPod Nano 8gb silver", "IPOD2008SILVER"))
