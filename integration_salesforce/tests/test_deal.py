"""The deal correlation id (integration.deal) from the Salesforce side: the opportunity that
becomes a quotation opens the deal, every later event of the opportunity joins it, the
order, its invoice and the status written back carry it, and the deal is found by any id."""

from odoo.tests import TransactionCase, tagged

from .common import ACCOUNT, OPP, QUOTE, SalesforceCaseMixin, quote_line


@tagged("post_install", "-at_install")
class TestSalesforceDeal(SalesforceCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce()

    def setUp(self):
        super().setUp()
        self._mock_org()

    def _deals(self):
        return self.env["integration.deal"].search([("origin_backend_id", "=", self.backend.id)])

    def test_the_opportunity_opens_the_deal_that_its_documents_and_write_backs_carry(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 100.00)], 100.00)
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "done", self._why(event))
        deal = self._deals()
        self.assertEqual(len(deal), 1)
        self.assertEqual(event.deal_id, deal)
        self.assertEqual(deal.origin_event_id, event)
        self.assertEqual(deal.origin_key, event.entity_key)
        self.assertTrue(deal.name.startswith("deal-"))
        order = self._order()
        self.assertEqual(order.integration_deal_id, deal)
        self.assertEqual(deal.sale_order_ids, order)
        # the audit line of the processing attempt carries the deal too
        self.assertTrue(event.audit_ids.filtered(lambda line: line.deal_id == deal))

        # the status queued while the first event ran joined the deal, and is sent with its id
        status = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        self.assertTrue(status)
        self.assertEqual(status.deal_id, deal)
        self._send_outbound()
        self.assertEqual(self.org.patches[-1][0]["Odoo_Deal_Id__c"], deal.name)

        # a later event of the same opportunity (the quote re-approved) joins the same deal
        [again] = self._process(
            self._deliver_soap(
                [self._opp_notification("04lQ00000002AAA", modstamp="2026-11-30T11:00:00.000+0000")]
            )
        )
        self.assertEqual(again.deal_id, deal)
        self.assertEqual(len(self._deals()), 1)

        # the invoice of the order belongs to the deal, and so does what is queued about it
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.integration_deal_id, deal)
        self.assertEqual(invoice._integration_deal(), deal)

        # the timeline holds both events and the messages, in time order
        steps = deal.step_ids
        self.assertEqual(steps.filtered(lambda s: s.kind == "event").event_id, event | again)
        self.assertTrue(steps.filtered(lambda s: s.kind == "outbound"))
        self.assertEqual(steps.mapped("at"), sorted(steps.mapped("at")))
        self.assertEqual(steps.mapped("correlation_id"), [deal.name] * len(steps))

        # found by any id: the opportunity, the quote's order, the order and invoice numbers
        deals = self.env["integration.deal"]
        for reference in (deal.name, OPP[:15], order.name, invoice.name, "04lQ00000001AAA"):
            self.assertEqual(deals.search([("external_ref", "=", reference)]), deal, reference)
        self.assertFalse(deals.search([("external_ref", "=", "006Q000000NoSuchAAA")]))
        self.assertEqual(order.action_open_integration_deal()["res_id"], deal.id)
        self.assertEqual(QUOTE, order.salesforce_quote_id)

    def test_a_first_event_that_fails_opens_the_deal_and_the_replay_stays_in_it(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "GPU-RACK", 1, 5000.00)], 5000.00)
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "failed")
        deal = event.deal_id
        self.assertTrue(deal, "the failed order creation shows on a deal timeline")
        self.assertEqual(deal.health, "problem")
        self.env["product.product"].create(
            {"name": "GPU rack", "default_code": "GPU-RACK", "type": "service"}
        )
        event.action_retry()
        self._process(event)
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(event.deal_id, deal)
        self.assertEqual(self._order().integration_deal_id, deal)
        self.assertEqual(len(self._deals()), 1)
        deal.invalidate_recordset()
        self.assertNotEqual(deal.health, "problem")

    def test_an_account_event_opens_no_deal(self):
        [event] = self._process(
            self._deliver_soap([("04lQ00000009AAA", "Account", {"Id": ACCOUNT, "Name": "United Oil"})])
        )
        self.assertFalse(event.deal_id)
        self.assertFalse(self._deals())


@tagged("post_install", "-at_install")
class TestSalesforceQuoteEnded(SalesforceCaseMixin, TransactionCase):
    """Approval rejected or quote expired: the quotation is cancelled with the reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce(salesforce_order_action="quotation")

    def setUp(self):
        super().setUp()
        self._mock_org()

    def _quotation_then(self, **quote):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 100.00)], 100.00)
        self._process_events()
        [first] = self._deliver_soap([self._opp_notification("04lQ00000001AAA")])
        self._process_events()
        first.invalidate_recordset()
        self.assertEqual((first.state, self._order().state), ("done", "draft"), self._why(first))
        self.org.records["SBQQ__Quote__c"][QUOTE].update(quote, SystemModstamp="2026-11-30T12:00:00.000+0000")
        [second] = self._deliver_soap(
            [
                (
                    "04lQ00000002AAA",
                    "SBQQ__Quote__c",
                    {
                        "Id": QUOTE,
                        "SBQQ__Opportunity2__c": OPP,
                        "SystemModstamp": "2026-11-30T12:00:00.000+0000",
                    },
                )
            ]  # fmt: skip
        )
        self._process_events()
        second.invalidate_recordset()
        return second

    def test_rejected_quote_cancels_the_quotation_with_the_reason(self):
        event = self._quotation_then(SBQQ__Status__c="Rejected")
        self.assertEqual(event.state, "done", self._why(event))
        order = self._order()
        self.assertEqual(order.state, "cancel")
        bodies = order.message_ids.mapped("body")
        self.assertTrue(
            any("Quotation cancelled: quote Q-00042 is Rejected in Salesforce." in b for b in bodies)
        )
        self.assertTrue(order.integration_deal_id)
        self.assertEqual(
            event.deal_id, order.integration_deal_id, "the cancellation is on the deal's timeline"
        )

    def test_expired_quote_cancels_the_quotation_with_the_reason(self):
        event = self._quotation_then(SBQQ__Status__c="Draft", SBQQ__ExpirationDate__c="2026-11-15")
        self.assertEqual(event.state, "done", self._why(event))
        order = self._order()
        self.assertEqual(order.state, "cancel")
        self.assertTrue(any("expired on 2026-11-15" in body for body in order.message_ids.mapped("body")))

    def test_a_confirmed_order_is_not_cancelled_by_its_quote(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 100.00)], 100.00)
        [first] = self._deliver_soap([self._opp_notification("04lQ00000001AAA")])
        self._process_events()
        order = self._order()
        order.action_confirm()
        self.org.records["SBQQ__Quote__c"][QUOTE].update(SBQQ__Status__c="Rejected")
        [second] = self._deliver_soap(
            [self._opp_notification("04lQ00000003AAA", modstamp="2026-11-30T13:00:00.000+0000")]
        )
        self._process_events()
        second.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        self.assertNotEqual(second.state, "done")  # not approved: a person decides (Exceptions)
        self.assertIn("not approved", second.error_message)
