"""The one failure contract of both queues: a handler or sender that raises anything ends in a
visible state, goes dead at the last attempt, and never stops the next row of its batch."""

from datetime import timedelta
from unittest.mock import patch

import responses
from freezegun import freeze_time
from odoo import fields
from odoo.addons.integration_core.exceptions import RetryableError, WaitingFor
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import IntegrationCaseMixin, VendorHostsMixin, contact_event

PUSH_HOST = "contract.example.com"
PUSH_URL = f"https://{PUSH_HOST}/contacts"
QUIET = mute_logger(
    "odoo.addons.integration_core.models.integration_queue_mixin",
    "odoo.addons.integration_core.models.integration_event",
)


@tagged("post_install", "-at_install")
class TestFailureContract(VendorHostsMixin, IntegrationCaseMixin, TransactionCase):
    VENDOR_HOSTS = (PUSH_HOST,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("integration_core.max_attempts", 2)
        cls.backend = cls._make_backend(outbound_url=PUSH_URL)
        cls.backend.ownership_ids.filtered(lambda line: line.domain == "customer").system_of_record = "odoo"
        cls.partners = cls.env["res.partner"].create([{"name": "First"}, {"name": "Second"}])
        for index, partner in enumerate(cls.partners):
            cls.env["integration.external.id"]._bind(cls.backend, partner, f"FC-{index}")

    def setUp(self):
        super().setUp()
        _RATE_LIMITERS.clear()

    def _later(self, seconds=7200):
        return freeze_time(fields.Datetime.now() + timedelta(seconds=seconds))

    @QUIET
    def test_a_handler_raising_keyerror_goes_dead_and_the_next_event_is_done(self):
        broken = self._ingest(self.backend, contact_event("evt_key_1", "K-1"))
        healthy = self._ingest(self.backend, contact_event("evt_key_2", "K-2"))
        real_sync = type(self.backend)._generic_contact_sync

        def sync(backend, event):
            if event.external_event_id == "evt_key_1":
                raise KeyError("customer_ref")
            return real_sync(backend, event)

        with patch.object(type(self.backend), "_generic_contact_sync", sync):
            self._process_events()
            self.assertEqual((broken.state, broken.error_class), ("retry", "unexpected"))
            self.assertEqual(healthy.state, "done", "the next event of the batch ran in the same run")
            with self._later():
                self._process_events()
        self.assertEqual((broken.state, broken.attempts), ("dead", 2))
        self.assertTrue(broken.is_exception, "shown in Exceptions")
        self.assertIn("customer_ref", broken.error_message)
        self.assertIn("KeyError", broken.error_traceback)
        self.assertTrue(self.backend.activity_ids.filtered(lambda a: "dead" in a.summary))

    @QUIET
    @responses.activate
    def test_a_sender_raising_keyerror_goes_dead_and_the_next_message_is_sent(self):
        responses.post(PUSH_URL, status=200)
        self.partners[0].name = "First renamed"
        self.partners[1].name = "Second renamed"
        outbound = self.env["integration.outbound"]
        broken, healthy = outbound.search([("backend_id", "=", self.backend.id)], order="id")
        real_push = type(self.backend)._generic_contact_push

        def push(backend, message):
            if message == broken:
                raise KeyError("external_ref")
            return real_push(backend, message)

        with patch.object(type(self.backend), "_generic_contact_push", push):
            self._send_outbound()
            self.assertEqual((broken.state, broken.error_class), ("retry", "unexpected"))
            self.assertEqual((healthy.state, healthy.response_status), ("done", 200))
            with self._later():
                self._send_outbound()
        self.assertEqual((broken.state, broken.attempts), ("dead", 2), "never past max_attempts")
        self.assertIn("external_ref", broken.error_message)
        self.assertFalse(broken.lease_until, "not left processing")

    @responses.activate
    def test_a_retryable_error_from_a_sender_is_retried_like_an_event(self):
        self.partners[0].name = "Retry me"
        [message] = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        with patch.object(
            type(self.backend),
            "_generic_contact_push",
            side_effect=RetryableError("try later", retry_after=90),
        ):
            self._send_outbound()
        self.assertEqual((message.state, message.error_class), ("retry", "retryable"))
        delay = (message.next_attempt_at - fields.Datetime.now()).total_seconds()
        self.assertAlmostEqual(delay, 90, delta=5)

    @QUIET
    def test_an_outcome_that_cannot_be_recorded_does_not_leave_the_row_processing(self):
        event = self._ingest(self.backend, contact_event("evt_outcome", "K-3"))
        other = self._ingest(self.backend, contact_event("evt_outcome_2", "K-4"))
        events = type(self.env["integration.event"])
        real_after = events._after_outcome

        def after(row, result, error, duration_ms):
            if row == event:
                raise RuntimeError("audit table unavailable")
            return real_after(row, result, error, duration_ms)

        with patch.object(events, "_after_outcome", after):
            self._process_events()
        self.assertEqual((event.state, event.error_class), ("failed", "unexpected"))
        self.assertIn("audit table unavailable", event.error_message)
        self.assertEqual(other.state, "done")

    def test_a_row_whose_worker_died_at_every_attempt_goes_dead_when_claimed_again(self):
        event = self._ingest(self.backend, contact_event("evt_crash", "K-5"))
        events = self.env["integration.event"]
        for _attempt in range(2):  # the worker is killed while the row is processing
            with self._later(_attempt * 400):
                events._claim_batch(10, lease_seconds=300)
        with self._later(1200):
            self._process_events()
        self.assertEqual(event.state, "dead")
        self.assertIn("stopped before it finished, twice", event.error_message)

    def _waiting_sync(self):
        """A handler whose event K-REFUND needs the contact K-ORDER first (a refund before its order)."""
        real_sync = type(self.backend)._generic_contact_sync
        binder = self.env["integration.external.id"]

        def sync(backend, event):
            if event.external_event_id == "evt_refund" and not binder._record_for(
                backend, "res.partner", "K-ORDER"
            ):
                raise WaitingFor("Order K-ORDER is not in Odoo yet.", entity_key="K-ORDER")
            return real_sync(backend, event)

        return patch.object(type(self.backend), "_generic_contact_sync", sync)

    def test_an_event_waiting_for_its_record_runs_as_soon_as_the_record_arrives(self):
        # Issue 19: "the record this event needs is not here yet" is a wait, not a failure.
        refund = self._ingest(self.backend, contact_event("evt_refund", "K-REFUND"))
        unrelated = self._ingest(self.backend, contact_event("evt_unrelated", "K-OTHER", created=1700000100))
        with self._waiting_sync():
            self._process_events()
            self.assertEqual((refund.state, refund.error_class, refund.attempts), ("retry", "waiting", 0))
            self.assertGreater(refund.next_attempt_at, fields.Datetime.now(), "not retried in a loop")
            self.assertEqual(unrelated.state, "done", "other entities do not wait")
            order = self._ingest(self.backend, contact_event("evt_order", "K-ORDER", created=1700000200))
            self._process_events()  # the order is done, which makes the refund due at once
        self.assertEqual((order.state, refund.state), ("done", "done"))
        self.assertFalse(refund.waiting_for)

    def test_a_wait_goes_dead_after_the_retry_horizon(self):
        refund = self._ingest(self.backend, contact_event("evt_refund", "K-REFUND"))
        with self._waiting_sync():
            self._process_events()
            with self._later(73 * 3600):
                self._process_events()
        self.assertEqual((refund.state, refund.error_class), ("dead", "waiting"))
        self.assertIn("K-ORDER is not in Odoo yet", refund.error_message)
