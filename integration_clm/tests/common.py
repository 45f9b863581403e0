"""Shared fixtures: contract backends, a customer and quotation, and deliveries built from the
vendors' shared fixtures (../shared/fixtures) signed as each vendor signs them."""

import json
import time
from pathlib import Path
from urllib.parse import urlencode

from odoo import Command
from odoo.addons.integration_core.lib.signatures import hmac_sha256
from odoo.addons.integration_core.tests.common import IntegrationCaseMixin

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"  # ../shared of the checkout
DOCUSIGN_XML = FIXTURES / "docusign" / "connect_envelope_completed.xml"
DROPBOX_SIGN_JSON = FIXTURES / "dropbox_sign" / "EventCallbackAccountSignatureRequestSent.json"
ENVELOPE_ID = "08740f95-2187-4b01-9a69-452ae3140752"  # the fixture's
SIGNER = "larry.kluger@example.com"  # the fixture's signer
KEY = "connect-hmac-key-1"
OLD_KEY = "connect-hmac-key-0"
API_KEY = "dropbox-sign-api-key"
VENDOR_TIMES = {"Sent": "<Sent>", "Delivered": "<Delivered>", "Completed": "<Completed>"}


def docusign_xml(status="Completed", envelope_id=ENVELOPE_ID, fields=None, sent_at=None):
    """The shared Connect XML with another status, envelope id or custom fields."""
    xml = DOCUSIGN_XML.read_text()
    xml = xml.replace(ENVELOPE_ID, envelope_id)
    xml = xml.replace(
        "<Status>Completed</Status>\n      <Created>", f"<Status>{status}</Status>\n      <Created>"
    )
    if sent_at:
        xml = xml.replace("<Sent>2020-03-28T23:56:54.59</Sent>", f"<Sent>{sent_at}</Sent>")
    extra = "".join(
        f"<CustomField><Name>{name}</Name><Value>{value}</Value></CustomField>"
        for name, value in (fields or {}).items()
    )
    return xml.replace(
        "<CustomFields>\n         <CustomField>", f"<CustomFields>{extra}<CustomField>", 1
    ).encode()


def dropbox_sign_payload(event_type="signature_request_sent", event_time=None, metadata=None, key=API_KEY):
    payload = json.loads(DROPBOX_SIGN_JSON.read_text())
    event_time = str(event_time or int(time.time()))
    payload["event"].update(
        event_type=event_type,
        event_time=event_time,
        event_hash=hmac_sha256(key, f"{event_time}{event_type}".encode(), "hex"),
    )
    if metadata is not None:
        payload["signature_request"]["metadata"] = metadata
    return payload


def multipart(json_text, boundary="clmTestBoundary"):
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="json"\r\n\r\n'
    body = f"{head}{json_text}\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def pandadoc_event(doc_id, status, modified, order_ref="", event="document_state_changed"):
    data = {"id": doc_id, "name": "Quote", "status": status, "date_modified": modified}
    if order_ref:
        data["metadata"] = {"odoo_order": order_ref}
    return {"event": event, "data": data}


class ClmCaseMixin(IntegrationCaseMixin):
    @classmethod
    def _setup_clm(cls, kind="docusign", **values):
        env = cls.env
        cls.partner = env["res.partner"].create({"name": "World Wide Corp", "email": SIGNER})
        cls.product = env["product.product"].create(
            {
                "name": "Subscription",
                "default_code": "SUB-1",
                "type": "service",
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [Command.clear()],
            }
        )
        cls.backend = cls._clm_backend(kind, **values)
        cls.url = f"/integration/webhook/{cls.backend.webhook_uuid}"

    @classmethod
    def _clm_backend(cls, kind, **values):
        return cls.env["integration.backend"].create(
            {
                "name": f"Test {kind}",
                "kind": kind,
                "state": "active",
                "webhook_secret": KEY,
                "webhook_secret_previous": OLD_KEY,
                "clm_api_key": API_KEY,
                "clm_contract_rule": "always",
                **values,
            }
        )

    def _quotation(self, quantity=10, partner=None, product=None):
        return self.env["sale.order"].create(
            {
                "partner_id": (partner or self.partner).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": (product or self.product).id,
                            "product_uom_qty": quantity,
                            "price_unit": 100.0,
                        }
                    )
                ],
            }
        )

    # ------------------------------------------------------------ deliveries
    def _post_docusign(self, body, keys=(KEY,), content_type="text/xml"):
        headers = {"Content-Type": content_type}
        for number, key in enumerate(keys, start=1):
            headers[f"X-DocuSign-Signature-{number}"] = hmac_sha256(key, body, "base64")
        return self.url_open(self.url, data=body, headers=headers, allow_redirects=False)

    def _post_dropbox_sign(self, payload, as_form=True):
        text = json.dumps(payload)
        if as_form:
            body, content_type = multipart(text)
        else:
            body, content_type = text.encode(), "application/json"
        return self.url_open(
            self.url, data=body, headers={"Content-Type": content_type}, allow_redirects=False
        )

    def _post_pandadoc(self, items, key=KEY):
        body = json.dumps(items).encode()
        query = urlencode({"signature": hmac_sha256(key, body, "hex")})
        return self.url_open(
            f"{self.url}?{query}",
            data=body,
            headers={"Content-Type": "application/json"},
            allow_redirects=False,
        )

    def _events(self, backend=None):
        return self.env["integration.event"].search(
            [("backend_id", "=", (backend or self.backend).id)], order="id"
        )

    def _deliver_docusign(self, body):
        response = self._post_docusign(body)
        self.assertEqual(response.status_code, 200, response.text)
        self._process_events()
        return self._events()[-1:]

    def _contract(self, external_id=ENVELOPE_ID):
        return self.env["integration.contract"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", external_id)]
        )
