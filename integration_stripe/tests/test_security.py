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
