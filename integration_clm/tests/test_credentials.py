"""The backend form's banner names each missing signature-tool credential."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestClmCredentials(TransactionCase):
    def _backend(self, kind, **values):
        return self.env["integration.backend"].create(
            {"name": f"{kind} credentials", "kind": kind, "webhook_secret": "hmac-key", **values}
        )

    def test_docusign_with_account_and_token_has_no_banner(self):
        backend = self._backend(
            "docusign", docusign_account_id="acc-1", docusign_integration_key="ik", docusign_private_key="pem"
        )
        self.assertFalse(backend.credential_warnings)

    def test_missing_keys_are_named_with_what_they_stop(self):
        docusign = self._backend("docusign", webhook_secret=False)
        self.assertIn("Webhook secret", docusign.credential_warnings)
        self.assertIn("DocuSign Account ID", docusign.credential_warnings)
        self.assertIn("sent for signature", docusign.credential_warnings)
        pandadoc = self._backend("pandadoc")
        self.assertIn("API key", pandadoc.credential_warnings)
        self.assertFalse(self._backend("pandadoc", clm_api_key="pd-key").credential_warnings)
