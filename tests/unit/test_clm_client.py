import base64
import json
from decimal import Decimal

import pytest
import responses
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from integration_clm.lib import client
from integration_core.lib.http_client import ApiClient, TransientHttpError, VendorHttpError

TERMS = client.SignatureRequestTerms(
    order_ref="S00042",
    title="Quotation S00042",
    signer_email="buyer@example.com",
    signer_name="Bea Buyer",
    pdf=b"%PDF-1.4 quote",
    amount=Decimal("1250.00"),
    currency="USD",
)


@responses.activate
def test_docusign_envelope_carries_pdf_signer_and_order_field():
    responses.post(
        "https://demo.docusign.net/restapi/v2.1/accounts/acc-1/envelopes",
        json={"envelopeId": "env-1", "status": "sent"},
        status=201,
    )
    api = ApiClient(client.DOCUSIGN_API_BASE, headers={"Authorization": "Bearer t"})
    response = client.docusign_envelope_request("acc-1", TERMS).send(api, idempotency_key="clm-1")
    sent = json.loads(responses.calls[0].request.body)
    assert base64.b64decode(sent["documents"][0]["documentBase64"]) == b"%PDF-1.4 quote"
    assert sent["recipients"]["signers"][0] == {
        "recipientId": "1",
        "routingOrder": "1",
        "email": "buyer@example.com",
        "name": "Bea Buyer",
    }
    fields = {f["name"]: f["value"] for f in sent["customFields"]["textCustomFields"]}
    assert fields == {"odoo_order": "S00042", "contract_amount": "1250.00", "contract_currency": "USD"}
    assert sent["status"] == "sent"
    assert responses.calls[0].request.headers["Idempotency-Key"] == "clm-1"
    assert client.created_id("docusign", response.json()) == ("env-1", "sent")


@responses.activate
def test_docusign_outage_and_refusal_are_classified():
    url = "https://demo.docusign.net/restapi/v2.1/accounts/acc-1/envelopes"
    responses.post(url, status=503)
    responses.post(url, status=429, headers={"Retry-After": "30"})
    responses.post(url, status=400, json={"errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT"})
    api = ApiClient(client.DOCUSIGN_API_BASE)
    request = client.docusign_envelope_request("acc-1", TERMS)
    with pytest.raises(TransientHttpError):
        request.send(api)
    with pytest.raises(TransientHttpError) as limited:
        request.send(api)
    assert limited.value.retry_after == 30
    with pytest.raises(VendorHttpError, match="400"):
        request.send(api)


def test_docusign_jwt_assertion_is_rs256_signed_by_the_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    token = client.docusign_jwt_assertion("ik-1", "user-1", pem, "https://account-d.docusign.com", now=1000)
    header, claims, signature = token.split(".")

    def unb64(part):
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    assert json.loads(unb64(header)) == {"alg": "RS256", "typ": "JWT"}
    assert json.loads(unb64(claims)) == {
        "iss": "ik-1",
        "sub": "user-1",
        "aud": "account-d.docusign.com",
        "iat": 1000,
        "exp": 4600,
        "scope": "signature impersonation",
    }
    key.public_key().verify(
        unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    grant = client.docusign_token_request(token)
    assert grant.kwargs["data"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


@responses.activate
def test_dropbox_sign_send_is_a_form_with_file_signer_and_metadata():
    responses.post(
        "https://api.hellosign.com/v3/signature_request/send",
        json={"signature_request": {"signature_request_id": "sr-1"}},
    )
    api = ApiClient(client.DROPBOX_SIGN_API_BASE, headers=client.dropbox_sign_auth("key"))
    response = client.dropbox_sign_send_request(TERMS).send(api)
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"key:").decode()
    body = request.body
    for expected in (
        b'name="signers[0][email_address]"\r\n\r\nbuyer@example.com',
        b'name="metadata[odoo_order]"\r\n\r\nS00042',
        b'name="files[0]"; filename="S00042.pdf"',
        b"%PDF-1.4 quote",
    ):
        assert expected in body
    assert client.created_id("dropbox_sign", response.json())[0] == "sr-1"


@responses.activate
def test_pandadoc_create_then_send():
    responses.post(
        "https://api.pandadoc.com/public/v1/documents", json={"id": "doc-1", "status": "document.uploaded"}
    )
    responses.post(
        "https://api.pandadoc.com/public/v1/documents/doc-1/send",
        json={"id": "doc-1", "status": "document.sent"},
    )
    api = ApiClient(client.PANDADOC_API_BASE, headers=client.pandadoc_auth("pk"))
    created = client.pandadoc_create_request(TERMS).send(api)
    assert client.created_id("pandadoc", created.json()) == ("doc-1", "document.uploaded")
    client.pandadoc_send_request("doc-1").send(api)
    first = responses.calls[0].request
    assert first.headers["Authorization"] == "API-Key pk"
    assert b'"metadata": {"odoo_order": "S00042"' in first.body
    assert json.loads(responses.calls[1].request.body) == {"message": "", "silent": False}


def test_void_and_pdf_requests():
    assert client.docusign_void_request("a", "e", "Quotation cancelled").kwargs["json"] == {
        "status": "voided",
        "voidedReason": "Quotation cancelled",
    }
    assert client.dropbox_sign_cancel_request("sr").path == "/v3/signature_request/cancel/sr"
    assert client.pandadoc_void_request("d", "x").kwargs["json"]["status"] == 11
    assert client.docusign_pdf_request("a", "e").path.endswith("/envelopes/e/documents/combined")
    assert client.dropbox_sign_pdf_request("sr").kwargs["params"] == {"file_type": "pdf"}
    assert client.pandadoc_pdf_request("d").path == "/public/v1/documents/d/download"


@responses.activate
def test_the_deal_correlation_id_goes_in_a_custom_field():
    responses.post(
        f"{client.DOCUSIGN_API_BASE}/restapi/v2.1/accounts/acc-1/envelopes",
        json={"envelopeId": "env-2", "status": "sent"},
        status=201,
    )
    terms = client.SignatureRequestTerms(**{**TERMS.__dict__, "deal_ref": "deal-0123456789abcdef"})
    client.docusign_envelope_request("acc-1", terms).send(ApiClient(client.DOCUSIGN_API_BASE))
    sent = json.loads(responses.calls[0].request.body)
    fields = {f["name"]: f["value"] for f in sent["customFields"]["textCustomFields"]}
    assert fields["odoo_deal"] == "deal-0123456789abcdef"
    assert "odoo_deal" not in TERMS.custom_fields()  # none without a deal
