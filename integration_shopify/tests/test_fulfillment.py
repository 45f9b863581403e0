"""Delivery done in Odoo -> fulfillment created in Shopify (GraphQL) through the outbound
queue; a 429 or a lost answer is retried without a second fulfilment."""

import json
from datetime import timedelta

import responses
from freezegun import freeze_time
from odoo import Command, fields
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..const import WEBHOOK_SUBSCRIPTIONS
from .common import SHOP, ShopifyApiCaseMixin, balanced, fixture, order_fixture

GRAPHQL = f"https://{SHOP}/admin/api/2025-07/graphql.json"
THROTTLE = {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}


def fulfillment_orders(remaining):
    lines = [
        {
            "id": f"gid://shopify/FulfillmentOrderLineItem/{index}",
            "remainingQuantity": remaining,
            "lineItem": {"id": f"gid://shopify/LineItem/{line_id}"},
        }
        for index, line_id in enumerate((466157049, 518995019, 703073504))
    ]
    order = {
        "id": "gid://shopify/Order/450789469",
        "fulfillmentOrders": {
            "nodes": [
                {"id": "gid://shopify/FulfillmentOrder/9", "status": "OPEN", "lineItems": {"nodes": lines}}
            ]
        },
    }
    return {"data": {"order": order}, "extensions": {"cost": {"throttleStatus": THROTTLE}}}


CREATED = {
    "data": {
        "fulfillmentCreate": {
            "fulfillment": {"id": "gid://shopify/Fulfillment/255858046", "status": "SUCCESS"},
            "userErrors": [],
        }
    },
    "extensions": {"cost": {"throttleStatus": THROTTLE}},
}


@tagged("post_install", "-at_install")
class TestShopifyFulfillment(ShopifyApiCaseMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        for product in (self.green, self.red, self.black):
            self._stock(product, 2)
        event = self._ingest_shopify("orders/create", balanced(order_fixture()))
        self.assertEqual(event.state, "done", event.error_message)
        self.sale = self._sale_for(450789469)
        self.picking = self.sale.picking_ids
        self.picking.write({"shopify_tracking_company": "UPS", "shopify_tracking_number": "1Z2345"})

    def _messages(self):
        return self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])

    def _shopify(self, answers):
        """Answer GraphQL calls in order: each answer is (status, body, headers)."""
        calls = []

        def reply(request):
            payload = json.loads(request.body)
            calls.append(payload)
            status, body, headers = answers.pop(0)
            return status, headers, json.dumps(body)

        responses.add_callback(responses.POST, GRAPHQL, callback=reply, content_type="application/json")
        return calls

    def _creates(self, calls):
        return [c for c in calls if "fulfillmentCreate" in c["query"]]

    def test_delivery_done_queues_one_fulfillment_message(self):
        self.assertFalse(self._messages())
        self.picking.button_validate()
        [message] = self._messages()
        self.assertEqual((message.operation, message.record_ref), ("fulfillment.create", self.picking))
        self.assertEqual(
            json.loads(message.payload),
            {
                "order_id": "450789469",
                "lines": {"466157049": 1, "518995019": 1, "703073504": 1},
                "tracking_company": "UPS",
                "tracking_number": "1Z2345",
            },
        )

    @responses.activate
    def test_429_then_retry_creates_one_fulfillment(self):
        calls = self._shopify(
            [
                (200, fulfillment_orders(1), {}),
                (429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "2"}),
                (200, fulfillment_orders(1), {}),
                (200, CREATED, {}),
            ]
        )
        self.picking.button_validate()
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        self.assertEqual(message.response_status, 429)
        _RATE_LIMITERS.clear()  # the limiter's pause runs on the process clock
        with freeze_time(fields.Datetime.now() + timedelta(seconds=60)):
            self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(len(self._creates(calls)), 2, "the refused call and the one that worked")
        create = self._creates(calls)[-1]["variables"]["fulfillment"]
        self.assertEqual(create["trackingInfo"], {"company": "UPS", "number": "1Z2345"})
        self.assertEqual(
            create["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"],
            [{"id": f"gid://shopify/FulfillmentOrderLineItem/{i}", "quantity": 1} for i in range(3)],
        )
        self.assertEqual(self.picking.shopify_fulfillment_id, "gid://shopify/Fulfillment/255858046")

    @responses.activate
    def test_lost_answer_then_retry_creates_no_duplicate(self):
        # Shopify created the fulfilment but the answer was lost (502): the retry finds no
        # open fulfillment-order line and does not fulfil again.
        calls = self._shopify(
            [
                (200, fulfillment_orders(1), {}),
                (502, {"errors": "Bad gateway"}, {}),
                (200, fulfillment_orders(0), {}),
            ]
        )
        self.picking.button_validate()
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        _RATE_LIMITERS.clear()
        with freeze_time(fields.Datetime.now() + timedelta(hours=2)):
            self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(len(self._creates(calls)), 1, "no second fulfillmentCreate")
        self.assertEqual(len(calls), 3)

    @responses.activate
    def test_user_errors_fail_the_message_with_shopify_words(self):
        refused = {"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": [
            {"field": ["fulfillment"], "message": "Fulfillment order is on hold"}]}}}  # fmt: skip
        self._shopify([(200, fulfillment_orders(1), {}), (200, refused, {})])
        self.picking.button_validate()
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual(message.state, "failed")
        self.assertIn("Fulfillment order is on hold", message.error_message)


@tagged("post_install", "-at_install")
class TestShopifyInventoryPush(ShopifyApiCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.shopify_location_id = "905684977"

    def _adjust(self, product, quantity):
        quant = self.env["stock.quant"].create(
            {
                "product_id": product.id,
                "location_id": self.warehouse.lot_stock_id.id,
                "inventory_quantity": quantity,
            }
        )
        quant.action_apply_inventory()

    @responses.activate
    def test_stock_change_pushes_levels_of_shopify_variants(self):
        product = fixture("product.json")["product"]
        for index, variant in enumerate(product["variants"]):
            variant["inventory_item_id"] = 808950810 + index
        event = self._ingest_shopify("products/create", product)
        self.assertEqual(event.state, "done", event.error_message)
        pink = self.env["integration.external.id"]._record_for(
            self.backend, "product.product", str(product["variants"][0]["id"])
        )
        outbound = self.env["integration.outbound"]
        local = self.env["product.product"].create({"name": "Sold in the shop only", "is_storable": True})
        self._adjust(local, 5)  # not a Shopify variant: nothing to push
        self.assertFalse(outbound.search([("backend_id", "=", self.backend.id)]))
        self._adjust(pink, 7)
        [message] = outbound.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(message.operation, "inventory.set")
        payload = json.loads(message.payload)
        self.assertEqual(
            payload["quantities"],
            [{"inventoryItemId": "gid://shopify/InventoryItem/808950810",
              "locationId": "gid://shopify/Location/905684977", "quantity": 7}],
        )  # fmt: skip
        answer = {"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": "gid://x/1"},
                                                      "userErrors": []}}}  # fmt: skip
        responses.post(GRAPHQL, json=answer)
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        sent = json.loads(responses.calls[0].request.body)
        self.assertEqual(sent["variables"]["input"], payload)
        self.assertIn("inventorySetQuantities", sent["query"])

    def test_levels_pushed_per_location(self):
        east = self.env["stock.warehouse"].create({"name": "East coast", "code": "EAST"})
        self.backend.shopify_location_ids = [Command.create({"location_ref": "11", "warehouse_id": east.id})]
        product = fixture("product.json")["product"]
        product["variants"] = product["variants"][:1]
        product["variants"][0]["inventory_item_id"] = 42
        self._ingest_shopify("products/create", product)
        pink = self.env["integration.external.id"]._record_for(
            self.backend, "product.product", str(product["variants"][0]["id"])
        )
        self._adjust(pink, 4)
        [message] = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        levels = {q["locationId"]: q["quantity"] for q in json.loads(message.payload)["quantities"]}
        self.assertEqual(levels, {"gid://shopify/Location/905684977": 4, "gid://shopify/Location/11": 0})

    @responses.activate
    def test_register_webhooks_checks_the_token_and_subscribes_topics(self):
        shop = {"data": {"shop": {"name": "Test shop", "myshopifyDomain": SHOP, "currencyCode": "USD"}}}
        created = {"data": {"webhookSubscriptionCreate": {"webhookSubscription": {"id": "gid://x/1"},
                                                          "userErrors": []}}}  # fmt: skip
        responses.post(GRAPHQL, json=shop)
        for _topic in WEBHOOK_SUBSCRIPTIONS:
            responses.post(GRAPHQL, json=created)
        self.backend.action_shopify_register_webhooks()
        bodies = [json.loads(call.request.body) for call in responses.calls]
        self.assertEqual(len(bodies), 1 + len(WEBHOOK_SUBSCRIPTIONS))
        self.assertEqual(responses.calls[0].request.headers["X-Shopify-Access-Token"], "shpat_test_token")
        self.assertEqual({b["variables"]["topic"] for b in bodies[1:]}, set(WEBHOOK_SUBSCRIPTIONS.values()))
        self.assertEqual({b["variables"]["url"] for b in bodies[1:]}, {self.backend.webhook_url})

    @responses.activate
    def test_register_webhooks_with_a_bad_token_says_so(self):
        responses.post(GRAPHQL, status=401, json={"errors": "[API] Invalid API key or access token"})
        with self.assertRaises(UserError) as raised:
            self.backend.action_shopify_register_webhooks()
        self.assertIn("401", str(raised.exception))

    def test_nothing_pushed_when_shopify_owns_stock(self):
        product = fixture("product.json")["product"]
        product["variants"][0]["inventory_item_id"] = 1
        self._ingest_shopify("products/create", product)
        self.backend.ownership_ids.filtered(lambda line: line.domain == "stock").system_of_record = "remote"
        pink = self.env["integration.external.id"]._record_for(
            self.backend, "product.product", str(product["variants"][0]["id"])
        )
        self._adjust(pink, 3)
        self.assertFalse(self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)]))
