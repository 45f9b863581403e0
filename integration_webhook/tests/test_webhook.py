"""Real HTTP to the real webhook route: what is accepted, refused, and stored."""

import json

from odoo.addons.integration_core.exceptions import BackendChanged
from odoo.addons.integration_core.lib.envelope import Envelope
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

    def _unreadable(self):
        return self._events().filtered(lambda e: e.event_type == "unreadable delivery")

    def test_a_signed_body_the_connector_cannot_read_is_stored_as_failed(self):
        # Issue 19: a signed delivery is never lost: stored failed, with the reason in words.
        bodies = (b"{not json", b"[]", json.dumps({"type": "contact.updated"}).encode())
        for body in bodies:
            response = self._post(body, signed_headers(body, timestamp=now()))
            self.assertEqual(response.status_code, 200, body)
            self.assertEqual(response.json(), {"status": "accepted"})
        events = self._unreadable()
        self.assertEqual(len(events), 3)
        self.assertEqual(set(events.mapped("state")), {"failed"})
        self.assertEqual(set(events.mapped("error_class")), {"payload"})
        self.assertEqual(set(events.mapped("payload")), {body.decode() for body in bodies})
        self.assertTrue(all(e.is_exception for e in events), "they show in Exceptions")
        missing_id = events.filtered(lambda e: e.payload == bodies[2].decode())
        self.assertIn("(its sender checked) cannot be read", missing_id.error_message)
        self.assertIn("event id (id) missing", missing_id.error_message)
        self.assertIn("Unreadable", missing_id.display_name)
        self.assertEqual(self._refusals(400), 0)
        # Its copies (the vendor resending the same body) make no second event.
        response = self._post(bodies[0], signed_headers(bodies[0], timestamp=now()))
        self.assertEqual(response.json(), {"status": "duplicate"})
        self.assertEqual(len(self._unreadable()), 3)

    def test_signed_bodies_the_connector_cannot_read_are_stored_never_500(self):
        # Issue 19: very deep JSON, UTF-16 text, a NUL in an id and a time out of range got 500.
        deep = b"[" * 100000 + b"]" * 100000
        utf16 = json.dumps(contact_event("evt_u16", "C-16")).encode("utf-16")
        nul = json.dumps(contact_event("evt_\x00nul", "C-0")).encode()  # \u0000 in the id
        far = json.dumps(contact_event("evt_far", "C-far", created=10**20)).encode()
        raw_nul = b'{"id": "evt_raw\x00", "type": "contact.updated" \xff\xfe}'  # bytes no text column holds
        surrogate = json.dumps({"id": "evt_\ud800", "type": "contact.updated", "data": {}}).encode()
        reasons = {
            deep: "nested too deeply",
            utf16: "not UTF-8",
            nul: "NUL character",
            far: "not a time",
            raw_nul: "not JSON",
            surrogate: "external_event_id",
        }
        for body, reason in reasons.items():
            response = self._post(body, signed_headers(body, timestamp=now()))
            self.assertEqual(response.status_code, 200, (body[:30], response.text[:200]))
            [event] = self._unreadable().filtered(
                lambda e, body=body: e.summary.endswith(f"({len(body)} bytes)")
            )
            self.assertEqual(event.state, "failed")
            self.assertIn(reason, event.error_message, body[:30])
        self.assertEqual(len(self._unreadable()), 6)
        by_size = {len(body): body for body in reasons}
        stored = {int(e.summary.rsplit("(", 1)[1].split()[0]): e.payload for e in self._unreadable()}
        self.assertEqual(stored[len(utf16)], utf16.decode("utf-16"), "UTF-16 text kept as the text it is")
        self.assertEqual(stored[len(raw_nul)], '{"id": "evt_raw\\x00", "type": "contact.updated" \\xff\\xfe}')
        self.assertEqual(stored[len(deep)], by_size[len(deep)].decode())
        self.assertEqual(self._refusals(400), 0)

    def test_an_unreadable_delivery_corrected_and_resubmitted_is_read_again(self):
        body = json.dumps(
            {"type": "contact.updated", "data": {"id": "C-fix", "name": "Grace Hopper"}}
        ).encode()
        self.assertEqual(self._post(body, signed_headers(body, timestamp=now())).status_code, 200)
        unreadable = self._unreadable()
        self.assertEqual(unreadable.state, "failed")
        unreadable._requeue("retried by %s")  # as it is: still unreadable, the same words
        self._process_events()
        self.assertEqual(unreadable.state, "failed")
        self.assertIn("event id (id) missing", unreadable.error_message)
        fixed = json.dumps(contact_event("evt_fixed", "C-fix")).encode().decode()
        unreadable._edit_payload(fixed)
        self._process_events()
        self.assertEqual(unreadable.state, "done", unreadable.error_message)
        self.assertIn("stored as 1 event(s)", unreadable.result_note)
        event = self._events().filtered(lambda e: e.external_event_id == "evt_fixed")
        self._process_events()
        self.assertEqual((event.state, event.source), ("done", "replay"), event.error_message)
        self.assertEqual(event.result_ref.name, "Ada Lovelace")

    def test_an_unsigned_unreadable_body_is_refused_and_stores_nothing(self):
        response = self._post(b"{not json", {"Content-Type": "application/json", "X-Signature": "forged"})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())
        self.assertEqual(self._refusals(401), 1)

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

    def test_a_delivery_reads_its_backend_and_the_kinds_columns_in_one_query(self):
        backends = self.env["integration.backend"]
        backend = self._make_backend(name="Lookup")
        key = backend.webhook_uuid
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # the key's kind, first time only; the backend
            found = backends._for_webhook(key)
        self.assertEqual(found, backend)
        with self.assertQueryCount(0):  # what the signature check and the INSERT read
            self.assertEqual(found.signature_header, "X-Signature")
            self.assertTrue(found.webhook_secret)
            self.assertEqual(found.company_id, backend.company_id)
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            backends._for_webhook(key)

    def test_a_delivery_checked_against_a_remembered_backend_is_stored_only_if_it_is_unchanged(self):
        def post(event_id, secret="test-webhook-secret"):
            body = json.dumps(contact_event(event_id, "C-mem")).encode()
            return self._post(body, signed_headers(body, secret=secret, timestamp=now())).status_code

        self.assertEqual(post("evt_mem1"), 200)  # this process now remembers the backend
        self.backend.action_pause()
        self.env.flush_all()
        self.assertEqual(post("evt_mem2"), 503, "never stored on a remembered 'active'")
        self.backend.action_activate()
        self.env.flush_all()
        self.assertEqual(post("evt_mem3"), 200, "nor refused on a remembered 'paused'")
        self.backend.write({"webhook_secret": "rotated", "webhook_secret_previous": False})
        self.env.flush_all()
        # The remembered secret accepts the old signature; the INSERT finds the backend
        # changed, and the backend read again refuses it.
        self.assertEqual(post("evt_mem4"), 401)
        self.assertEqual(post("evt_mem5", secret="rotated"), 200)
        self.assertEqual(
            sorted(self._events().mapped("external_event_id")), ["evt_mem1", "evt_mem3", "evt_mem5"]
        )

    def test_a_remembered_backend_costs_no_query_and_a_changed_one_stores_nothing(self):
        backends = self.env["integration.backend"]
        events = self.env["integration.event"]
        backend = self._make_backend(name="Remembered")
        key, secret = backend.webhook_uuid, backend.webhook_secret
        backends._for_webhook(key)  # a delivery read it: remembered
        self.env.invalidate_all()
        with self.assertQueryCount(0):
            found, version = backends._for_webhook_remembered(key)
            self.assertEqual((found, found.webhook_secret), (backend, secret))
        self.assertTrue(version)
        envelope = Envelope(external_event_id="evt_version", event_type="contact.updated", payload="{}")
        backend.name = "Renamed since"
        self.env.flush_all()
        with self.assertRaises(BackendChanged):
            events._ingest(backend, envelope, "{}", {}, "corr", backend_version=version)
        self.assertFalse(events.search([("external_event_id", "=", "evt_version")]))
        self.assertEqual(backends._for_webhook_remembered(key)[1], version, "until a delivery reads it again")
        backends._for_webhook(key)
        current = backends._for_webhook_remembered(key)[1]
        self.assertNotEqual(current, version)
        _event_id, is_new = events._ingest(backend, envelope, "{}", {}, "corr", backend_version=current)
        self.assertTrue(is_new)

    def test_a_remembered_kind_is_only_a_hint(self):
        backends = self.env["integration.backend"]
        key = f"lookup-{self.backend.id}-later"
        self.assertFalse(backends._for_webhook(key), "no backend has this key yet (and that is remembered)")
        later = self._make_backend(name="Created after a delivery", webhook_uuid=key)
        self.assertEqual(backends._for_webhook(key), later, "found all the same")
        self.assertEqual(backends._for_webhook(key).signature_header, "X-Signature")
        self.assertFalse(backends._for_webhook(f"{key}-not"), "and another key finds nothing")
        later.active = False
        self.assertFalse(backends._for_webhook(key), "an archived backend takes no delivery")
        later.active = True
        later.write({"webhook_uuid": f"{key}-new"})
        self.assertFalse(backends._for_webhook(key), "the old key is dead once the key changed")
        self.assertEqual(backends._for_webhook(f"{key}-new"), later)
        later.unlink()
        self.assertFalse(backends._for_webhook(f"{key}-new"), "nor does a deleted backend")
