"""Status back to the opportunity through the outbound queue, batched with sObject
Collections: one call for many orders, one bad record fails alone, 5xx and 429 retry."""

import json

import responses
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.tests import TransactionCase, tagged

from .common import DATA, OPP, SalesforceCaseMixin, quote_line


@tagged("post_install", "-at_install")
class TestSalesforceWriteback(SalesforceCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce(salesforce_order_action="quotation")

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()  # each test starts with a full rate limiter
        self._mock_org()

    def _orders(self, count, first=0):
        partner = self.env["res.partner"].create({"name": "United Oil & Gas Corp."})
        orders = self.env["sale.order"]
        for index in range(first, first + count):
            orders |= self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "salesforce_backend_id": self.backend.id,
                    "salesforce_opportunity_id": f"006Q00000{index:06d}AAA",
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.products["LIC"].id,
                                "product_uom_qty": 1,
                                "price_unit": 100.0,
                            },
                        )
                    ],
                }
            )
        return orders

    def _messages(self):
        return self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)], order="id")

    def test_confirmed_orders_are_written_back_in_one_collections_call(self):
        orders = self._orders(3)
        orders.action_confirm()
        self.assertEqual(len(self._messages()), 3)
        self._send_outbound()
        self.assertEqual(self._messages().mapped("state"), ["done"] * 3)
        self.assertEqual(len(self.org.patches), 1)  # one call for the three
        sent = {record["Id"]: record for record in self.org.patches[0]}
        first = sent["006Q00000000000AAA"]
        self.assertEqual(first["Odoo_Status__c"], "confirmed")
        self.assertEqual(first["Odoo_Order_Number__c"], orders[0].name)
        self.assertEqual(first["attributes"], {"type": "Opportunity"})

    def test_one_bad_record_fails_alone(self):
        orders = self._orders(2)
        self.org.patch_errors["006Q00000000001AAA"] = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
        orders.action_confirm()
        self._send_outbound()
        good, bad = self._messages()
        self.assertEqual((good.state, bad.state), ("done", "failed"))
        self.assertIn("FIELD_CUSTOM_VALIDATION_EXCEPTION", bad.error_message)
        counts = {item["code"]: item["count"] for item in self.backend._business_exceptions()}
        self.assertEqual(counts["salesforce_writeback_failing"], 1)

    def test_newest_status_of_an_opportunity_wins(self):
        [order] = self._orders(1)
        order.action_confirm()
        order._action_cancel()
        self._send_outbound()
        self.assertEqual(self._messages().mapped("state"), ["done", "done"])
        self.assertEqual([r["Odoo_Status__c"] for r in self.org.patches[0]], ["cancelled"])

    def test_outage_and_throttling_retry_with_retry_after(self):
        for first, status in ((0, 503), (1, 429)):
            self.rsps.remove(responses.PATCH, f"{DATA}/composite/sobjects")
            self.rsps.patch(
                f"{DATA}/composite/sobjects", status=status, headers={"Retry-After": "90"}, body="busy"
            )
            [order] = self._orders(1, first)
            order.action_confirm()
            self._send_outbound()
            message = self._messages()[-1]
            self.assertEqual(message.state, "retry", status)
            self.assertEqual(message.response_status, status)

    def test_limit_exceeded_pauses_pushing(self):
        self.rsps.remove(responses.PATCH, f"{DATA}/composite/sobjects")
        self.rsps.patch(
            f"{DATA}/composite/sobjects",
            status=403,
            json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        )
        self._orders(1).action_confirm()
        self._send_outbound()
        self.assertEqual(self._messages().state, "retry")
        self.assertTrue(self.backend.salesforce_paused_until)

    def test_share_of_the_daily_limit_stops_pushing(self):
        self.backend.write(
            {"salesforce_api_used": 7600, "salesforce_api_max": 15000, "salesforce_api_share": 50}
        )
        self._orders(1).action_confirm()
        self._send_outbound()
        self.assertEqual(self._messages().state, "retry")
        self.assertIn("over this connector's share", self._messages().error_message)
        self.assertEqual(self.org.patches, [])
        counts = {item["code"]: item["count"] for item in self.backend._business_exceptions()}
        self.assertEqual(counts["salesforce_api_usage"], 1)

    def test_invoiced_and_paid_are_written_back(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 100.00)], 100.00)
        [order] = self._orders(1)
        order.salesforce_opportunity_id = OPP
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        payload = json.loads(self._messages()[-1].payload)
        self.assertEqual(payload["Odoo_Status__c"], "invoiced")
        self.assertEqual(payload["Odoo_Invoice_Numbers__c"], invoice.name)
