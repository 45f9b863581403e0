"""A generic signed-webhook backend and signed-request helpers."""

import time

from odoo.addons.integration_core.lib.signatures import hmac_sha256, signed_message
from odoo.addons.integration_core.tests.common import IntegrationCaseMixin as CoreCaseMixin
from odoo.addons.integration_core.tests.common import VendorHostsMixin  # noqa: F401 (re-exported)

SECRET = "test-webhook-secret"


def contact_event(event_id, contact_id, name="Ada Lovelace", created=1700000000, **extra):
    data = {"id": contact_id, "name": name, "email": f"{contact_id.lower()}@example.com", **extra}
    return {"id": event_id, "type": "contact.updated", "created": created, "data": data}


class IntegrationCaseMixin(CoreCaseMixin):
    @classmethod
    def _make_backend(cls, **values):
        return super()._make_backend(
            **{"name": "Test signed webhook", "kind": "generic_hmac", "webhook_secret": SECRET, **values}
        )


def signed_headers(body, secret=SECRET, timestamp=None, header="X-Signature"):
    headers = {
        "Content-Type": "application/json",
        header: hmac_sha256(secret, signed_message(body, timestamp)),
    }
    if timestamp is not None:
        headers["X-Timestamp"] = str(timestamp)
    return headers


def now():
    return int(time.time())
