"""Billing by the agreement (sale_project milestones, dated down payments) and renewals."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import ENVELOPE_ID, ClmCaseMixin, docusign_xml


@tagged("post_install", "-at_install")
class TestBillingAndRenewal(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")
        cls.implementation = cls.env["product.product"].create(
            {
                "name": "Implementation",
                "default_code": "IMPL",
                "type": "service",
                "service_policy": "delivered_milestones",
                "service_tracking": "project_only",
                "list_price": 1000.0,
                "taxes_id": [Command.clear()],
            }
        )

    def _contract_for(self, order, **values):
        return self.env["integration.contract"].create(
            {
                "name": f"{order.name} agreement",
                "backend_id": self.backend.id,
                "external_id": ENVELOPE_ID,
                "order_id": order.id,
                "partner_id": order.partner_id.id,
                **order._clm_contract_terms(),
                **values,
            }
        )

    def _invoice_due(self):
        self._run_cron("integration.contract", "_cron_invoice_due")

    def test_milestone_reached_is_invoiced_once(self):
        order = self._quotation(quantity=1, product=self.implementation)
        contract = self._contract_for(
            order,
            billing_method="milestones",
            billing_line_ids=[
                Command.create({"name": "Kick-off", "kind": "milestone", "percentage": 30}),
                Command.create({"name": "Go-live", "kind": "milestone", "percentage": 70}),
            ],
        )
        self._deliver_docusign(docusign_xml())
        self.assertEqual(order.state, "sale")
        kickoff, golive = contract.billing_line_ids
        self.assertTrue(kickoff.milestone_id and golive.milestone_id)
        self.assertEqual(
            order.order_line.project_id.milestone_ids, kickoff.milestone_id | golive.milestone_id
        )
        self._invoice_due()
        self.assertFalse(order.invoice_ids, "nothing is due before a milestone is reached")
        kickoff.milestone_id.is_reached = True
        self._invoice_due()
        self._invoice_due()  # twice: nothing is invoiced twice
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertEqual(order.invoice_ids.amount_untaxed, 30.0)  # 30 % of 1 x 100.00
        self.assertEqual(kickoff.invoice_id, order.invoice_ids)
        self.assertFalse(golive.invoice_id)

    def test_schedule_step_is_a_down_payment_once_due(self):
        order = self._quotation()
        contract = self._contract_for(
            order,
            billing_method="schedule",
            billing_line_ids=[
                Command.create(
                    {
                        "name": "On signature",
                        "kind": "date",
                        "percentage": 50,
                        "due_date": fields.Date.today(),
                    }
                ),
                Command.create(
                    {
                        "name": "Later",
                        "kind": "date",
                        "percentage": 50,
                        "due_date": fields.Date.today() + timedelta(days=30),
                    }
                ),
            ],
        )
        self._deliver_docusign(docusign_xml())
        self._invoice_due()
        self._invoice_due()
        now, later = contract.billing_line_ids
        self.assertTrue(now.invoice_id)
        self.assertFalse(later.invoice_id)
        self.assertEqual(len(order.invoice_ids), 1)
        self.assertAlmostEqual(order.invoice_ids.amount_untaxed, 500.0)

    def test_renewal_quotation_when_the_notice_starts_and_signing_confirms_it(self):
        order = self._quotation()
        today = fields.Date.today()
        contract = self._contract_for(
            order,
            auto_renew=True,
            notice_days=30,
            renewal_term_months=12,
            term_start=today - timedelta(days=340),
            term_end=today + timedelta(days=20),
        )
        self._deliver_docusign(docusign_xml())
        self.assertEqual(order.state, "sale")
        self.assertTrue(contract.renewal_due)
        self.assertEqual(self.backend._business_exceptions()[-1]["count"], 1)  # renewal due, no quotation
        self._run_cron("integration.contract", "_cron_create_renewals")
        self._run_cron("integration.contract", "_cron_create_renewals")
        renewal_order = contract.renewal_order_id
        self.assertTrue(renewal_order)
        renewal = self.env["integration.contract"].search([("renews_id", "=", contract.id)])
        self.assertEqual(len(renewal), 1)
        self.assertEqual(renewal.order_id, renewal_order)
        self.assertEqual(renewal.term_start, contract.term_end + timedelta(days=1))
        self.assertTrue(renewal_order.clm_awaiting_signature)
        renewal.external_id = "renewal-env"
        self._deliver_docusign(docusign_xml(envelope_id="renewal-env"))
        self.assertEqual(renewal_order.state, "sale")
