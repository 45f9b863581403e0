"""Send for signature, void and the signed PDF, through the outbound queue, against `responses`."""

import base64
import json

import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.tests.common import VendorHostsMixin
from odoo.tests import HttpCase, tagged

from .common import ClmCaseMixin

DOCUSIGN = "https://demo.docusign.net"
DOCUSIGN_AUTH = "https://account-d.docusign.com"
ENVELOPES = f"{DOCUSIGN}/restapi/v2.1/accounts/acc-1/envelopes"


def _private_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@tagged("post_install", "-at_install")
class TestSendForSignature(VendorHostsMixin, ClmCaseMixin, HttpCase):
    VENDOR_HOSTS = ("demo.docusign.net", "account-d.docusign.com", "api.hellosign.com", "api.pandadoc.com")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm(
            "docusign",
            docusign_account_id="acc-1",
            docusign_integration_key="ik-1",
            docusign_user_id="user-1",
            docusign_private_key=_private_key_pem(),
        )

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()
        self.order = self._quotation()

    def _messages(self, operation):
        return self.env["integration.outbound"].search([("operation", "=", operation)], order="id")

    def _mock_token(self):
        responses.post(f"{DOCUSIGN_AUTH}/oauth/token", json={"access_token": "tok-1", "expires_in": 3600})

    @responses.activate
    def test_docusign_envelope_with_pdf_signer_and_order_reference(self):
        self._mock_token()
        responses.post(ENVELOPES, json={"envelopeId": "env-new", "status": "sent"}, status=201)
        self.order.action_clm_send_for_signature()
        contract = self.order.clm_contract_ids
        self.assertEqual(contract.state, "draft")
        self.assertTrue(self.order.clm_awaiting_signature)
        [message] = self._messages("clm.send_for_signature")
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        token_call, envelope_call = responses.calls
        self.assertIn(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", token_call.request.body
        )
        self.assertEqual(envelope_call.request.headers["Authorization"], "Bearer tok-1")
        self.assertEqual(envelope_call.request.headers["Idempotency-Key"], message.idempotency_key)
        sent = json.loads(envelope_call.request.body)
        fields = {f["name"]: f["value"] for f in sent["customFields"]["textCustomFields"]}
        self.assertEqual(fields["odoo_order"], self.order.name)
        self.assertEqual(fields["contract_amount"], "1000.00")
        self.assertEqual(sent["recipients"]["signers"][0]["email"], self.partner.email)
        self.assertTrue(base64.b64decode(sent["documents"][0]["documentBase64"]))
        self.assertEqual((contract.external_id, contract.state), ("env-new", "sent"))

    @responses.activate
    def test_vendor_outage_retries_the_same_message(self):
        self._mock_token()
        responses.post(ENVELOPES, status=503)
        responses.post(ENVELOPES, json={"envelopeId": "env-2", "status": "sent"}, status=201)
        self.order.action_clm_send_for_signature()
        [message] = self._messages("clm.send_for_signature")
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        self.assertFalse(self.order.clm_contract_ids.external_id)
        message.next_attempt_at = "2000-01-01 00:00:00"
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        keys = {
            call.request.headers.get("Idempotency-Key")
            for call in responses.calls
            if "envelopes" in call.request.url
        }
        self.assertEqual(keys, {message.idempotency_key})

    @responses.activate
    def test_cancelling_the_quotation_voids_the_envelope(self):
        self._mock_token()
        responses.post(ENVELOPES, json={"envelopeId": "env-3", "status": "sent"}, status=201)
        responses.put(f"{ENVELOPES}/env-3", json={})
        self.order.action_clm_send_for_signature()
        self._send_outbound()
        self.order._action_cancel()
        self._send_outbound()
        void = json.loads(responses.calls[-1].request.body)
        self.assertEqual(void["status"], "voided")
        self.assertIn(self.order.name, void["voidedReason"])
        self.assertEqual(self.order.clm_contract_ids.state, "voided")

    @responses.activate
    def test_signed_pdf_is_attached_to_the_order(self):
        self._mock_token()
        responses.get(f"{ENVELOPES}/env-4/documents/combined", status=500)
        responses.get(f"{ENVELOPES}/env-4/documents/combined", body=b"%PDF-1.7 signed")
        contract = self.env["integration.contract"].create(
            {"name": "C", "backend_id": self.backend.id, "external_id": "env-4", "order_id": self.order.id}
        )
        contract._clm_request_signed_pdf()
        contract._clm_request_signed_pdf()  # asked twice: one message
        [message] = self._messages("clm.fetch_signed_pdf")
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        message.next_attempt_at = "2000-01-01 00:00:00"
        self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(contract.signed_pdf_id.res_id, self.order.id)
        self.assertEqual(base64.b64decode(contract.signed_pdf_id.datas), b"%PDF-1.7 signed")

    @responses.activate
    def test_dropbox_sign_signature_request(self):
        self.backend.active = False
        backend = self._clm_backend("dropbox_sign")
        responses.post(
            "https://api.hellosign.com/v3/signature_request/send",
            json={"signature_request": {"signature_request_id": "sr-9"}},
        )
        self.order.action_clm_send_for_signature()
        self._send_outbound()
        contract = self.order.clm_contract_ids
        self.assertEqual(
            (contract.backend_id, contract.external_id, contract.state), (backend, "sr-9", "sent")
        )
        body = responses.calls[0].request.body
        self.assertIn(f'name="metadata[odoo_order]"\r\n\r\n{self.order.name}'.encode(), body)

    @responses.activate
    def test_pandadoc_document_created_then_sent_once_it_is_a_draft(self):
        self.backend.active = False
        self._clm_backend("pandadoc")
        responses.post(
            "https://api.pandadoc.com/public/v1/documents",
            json={"id": "doc-7", "status": "document.uploaded"},
        )
        send = "https://api.pandadoc.com/public/v1/documents/doc-7/send"
        responses.post(send, status=409, json={"detail": "document is not in draft"})
        responses.post(send, json={"id": "doc-7", "status": "document.sent"})
        self.order.action_clm_send_for_signature()
        self._send_outbound()
        contract = self.order.clm_contract_ids
        self.assertEqual((contract.external_id, contract.state), ("doc-7", "draft"))
        [second] = self._messages("clm.pandadoc_send")
        self.assertEqual(second.state, "retry")
        second.next_attempt_at = "2000-01-01 00:00:00"
        self._send_outbound()
        self.assertEqual(second.state, "done", second.error_message)
        self.assertEqual(contract.state, "sent")

    @responses.activate
    def test_quotation_cancelled_before_the_envelope_left_sends_nothing(self):
        self.order.action_clm_send_for_signature()
        self.order._action_cancel()
        [message] = self._messages("clm.send_for_signature")
        self._send_outbound()
        self.assertEqual(message.state, "failed")
        self.assertIn("Not sent", message.error_message)
        self.assertFalse(responses.calls)

    @responses.activate
    def test_rate_limited_send_waits_for_retry_after(self):
        self._mock_token()
        responses.post(ENVELOPES, status=429, headers={"Retry-After": "120"})
        self.order.action_clm_send_for_signature()
        [message] = self._messages("clm.send_for_signature")
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        self.assertGreaterEqual((message.next_attempt_at - message.write_date).total_seconds(), 100)
