"""Customer events: Stripe customers bound to Odoo contacts (the shared customer events)."""

import json

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import StripeCaseMixin, fixture, fixture_bytes


@tagged("post_install", "-at_install")
class TestStripeCustomers(StripeCaseMixin, HttpCase):
    def test_customer_bound_by_email_without_overwriting_odoo(self):
        jenny = self.env["res.partner"].create({"name": "Jenny (Odoo name)", "email": "TEST@stripe.com"})
        payload = json.loads(fixture_bytes("event_test_signature.customer_created.json"))
        stored = self._deliver(payload)
        self.assertEqual((stored.state, stored.result_ref), ("done", jenny), stored.error_message)
        self.assertEqual(jenny.name, "Jenny (Odoo name)", "Odoo owns customers by default")
        binder = self.env["integration.external.id"]
        self.assertEqual(binder._record_for(self.backend, "res.partner", "cus_123"), jenny)

    def test_unknown_customer_is_created_when_the_backend_says_so(self):
        payload = fixture("event_customer_updated.json")  # no email, a description
        stored = self._deliver(payload)
        self.assertEqual(stored.state, "done")
        self.assertIn("No Odoo contact matches", stored.result_note)
        self.backend.stripe_customer_matching = "create"
        stored.action_replay()
        self._process_events()
        self.assertEqual(stored.result_ref.name, "Test customer")
        self.assertEqual(
            self.env["integration.external.id"]._record_for(
                self.backend, "res.partner", "cus_DjL8lObxrWj04W"
            ),
            stored.result_ref,
        )

    def test_check_key_reads_the_account_and_lists_the_events(self):
        self.stripe.get("https://api.stripe.com/v1/account", json={"id": "acct_123", "object": "account"})
        action = self.backend.action_stripe_check_key()
        self.assertEqual(self.backend.stripe_account_id, "acct_123")
        self.assertIn("payment_intent.succeeded", action["params"]["message"])
        self.assertIn(self.backend.webhook_url, action["params"]["message"])
        self.assertEqual(self.stripe.calls[0].request.headers["Authorization"], "Bearer sk_test_123")

    def test_check_key_refused_says_so(self):
        self.stripe.get(
            "https://api.stripe.com/v1/account", status=401, json={"error": {"type": "invalid_request_error"}}
        )
        with self.assertRaisesRegex(UserError, "did not accept the key"):
            self.backend.action_stripe_check_key()
