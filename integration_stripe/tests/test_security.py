"""Stripe secrets are for Settings administrators only."""

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import StripeCaseMixin


@tagged("post_install", "-at_install")
class TestStripeSecrets(StripeCaseMixin, TransactionCase):
    def test_integration_manager_cannot_read_the_keys(self):
        manager = new_test_user(
            self.env, "stripe_manager", groups="integration_core.group_integration_manager"
        )
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.stripe_fee_account_id, self.fee_account)
        for secret in ("stripe_secret_key", "webhook_secret", "webhook_secret_previous"):
            with self.assertRaises(AccessError):
                backend.read([secret])
        self.assertEqual(self.backend.stripe_secret_key, "sk_test_123", "the administrator can")

    def test_company_a_never_sees_company_b_payouts(self):
        company_b = self.env["res.company"].create({"name": "Stripe Company B"})
        backend_b = self.env["integration.backend"].create(
            {"name": "Stripe B", "kind": "stripe", "company_id": company_b.id}
        )
        payouts = self.env["integration.stripe.payout"]
        values = {"currency_id": self.env.ref("base.USD").id, "state": "paid", "amount": 10.0}
        mine = payouts.create({"name": "po_a", "backend_id": self.backend.id, **values})
        payouts.create({"name": "po_b", "backend_id": backend_b.id, **values})
        user = new_test_user(self.env, "stripe_user_a", groups="integration_core.group_integration_user")
        self.assertEqual(payouts.with_user(user).search([("name", "in", ("po_a", "po_b"))]), mine)
