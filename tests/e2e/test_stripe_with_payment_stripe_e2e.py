"""Odoo's own `payment_stripe` and `integration_stripe` in one database: both install, each
keeps its own webhook route, and a payment taken by the payment provider is not booked a
second time by the connector. Its own database and server (payment_stripe is not part of
the suite), so this file takes about a minute."""

import hashlib
import hmac
import json
import time

import pytest
import requests

import dbtools
from integration_helpers import odoo_serving
from odoo_client import OdooClient

SECRET = "whsec_e2e_stripe"
FIXTURES = dbtools.ROOT.parent / "shared" / "fixtures" / "stripe"


@pytest.fixture(scope="module")
def stripe_server():
    with odoo_serving("e2e_stripe", "integration_stripe,payment_stripe") as (server, db):
        yield server.url, OdooClient(server.url, db).login("admin", "admin")


def _signed(body):
    t = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={digest}"}


def _event(obj, event_type, event_id):
    envelope = json.loads((FIXTURES / "object_event.json").read_text())
    envelope.update(id=event_id, type=event_type, created=int(time.time()), data={"object": obj})
    return envelope


def test_both_installed_and_a_provider_payment_is_booked_once(stripe_server):
    base_url, admin = stripe_server
    installed = admin.call(
        "ir.module.module",
        "search_read",
        [("name", "in", ["integration_stripe", "payment_stripe"]), ("state", "=", "installed")],
        ["name"],
    )
    assert sorted(m["name"] for m in installed) == ["integration_stripe", "payment_stripe"]

    journal_id = admin.call("account.journal", "create", {"name": "Stripe", "type": "bank", "code": "STRP"})
    backend_id = admin.call(
        "integration.backend",
        "create",
        {"name": "Stripe e2e", "kind": "stripe", "state": "active", "webhook_secret": SECRET,
         "stripe_journal_ids": [(6, 0, [journal_id])]},
    )  # fmt: skip
    [backend] = admin.call("integration.backend", "read", [backend_id], ["webhook_uuid"])

    # A payment Odoo's payment provider took itself (portal/eCommerce): it has its transaction.
    partner_id = admin.call(
        "res.partner", "create", {"name": "Portal customer", "email": "portal@example.com"}
    )
    provider = admin.call("payment.provider", "search_read", [("code", "=", "stripe")], ["id"], limit=1)
    method = admin.call(
        "payment.method",
        "search_read",
        [("code", "=", "card")],
        ["id"],
        limit=1,
        context={"active_test": False},
    )
    usd = admin.call("res.currency", "search_read", [("name", "=", "USD")], ["id"], limit=1)
    admin.call(
        "payment.transaction",
        "create",
        {"provider_id": provider[0]["id"], "payment_method_id": method[0]["id"], "partner_id": partner_id,
         "amount": 10.99, "currency_id": usd[0]["id"], "reference": "S-E2E-1",
         "provider_reference": "pi_e2e_portal"},
    )  # fmt: skip

    intent = json.loads((FIXTURES / "object_payment_intent.json").read_text())
    intent.update(id="pi_e2e_portal", amount_received=1099, status="succeeded")
    body = json.dumps(_event(intent, "payment_intent.succeeded", "evt_e2e_portal")).encode()
    url = f"{base_url}/integration/webhook/{backend['webhook_uuid']}"
    response = requests.post(url, data=body, headers=_signed(body), timeout=30)
    assert response.status_code == 200, response.text
    admin.wait_for(
        "integration.event", [("external_event_id", "=", "evt_e2e_portal"), ("state", "=", "done")]
    )
    [event] = admin.call(
        "integration.event", "search_read", [("external_event_id", "=", "evt_e2e_portal")], ["result_note"]
    )
    assert "S-E2E-1" in event["result_note"]
    assert admin.call("account.payment", "search_count", [("journal_id", "=", journal_id)]) == 0

    # payment_stripe's own webhook route still answers for its events.
    own = requests.post(f"{base_url}/payment/stripe/webhook", data=body, headers=_signed(body), timeout=30)
    assert own.status_code == 200, own.text
    unsigned = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert unsigned.status_code == 401
