"""Part 6 of quote to cash: a customer's entitlements pushed to a support platform.

A contract signed over DocuSign's real route confirms its order; a signed-webhook backend
with *Push entitlements* then gets the account's snapshot through the outbound queue, and the
test checks the body and its signature as the support platform would."""

import json
from datetime import date, timedelta

import responses
from freezegun import freeze_time
from odoo.addons.integration_clm.tests.common import ENVELOPE_ID, ClmCaseMixin, docusign_xml
from odoo.addons.integration_core.lib.signatures import verify_hmac
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.tests.common import VendorHostsMixin
from odoo.tests import HttpCase, tagged

SUPPORT_HOST = "support.example.com"
PUSH_URL = f"https://{SUPPORT_HOST}/hooks/odoo-entitlements"
SUPPORT_SECRET = "support-platform-secret"


@tagged("post_install", "-at_install")
class TestEntitlementsPush(VendorHostsMixin, ClmCaseMixin, HttpCase):
    VENDOR_HOSTS = (SUPPORT_HOST,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")
        cls.partner.vat = "BE0477472701"
        cls.support = cls.env["integration.backend"].create(
            {
                "name": "Support platform",
                "kind": "generic_hmac",
                "state": "active",
                "webhook_secret": SUPPORT_SECRET,
                "outbound_url": PUSH_URL,
                "push_entitlements": True,
            }
        )
        # the customer's id at the support platform (contacts both ways on the same backend)
        cls.env["integration.external.id"]._bind(cls.support, cls.partner, "ORG-7")

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()
        self.deal = self.env["integration.deal"].create({"title": "World Wide Corp - support"})
        self.order = self._quotation()
        self.order.write(
            {
                "integration_deal_id": self.deal.id,
                "clm_term_start": date(2026, 12, 1),
                "clm_term_end": date(2027, 11, 30),
            }
        )

    # ------------------------------------------------------------ helpers
    def _sign(self, envelope_id=ENVELOPE_ID, **fields):
        event = self._deliver_docusign(docusign_xml(envelope_id=envelope_id, fields=fields))
        self.assertEqual(event.state, "done", event.error_message)
        return self._contract(envelope_id)

    def _activate(self):
        contract = self._sign(odoo_order=self.order.name)
        self.assertEqual(self.order.state, "sale")
        return contract

    def _pushes(self, backend=None):
        return self.env["integration.outbound"].search(
            [("backend_id", "=", (backend or self.support).id), ("operation", "=", "entitlements.push")],
            order="id",
        )

    def _deliver(self, status=200, body=None):
        """Send the queue to a stand-in support platform; what it received, verified as it would."""
        with responses.RequestsMock(assert_all_requests_are_fired=False) as platform:
            platform.add_passthru(self.base_url())
            platform.post(PUSH_URL, status=status, json=body or {"ok": True})
            self._send_outbound()
            requests = [call.request for call in platform.calls if call.request.url == PUSH_URL]
        received = []
        for request in requests:
            # the support platform's check: HMAC-SHA256 of the raw body with the shared secret
            verify_hmac(request.body, request.headers["X-Signature"], [SUPPORT_SECRET])
            received.append((request, json.loads(request.body)))
        return received

    # ------------------------------------------------------------ tests
    def test_activated_contract_pushes_one_signed_snapshot_on_the_deal(self):
        contract = self._activate()
        [message] = self._pushes()
        self.assertEqual(message.deal_id, self.deal, "on the deal's timeline")
        self.assertEqual(message.record_ref, contract)
        self.assertEqual(message.entity_key, f"account:{self.partner.id}")
        [(request, body)] = self._deliver()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(request.headers["X-Integration-Deal"], self.deal.name)
        self.assertEqual(request.headers["Idempotency-Key"], message.idempotency_key)
        self.assertEqual(request.body, message.payload.encode(), "the body is the message as queued")
        self.assertEqual(body["type"], "entitlements.snapshot")
        self.assertGreater(body["version"], 0)
        self.assertTrue(body["generated_at"].endswith("Z"))
        self.assertEqual(
            body["account"],
            {
                "odoo_id": self.partner.id,
                "name": "World Wide Corp",
                "vat": "BE0477472701",
                "email": "larry.kluger@example.com",
                "external_ids": [{"system": "generic_hmac", "id": "ORG-7"}],
            },
        )
        self.assertEqual(
            body["entitlements"],
            [
                {
                    "contract": contract.name,
                    "contract_id": contract.id,
                    "contract_version": 1,
                    "provider": "docusign",
                    "envelope_id": ENVELOPE_ID,
                    "state": "active",
                    "start": "2026-12-01",
                    "end": "2027-11-30",
                    "term_months": 12,
                    "sale_order": self.order.name,
                    "deal": self.deal.name,
                    "products": [{"sku": "SUB-1", "name": "Subscription", "quantity": "10", "unit": "Units"}],
                }
            ],
        )
        self.assertNotIn("amount", request.body.decode(), "no commercial terms to the support platform")

    def test_the_same_activation_again_queues_nothing_more(self):
        contract = self._activate()
        self._deliver()
        response = self._post_docusign(docusign_xml(fields={"odoo_order": self.order.name}))
        self.assertEqual(response.status_code, 200)
        self._process_events()
        contract._clm_entitlements_changed()  # e.g. a replayed event or a second confirmation
        self.assertEqual(len(self._pushes()), 1, "an unchanged snapshot is not sent twice")
        self.assertFalse(self._deliver(), "nothing new reaches the support platform")

    def test_amendment_sends_a_newer_full_snapshot(self):
        self._activate()
        [(_request, first)] = self._deliver()
        lines = json.dumps([{"product": "SUB-1", "quantity": 25}])
        amendment = self._sign(
            "amend-ent-1", odoo_contract=ENVELOPE_ID, odoo_lines=lines, term_end="2028-11-30"
        )
        self.assertEqual(self.order.order_line.product_uom_qty, 25)
        first_message, second_message = self._pushes()
        self.assertEqual(first_message.state, "done")
        self.assertEqual(second_message.deal_id, self.deal)
        [(_request, second)] = self._deliver()
        self.assertGreater(second["version"], first["version"], "the receiver keeps the newest")
        [entitlement] = second["entitlements"]
        self.assertEqual(
            (entitlement["contract"], entitlement["contract_version"], entitlement["envelope_id"]),
            (amendment.name, 2, "amend-ent-1"),
        )
        self.assertEqual((entitlement["end"], entitlement["term_months"]), ("2028-11-30", 24))
        self.assertEqual(entitlement["products"][0]["quantity"], "25")

    def test_a_newer_snapshot_supersedes_the_unsent_one(self):
        self._activate()
        lines = json.dumps([{"product": "SUB-1", "quantity": 12}])
        self._sign("amend-ent-2", odoo_contract=ENVELOPE_ID, odoo_lines=lines)
        first_message, second_message = self._pushes()
        self.assertEqual(first_message.state, "ignored")
        self.assertIn("Superseded by entitlements version", first_message.error_message)
        [(_request, body)] = self._deliver()
        self.assertEqual(second_message.state, "done")
        self.assertEqual(body["entitlements"][0]["products"][0]["quantity"], "12")

    def test_cancelled_order_takes_the_entitlement_away(self):
        self._activate()
        self._deliver()
        self.order._action_cancel()
        self.assertEqual(len(self._pushes()), 2)
        [(_request, body)] = self._deliver()
        self.assertEqual(body["entitlements"], [])
        self.assertEqual(body["account"]["odoo_id"], self.partner.id)

    def test_an_ended_term_leaves_the_entitlements_once(self):
        self._activate()
        self._deliver()
        with freeze_time(date(2027, 12, 2)):
            self._run_cron("integration.contract", "_cron_entitlements_ended")
            self._run_cron("integration.contract", "_cron_entitlements_ended")
            [(_request, body)] = self._deliver()
        self.assertEqual(body["entitlements"], [])
        self.assertEqual(len(self._pushes()), 2, "the second run found nothing new")

    def test_a_term_corrected_on_the_contract_is_pushed(self):
        contract = self._activate()
        self._deliver()
        contract.term_end = date(2028, 5, 31)
        [(_request, body)] = self._deliver()
        self.assertEqual(
            (body["entitlements"][0]["end"], body["entitlements"][0]["term_months"]), ("2028-05-31", 18)
        )

    def test_a_confirmed_renewal_adds_the_next_term_then_the_first_ends(self):
        today = date.today()
        self.order.write(
            {"clm_term_start": today - timedelta(days=340), "clm_term_end": today + timedelta(days=20)}
        )
        contract = self._activate()
        contract.write({"auto_renew": True, "notice_days": 30, "renewal_term_months": 12})
        self._deliver()
        self._run_cron("integration.contract", "_cron_create_renewals")
        renewal = self.env["integration.contract"].search([("renews_id", "=", contract.id)])
        renewal.external_id = "renewal-ent"
        self.assertFalse(self._deliver(), "a renewal quotation entitles to nothing yet")
        self._sign("renewal-ent")
        self.assertEqual(renewal.order_id.state, "sale")
        [(_request, body)] = self._deliver()
        self.assertEqual(
            [(e["contract_id"], e["start"]) for e in body["entitlements"]],
            [(contract.id, contract.term_start.isoformat()), (renewal.id, renewal.term_start.isoformat())],
        )
        with freeze_time(contract.term_end + timedelta(days=1)):
            self._run_cron("integration.contract", "_cron_entitlements_ended")
            [(_request, body)] = self._deliver()
        self.assertEqual([e["contract_id"] for e in body["entitlements"]], [renewal.id])

    def test_backends_without_the_setting_get_nothing(self):
        self.support.push_entitlements = False
        contacts_only = self.env["integration.backend"].create(
            {"name": "CRM contacts", "kind": "generic_hmac", "state": "active", "outbound_url": PUSH_URL}
        )
        draft = self.env["integration.backend"].create(
            {"name": "Support (not live)", "kind": "generic_hmac", "push_entitlements": True,
             "outbound_url": PUSH_URL, "webhook_secret": SUPPORT_SECRET}
        )  # fmt: skip
        self._activate()
        for backend in (self.support, contacts_only, draft):
            self.assertFalse(self._pushes(backend), backend.name)

    def test_a_refused_push_stays_in_exceptions_and_is_retried_after_the_fix(self):
        self._activate()
        [message] = self._pushes()
        self._deliver(status=422, body={"error": "unknown organisation"})
        self.assertEqual((message.state, message.response_status), ("failed", 422))
        self.assertIn("unknown organisation", message.response_body)
        self.assertIn("Support platform refused the request (HTTP 422)", message.error_message)
        self.support.invalidate_recordset()
        self.assertEqual(self.support.outbound_failed_count, 1)
        message.action_retry()
        [(_request, body)] = self._deliver()
        self.assertEqual(message.state, "done")
        self.assertEqual(len(body["entitlements"]), 1)

    def test_a_cancelled_push_is_queued_again_at_the_next_change(self):
        contract = self._activate()
        [message] = self._pushes()
        self._deliver(status=422, body={"error": "unknown organisation"})
        wizard = (
            self.env["integration.event.ignore.wizard"]
            .with_context(active_model="integration.outbound", active_ids=message.ids)
            .create({"reason": "organisation created by hand at the support platform"})
        )
        wizard.action_confirm()
        self.assertEqual(message.state, "ignored")
        contract._clm_entitlements_changed()
        cancelled, again = self._pushes()
        self.assertEqual(cancelled, message)
        [(_request, body)] = self._deliver()
        self.assertEqual(again.state, "done")
        self.assertGreater(body["version"], json.loads(message.payload)["version"])

    def test_without_push_url_or_secret_the_message_says_what_to_set(self):
        self.support.outbound_url = False
        self.assertIn("Push URL", [name for name, _effect in self.support._missing_credentials()])
        self._activate()
        [message] = self._pushes()
        self.assertFalse(self._deliver())
        self.assertEqual(message.state, "failed")
        self.assertIn("has no Push URL", message.error_message)
        self.support.write({"outbound_url": PUSH_URL, "webhook_secret": False})
        message.action_retry()
        self.assertFalse(self._deliver(), "never sent unsigned")
        self.assertIn("has no webhook secret", message.error_message)

    def test_only_the_backends_company_contracts_and_the_customers_contacts(self):
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.partner.id, "email": "buyer@example.com"}
        )
        self.order.partner_id = contact
        self._sign(odoo_order=self.order.name)
        [message] = self._pushes()
        body = json.loads(message.payload)
        self.assertEqual(body["account"]["odoo_id"], self.partner.id, "the account is the company")
        self.assertEqual(len(body["entitlements"]), 1)
        other = self.env["res.company"].create({"name": "Other company"})
        self.assertEqual(self.partner._integration_entitlements(other), [])
        self.assertEqual(len(self.partner._integration_entitlements(self.support.company_id)), 1)
        self.assertEqual(self.partner._integration_entitlements(self.support.company_id)[0].end,
                         date(2027, 11, 30))  # fmt: skip
        with freeze_time(date(2027, 11, 30) + timedelta(days=1)):
            self.assertEqual(self.partner._integration_entitlements(self.support.company_id), [])
