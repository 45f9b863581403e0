"""The processing cron: states, ordering per entity, replay without duplicates."""

import json
import random
import time
from datetime import timedelta
from functools import partial
from unittest.mock import patch

from freezegun import freeze_time
from odoo import api, fields, sql_db
from odoo.addons.integration_core.exceptions import RetryableError
from odoo.addons.integration_core.models import integration_queue_mixin as queue_mixin
from odoo.addons.integration_core.tools import cron_waker
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

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
            "_generic_contact_sync",
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
        event.action_retry()  # Issue 16: a retried dead event closes its alert
        self.assertFalse(self.backend.activity_ids.filtered(lambda a: "dead" in a.summary))

    @mute_logger("odoo.addons.integration_core.models.integration_event")
    def test_unexpected_error_retries_then_fails_with_traceback(self):
        event = self._ingest(self.backend, contact_event("evt_boom", "C-6"))
        with patch.object(type(self.backend), "_generic_contact_sync", side_effect=ZeroDivisionError("boom")):
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

    def test_ready_event_is_found_behind_a_long_blocked_queue(self):
        blocker = self._ingest(self.backend, contact_event("evt_block", "B-1", name="", created=1))
        self._process_events()
        self.assertEqual(blocker.state, "failed")
        for index in range(250):  # more than the first pass's window, all waiting behind it
            self._ingest(self.backend, contact_event(f"evt_wait{index}", "B-1", created=10 + index))
        ready = self._ingest(self.backend, contact_event("evt_free", "B-2", created=5000))
        claimed = self.env["integration.event"]._claim_batch(50, lease_seconds=60)
        self.assertEqual(claimed, ready)

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


@tagged("post_install", "-at_install")
class TestReliability(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend()

    def test_two_hundred_shuffled_events_converge_to_the_in_order_result(self):
        deliveries = [
            contact_event(f"evt_{entity}_{version}", f"E-{entity}", name=f"E-{entity} v{version}",
                          created=1000 + version)
            for entity in range(20)
            for version in range(10)
        ]  # fmt: skip
        random.Random(42).shuffle(deliveries)
        events = self.env["integration.event"]
        for payload in deliveries:
            events |= self._ingest(self.backend, payload)
        self._process_events()
        self.assertEqual(set(events.mapped("state")), {"done"})
        binder = self.env["integration.external.id"]
        for entity in range(20):
            partner = binder._record_for(self.backend, "res.partner", f"E-{entity}")
            self.assertEqual(partner.name, f"E-{entity} v9")
        self.assertEqual(binder.search_count([("backend_id", "=", self.backend.id)]), 20)

    def test_worker_killed_mid_batch_events_run_exactly_once_after_the_lease(self):
        events = self.env["integration.event"]
        for index in range(5):
            events |= self._ingest(self.backend, contact_event(f"evt_k{index}", f"K-{index}"))
        settings = events._engine_settings()
        self.env.flush_all()
        # Worker A claims the batch, finishes two events, then is killed (its cursor dies).
        # Its commits are the worker's own, on a registry-test-mode cursor (savepoints).
        # pylint: disable=invalid-commit
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            worker_a = api.Environment(cr, api.SUPERUSER_ID, {})["integration.event"]
            batch = worker_a._claim_batch(10, lease_seconds=300)
            cr.commit()
            self.assertEqual(len(batch), 5)
            for event in batch[:2]:
                event._process(settings)
                cr.commit()
        self.env.invalidate_all()
        self.assertEqual(events.mapped("state").count("processing"), 3)

        self._process_events()  # worker B: the leases still hold
        self.assertEqual(events.mapped("state").count("processing"), 3)

        with freeze_time(fields.Datetime.now() + timedelta(seconds=301)):
            self._process_events()
        self.assertEqual(set(events.mapped("state")), {"done"})
        for event in events:
            self.assertEqual(event.audit_ids.mapped("action").count("processed"), 1, "exactly once")
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Ada Lovelace")]), 5)

    def test_locked_record_is_retried_not_failed(self):
        # A committed partner that someone else is saving right now (a real second connection).
        partner = self.env.ref("base.partner_admin")
        self.env["integration.external.id"]._bind(self.backend, partner, "L-1")
        update = self._ingest(self.backend, contact_event("evt_lock", "L-1", name="Renamed"))
        self.env.flush_all()
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT id FROM res_partner WHERE id = %s FOR UPDATE", [partner.id])
            self._process_events()
        finally:
            other.rollback()
            other.close()
        self.assertEqual((update.state, update.error_class), ("retry", "retryable"))
        self.assertIn("being changed by someone else", update.error_message)
        self.assertNotEqual(partner.name, "Renamed")


@tagged("post_install", "-at_install")
class TestParallelWorkers(TransactionCase):
    def test_parallel_workers_are_copies_of_the_processing_cron(self):
        events = self.env["integration.event"]
        events._set_parallel_workers(3)
        self.assertEqual(len(events._worker_cron_ids()), 3)
        with patch.object(queue_mixin, "notify_cron_workers_soon") as soon:
            events._trigger_processing()
            self.assertFalse(soon.called, "nothing is woken before the commit")
            self.env.cr.postcommit.run()
        [(dbname, crons)] = [call.args for call in soon.call_args_list]
        self.assertEqual((dbname, crons), (self.env.cr.dbname, events._worker_cron_ids()), "every worker")
        self.assertEqual(len(crons), 3)
        events._set_parallel_workers(1)
        self.assertEqual(
            events._worker_cron_ids(), (self.env.ref("integration_core.cron_process_events").id,)
        )
        self.assertEqual(len(events._worker_crons()), 3, "extra workers are archived, not deleted")


@tagged("post_install", "-at_install")
class TestDelayedWakeUp(IntegrationCaseMixin, TransactionCase):
    """A retry due in a few seconds wakes the cron workers then, not at their next minute."""

    @staticmethod
    def _ask_50_times_and_wait(ask, done):
        """Ask for 50 wake-ups at once; wait until `done` (its items end with the monotonic time
        they were made) has one made after the last ask. Returns when the last was asked."""
        for _index in range(50):
            ask()
        last_asked = time.monotonic()
        deadline = time.monotonic() + 5
        while (not done or done[-1][-1] < last_asked) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        return last_asked

    def test_every_wake_up_fires_in_time_order_and_far_ones_are_left_to_odoo(self):
        # Issue 19: the waker used to keep only its earliest timer and drop the later ones.
        fired = []
        with patch.object(cron_waker, "notify_cron_workers", side_effect=fired.append):
            start = time.time()
            cron_waker.notify_cron_workers_at("db_a", start + 0.7)
            cron_waker.notify_cron_workers_at("db_a", start + 0.1)  # earlier: fires first
            cron_waker.notify_cron_workers_at("db_b", start + 3600)  # Odoo wakes up before
            time.sleep(0.5)
            self.assertEqual(fired, ["db_a"])
            time.sleep(0.9)
        self.assertEqual(fired, ["db_a", "db_a"], "the later wake-up is not dropped")

    def test_wake_ups_asked_at_once_share_a_notify_sent_after_the_last_of_them(self):
        sent = []

        def slow_notify(dbname):
            time.sleep(0.02)  # a round trip to PostgreSQL
            sent.append((dbname, time.monotonic()))

        with patch.object(cron_waker, "notify_cron_workers", side_effect=slow_notify):
            last_asked = self._ask_50_times_and_wait(
                lambda: cron_waker.notify_cron_workers_soon("db_a"), sent
            )
        self.assertTrue(sent and sent[-1][1] >= last_asked, "a NOTIFY follows the last request")
        self.assertLess(len(sent), 10, "50 requests in a burst share their NOTIFYs")
        self.assertEqual({dbname for dbname, _at in sent}, {"db_a"})

    def test_wake_ups_of_one_window_make_one_trigger_row_per_cron_after_the_commits(self):
        crons = self.env["integration.event"]._worker_cron_ids()
        made = []

        def insert(dbname, cron_ids):
            time.sleep(0.02)  # a round trip to PostgreSQL
            made.append((dbname, tuple(cron_ids), time.monotonic()))

        with (
            patch.object(cron_waker, "insert_due_triggers", side_effect=insert),
            patch.object(cron_waker, "notify_cron_workers"),
        ):
            ask = partial(cron_waker.notify_cron_workers_soon, "db_a", crons)
            last_asked = self._ask_50_times_and_wait(ask, made)
        self.assertTrue(made and made[-1][2] >= last_asked, "the rows follow the last request")
        self.assertLess(len(made), 10, "50 requests in a burst share their trigger rows")
        self.assertEqual({(dbname, ids) for dbname, ids, _at in made}, {("db_a", tuple(sorted(crons)))})

    def test_the_waker_commits_a_due_trigger_row_per_cron(self):
        crons = list(self.env["integration.event"]._worker_cron_ids())
        dbname = self.env.cr.dbname
        with sql_db.db_connect(dbname).cursor() as other:
            other.execute("SELECT coalesce(max(id), 0) FROM ir_cron_trigger")
            [before] = other.fetchone()
        cron_waker.insert_due_triggers(dbname, crons)
        self.addCleanup(lambda: cron_waker._connections.pop(dbname).close())
        with sql_db.db_connect(dbname).cursor() as other:
            other.execute(
                "DELETE FROM ir_cron_trigger WHERE id > %s AND cron_id = ANY(%s)"
                " RETURNING cron_id, call_at <= now() AT TIME ZONE 'UTC'",
                [before, crons],
            )
            made = sorted(other.fetchall())
        self.assertEqual(made, [(cron, True) for cron in sorted(crons)], "committed, and due now")

    def test_a_retry_is_due_at_whole_seconds_so_its_wake_up_finds_it(self):
        # Issue 19: a due time with microseconds was later than Odoo's now() at the wake-up.
        backend = self._make_backend(name="Due")
        event = self.env["integration.event"].create(
            {"backend_id": backend.id, "external_event_id": "evt_due", "event_type": "contact.updated"}
        )
        with patch.object(queue_mixin, "retry_delay", return_value=4.3):
            event._schedule_retry(
                {"max_attempts": 5, "backoff_base": 5, "backoff_cap": 60}, "retryable", "busy"
            )
        self.assertEqual(event.next_attempt_at.microsecond, 0)
        with freeze_time(event.next_attempt_at):
            self.assertEqual(self.env["integration.event"]._claim_batch(10, 60), event)

    def test_a_scheduled_retry_asks_for_a_wake_up_after_commit(self):
        backend = self._make_backend(name="Wake")
        event = self.env["integration.event"].create(
            {"backend_id": backend.id, "external_event_id": "evt_wake", "event_type": "contact.updated"}
        )
        with patch.object(queue_mixin, "notify_cron_workers_at") as later:
            event._schedule_retry(
                {"max_attempts": 5, "backoff_base": 5, "backoff_cap": 60}, "retryable", "busy"
            )
            self.env.cr.postcommit.run()
        [(dbname, when)] = [call.args for call in later.call_args_list]
        self.assertEqual(dbname, self.env.cr.dbname)
        self.assertGreater(when, time.time())
