"""The backend form's banner names each missing Salesforce credential and what it stops."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSalesforceCredentials(TransactionCase):
    def _backend(self, **values):
        return self.env["integration.backend"].create(
            {
                "name": "Salesforce credentials",
                "kind": "salesforce",
                "salesforce_org_id": "00DQ0000000EB93MAQ",
                "salesforce_instance_url": "https://example.my.salesforce.com",
                "salesforce_auth_flow": "client_credentials",
                "salesforce_consumer_key": "key",
                "salesforce_consumer_secret": "secret",
                **values,
            }
        )

    def test_a_complete_backend_has_no_banner(self):
        self.assertFalse(self._backend().credential_warnings)

    def test_each_missing_credential_is_named_with_what_it_stops(self):
        backend = self._backend(salesforce_org_id=False, salesforce_consumer_secret=False)
        self.assertIn("Organization ID", backend.credential_warnings)
        self.assertIn("every Outbound Message is refused", backend.credential_warnings)
        self.assertIn("Consumer Secret", backend.credential_warnings)
        jwt = self._backend(salesforce_auth_flow="jwt", salesforce_username="int@example.com")
        self.assertIn("Private key (JWT)", jwt.credential_warnings)
        self.assertNotIn("Integration username", jwt.credential_warnings)
