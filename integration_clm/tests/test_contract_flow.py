"""Signed, declined, mismatched, out-of-order and amended contracts over the real route."""

import json

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import ENVELOPE_ID, ClmCaseMixin, docusign_xml, dropbox_sign_payload, pandadoc_event


@tagged("post_install", "-at_install")
class TestContractFlow(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")

    def setUp(self):
        super().setUp()
        self.order = self._quotation()

    def _signed(self, **fields):
        return self._deliver_docusign(docusign_xml(fields={"odoo_order": self.order.name, **fields}))

    def test_quotation_waits_and_confirm_explains_why(self):
        self.assertTrue(self.order.clm_awaiting_signature)
        self.assertEqual(self.order.clm_signature_badge, "Awaiting signature")
        self.assertIn(self.order, self.env["sale.order"].search([("clm_awaiting_signature", "=", True)]))
        with self.assertRaisesRegex(UserError, "signed contract is required"):
            self.order.action_confirm()
        self.assertFalse(self.order._integration_confirm())
        self.assertEqual(self.order.state, "draft")

    def test_rule_never_lets_it_through(self):
        self.backend.clm_contract_rule = "never"
        order = self._quotation()
        self.assertFalse(order.clm_awaiting_signature)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_rule_amount_and_tag(self):
        self.backend.write({"clm_contract_rule": "amount", "clm_amount_threshold": 5000})
        self.assertFalse(self._quotation(quantity=10)._clm_needs_contract())  # 1,000
        self.assertTrue(self._quotation(quantity=60)._clm_needs_contract())  # 6,000
        tag = self.env["res.partner.category"].create({"name": "Enterprise"})
        self.backend.write({"clm_contract_rule": "tag", "clm_tag_ids": [(6, 0, tag.ids)]})
        self.assertFalse(self._quotation()._clm_needs_contract())
        self.partner.category_id = tag
        self.assertTrue(self._quotation()._clm_needs_contract())
        self.backend.clm_contract_rule = "upstream"
        order = self._quotation()
        self.assertFalse(order._clm_needs_contract())
        order.clm_upstream_requires_contract = True
        self.assertTrue(order._clm_needs_contract())

    def test_signed_docusign_confirms_the_order(self):
        event = self._signed()
        self.assertEqual(event.state, "done", event.error_message)
        contract = self._contract()
        self.assertEqual(contract.order_id, self.order)
        self.assertEqual(contract.state, "signed")
        self.assertTrue(contract.signed_date)
        self.assertEqual(self.order.state, "sale")
        self.assertFalse(self.order.clm_awaiting_signature)
        self.assertTrue(contract.confirmed_at)
        pdf = self.env["integration.outbound"].search([("operation", "=", "clm.fetch_signed_pdf")])
        self.assertEqual(pdf.res_id, contract.id)

    def test_same_signed_delivery_twice_changes_nothing(self):
        self._signed()
        messages = len(self.order.message_ids)
        response = self._post_docusign(docusign_xml(fields={"odoo_order": self.order.name}))
        self.assertEqual(response.status_code, 200)
        self._process_events()
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(len(self.order.message_ids), messages)
        self.assertEqual(
            len(self.env["integration.outbound"].search([("operation", "=", "clm.fetch_signed_pdf")])), 1
        )

    def test_completed_before_sent_stays_completed(self):
        self._signed()
        late = self._deliver_docusign(docusign_xml(status="Sent", fields={"odoo_order": self.order.name}))
        self.assertEqual(late.state, "done")
        self.assertIn("Stale status sent", late.result_note)
        self.assertEqual(self._contract().state, "signed")
        # nor do its terms overwrite the signed ones
        stale = docusign_xml(
            status="Delivered", fields={"odoo_order": self.order.name, "contract_amount": "1.00"}
        )
        self._deliver_docusign(stale)
        self.assertEqual(self._contract().amount_untaxed, 1000.0)
        self.assertEqual(self.order.state, "sale")

    def test_sent_then_viewed_then_signed(self):
        for status in ("Sent", "Delivered"):
            self._deliver_docusign(docusign_xml(status=status, fields={"odoo_order": self.order.name}))
        self.assertEqual(self._contract().state, "viewed")
        self.assertEqual(self.order.state, "draft")
        self._signed()
        self.assertEqual((self._contract().state, self.order.state), ("signed", "sale"))

    def test_amount_mismatch_is_a_business_exception_showing_both_sides(self):
        event = self._signed(contract_amount="999.00", contract_currency=self.order.currency_id.name)
        self.assertEqual(event.state, "done")
        contract = self._contract()
        self.assertEqual(self.order.state, "draft")
        self.assertTrue(self.order.clm_awaiting_signature)
        self.assertIn("1000.00", contract.terms_difference)
        self.assertIn("999.00", contract.terms_difference)
        exceptions = {e["code"]: e["count"] for e in self.backend._business_exceptions()}
        self.assertEqual(exceptions["clm_terms_differ"], 1)
        with self.assertRaisesRegex(UserError, "differs from the order"):
            self.order.action_confirm()
        # the order is corrected to the signed amount: checking again confirms it
        self.order.order_line.price_unit = 99.90
        contract.action_check_terms_again()
        self.assertEqual(self.order.state, "sale")
        self.assertFalse(contract.terms_difference)

    def test_other_signer_is_a_counterparty_mismatch(self):
        self.partner.email = "someone.else@example.com"
        self._signed()
        self.assertIn("Counterparty", self._contract().terms_difference)
        self.assertEqual(self.order.state, "draft")

    def test_declined_cancels_with_reason_and_an_activity(self):
        self.order.user_id = self.env.user
        body = docusign_xml(status="Declined", fields={"odoo_order": self.order.name})
        body = body.replace(
            b'<DeclineReason xsi:nil="true" />', b"<DeclineReason>Price too high</DeclineReason>", 1
        )
        self._deliver_docusign(body)
        contract = self._contract()
        self.assertEqual(contract.state, "declined")
        self.assertEqual(contract.end_reason, "Price too high")
        self.assertEqual(self.order.state, "cancel")
        activity = self.order.activity_ids
        self.assertEqual(activity.user_id, self.env.user)
        self.assertIn("Price too high", activity.note)
        # the vendor ended it: nothing to void
        self.assertFalse(self.env["integration.outbound"].search([("operation", "=", "clm.void")]))

    def test_signed_contract_matching_no_order_fails_then_is_fixed_by_choosing_the_order(self):
        event = self._deliver_docusign(docusign_xml())
        self.assertEqual(event.state, "failed")
        self.assertIn("matches no quotation", event.error_message)
        self.env["integration.contract"].create(
            {
                "name": "Chosen",
                "backend_id": self.backend.id,
                "external_id": ENVELOPE_ID,
                "order_id": self.order.id,
                "partner_id": self.partner.id,
                **self.order._clm_contract_terms(),
            }
        )
        event.action_retry()
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self.order.state, "sale")

    def test_salesforce_id_resolves_through_the_external_id_map(self):
        other = self._clm_backend("pandadoc", name="Upstream CRM", state="draft")
        self.env["integration.external.id"]._bind(other, self.order, "006000000000001AAA")
        self._deliver_docusign(docusign_xml(fields={"##SFOpportunity": "006000000000001AAA"}))
        self.assertEqual(self._contract().order_id, self.order)
        self.assertEqual(self.order.state, "sale")

    def test_manager_override_needs_a_reason_and_is_audited(self):
        wizard = self.env["clm.gate.override"].create(
            {"order_id": self.order.id, "reason": "CFO approved by phone"}
        )
        self.assertIn("signed contract is required", wizard.blockers)
        wizard.action_confirm()
        self.assertEqual(self.order.state, "sale")
        audit = self.env["integration.audit"].search([("action", "=", "clm_gate_override")])
        self.assertIn("CFO approved by phone", audit.message)
        self.assertIn(self.order.name, audit.message)

    def test_override_refused_to_a_salesman(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Sam",
                "login": "sam",
                "group_ids": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        wizard = self.env["clm.gate.override"].create({"order_id": self.order.id, "reason": "x"})
        with self.assertRaises(Exception):  # noqa: B017 - AccessError (or the ACL refusing the wizard)
            wizard.with_user(salesman).action_confirm()
        self.assertEqual(self.order.state, "draft")

    # ------------------------------------------------------------ amendments
    def test_signed_amendment_changes_the_same_order_with_a_trail(self):
        self._signed()
        orders_before = self.env["sale.order"].search_count([])
        lines = json.dumps([{"product": "SUB-1", "quantity": 12, "price_unit": "95.00"}])
        fields = {"odoo_contract": ENVELOPE_ID, "odoo_lines": lines, "term_end": "2027-12-31"}
        event = self._deliver_docusign(docusign_xml(envelope_id="amend-1", fields=fields))
        self.assertEqual(event.state, "done", event.error_message)
        amendment = self._contract("amend-1")
        original = self._contract()
        self.assertEqual(amendment.amendment_of_id, original)
        self.assertEqual(amendment.version, 2)
        self.assertEqual(original.superseded_by_id, amendment)
        self.assertFalse(original.is_current)
        self.assertEqual(amendment.order_id, self.order)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        line = self.order.order_line
        self.assertEqual((line.product_uom_qty, line.price_unit), (12, 95.0))
        trail = self.order.message_ids.filtered(lambda m: "Amendment" in (m.body or ""))
        self.assertIn("10 x 100.00 → 12 x 95.00", trail.body)
        self.assertIn("2027-12-31", trail.body)

    def test_amendment_below_what_was_invoiced_is_a_business_exception(self):
        self._signed()
        self.order._create_invoices()
        lines = json.dumps([{"product": "SUB-1", "quantity": 4}])
        self._deliver_docusign(
            docusign_xml(envelope_id="amend-2", fields={"odoo_contract": ENVELOPE_ID, "odoo_lines": lines})
        )
        amendment = self._contract("amend-2")
        self.assertIn("already delivered or invoiced", amendment.terms_difference)
        self.assertEqual(self.order.order_line.product_uom_qty, 10)
        self.assertTrue(self._contract().is_current)


@tagged("post_install", "-at_install")
class TestOtherVendorsFlow(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("dropbox_sign")
        cls.pandadoc = cls._clm_backend("pandadoc", state="draft")

    def test_dropbox_sign_all_signed_confirms_and_downloadable_asks_for_the_pdf(self):
        order = self._quotation()
        payload = dropbox_sign_payload("signature_request_all_signed", metadata={"odoo_order": order.name})
        payload["signature_request"]["signatures"][0]["signer_email_address"] = self.partner.email
        self.assertEqual(self._post_dropbox_sign(payload).text, "Hello API Event Received")
        self._process_events()
        contract = self._contract("fa5c8a0b0f492d768749333ad6fcc214c111e967")
        self.assertEqual((contract.state, order.state), ("signed", "sale"))
        self.assertFalse(
            self.env["integration.outbound"].search([("operation", "=", "clm.fetch_signed_pdf")])
        )
        ready = dropbox_sign_payload("signature_request_downloadable", metadata={"odoo_order": order.name})
        self._post_dropbox_sign(ready)
        self._process_events()
        self.assertEqual(
            len(self.env["integration.outbound"].search([("operation", "=", "clm.fetch_signed_pdf")])), 1
        )

    def test_dropbox_sign_canceled_voids_and_cancels(self):
        order = self._quotation()
        self._post_dropbox_sign(
            dropbox_sign_payload("signature_request_canceled", metadata={"odoo_order": order.name})
        )
        self._process_events()
        self.assertEqual(order.state, "cancel")

    def test_pandadoc_three_events_processed_in_order_end_signed(self):
        self.backend.state = "paused"
        self.pandadoc.state = "active"
        self.backend, self.url = self.pandadoc, f"/integration/webhook/{self.pandadoc.webhook_uuid}"
        order = self._quotation()
        # the array arrives newest first: the lifecycle still ends signed
        items = [
            pandadoc_event("doc-9", "document.completed", "2026-11-30T10:09:00.000000Z", order.name),
            pandadoc_event("doc-9", "document.viewed", "2026-11-30T10:05:00.000000Z", order.name),
            pandadoc_event("doc-9", "document.sent", "2026-11-30T10:00:00.000000Z", order.name),
        ]
        self.assertEqual(self._post_pandadoc(items).status_code, 200)
        self._process_events()
        self.assertEqual(set(self._events().mapped("state")), {"done"})
        self.assertEqual(self._contract("doc-9").state, "signed")
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestContractExceptionsAndSecurity(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")

    def _counts(self):
        return {e["code"]: e["count"] for e in self.backend._business_exceptions()}

    def test_unsigned_after_n_days_and_signed_not_confirmed(self):
        order = self._quotation()
        contract = self.env["integration.contract"].create(
            {
                "name": "Old",
                "backend_id": self.backend.id,
                "order_id": order.id,
                "state": "sent",
                "sent_at": fields.Datetime.subtract(fields.Datetime.now(), days=8),
            }
        )
        self.assertEqual(self._counts()["clm_unsigned"], 1)
        contract.sent_at = fields.Datetime.now()
        self.assertEqual(self._counts()["clm_unsigned"], 0)
        contract.write({"state": "signed"})
        self.assertEqual(self._counts()["clm_signed_not_confirmed"], 1)

    def test_backend_figures_provisional_orders_and_signed_to_confirmed_time(self):
        self._quotation(quantity=10)
        self._quotation(quantity=5)
        backend = self.backend
        self.assertEqual((backend.clm_provisional_count, backend.clm_provisional_amount), (2, 1500.0))
        order = self._quotation()
        signed = fields.Datetime.now()
        for hours in (1, 3, 8):
            self.env["integration.contract"].create(
                {
                    "name": f"C{hours}",
                    "backend_id": backend.id,
                    "order_id": order.id,
                    "signed_date": signed,
                    "confirmed_at": fields.Datetime.add(signed, hours=hours),
                }
            )
        backend.invalidate_recordset()
        self.assertEqual((backend.clm_confirm_median_hours, backend.clm_confirm_worst_hours), (3.0, 8.0))
        other = self.env["integration.backend"].new({"name": "not a contract kind"})
        self.assertEqual(other.clm_provisional_count, 0)

    def test_changing_the_rule_updates_awaiting_signature(self):
        order = self._quotation()
        self.assertTrue(order.clm_awaiting_signature)
        self.backend.clm_contract_rule = "never"
        self.assertFalse(order.clm_awaiting_signature)
        self.assertNotIn(order, self.env["sale.order"].search([("clm_awaiting_signature", "=", True)]))

    def test_secrets_are_for_settings_administrators_only(self):
        for name in (
            "clm_api_key",
            "docusign_private_key",
            "docusign_integration_key",
            "docusign_access_token",
        ):
            self.assertEqual(self.backend._fields[name].groups, "base.group_system", name)

    def test_contracts_of_another_company_are_not_visible(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other_backend = self._clm_backend("docusign", company_id=other_company.id)
        self.env["integration.contract"].create({"name": "Theirs", "backend_id": other_backend.id})
        mine = self.env["integration.contract"].create({"name": "Mine", "backend_id": self.backend.id})
        user = self.env["res.users"].create(
            {
                "name": "Sally",
                "login": "sally",
                "company_id": self.env.company.id,
                "company_ids": [(6, 0, self.env.company.ids)],
                "group_ids": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        self.assertEqual(self.env["integration.contract"].with_user(user).search([]), mine)
