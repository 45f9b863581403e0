"""Real HTTP to the webhook route, signed as Shopify signs: what is accepted, refused, stored."""

import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SECRET, ShopifyCaseMixin, balanced, order_fixture


@tagged("post_install", "-at_install")
class TestShopifyWebhook(ShopifyCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_shopify()

    def _events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)])

    def test_signed_delivery_is_stored_with_topic_order_key_and_updated_at(self):
        body = json.dumps(order_fixture()).encode()
        response = self._post("orders/create", body, webhook_id="wh-1")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"status": "accepted"})
        self.assertRecordValues(
            self._events(),
            [
                {
                    "external_event_id": "wh-1",
                    "event_type": "orders/create",
                    "entity_key": "450789469",
                    "state": "pending",
                }
            ],
        )
        # updated_at 2008-01-10T11:00:00-05:00 is 16:00 UTC
        self.assertEqual(str(self._events().occurred_at), "2008-01-10 16:00:00")
        self.assertEqual(json.loads(self._events().headers)["X-Shopify-Hmac-Sha256"], "***")

    def test_bad_hmac_is_refused_and_nothing_stored(self):
        body = json.dumps(order_fixture()).encode()
        wrong = self._post("orders/create", body, secret="not-the-app-secret")
        self.assertEqual(wrong.status_code, 401)
        tampered_headers = self._headers("orders/create", body)
        tampered = self._post("orders/create", body.replace(b"409.94", b"0.01"), headers=tampered_headers)
        self.assertEqual(tampered.status_code, 401)
        missing = self._headers("orders/create", body)
        del missing["X-Shopify-Hmac-Sha256"]
        self.assertEqual(self._post("orders/create", body, headers=missing).status_code, 401)
        other_shop = self._headers("orders/create", body) | {
            "X-Shopify-Shop-Domain": "another-shop.myshopify.com"
        }
        self.assertEqual(self._post("orders/create", body, headers=other_shop).status_code, 401)
        self.assertFalse(self._events())

    def test_previous_secret_still_accepted_while_rotating(self):
        self.backend.write({"webhook_secret": "new-secret", "webhook_secret_previous": SECRET})
        response = self._post("orders/create", json.dumps(order_fixture()).encode())
        self.assertEqual(response.status_code, 200, response.text)

    def test_duplicate_delivery_makes_one_event_and_one_order(self):
        self._stock(self.green, 5)
        payload = balanced(order_fixture())
        body = json.dumps(payload).encode()
        headers = self._headers("orders/create", body, webhook_id="wh-dup")
        first = self._post("orders/create", body, headers=headers)
        second = self._post("orders/create", body, headers=headers)
        self.assertEqual((first.json()["status"], second.json()["status"]), ("accepted", "duplicate"))
        self._process_events()
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(self._events().state, "done", self._events().error_message)
        orders = self.env["sale.order"].search([("client_order_ref", "=", "#1001")])
        self.assertEqual(len(orders), 1)
        # the same order under another webhook id (Shopify re-sent it as a new event) updates it
        self._deliver("orders/updated", payload)
        self.assertEqual(self.env["sale.order"].search_count([("client_order_ref", "=", "#1001")]), 1)

    def test_stale_update_is_ignored(self):
        newer = balanced(order_fixture())
        newer["updated_at"] = "2008-01-12T10:00:00-05:00"
        newer["line_items"][0]["quantity"] = 2
        balanced(newer)
        event = self._deliver("orders/updated", newer)
        self.assertEqual(event.state, "done", event.error_message)
        older = balanced(order_fixture())  # quantity 1, updated two days earlier, arrives late
        late = self._deliver("orders/updated", older)
        self.assertEqual(late.state, "done")
        self.assertIn("newer version", late.result_note)
        sale = self._sale_for(450789469)
        self.assertEqual(self._line(sale, "466157049").product_uom_qty, 2)
        self.assertEqual(sale.amount_total, float(newer["total_price"]))

    def test_signed_deliveries_the_connector_cannot_read_are_stored_as_failed(self):
        # Issue 19: signed, so never lost: a failed event with the reason, and 200 so that
        # Shopify does not retry it 8 times and then drop the subscription.
        headers = self._headers("orders/create", b"{not json")
        self.assertEqual(self._post("orders/create", b"{not json", headers=headers).status_code, 200)
        no_id = json.dumps({"name": "#1001"}).encode()
        self.assertEqual(self._post("orders/create", no_id).status_code, 200)
        body = json.dumps(order_fixture()).encode()
        no_topic = self._headers("orders/create", body)
        del no_topic["X-Shopify-Topic"]
        self.assertEqual(self._post("orders/create", body, headers=no_topic).status_code, 200)
        no_webhook_id = self._headers("orders/create", body)
        del no_webhook_id["X-Shopify-Webhook-Id"]
        response = self._post("orders/create", body, headers=no_webhook_id)
        self.assertEqual(response.json(), {"status": "duplicate"}, "the same body again: one event")
        bad_time = order_fixture() | {"updated_at": "yesterday"}
        self.assertEqual(self._post("orders/updated", bad_time).status_code, 200)
        events = self._events()
        self.assertEqual(len(events), 4)
        self.assertEqual(set(events.mapped("state")), {"failed"})
        self.assertEqual(set(events.mapped("event_type")), {"unreadable delivery"})
        no_topic_event = events.filtered(lambda e: e.payload == body.decode())
        self.assertIn(
            "X-Shopify-Topic and X-Shopify-Webhook-Id headers are required", no_topic_event.error_message
        )
        self.assertTrue(
            all(e.error_message.startswith("A delivery from Shopify (its sender checked)") for e in events)
        )
        forged = self._headers("orders/create", b"{not json", secret="wrong")
        self.assertEqual(self._post("orders/create", b"{not json", headers=forged).status_code, 401)
        self.assertEqual(len(self._events()), 4)

    def test_token_and_app_secret_are_for_settings_administrators_only(self):
        manager = self.env["res.users"].create(
            {
                "name": "Integration manager",
                "login": "shopify-manager",
                "group_ids": [Command.link(self.env.ref("integration_core.group_integration_manager").id)],
            }
        )
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.shopify_shop_domain, self.backend.shopify_shop_domain)
        for secret in ("shopify_access_token", "webhook_secret"):
            with self.assertRaises(AccessError):
                backend.read([secret])
        self.assertEqual(self.backend.shopify_access_token, "shpat_test_token")

    def test_unhandled_topic_is_done_with_a_note(self):
        event = self._deliver("orders/fulfilled", order_fixture())
        self.assertEqual(event.state, "done")
        self.assertIn("not handled", event.result_note)
        # an order edit body is not an order: stored and noted, never refused
        edit = {"order_edit": {"id": 78912328, "order_id": 450789469, "line_items": {"additions": []}}}
        event = self._deliver("orders/edited", edit)
        self.assertEqual((event.state, event.entity_key), ("done", ""))
        self.assertIn("not handled", event.result_note)

    def test_event_id_is_the_dedup_key_when_present(self):
        body = json.dumps(order_fixture()).encode()
        first = self._headers("orders/create", body, webhook_id="wh-a") | {"X-Shopify-Event-Id": "ev-1"}
        # the same event through a second subscription: another webhook id, the same event id
        second = self._headers("orders/create", body, webhook_id="wh-b") | {"X-Shopify-Event-Id": "ev-1"}
        self.assertEqual(self._post("orders/create", body, headers=first).json()["status"], "accepted")
        self.assertEqual(self._post("orders/create", body, headers=second).json()["status"], "duplicate")
        self.assertEqual(self._events().mapped("external_event_id"), ["ev-1"])
        # no event id: the webhook id is the key
        third = self._headers("orders/create", body, webhook_id="wh-c")
        self.assertEqual(self._post("orders/create", body, headers=third).json()["status"], "accepted")
        self.assertEqual(sorted(self._events().mapped("external_event_id")), ["ev-1", "wh-c"])
