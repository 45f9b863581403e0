"""The processing cron: states, ordering per entity, replay without duplicates."""

import json
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..exceptions import RetryableError
from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestProcessing(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend()
        cls.binder = cls.env["integration.external.id"]

    def _partner(self, external_id):
        return self.binder._record_for(self.backend, "res.partner", external_id)

    def test_event_creates_one_partner_and_replay_does_not_duplicate(self):
        event = self._ingest(self.backend, contact_event("evt_1", "C-1"))
        self._process_events()
        partner = self._partner("C-1")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.result_ref, partner)
        self.assertEqual(event.attempts, 1)

        event.action_replay()
        self.assertEqual(event.state, "pending")
        self._process_events()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Ada Lovelace")]), 1)
        self.assertEqual(self.binder.search_count([("backend_id", "=", self.backend.id)]), 1)
        self.assertEqual(
            event.audit_ids.mapped("action").count("processed"), 2, "each attempt is in the history"
        )

    def test_business_failure_is_fixed_and_replayed(self):
        event = self._ingest(self.backend, contact_event("evt_noname", "C-2", name=""))
        self._process_events()
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error_class, "permanent")
        self.assertIn("Contact C-2 has no name", event.error_message)
        self.assertFalse(self._partner("C-2"), "nothing half-written")

        fixed = json.loads(event.payload)
        fixed["data"]["name"] = "Grace Hopper"
        event._edit_payload(json.dumps(fixed))
        self.assertIn('"name": ""', event.payload_original, "the original is kept")
        self._process_events()
        self.assertEqual(event.state, "done")
        self.assertEqual(self._partner("C-2").name, "Grace Hopper")
        self.assertIn("payload_edited", event.audit_ids.mapped("action"))

    def test_payload_without_contact_is_a_payload_error(self):
        event = self._ingest(self.backend, {"id": "evt_empty", "type": "contact.updated", "data": {}})
        self._process_events()
        self.assertEqual((event.state, event.error_class), ("failed", "payload"))

    def test_out_of_order_deliveries_converge(self):
        newer = self._ingest(self.backend, contact_event("evt_new", "C-3", name="New name", created=200))
        older = self._ingest(self.backend, contact_event("evt_old", "C-3", name="Old name", created=100))
        self._process_events()
        self.assertEqual((older.state, newer.state), ("done", "done"))
        self.assertEqual(self._partner("C-3").name, "New name")

        # The older one arriving after the newer one was applied is skipped, not applied.
        late = self._ingest(self.backend, contact_event("evt_late", "C-3", name="Stale", created=150))
        self._process_events()
        self.assertEqual(late.state, "done")
        self.assertIn("newer version", late.result_note)
        self.assertEqual(self._partner("C-3").name, "New name")

    def test_younger_event_waits_for_an_unsettled_older_one(self):
        older = self._ingest(self.backend, contact_event("evt_a", "C-4", name="", created=100))
        younger = self._ingest(self.backend, contact_event("evt_b", "C-4", name="Later", created=200))
        self._process_events()
        self.assertEqual(older.state, "failed")
        self.assertEqual(younger.state, "pending", "waits while the older event is not settled")
        older._ignore("test data")
        self._process_events()
        self.assertEqual(younger.state, "done")

    def test_retryable_error_backs_off_then_dies(self):
        event = self._ingest(self.backend, contact_event("evt_r", "C-5"))
        self.env["ir.config_parameter"].set_param("integration_core.max_attempts", 2)
        manager = self.env.ref("integration_core.group_integration_manager")
        self.assertIn(self.env.ref("base.user_admin"), manager.user_ids)

        with patch.object(
            type(self.backend),
            "_generic_hmac_handle",
            side_effect=RetryableError("vendor down", retry_after=120),
        ):
            self._process_events()
            self.assertEqual((event.state, event.attempts), ("retry", 1))
            delay = (event.next_attempt_at - fields.Datetime.now()).total_seconds()
            self.assertAlmostEqual(delay, 120, delta=5, msg="Retry-After wins over backoff")

            self._process_events()
            self.assertEqual(event.attempts, 1, "not due yet: not claimed")

            with freeze_time(fields.Datetime.now() + timedelta(seconds=125)):
                self._process_events()
        self.assertEqual((event.state, event.attempts), ("dead", 2))
        activities = self.backend.activity_ids.filtered(lambda a: "dead" in a.summary)
        self.assertTrue(activities, "managers are told when an event dies")

    @mute_logger("odoo.addons.integration_core.models.integration_event")
    def test_unexpected_error_retries_then_fails_with_traceback(self):
        event = self._ingest(self.backend, contact_event("evt_boom", "C-6"))
        with patch.object(type(self.backend), "_generic_hmac_handle", side_effect=ZeroDivisionError("boom")):
            for _attempt in range(3):
                event.next_attempt_at = fields.Datetime.now()
                self._process_events()
        self.assertEqual((event.state, event.error_class), ("failed", "unexpected"))
        self.assertIn("ZeroDivisionError", event.error_traceback)

    def test_expired_lease_is_claimed_again(self):
        event = self._ingest(self.backend, contact_event("evt_lease", "C-7"))
        events = self.env["integration.event"]
        claimed = events._claim_batch(10, lease_seconds=60)
        self.assertEqual(claimed, event)
        self.assertFalse(events._claim_batch(10, lease_seconds=60), "a leased event is not claimed twice")
        with freeze_time(fields.Datetime.now() + timedelta(seconds=61)):
            self.assertEqual(events._claim_batch(10, lease_seconds=60), event, "worker died: taken over")

    def test_retention_clears_old_done_payloads_only(self):
        done = self._ingest(self.backend, contact_event("evt_keep1", "C-8"))
        failed = self._ingest(self.backend, contact_event("evt_keep2", "C-9", name=""))
        self._process_events()
        with freeze_time(fields.Datetime.now() + timedelta(days=31)):
            self.env["integration.event"]._cron_purge_payloads()
        self.env.invalidate_all()
        self.assertFalse(done.payload)
        self.assertEqual(done.state, "done")
        self.assertTrue(failed.payload, "failed events are kept whole")
