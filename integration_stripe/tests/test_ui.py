"""UI tour in Chromium: a Stripe payment without invoice fixed by Match an invoice."""

import shutil

from odoo.tests import HttpCase, tagged

from .common import StripeCaseMixin, balance_transaction, charge, event


@tagged("post_install", "-at_install")
class TestStripeUi(StripeCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
            raise AssertionError("UI tours need Chromium: apt-get install chromium (setup/bootstrap.sh does)")
        super().setUpClass()

    def setUp(self):
        super().setUp()
        # Chromium's debugger is on 127.0.0.1 too: let the tour's own connections through
        self.stripe.add_passthru("http://127.0.0.1:")

    def test_match_an_invoice_tour(self):
        own = self._invoice(42.00)  # the payer's, not for the exact amount: not matched by itself
        other = self._invoice(50.00, partner=self.env["res.partner"].create({"name": "Other Customer"}))
        payload = event(
            charge(
                "ch_tour",
                amount=4242,
                billing_details={**charge()["billing_details"], "email": "jenny@example.com"},
            ),
            "charge.succeeded",
            "evt_tour",
        )
        stored = self._deliver(payload)
        self.assertEqual((stored.state, stored.fix_code), ("failed", "stripe_payment_without_invoice"))
        self.start_tour(
            "/odoo/action-integration_core.integration_exception_action",
            "integration_stripe_match_invoice_tour",
            login="admin",
        )
        self.assertEqual(stored.choices, {"invoice_id": own.id})
        self._mock_balance_transaction(
            balance_transaction(payload["data"]["object"]["balance_transaction"], 4242, 0, "ch_tour")
        )
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual((own.payment_state, other.payment_state), ("paid", "not_paid"))
