"""Real HTTP to the real webhook route: what is accepted, refused, and stored."""

import json

from odoo.tests import HttpCase, tagged

from .common import IntegrationCaseMixin, contact_event, now, signed_headers


@tagged("post_install", "-at_install")
class TestWebhook(IntegrationCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend(timestamp_header="X-Timestamp", timestamp_tolerance=300)
        cls.url = f"/integration/webhook/{cls.backend.webhook_uuid}"

    def _post(self, body, headers=None, url=None):
        return self.url_open(url or self.url, data=body, headers=headers or {}, allow_redirects=False)

    def _events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)])

    def _refusals(self, status):
        return self.env["integration.audit"].search_count(
            [("backend_id", "=", self.backend.id), ("action", "=", "refused"), ("status_code", "=", status)]
        )

    def test_signed_delivery_is_stored_then_processed(self):
        body = json.dumps(contact_event("evt_1", "C-1")).encode()
        response = self._post(body, signed_headers(body, timestamp=now()) | {"X-Request-Id": "req-42"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"status": "accepted"})
        event = self._events()
        self.assertEqual(event.display_name, "Contact Ada Lovelace (C-1)", "lists say what it is about")
        self.assertRecordValues(
            event,
            [
                {
                    "external_event_id": "evt_1",
                    "event_type": "contact.updated",
                    "entity_key": "C-1",
                    "state": "pending",
                    "correlation_id": "req-42",
                    "source": "webhook",
                }
            ],
        )
        self.assertEqual(json.loads(event.payload), json.loads(body))
        self.assertEqual(json.loads(event.headers)["X-Signature"], "***", "secrets are masked")

        self._process_events()
        self.assertEqual(event.state, "done")
        partner = event.result_ref
        self.assertEqual((partner._name, partner.name), ("res.partner", "Ada Lovelace"))
        self.assertIn("req-42", partner.message_ids[0].body, "the correlation id reaches the chatter")

    def test_duplicate_delivery_answers_200_and_changes_nothing(self):
        body = json.dumps(contact_event("evt_dup", "C-2")).encode()
        headers = signed_headers(body, timestamp=now())
        first, second = self._post(body, headers), self._post(body, headers)
        self.assertEqual((first.status_code, second.status_code), (200, 200))
        self.assertEqual(second.json(), {"status": "duplicate"})
        self.assertEqual(len(self._events()), 1)

    def test_previous_secret_is_accepted_during_rotation(self):
        self.backend.write({"webhook_secret": "new-secret", "webhook_secret_previous": "test-webhook-secret"})
        body = json.dumps(contact_event("evt_rot", "C-3")).encode()
        self.assertEqual(self._post(body, signed_headers(body, timestamp=now())).status_code, 200)
        body = json.dumps(contact_event("evt_rot2", "C-3")).encode()
        headers = signed_headers(body, secret="new-secret", timestamp=now())
        self.assertEqual(self._post(body, headers).status_code, 200)
        self.assertEqual(len(self._events()), 2)

    def test_bad_signature_is_401_and_audited(self):
        body = json.dumps(contact_event("evt_bad", "C-4")).encode()
        response = self._post(body, signed_headers(body, secret="wrong", timestamp=now()))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())
        self.assertEqual(self._refusals(401), 1)
        audit = self.env["integration.audit"].search([("backend_id", "=", self.backend.id)], limit=1)
        self.assertNotIn("test-webhook-secret", audit.message)

    def test_missing_signature_is_401(self):
        body = json.dumps(contact_event("evt_nosig", "C-4")).encode()
        response = self._post(body, {"Content-Type": "application/json", "X-Timestamp": str(now())})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())

    def test_stale_timestamp_is_401(self):
        body = json.dumps(contact_event("evt_old", "C-5")).encode()
        response = self._post(body, signed_headers(body, timestamp=now() - 301))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())

    def test_unknown_webhook_key_is_404(self):
        body = json.dumps(contact_event("evt_404", "C-6")).encode()
        response = self._post(body, signed_headers(body, timestamp=now()), url="/integration/webhook/nope")
        self.assertEqual(response.status_code, 404)

    def test_paused_backend_is_503_with_retry_after(self):
        self.backend.action_pause()
        body = json.dumps(contact_event("evt_paused", "C-7")).encode()
        response = self._post(body, signed_headers(body, timestamp=now()))
        self.assertEqual(response.status_code, 503)
        self.assertTrue(response.headers.get("Retry-After"))
        self.assertFalse(self._events())

    def test_wrong_content_type_is_415(self):
        body = json.dumps(contact_event("evt_415", "C-8")).encode()
        headers = signed_headers(body, timestamp=now()) | {"Content-Type": "text/plain"}
        self.assertEqual(self._post(body, headers).status_code, 415)
        self.assertEqual(self._refusals(415), 1)

    def test_body_over_limit_is_413(self):
        self.backend.max_body_bytes = 64
        body = json.dumps(contact_event("evt_big", "C-9", notes="x" * 200)).encode()
        self.assertEqual(self._post(body, signed_headers(body, timestamp=now())).status_code, 413)
        self.assertFalse(self._events())

    def test_malformed_body_is_400(self):
        for body in (b"{not json", b"[]", json.dumps({"type": "contact.updated"}).encode()):
            response = self._post(body, signed_headers(body, timestamp=now()))
            self.assertEqual(response.status_code, 400, body)
        self.assertFalse(self._events())
        self.assertEqual(self._refusals(400), 3)

    def test_signed_bodies_the_connector_cannot_read_are_400_never_500(self):
        # Issue 19: very deep JSON, UTF-16 text, a NUL in an id and a time out of range got 500.
        deep = b"[" * 100000 + b"]" * 100000
        utf16 = json.dumps(contact_event("evt_u16", "C-16")).encode("utf-16")
        nul = json.dumps(contact_event("evt_\x00nul", "C-0")).encode()  # \u0000 in the id
        far = json.dumps(contact_event("evt_far", "C-far", created=10**20)).encode()
        for body in (deep, utf16, nul, far):
            response = self._post(body, signed_headers(body, timestamp=now()))
            self.assertEqual(response.status_code, 400, (body[:30], response.text[:200]))
        self.assertFalse(self._events())
        self.assertEqual(self._refusals(400), 4)

    def test_a_chunked_upload_over_the_limit_is_refused_without_reading_it_whole(self):
        # Issue 19: bodies without Content-Length were read whole before any check.
        self.backend.max_body_bytes = 1024

        def chunks():
            for _index in range(256):  # 4 MB if it were all read
                yield b"x" * 16384

        response = self._post(chunks(), {"Content-Type": "application/json", "X-Signature": "00"})
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self._events())

    def test_get_is_refused(self):
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 405)
