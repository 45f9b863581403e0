"""Real HTTP to the webhook route with Stripe's signature scheme and the shared vector."""

import json
import time
from datetime import UTC, datetime

from freezegun import freeze_time
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..lib.signatures import compute_signature, signature_header
from .common import FIXTURES, OLD_SECRET, SECRET, StripeCaseMixin, charge, event, fixture, fixture_bytes


@tagged("post_install", "-at_install")
class TestStripeWebhook(StripeCaseMixin, HttpCase):
    def _events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)])

    def test_shared_vector_is_accepted_at_its_time(self):
        vector = next(
            v
            for v in json.loads((FIXTURES / "SIGNATURE_VECTORS.json").read_text())
            if v["vendor"] == "stripe"
        )
        self.backend.webhook_secret = vector["secret"]
        body = (FIXTURES / vector["body_file"]).read_bytes()
        signed_at = datetime.fromtimestamp(vector["timestamp"] + 30, UTC).replace(tzinfo=None)
        with freeze_time(signed_at, tick=True):
            response = self._post(None, header=vector["header"], body=body)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertRecordValues(
            self._events(),
            [
                {
                    "external_event_id": "evt_123",
                    "event_type": "customer.created",
                    "entity_key": "cus_123",
                    "occurred_at": datetime(2018, 8, 2, 10, 10, 20),
                    "state": "pending",
                }
            ],
        )
        # Outside its 300 s tolerance the same delivery is refused.
        self.assertEqual(self._post(None, header=vector["header"], body=body).status_code, 401)

    def test_signed_delivery_keys_the_payment(self):
        payload = event(charge(payment_intent="pi_123"), "charge.succeeded", "evt_signed")
        response = self._post(payload)
        self.assertEqual((response.status_code, response.json()), (200, {"status": "accepted"}))
        [stored] = self._events()
        self.assertEqual((stored.entity_key, stored.source), ("pi_123", "webhook"))
        self.assertEqual(
            stored.occurred_at, datetime.fromtimestamp(payload["created"], UTC).replace(tzinfo=None)
        )
        self.assertIn("dashboard.stripe.com/test/events/evt_signed", stored.source_url)

    def test_unsigned_wrong_secret_and_v0_only_are_401(self):
        payload = event(charge(), "charge.succeeded", "evt_unsigned")
        body = json.dumps(payload).encode()
        t = int(time.time())
        self.assertEqual(self._post(payload, header=False).status_code, 401)
        self.assertEqual(self._post(payload, secret="whsec_wrong").status_code, 401)
        v0_only = f"t={t},v0={compute_signature(SECRET, t, body)}"
        self.assertEqual(self._post(payload, header=v0_only).status_code, 401)
        self.assertFalse(self._events())
        refusals = self.env["integration.audit"].search(
            [("backend_id", "=", self.backend.id), ("action", "=", "refused"), ("status_code", "=", 401)]
        )
        self.assertEqual(len(refusals), 3)
        self.assertNotIn(SECRET, " ".join(refusals.mapped("message")))

    def test_stale_timestamp_is_401(self):
        payload = event(charge(), "charge.succeeded", "evt_stale")
        self.assertEqual(self._post(payload, timestamp=int(time.time()) - 301).status_code, 401)
        self.assertEqual(self._post(payload, timestamp=int(time.time()) - 290).status_code, 200)

    def test_small_clock_skew_ahead_is_accepted(self):
        payload = event(charge(), "charge.succeeded", "evt_ahead")
        self.assertEqual(self._post(payload, timestamp=int(time.time()) + 30).status_code, 200)
        payload = event(charge(), "charge.succeeded", "evt_far_ahead")
        self.assertEqual(self._post(payload, timestamp=int(time.time()) + 301).status_code, 401)

    def test_rotated_secret_previous_and_several_v1(self):
        self.backend.webhook_secret_previous = OLD_SECRET
        payload = event(charge(), "charge.succeeded", "evt_old_secret")
        self.assertEqual(self._post(payload, secret=OLD_SECRET).status_code, 200)
        # While rolling, Stripe signs with both secrets: one header, two v1 values.
        payload = event(charge(), "charge.succeeded", "evt_two_v1")
        body = json.dumps(payload).encode()
        t = int(time.time())
        header = f"{signature_header('whsec_unknown', t, body)},v1={compute_signature(SECRET, t, body)}"
        self.assertEqual(self._post(payload, header=header).status_code, 200)
        self.backend.webhook_secret_previous = False
        payload = event(charge(), "charge.succeeded", "evt_old_gone")
        self.assertEqual(self._post(payload, secret=OLD_SECRET).status_code, 401)
        self.assertEqual(len(self._events()), 2)

    def test_duplicate_delivery_is_stored_once(self):
        body = fixture_bytes("event_customer_updated.json")
        first = self._post(None, body=body)
        second = self._post(None, body=body)
        self.assertEqual((first.json(), second.json()), ({"status": "accepted"}, {"status": "duplicate"}))
        self.assertEqual(len(self._events()), 1)

    def test_signed_bodies_stripe_cannot_read_are_stored_as_failed(self):
        # Issue 19: signed, so never lost: one failed event each, the reason in words, 200 so
        # that Stripe does not retry the same body for three days.
        customer = fixture("event_customer_updated.json")
        no_id = {k: v for k, v in customer.items() if k != "id"}
        no_object = {**customer, "data": {}}
        far = {**customer, "created": 10**20}
        utf16 = json.dumps(customer).encode("utf-16")
        deep = b"[" * 50000 + b"]" * 50000
        bodies = [b"{not json", b"[]", json.dumps(no_id).encode(), json.dumps(no_object).encode()]
        bodies += [json.dumps(far).encode(), utf16, deep]
        for body in bodies:
            response = self._post(None, body=body)
            self.assertEqual(response.status_code, 200, (body[:40], response.text[:200]))
        events = self._events()
        self.assertEqual(len(events), len(bodies))
        self.assertEqual(set(events.mapped("event_type")), {"unreadable delivery"})
        self.assertEqual(set(events.mapped("state")), {"failed"})
        self.assertTrue(all("A delivery from Stripe (its sender checked)" in e.error_message for e in events))
        self.assertIn(utf16.decode("utf-16"), events.mapped("payload"))
        unsigned = self.url_open(
            self.url, data=b"{not json", headers={"Content-Type": "application/json"}, allow_redirects=False
        )
        self.assertEqual(unsigned.status_code, 401)
        self.assertEqual(len(self._events()), len(bodies))

    def test_a_read_only_user_cannot_make_odoo_call_stripe(self):
        # Issue 19: configuration actions that call the vendor need an Integration Manager.
        user = new_test_user(self.env, "stripe_reader", groups="integration_core.group_integration_user")
        with self.assertRaises(AccessError):
            self.backend.with_user(user).action_stripe_check_key()
