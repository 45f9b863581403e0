"""Won opportunities and CPQ quotes to sale orders, with a Salesforce org answered by
`responses`: bundles, re-approval before and after confirmation, out-of-order stages,
lost deals, amendments, renewals, missing products, echoes, token refresh, limits."""

import json
import re

import responses
from odoo.tests import TransactionCase, tagged

from .common import ACCOUNT, DATA, INSTANCE, INTEGRATION_USER, OPP, QUOTE, SalesforceCaseMixin, quote_line


def bundle_lines():
    return [
        quote_line("a0yQ0000000L1AAA", 1, "BUNDLE", 1, 1000.00, SBQQ__Bundle__c=True),
        quote_line(
            "a0yQ0000000L2AAA", 2, "LAPTOP", 2, 0, net_price=0, SBQQ__RequiredBy__c="a0yQ0000000L1AAA"
        ),
        quote_line(
            "a0yQ0000000L3AAA", 3, "DOCK", 2, 239.98, net_price=119.99, SBQQ__RequiredBy__c="a0yQ0000000L1AAA"
        ),
        quote_line(
            "a0yQ0000000L4AAA",
            4,
            "LIC",
            120,
            129600.00,
            net_price=1080.00,
            SBQQ__ListPrice__c=1200.00,
            SBQQ__Discount__c=10,
            SBQQ__SubscriptionPricing__c="Fixed Price",
            SBQQ__SubscriptionTerm__c=12,
            SBQQ__StartDate__c="2027-01-01",
            SBQQ__EndDate__c="2027-12-31",
        ),
    ]


@tagged("post_install", "-at_install")
class TestSalesforceOrders(SalesforceCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_salesforce()

    def setUp(self):
        super().setUp()
        self._mock_org()

    def test_won_opportunity_with_cpq_quote_gives_one_confirmed_order_to_the_cent(self):
        self._won_opportunity(bundle_lines(), 130839.98)
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "done", self._why(event))
        order = self._order()
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "sale")  # the gate let it through
        self.assertEqual(order.amount_untaxed, 130839.98)
        self.assertEqual(order.partner_id.name, "United Oil & Gas Corp.")
        self.assertEqual(order.salesforce_quote_id, QUOTE)
        codes = [line.product_id.default_code for line in order.order_line.sorted("sequence")]
        self.assertEqual(codes, ["BUNDLE", "LAPTOP", "DOCK", "LIC"])  # bundle, then its components
        laptop = order.order_line.filtered(lambda line: line.product_id.default_code == "LAPTOP")
        self.assertEqual(laptop.salesforce_parent_key, "a0yQ0000000L1AAA")
        license_line = order.order_line.filtered(lambda line: line.product_id.default_code == "LIC")
        self.assertRecordValues(
            license_line,
            [
                {
                    "price_unit": 1200.0,
                    "discount": 10.0,
                    "price_subtotal": 129600.0,
                    "salesforce_subscription_term": 12.0,
                }
            ],
        )
        self.assertEqual(str(license_line.salesforce_end_date), "2027-12-31")
        status = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(status), 1)
        self.assertEqual(json.loads(status.payload)["Odoo_Status__c"], "confirmed")

    def test_duplicate_and_a_second_notification_make_one_order(self):
        self._won_opportunity(bundle_lines(), 130839.98)
        first = self._deliver_soap([self._opp_notification("04lQ00000001AAA")])
        again = self._deliver_soap([self._opp_notification("04lQ00000001AAA")])
        self.assertEqual(first, again)
        later = self._deliver_soap(
            [self._opp_notification("04lQ00000002AAA", "2026-11-30T10:05:00.000+0000")]
        )
        self._process(first | later)
        self.assertEqual((first | later).mapped("state"), ["done", "done"])
        self.assertEqual(len(self._order()), 1)
        self.assertIn("No change", later.result_note)

    def test_quote_reapproved_before_confirmation_updates_the_quotation(self):
        self.backend.salesforce_order_action = "quotation"
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        order = self._order()
        self.assertEqual(order.state, "draft")
        lines = [
            quote_line("a0yQ0000000L9AAA", 1, "LIC", 12, 14400.00),
            quote_line("a0yQ0000000LAAAA", 2, "SUPPORT", 1, 500.00),
        ]
        self._won_opportunity(lines, 14900.00, "2026-11-30T11:00:00.000+0000")
        [event] = self._process(
            self._deliver_soap(
                [
                    (
                        "04lQ00000003AAA",
                        "SBQQ__Quote__c",
                        {
                            "Id": QUOTE,
                            "SBQQ__Opportunity2__c": OPP,
                            "SystemModstamp": "2026-11-30T11:00:00.000+0000",
                        },
                    ),
                ]
            )
        )
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(self._order(), order)
        self.assertEqual(order.amount_untaxed, 14900.00)
        note = order.message_ids.filtered(lambda m: "Updated from Salesforce" in (m.body or ""))
        self.assertTrue(note)
        self.assertIn("10 x = 12000.00 -&gt; 12 x = 14400.00", note[0].body)
        self.assertIn("added 1 x Product SUPPORT = 500.00", note[0].body)

    def test_quote_reapproved_after_confirmation_waits_for_a_manager(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        order = self._order()
        self.assertEqual(order.state, "sale")
        self._won_opportunity(
            [quote_line("a0yQ0000000L9AAA", 1, "LIC", 15, 18000.00)], 18000.00, "2026-11-30T12:00:00.000+0000"
        )
        [event] = self._process(
            self._deliver_soap([self._opp_notification("04lQ00000002AAA", "2026-11-30T12:00:00.000+0000")])
        )
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(order.amount_untaxed, 12000.00)  # nothing changed silently
        change = order.salesforce_change_ids
        self.assertRecordValues(change, [{"state": "open", "kind": "lines"}])
        self.assertIn("10 x = 12000.00 -> 15 x = 18000.00", change.difference)
        counts = {item["code"]: item["count"] for item in self.backend._business_exceptions()}
        self.assertEqual(counts["salesforce_order_changes"], 1)
        change.action_apply()
        self.assertEqual(order.amount_untaxed, 18000.00)
        self.assertEqual(order.state, "sale")
        self.assertEqual(change.state, "applied")

    def test_an_older_stage_change_arriving_late_is_skipped(self):
        self._won_opportunity(
            [quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00, "2026-11-30T12:00:00.000+0000"
        )
        newer = self._deliver_soap(
            [
                self._opp_notification(
                    "04lQ00000009AAA", "2026-11-30T12:00:00.000+0000", StageName="Closed Won"
                )
            ]
        )
        self._process(newer)
        older = self._deliver_soap(
            [
                self._opp_notification(
                    "04lQ00000008AAA", "2026-11-30T09:00:00.000+0000", StageName="Negotiation"
                )
            ]
        )
        self._process(older)
        self.assertEqual(older.state, "done")
        self.assertIn("older than the version already applied", older.result_note)
        self.assertEqual(self._order().state, "sale")

    def test_lost_after_a_quotation_cancels_it_with_the_reason(self):
        self.backend.salesforce_order_action = "quotation"
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.org.records["Opportunity"][OPP].update(
            IsWon=False, StageName="Closed Lost", SystemModstamp="2026-12-01T09:00:00.000+0000"
        )
        self._process(
            self._deliver_soap([self._opp_notification("04lQ00000002AAA", "2026-12-01T09:00:00.000+0000")])
        )
        order = self._order()
        self.assertEqual(order.state, "cancel")
        self.assertTrue(order.message_ids.filtered(lambda m: "Closed Lost" in (m.body or "")))

    def test_missing_product_fails_with_a_clear_message_then_retry_works(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "GPU-RACK", 1, 5000.00)], 5000.00)
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual((event.state, event.error_class), ("failed", "mapping"))
        self.assertIn("Product code GPU-RACK (Product GPU-RACK) is not in Odoo", event.error_message)
        self.assertIn("then Retry", event.error_message)
        self.assertFalse(self._order())
        self.env["product.product"].create(
            {"name": "GPU rack", "default_code": "GPU-RACK", "type": "service"}
        )
        event.action_retry()
        self._process(event)
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(self._order().amount_untaxed, 5000.00)

    def test_quote_not_adding_up_is_a_visible_failure(self):
        self._won_opportunity(
            [quote_line("a0yQ0000000L9AAA", 1, "LIC", 3, 100.00, net_price=33.333333)], 100.00
        )
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "failed")
        self.assertIn("cannot give the approved net total 100.00", event.error_message)

    def test_unapproved_primary_quote_waits(self):
        self._won_opportunity(
            [quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 1.00)], 1.00, quote={"SBQQ__Status__c": "In Review"}
        )
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "failed")
        self.assertIn("is In Review, not approved", event.error_message)

    def _amendment_in_org(self):
        """Contract 800Q... of the won deal OPP, and an approved amendment (10 -> 15 seats)."""
        self.org.put(
            "Contract", {"Id": "800Q0000000C1AAA", "SBQQ__Opportunity__c": OPP, "SBQQ__Quote__c": QUOTE}
        )
        amendment_opp, amendment_quote = "006Q000000AMENDAAA", "a0xQ0000000AMENDA"
        self.org.put(
            "SBQQ__Quote__c",
            {
                "Id": amendment_quote,
                "Name": "Q-00050",
                "SBQQ__Status__c": "Approved",
                "SBQQ__Primary__c": True,
                "SBQQ__Type__c": "Amendment",
                "SBQQ__MasterContract__c": "800Q0000000C1AAA",
                "SBQQ__Opportunity2__c": amendment_opp,
                "SBQQ__NetAmount__c": 3000.00,
                "SBQQ__LineItems__r": {
                    "done": True,
                    "records": [
                        quote_line(
                            "a0yQ0000000A1AAA",
                            1,
                            "LIC",
                            15,
                            3000.00,
                            net_price=1200.00,
                            SBQQ__PriorQuantity__c=10,
                        ),
                    ],
                },
            },
        )
        self.org.put(
            "Opportunity",
            {
                "Id": amendment_opp,
                "Name": "Amendment for contract 00000100",
                "AccountId": ACCOUNT,
                "StageName": "Closed Won",
                "IsWon": True,
                "IsClosed": True,
                "Amount": 3000.00,
                "SBQQ__PrimaryQuote__c": amendment_quote,
                "SBQQ__AmendedContract__c": "800Q0000000C1AAA",
                "SystemModstamp": "2026-12-01T10:00:00.000+0000",
            },
        )
        notification = (
            "04lQ0000000AM1A",
            "Opportunity",
            {"Id": amendment_opp, "SystemModstamp": "2026-12-01T10:00:00.000+0000"},
        )
        return notification

    def test_amendment_changes_the_contract_order_by_the_delta(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        order = self._order()
        notification = self._amendment_in_org()
        [event] = self._process(self._deliver_soap([notification]))
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(
            self.env["sale.order"].search_count([("salesforce_backend_id", "=", self.backend.id)]), 1
        )
        self.assertEqual(order.amount_untaxed, 15000.00)
        delta = order.order_line.filtered(lambda line: line.salesforce_line_key == "a0yQ0000000A1AAA")
        self.assertEqual((delta.product_uom_qty, delta.price_unit), (5.0, 600.0))
        # the same amendment again changes nothing
        [again] = self._process(self._deliver_soap([("04lQ0000000AM2A", notification[1], notification[2])]))
        self.assertIn("already on the order", again.result_note)
        self.assertEqual(order.amount_untaxed, 15000.00)

    def test_amendment_before_its_original_order_waits_for_it(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        notification = self._amendment_in_org()
        [amendment] = self._process(self._deliver_soap([notification]))
        self.assertEqual(amendment.state, "retry")
        self.assertIn("Waiting for the order of opportunity", amendment.error_message)
        self.assertFalse(self._order())
        [original] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(original.state, "done", self._why(original))
        self._process(amendment)  # woken by the original deal's event
        self.assertEqual(amendment.state, "done", self._why(amendment))
        self.assertEqual(self._order().amount_untaxed, 15000.00)

    def test_renewal_gives_a_new_order_linked_to_the_renewed_one(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        original = self._order()
        self.org.put("Contract", {"Id": "800Q0000000C1AAA", "SBQQ__Opportunity__c": OPP})
        renewal_opp, renewal_quote = "006Q000000RENEWAAA", "a0xQ0000000RENEWA"
        self.org.put(
            "SBQQ__Quote__c",
            {
                "Id": renewal_quote,
                "Name": "Q-00060",
                "SBQQ__Status__c": "Approved",
                "SBQQ__Type__c": "Renewal",
                "SBQQ__Opportunity2__c": renewal_opp,
                "SBQQ__NetAmount__c": 12600.00,
                "SBQQ__LineItems__r": {
                    "done": True,
                    "records": [quote_line("a0yQ0000000R1AAA", 1, "LIC", 10, 12600.00)],
                },
            },
        )
        self.org.put(
            "Opportunity",
            {
                "Id": renewal_opp,
                "Name": "Renewal 2028",
                "AccountId": ACCOUNT,
                "StageName": "Closed Won",
                "IsWon": True,
                "IsClosed": True,
                "Amount": 12600.00,
                "SBQQ__PrimaryQuote__c": renewal_quote,
                "SBQQ__RenewedContract__c": "800Q0000000C1AAA",
                "SystemModstamp": "2026-12-01T10:00:00.000+0000",
            },
        )
        [event] = self._process(self._deliver_soap([("04lQ0000000RN1A", "Opportunity", {"Id": renewal_opp})]))
        self.assertEqual(event.state, "done", self._why(event))
        renewal = self.env["sale.order"].search([("salesforce_opportunity_id", "=", renewal_opp)])
        self.assertEqual(renewal.salesforce_renewed_order_id, original)
        self.assertEqual(renewal.amount_untaxed, 12600.00)
        self.assertEqual(original.amount_untaxed, 12000.00)

    def test_echo_of_the_status_write_back_is_not_applied(self):
        self.backend.salesforce_order_action = "quotation"
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 10, 12000.00)], 12000.00)
        self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        order = self._order()
        # Odoo's write-back changed only Odoo_Status__c, as the integration user
        self.org.records["Opportunity"][OPP].update(
            Odoo_Status__c="quotation",
            LastModifiedById=INTEGRATION_USER,
            SystemModstamp="2026-11-30T10:01:00.000+0000",
        )
        # someone changes the quote behind the scenes: an echo must not pull it in
        self.org.records["SBQQ__Quote__c"][QUOTE]["SBQQ__LineItems__r"]["records"][0]["SBQQ__Quantity__c"] = (
            99
        )
        [echo] = self._process(
            self._deliver_soap([self._opp_notification("04lQ00000002AAA", "2026-11-30T10:01:00.000+0000")])
        )
        self.assertEqual(echo.state, "done")
        self.assertIn("Echo", echo.result_note)
        self.assertEqual(order.order_line.product_uom_qty, 10)
        # a quote re-approval is never an echo, whoever wrote the opportunity last
        quote = self.org.records["SBQQ__Quote__c"][QUOTE]
        quote["SBQQ__LineItems__r"]["records"] = [quote_line("a0yQ0000000L9AAA", 1, "LIC", 12, 14400.00)]
        quote.update(SBQQ__NetAmount__c=14400.00, SystemModstamp="2026-11-30T10:03:00.000+0000")
        notification = (
            "04lQ00000004AAA",
            "SBQQ__Quote__c",
            {"Id": QUOTE, "SBQQ__Opportunity2__c": OPP, "SystemModstamp": "2026-11-30T10:03:00.000+0000"},
        )
        [reapproval] = self._process(self._deliver_soap([notification]))
        self.assertEqual(reapproval.state, "done", self._why(reapproval))
        self.assertNotIn("Echo", reapproval.result_note or "")
        self.assertEqual(order.amount_untaxed, 14400.00)
        # a real change by the integration user (the amount) is not an echo either
        self.org.records["Opportunity"][OPP].update(
            Amount=14400.00, SystemModstamp="2026-11-30T10:04:00.000+0000"
        )
        [real] = self._process(
            self._deliver_soap([self._opp_notification("04lQ00000005AAA", "2026-11-30T10:04:00.000+0000")])
        )
        self.assertEqual(real.state, "done", self._why(real))
        self.assertNotIn("Echo", real.result_note or "")

    def test_expired_token_is_refreshed_once_and_the_call_retried(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 1200.00)], 1200.00)
        expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        token = self.rsps.post(
            f"{INSTANCE}/services/oauth2/token",
            json={"access_token": "fresh-token", "instance_url": INSTANCE},
        )
        calls = []

        def answer(request):
            calls.append(request.headers["Authorization"])
            return self.org.query(request)

        query = re.compile(rf"{re.escape(DATA)}/query\?.*")
        self.rsps.remove(responses.GET, query)
        self.rsps.add(responses.GET, query, status=401, json=expired)  # the cached token, once
        self.rsps.add_callback(responses.GET, query, callback=answer)
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(token.call_count, 1)
        self.assertEqual(calls[0], "Bearer fresh-token")
        self.assertEqual(self.backend.sudo().salesforce_access_token, "fresh-token")

    def test_request_limit_exceeded_pauses_the_backend(self):
        self._won_opportunity([quote_line("a0yQ0000000L9AAA", 1, "LIC", 1, 1200.00)], 1200.00)
        self.rsps.remove(responses.GET, re.compile(rf"{re.escape(DATA)}/query\?.*"))
        limited = self.rsps.get(
            re.compile(rf"{re.escape(DATA)}/query\?.*"),
            status=403,
            json=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        )
        events = self._deliver_soap(
            [self._opp_notification("04lQ00000001AAA"), ("04lQ00000002AAA", "Account", {"Id": ACCOUNT})]
        )
        self._process(events)
        self.assertEqual(events.mapped("state"), ["retry", "retry"])
        self.assertEqual(limited.call_count, 1)  # the second event did not call: the backend is paused
        self.assertTrue(self.backend.salesforce_paused_until)
        self.assertIn("daily API limit", events[1].error_message)

    def test_opportunity_products_without_cpq(self):
        self.backend.salesforce_cpq = False
        self.org.put(
            "Opportunity",
            {
                "Id": OPP,
                "Name": "No CPQ deal",
                "AccountId": ACCOUNT,
                "StageName": "Closed Won",
                "IsWon": True,
                "IsClosed": True,
                "Amount": 2160.00,
                "SystemModstamp": "2026-11-30T10:00:00.000+0000",
                "OpportunityLineItems": {
                    "done": True,
                    "records": [
                        {
                            "Id": "00kQ0000000001AAA",
                            "Quantity": 2,
                            "UnitPrice": 1200.00,
                            "TotalPrice": 2160.00,
                            "Discount": 10,
                            "PricebookEntry": {"Product2": {"ProductCode": "LIC", "Name": "License"}},
                        }
                    ],
                },
            },
        )
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(self._order().amount_untaxed, 2160.00)

    def test_deal_currency_needs_an_active_currency_and_a_pricelist(self):
        self.backend.salesforce_multicurrency = True
        eur = self.env.ref("base.EUR")
        eur.active = True
        if eur == self.env.company.currency_id:
            eur = self.env.ref("base.USD")
            eur.active = True
        self._won_opportunity(
            [quote_line("a0yQ0000000L9AAA", 1, "LIC", 2, 2400.00)],
            2400.00,
            CurrencyIsoCode="ZZZ",
            quote={"CurrencyIsoCode": "ZZZ"},
        )
        [event] = self._process(self._deliver_soap([self._opp_notification("04lQ00000001AAA")]))
        self.assertEqual((event.state, event.error_class), ("failed", "mapping"))
        self.assertIn("Currency ZZZ", event.error_message)
        self.org.records["Opportunity"][OPP]["CurrencyIsoCode"] = eur.name
        self.org.records["SBQQ__Quote__c"][QUOTE]["CurrencyIsoCode"] = eur.name
        event.action_retry()
        self._process(event)
        self.assertEqual(event.state, "failed")
        self.assertIn(f"there is no pricelist in {eur.name}", event.error_message)
        self.env["product.pricelist"].create({"name": f"Deals in {eur.name}", "currency_id": eur.id})
        event.action_retry()
        self._process(event)
        self.assertEqual(event.state, "done", self._why(event))
        self.assertEqual(self._order().currency_id, eur)
        self.assertEqual(self._order().amount_untaxed, 2400.00)
