"""Outbound requests to DocuSign, Dropbox Sign and PandaDoc (pure Python).

A small client over core's `ApiClient` rather than the vendors' SDKs (`docusign-esign`,
`dropbox-sign`, PandaDoc's): each operation here is one or two plain HTTPS calls; the
SDKs bring their own HTTP stacks (urllib3 pools, their own retries and exceptions) that
would bypass the outbound queue's timeouts, audit log, idempotency keys, rate limit and
circuit breaker, and `responses` could no longer mock them the same way. DocuSign's JWT
grant is an RS256 signature, done with `cryptography` (already one of Odoo's requirements).

Each builder returns a `VendorRequest` (method, path, requests keyword arguments); the
Odoo layer sends it with its `ApiClient`, so the same request is built in tests and in
production."""

import base64
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from . import schemas

DOCUSIGN_API_BASE = "https://demo.docusign.net"
DOCUSIGN_AUTH_BASE = "https://account-d.docusign.com"
DROPBOX_SIGN_API_BASE = "https://api.hellosign.com"
PANDADOC_API_BASE = "https://api.pandadoc.com"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PANDADOC_VOIDED = 11  # PATCH .../status code of document.voided


@dataclass
class VendorRequest:
    method: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def send(self, api_client, **extra):
        return api_client.request(self.method, self.path, **{**self.kwargs, **extra})


@dataclass
class SignatureRequestTerms:
    """What Odoo sends for signature: the quotation PDF, the signer, the correlation fields."""

    order_ref: str
    title: str
    signer_email: str
    signer_name: str
    pdf: bytes
    amount: Decimal | None = None
    currency: str = ""
    term_start: str = ""
    term_end: str = ""
    amends: str = ""
    deal_ref: str = ""  # the deal correlation id, read back from the vendor's callbacks
    lines_json: str = ""  # an amendment's order lines as amended (schemas.LINES_FIELD)
    message: str = ""
    test_mode: bool = False

    def custom_fields(self) -> dict[str, str]:
        fields = {
            schemas.ORDER_FIELD: self.order_ref,
            schemas.DEAL_FIELD: self.deal_ref,
            schemas.AMOUNT_FIELD: "" if self.amount is None else f"{self.amount}",
            schemas.CURRENCY_FIELD: self.currency,
            schemas.TERM_START_FIELD: self.term_start,
            schemas.TERM_END_FIELD: self.term_end,
            schemas.CONTRACT_FIELD: self.amends,
            schemas.LINES_FIELD: self.lines_json,
        }
        return {k: v for k, v in fields.items() if v}


# -------------------------------------------------------------------------------- DocuSign


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def docusign_jwt_assertion(
    integration_key: str, user_id: str, private_key_pem: str, auth_host: str, now: float | None = None
) -> str:
    """The RS256 JWT of DocuSign's JWT grant (iss = integration key, sub = user, aud = host)."""
    issued = int(now if now is not None else time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {
        "iss": integration_key,
        "sub": user_id,
        "aud": auth_host.removeprefix("https://").rstrip("/"),
        "iat": issued,
        "exp": issued + 3600,
        "scope": "signature impersonation",
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def docusign_token_request(assertion: str) -> VendorRequest:
    return VendorRequest("POST", "/oauth/token", {"data": {"grant_type": JWT_GRANT, "assertion": assertion}})


def docusign_envelope_request(account_id: str, terms: SignatureRequestTerms) -> VendorRequest:
    body = {
        "emailSubject": terms.title[:100],
        "emailBlurb": terms.message,
        "status": "sent",
        "documents": [
            {
                "documentId": "1",
                "name": f"{terms.order_ref}.pdf",
                "fileExtension": "pdf",
                "documentBase64": base64.b64encode(terms.pdf).decode(),
            }
        ],
        "recipients": {
            "signers": [
                {
                    "recipientId": "1",
                    "routingOrder": "1",
                    "email": terms.signer_email,
                    "name": terms.signer_name,
                }
            ]
        },
        "customFields": {
            "textCustomFields": [
                {"name": name, "value": value, "show": "false", "required": "false"}
                for name, value in terms.custom_fields().items()
            ]
        },
    }
    return VendorRequest("POST", f"/restapi/v2.1/accounts/{account_id}/envelopes", {"json": body})


def docusign_void_request(account_id: str, envelope_id: str, reason: str) -> VendorRequest:
    return VendorRequest(
        "PUT",
        f"/restapi/v2.1/accounts/{account_id}/envelopes/{envelope_id}",
        {"json": {"status": "voided", "voidedReason": reason[:200]}},
    )


def docusign_pdf_request(account_id: str, envelope_id: str) -> VendorRequest:
    return VendorRequest(
        "GET", f"/restapi/v2.1/accounts/{account_id}/envelopes/{envelope_id}/documents/combined"
    )


# ---------------------------------------------------------------------------- Dropbox Sign


def dropbox_sign_auth(api_key: str) -> dict[str, str]:
    """HTTP Basic with the API key as user name and an empty password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()}


def dropbox_sign_send_request(terms: SignatureRequestTerms) -> VendorRequest:
    data = {
        "title": terms.title,
        "subject": terms.title,
        "message": terms.message,
        "signers[0][email_address]": terms.signer_email,
        "signers[0][name]": terms.signer_name,
        "test_mode": "1" if terms.test_mode else "0",
    }
    data.update({f"metadata[{name}]": value for name, value in terms.custom_fields().items()})
    files = {"files[0]": (f"{terms.order_ref}.pdf", terms.pdf, "application/pdf")}
    return VendorRequest("POST", "/v3/signature_request/send", {"data": data, "files": files})


def dropbox_sign_cancel_request(signature_request_id: str) -> VendorRequest:
    return VendorRequest("POST", f"/v3/signature_request/cancel/{signature_request_id}")


def dropbox_sign_pdf_request(signature_request_id: str) -> VendorRequest:
    return VendorRequest(
        "GET", f"/v3/signature_request/files/{signature_request_id}", {"params": {"file_type": "pdf"}}
    )


# -------------------------------------------------------------------------------- PandaDoc


def pandadoc_auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"API-Key {api_key}"}


def pandadoc_create_request(terms: SignatureRequestTerms) -> VendorRequest:
    first, _, last = terms.signer_name.partition(" ")
    data = {
        "name": terms.title,
        "recipients": [
            {"email": terms.signer_email, "first_name": first, "last_name": last, "role": "Client"}
        ],
        "metadata": terms.custom_fields(),
        "parse_form_fields": False,
    }
    files = {
        "file": (f"{terms.order_ref}.pdf", terms.pdf, "application/pdf"),
        "data": (None, json.dumps(data), "application/json"),
    }
    return VendorRequest("POST", "/public/v1/documents", {"files": files})


def pandadoc_send_request(document_id: str, message: str = "") -> VendorRequest:
    # Only a document in document.draft can be sent; it is "uploaded" for a few seconds first.
    return VendorRequest(
        "POST", f"/public/v1/documents/{document_id}/send", {"json": {"message": message, "silent": False}}
    )


def pandadoc_void_request(document_id: str, reason: str) -> VendorRequest:
    return VendorRequest(
        "PATCH",
        f"/public/v1/documents/{document_id}/status",
        {"json": {"status": PANDADOC_VOIDED, "note": reason[:500], "notify_recipients": True}},
    )


def pandadoc_pdf_request(document_id: str) -> VendorRequest:
    return VendorRequest("GET", f"/public/v1/documents/{document_id}/download")


# ------------------------------------------------------------------------ reading answers


def created_id(provider: str, response_json: dict) -> tuple[str, str]:
    """(external id, vendor status) of the envelope / request / document just created."""
    if provider == "docusign":
        return response_json.get("envelopeId", ""), response_json.get("status", "")
    if provider == "dropbox_sign":
        request = response_json.get("signature_request") or {}
        return request.get("signature_request_id", ""), "sent"
    return response_json.get("id", ""), response_json.get("status", "")
