"""Outbound queue: the transactional outbox, vendor outages, 429s, refusals and the circuit."""

from datetime import timedelta

import requests
import responses
from freezegun import freeze_time
from odoo import fields
from odoo.addons.integration_core.lib.signatures import hmac_sha256
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.tests import TransactionCase, tagged

from .common import SECRET, IntegrationCaseMixin, VendorHostsMixin, contact_event

PUSH_HOST = "crm.example.com"
PUSH_URL = f"https://{PUSH_HOST}/hooks/contacts"


@tagged("post_install", "-at_install")
class TestOutbound(VendorHostsMixin, IntegrationCaseMixin, TransactionCase):
    VENDOR_HOSTS = (PUSH_HOST,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend(outbound_url=PUSH_URL, circuit_threshold=2, circuit_cooldown=60)
        cls.backend.ownership_ids.filtered(lambda line: line.domain == "customer").write(
            {"system_of_record": "odoo", "other_side_update": "apply"}
        )
        cls.partner = cls.env["res.partner"].create({"name": "Odoo-owned", "email": "owned@example.com"})
        cls.env["integration.external.id"]._bind(cls.backend, cls.partner, "P-1")

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()  # each test starts with a full bucket

    def _messages(self):
        return self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])

    def _later(self, seconds):
        return freeze_time(fields.Datetime.now() + timedelta(seconds=seconds))

    def test_a_rolled_back_change_sends_nothing(self):
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self.partner.name = "Never committed"
            self.env.flush_all()
            self.assertEqual(len(self._messages()), 1)
            _ = 1 / 0
        self.assertFalse(self._messages(), "the message rolled back with the change")
        self.partner.name = "Committed"
        [message] = self._messages()
        self.assertEqual(message.operation, "contact.push")
        self.assertIn('"name": "Committed"', message.payload)

    def test_changes_that_came_in_or_that_odoo_does_not_own_are_not_pushed(self):
        event = self._ingest(self.backend, contact_event("evt_in", "P-1", name="From the CRM"))
        self._process_events()
        self.assertEqual((event.state, self.partner.name), ("done", "From the CRM"))
        self.assertFalse(self._messages(), "an inbound change does not echo back")
        self.backend.ownership_ids.filtered(
            lambda line: line.domain == "customer"
        ).system_of_record = "remote"
        self.partner.name = "Edited in Odoo"
        self.assertFalse(self._messages(), "the connected system owns customers now")

    @responses.activate
    def test_outage_then_recovery_sends_one_message_under_one_key(self):
        responses.post(PUSH_URL, body=requests.ConnectTimeout("timed out"))
        responses.post(PUSH_URL, status=503, body="maintenance")
        responses.post(PUSH_URL, status=200, json={"ok": True})
        self.partner.name = "Renamed"
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual((message.state, message.attempts), ("retry", 1))
        with self._later(3600):
            self._send_outbound()
            self.assertEqual((message.state, message.response_status), ("retry", 503))
        with self._later(7200):
            self._send_outbound()
        self.assertEqual((message.state, message.response_status, message.attempts), ("done", 200, 3))
        sent = [call.request for call in responses.calls]
        self.assertEqual({r.headers["Idempotency-Key"] for r in sent}, {message.idempotency_key})
        self.assertEqual(sent[-1].headers["X-Signature"], hmac_sha256(SECRET, sent[-1].body))
        calls = self.env["integration.audit"].search_count(
            [("backend_id", "=", self.backend.id), ("action", "=", "outbound_call")]
        )
        self.assertEqual(calls, 3, "every outside call is in the audit log")

    @responses.activate
    def test_429_waits_for_retry_after_without_counting_as_an_outage(self):
        responses.post(PUSH_URL, status=429, headers={"Retry-After": "120"})
        responses.post(PUSH_URL, status=200)
        self.partner.name = "Renamed"
        [message] = self._messages()
        self._send_outbound()
        delay = (message.next_attempt_at - fields.Datetime.now()).total_seconds()
        self.assertAlmostEqual(delay, 120, delta=5)
        self.assertEqual((self.backend.circuit_state, self.backend.circuit_failures), ("closed", 0))
        self.assertGreater(
            _RATE_LIMITERS[next(iter(_RATE_LIMITERS))].wait_time(), 100, "the sender pauses too"
        )
        # The limiter's pause runs on the process clock (unit-tested in tests/unit); here the
        # message's own schedule is what counts, so start the next run with a fresh limiter.
        _RATE_LIMITERS.clear()
        with self._later(125):
            self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(message.attempts, 2)
        self.assertEqual(len(responses.calls), 2)

    @responses.activate
    def test_vendor_refusal_fails_with_its_answer(self):
        responses.post(PUSH_URL, status=422, json={"error": "email is invalid"})
        self.partner.name = "Renamed"
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual((message.state, message.error_class), ("failed", "permanent"))
        self.assertIn("email is invalid", message.error_message)

    @responses.activate
    def test_circuit_pauses_a_backend_that_does_not_answer_then_probes_and_resumes(self):
        responses.post(PUSH_URL, status=500)
        responses.post(PUSH_URL, status=502)
        responses.post(PUSH_URL, status=200)
        responses.post(PUSH_URL, status=200)
        self.partner.name = "First"
        first = self._messages()
        self._send_outbound()
        with self._later(3600):
            self._send_outbound()
            self.assertEqual((self.backend.circuit_state, self.backend.state), ("open", "degraded"))
            self.assertTrue(self.backend.activity_ids.filtered(lambda a: "not answering" in a.summary))
            second_partner = self.env["res.partner"].create({"name": "Second"})
            self.env["integration.external.id"]._bind(self.backend, second_partner, "P-2")
            second_partner.name = "Second renamed"
            second = self._messages() - first
            self._send_outbound()
            self.assertEqual((second.state, second.attempts), ("retry", 0), "waits, no attempt spent")
            self.assertIn("Sending paused", second.error_message)
            self.assertEqual(len(responses.calls), 2, "nothing is sent while paused")
        with self._later(3600 + 61):
            self._send_outbound()  # the probe goes out, succeeds, and the queue drains
            self._send_outbound()
        self.assertEqual((self.backend.circuit_state, self.backend.state), ("closed", "active"))
        self.assertEqual((first.state, second.state), ("done", "done"))
        self.assertEqual(len(responses.calls), 4)
        # Issue 16: the "not answering" alert closes itself on recovery.
        self.assertFalse(self.backend.activity_ids.filtered(lambda a: "not answering" in a.summary))

    @responses.activate
    def test_a_probe_answered_429_closes_the_circuit_and_sending_resumes(self):
        # Issue 19: the probe's 429 paused the limiter and left the circuit half open for good.
        responses.post(PUSH_URL, status=500)
        responses.post(PUSH_URL, status=502)
        responses.post(PUSH_URL, status=429, headers={"Retry-After": "5"})
        responses.post(PUSH_URL, status=200)
        self.partner.name = "Busy vendor"
        [message] = self._messages()
        self._send_outbound()
        with self._later(3600):
            self._send_outbound()
            self.assertEqual(self.backend.circuit_state, "open")
        with self._later(3600 + 61):
            self._send_outbound()  # the probe gets a 429: the vendor is up, only busy
            self.assertEqual((self.backend.circuit_state, self.backend.state), ("closed", "active"))
        _RATE_LIMITERS.clear()  # the limiter's pause runs on the real clock
        with self._later(3600 + 61 + 10):
            self._send_outbound()
        self.assertEqual((message.state, message.response_status), ("done", 200))

    @responses.activate
    def test_an_outage_is_waited_out_until_the_horizon_not_for_a_few_attempts(self):
        # Issue 19: messages went dead after 5 sends, minutes into an outage.
        self.env["ir.config_parameter"].set_param("integration_core.max_attempts", 2)
        self.backend.circuit_threshold = 1000  # every attempt reaches the vendor
        responses.post(PUSH_URL, status=503)
        self.partner.name = "Vendor down"
        [message] = self._messages()
        for hour in range(8):
            _RATE_LIMITERS.clear()
            with self._later(hour * 3600):
                self._send_outbound()
        self.assertEqual((message.state, message.attempts), ("retry", 8), "still waiting, past max_attempts")
        with self._later(73 * 3600):
            self._send_outbound()
        self.assertEqual(message.state, "dead", "given up after the 72 h horizon")

    @responses.activate
    def test_a_failed_message_shows_on_the_dashboard_and_can_be_cancelled(self):
        responses.post(PUSH_URL, status=422, json={"error": "email is invalid"})
        self.partner.name = "Refused"
        [message] = self._messages()
        self._send_outbound()
        self.assertEqual(message.state, "failed")
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.outbound_failed_count, 1, "the card no longer says all is well")
        self.assertEqual(
            self.backend.action_open_outbound_failed()["domain"][1], ("state", "in", ("failed", "dead"))
        )
        self.assertEqual(self.backend.outbound_count, 1)
        wizard = (
            self.env["integration.event.ignore.wizard"]
            .with_context(active_model="integration.outbound", active_ids=message.ids)
            .create({"reason": "address fixed by hand in the CRM"})
        )
        wizard.action_confirm()
        self.assertEqual(message.state, "ignored")
        self.assertIn("address fixed by hand", message.error_message)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.outbound_failed_count, 0)
