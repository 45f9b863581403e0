"""The deal correlation id on the contract side: the envelope Odoo sends carries it in a
custom field, the contract and the vendor's callbacks join the order's deal, and a callback
that names no Odoo document still lands on the deal through that field."""

import json
from datetime import timedelta

import responses
from freezegun import freeze_time
from odoo import Command, fields
from odoo.addons.integration_core.lib.prometheus import render
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.tests.common import VendorHostsMixin
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import ClmCaseMixin, docusign_xml

ENVELOPES = "https://demo.docusign.net/restapi/v2.1/accounts/acc-1/envelopes"


@tagged("post_install", "-at_install")
class TestClmDeal(VendorHostsMixin, ClmCaseMixin, HttpCase):
    VENDOR_HOSTS = ("demo.docusign.net", "account-d.docusign.com")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm(
            "docusign",
            docusign_account_id="acc-1",
            docusign_access_token="cached-token",
            docusign_token_expires_at=fields.Datetime.now() + timedelta(days=1),
        )

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()
        # The deal a CRM connector opened for this quotation (connectors never import each other).
        self.deal = self.env["integration.deal"].create({"title": "World Wide Corp - 10 seats"})
        self.order = self._quotation()
        self.order.integration_deal_id = self.deal

    @responses.activate
    def test_envelope_carries_the_deal_and_the_signature_joins_it(self):
        responses.add_passthru(self.base_url())  # the callbacks go to Odoo's test server
        responses.post(ENVELOPES, json={"envelopeId": "env-deal", "status": "sent"}, status=201)
        self.order.action_clm_send_for_signature()
        contract = self.order.clm_contract_ids
        self.assertEqual(contract.integration_deal_id, self.deal)
        [message] = self.env["integration.outbound"].search([("operation", "=", "clm.send_for_signature")])
        self.assertEqual(message.deal_id, self.deal)
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        sent = json.loads(responses.calls[0].request.body)
        custom = {f["name"]: f["value"] for f in sent["customFields"]["textCustomFields"]}
        self.assertEqual(custom["odoo_deal"], self.deal.name)
        self.assertEqual(custom["odoo_order"], self.order.name)
        # the outside call of the message is on the deal's audit trail
        calls = self.env["integration.audit"].search([("correlation_id", "=", message.correlation_id)])
        self.assertTrue(calls)
        self.assertEqual(calls.deal_id, self.deal)

        signed = docusign_xml(
            envelope_id="env-deal", fields={"odoo_order": self.order.name, "odoo_deal": self.deal.name}
        )
        [event] = self._deliver_docusign(signed)
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.deal_id, self.deal)
        self.assertEqual(self.order.state, "sale")
        steps = self.deal.step_ids
        self.assertIn(event, steps.event_id)
        self.assertIn(message, steps.outbound_id)
        found = self.env["integration.deal"].search([("external_ref", "=", "env-deal")])
        self.assertEqual(found, self.deal)
        self.assertEqual(contract.action_open_integration_deal()["res_id"], self.deal.id)

    def test_a_callback_without_a_document_lands_on_the_deal_by_its_custom_field(self):
        # an envelope created in the contract tool for another document, naming only the deal
        body = docusign_xml(envelope_id="env-unknown", fields={"odoo_deal": self.deal.name})
        [event] = self._deliver_docusign(body)
        self.assertEqual(event.deal_id, self.deal)
        self.assertIn(event, self.deal.step_ids.event_id)

    def test_an_unknown_deal_reference_joins_nothing(self):
        body = docusign_xml(envelope_id="env-other", fields={"odoo_deal": "deal-0000000000000000"})
        [event] = self._deliver_docusign(body)
        self.assertFalse(event.deal_id)


@tagged("post_install", "-at_install")
class TestDealCycleTimes(ClmCaseMixin, TransactionCase):
    """Cycle times of a deal against their objectives: a contract unsigned past its
    objective is a business exception and an activity for the managers, once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Integration Manager",
                "login": "cycle-manager",
                "group_ids": [Command.link(cls.env.ref("integration_core.group_integration_manager").id)],
            }
        )

    def test_unsigned_past_due_alerts_once_then_the_steps_are_measured_to_their_end(self):
        start = fields.Datetime.now().replace(microsecond=0)
        deal = self.env["integration.deal"].create(
            {"title": "World Wide Corp", "origin_backend_id": self.backend.id}
        )
        order = self._quotation()
        order.integration_deal_id = deal
        contract = self.env["integration.contract"].create(
            {
                "name": "Agreement",
                "backend_id": self.backend.id,
                "order_id": order.id,
                "partner_id": self.partner.id,
            }
        )
        contract.write({"state": "sent", "sent_at": start, "external_id": "env-late"})
        objective = self.env.ref("integration_core.cycle_objective_sent_to_signed")
        self.assertEqual(objective.objective_minutes, 7 * 24 * 60)

        with freeze_time(start + timedelta(days=8)):
            deal._measure_cycles()
            [late] = deal.cycle_ids
            self.assertEqual((late.step, late.ended_at, late.is_breached), ("sent_to_signed", False, True))
            self.assertEqual(late.minutes, 8 * 24 * 60)
            exceptions = {item["code"]: item for item in self.backend._business_exceptions()}
            self.assertEqual(exceptions["deal_cycle_over_objective"]["count"], 1)
            activities = deal.activity_ids.filtered(lambda a: a.user_id == self.manager)
            self.assertEqual(len(activities), 1)
            self.assertIn("Contract sent → signed over its objective", activities.summary)
            deal._measure_cycles()  # measured again: no second alert
            self.assertEqual(len(deal.activity_ids.filtered(lambda a: a.user_id == self.manager)), 1)

        with freeze_time(start + timedelta(days=9)):
            signed_at = fields.Datetime.now()
            contract.write({"state": "signed", "signed_date": signed_at})
            order.with_context(integration_gate_overridden=True).action_confirm()
        with freeze_time(start + timedelta(days=9, minutes=10)):
            invoice = order._create_invoices()
            invoice.action_post()
            # create_date is the transaction's time, which freezegun does not move
            self.env.cr.execute(
                "UPDATE account_move SET create_date = %s WHERE id = %s", (fields.Datetime.now(), invoice.id)
            )
            invoice.invalidate_recordset(["create_date"])
            deal._measure_cycles()
        steps = {cycle.step: cycle for cycle in deal.cycle_ids}
        self.assertEqual(steps["sent_to_signed"].ended_at, signed_at)
        self.assertTrue(steps["sent_to_signed"].is_breached)
        self.assertFalse(steps["signed_to_confirmed"].is_breached)  # confirmed at once
        self.assertEqual(steps["confirmed_to_invoiced"].minutes, 10)
        self.assertFalse(steps["confirmed_to_invoiced"].is_breached)
        self.assertEqual(steps["invoiced_to_paid"].ended_at, False)  # running: not paid yet
        self.assertFalse(deal.cycles_complete)
        exceptions = {item["code"]: item for item in self.backend._business_exceptions()}
        self.assertEqual(exceptions["deal_cycle_over_objective"]["count"], 0, "the late step has ended")

        text = render(self.env["integration.backend"]._prometheus_metrics())
        self.assertIn(
            f'integration_deal_cycle_minutes_count{{backend="{self.backend.name}",kind="docusign",'
            'step="sent_to_signed"} 1',
            text,
        )
        self.assertIn(
            f'integration_deal_cycle_minutes_bucket{{backend="{self.backend.name}",kind="docusign",'
            'le="15",step="confirmed_to_invoiced"} 1',
            text,
        )
