"""Shopify test helpers: the shared fixtures, balanced variations of them, signed deliveries."""

import copy
import json
import uuid
from decimal import Decimal
from pathlib import Path

from odoo import Command
from odoo.addons.integration_core.lib.delivery import Delivery
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.tests.common import IntegrationCaseMixin, VendorHostsMixin

from ..lib.signatures import shopify_hmac

SECRET = "shopify-app-secret"
SHOP = "integration-suite-test.myshopify.com"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "shopify"


def fixture(name, folder="python"):
    return json.loads((FIXTURES / folder / name).read_text())


def order_fixture():
    """The order of Shopify's python API fixture, as the webhook sends it (no wrapper)."""
    return copy.deepcopy(fixture("order.json")["order"])


def refund_fixture():
    return copy.deepcopy(fixture("refund.json")["refund"])


def balanced(order):
    """Make a variation of the fixture add up (the fixture's own totals do not: 3 lines of
    199.00 but total_line_items_price 398.00): totals recomputed from lines, discounts,
    shipping and tax lines."""
    lines = sum(
        (Decimal(i["price"]) * i.get("current_quantity", i["quantity"]) for i in order["line_items"]),
        Decimal(0),
    )
    discounts = Decimal(order.get("total_discounts") or 0)
    shipping = sum((Decimal(s["price"]) for s in order.get("shipping_lines", [])), Decimal(0))
    taxes = sum((Decimal(t["price"]) for t in order.get("tax_lines", [])), Decimal(0))
    taxes += sum(
        (Decimal(t["price"]) for i in order["line_items"] for t in i.get("tax_lines", [])), Decimal(0)
    )
    order["total_line_items_price"] = f"{lines:.2f}"
    order["subtotal_price"] = f"{lines - discounts:.2f}"
    order["total_tax"] = f"{taxes:.2f}"
    order["total_price"] = f"{lines - discounts + shipping + taxes:.2f}"
    return order


class ShopifyCaseMixin(IntegrationCaseMixin):
    @classmethod
    def _setup_shopify(cls):
        env = cls.env
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        service = {"type": "service", "invoice_policy": "order", "taxes_id": [Command.clear()]}
        cls.shipping_product = env["product.product"].create({"name": "Shopify shipping", **service})
        cls.discount_product = env["product.product"].create({"name": "Shopify discount", **service})
        cls.tax_product = env["product.product"].create({"name": "Shopify tax", **service})
        goods = {"type": "consu", "is_storable": True, "invoice_policy": "order", "list_price": 150.0}
        cls.green = env["product.product"].create(
            {"name": "iPod green", "default_code": "IPOD2008GREEN", **goods}
        )
        cls.red = env["product.product"].create({"name": "iPod red", "default_code": "IPOD2008RED", **goods})
        # matched by barcode: the SKU is not its internal reference
        cls.black = env["product.product"].create({"name": "iPod black", "barcode": "IPOD2008BLACK", **goods})
        cls.backend = env["integration.backend"].create(
            {
                "name": "Test Shopify",
                "kind": "shopify",
                "state": "active",
                "webhook_secret": SECRET,
                "shopify_shop_domain": SHOP,
                "shopify_access_token": "shpat_test_token",
                "shopify_warehouse_id": cls.warehouse.id,
                "shopify_shipping_product_id": cls.shipping_product.id,
                "shopify_discount_product_id": cls.discount_product.id,
                "shopify_tax_product_id": cls.tax_product.id,
            }
        )
        cls.url = f"/integration/webhook/{cls.backend.webhook_uuid}"

    def _stock(self, product, quantity):
        self.env["stock.quant"]._update_available_quantity(product, self.warehouse.lot_stock_id, quantity)

    def _headers(self, topic, body, webhook_id=None, secret=SECRET):
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": shopify_hmac(secret, body),
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-API-Version": "2025-07",
        }

    def _post(self, topic, payload, webhook_id=None, secret=SECRET, headers=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.url_open(
            self.url,
            data=body,
            headers=headers if headers is not None else self._headers(topic, body, webhook_id, secret),
            allow_redirects=False,
        )

    def _deliver(self, topic, payload, webhook_id=None):
        """Post a signed delivery, check it was accepted, process the queue; the event."""
        webhook_id = webhook_id or str(uuid.uuid4())
        response = self._post(topic, payload, webhook_id)
        self.assertEqual(response.status_code, 200, response.text)
        self._process_events()
        return self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("external_event_id", "=", webhook_id)]
        )

    def _sale_for(self, order_id):
        return self.env["integration.external.id"]._record_for(self.backend, "sale.order", str(order_id))

    def _line(self, sale, ref):
        return sale.order_line.filtered(lambda line: line.shopify_line_ref == ref)

    def _ingest_shopify(self, topic, payload, source="webhook"):
        """Store a delivery as the route would (signature checked by the webhook tests) and
        process it: for tests that mock Shopify's API with `responses`."""
        body = json.dumps(payload).encode()
        delivery = Delivery(headers=self._headers(topic, body), body=body, content_type="application/json")
        [envelope] = self.backend._webhook_parse(delivery)
        event_id, _new = self.env["integration.event"]._ingest(
            self.backend, envelope, envelope.payload, {}, "test-correlation", source
        )
        self._process_events()
        return self.env["integration.event"].browse(event_id)


class ShopifyApiCaseMixin(VendorHostsMixin, ShopifyCaseMixin):
    """Tests that call Shopify's API (mocked with `responses`), each with a full rate limiter."""

    VENDOR_HOSTS = (SHOP,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()
