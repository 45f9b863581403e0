"""Commit groups: rows are committed together, each in its own savepoint, and a group never
holds an outside call that a crash could make happen twice."""

from unittest.mock import patch

import responses
from odoo.addons.base.models.ir_cron import IrCron
from odoo.addons.integration_core.models import integration_queue_mixin as queue_mixin
from odoo.addons.integration_core.models.integration_backend import _RATE_LIMITERS
from odoo.addons.integration_core.models.integration_event import IntegrationEvent
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import IntegrationCaseMixin, VendorHostsMixin, contact_event

PUSH_HOST = "crm.example.com"
PUSH_URL = f"https://{PUSH_HOST}/hooks/contacts"


@tagged("post_install", "-at_install")
class TestCommitGroups(VendorHostsMixin, IntegrationCaseMixin, TransactionCase):
    VENDOR_HOSTS = (PUSH_HOST,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend(outbound_url=PUSH_URL)
        _RATE_LIMITERS.clear()

    def _commits(self, run):
        """Run `run` and return how many rows each commit of the cron settled."""
        settled = []
        original = IrCron._commit_progress

        def counting(cron, processed=0, **kwargs):
            if processed:
                settled.append(processed)
            return original(cron, processed, **kwargs)

        with patch.object(IrCron, "_commit_progress", counting):
            run()
        return settled

    def _events(self, count, prefix="evt_group"):
        return self.env["integration.event"].browse(
            self._ingest(self.backend, contact_event(f"{prefix}_{i}", f"G-{i}", created=1700000000 + i)).id
            for i in range(count)
        )

    def test_events_without_outside_calls_share_one_commit_per_group(self):
        self.env["ir.config_parameter"].set_param("integration_core.commit_group", 4)
        events = self._events(10)
        self.assertEqual(self._commits(self._process_events), [4, 4, 2])
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(self.env["integration.audit"].search([("event_id", "in", events.ids)])), 10)

    def test_one_failing_event_does_not_undo_its_group(self):
        events = self._events(3, "evt_partly")
        bad = events[1]
        bad.payload = bad.payload.replace('"data"', '"nodata"')  # no contact in it: a payload error
        self._process_events()
        self.assertEqual(events.mapped("state"), ["done", "failed", "done"])
        self.assertEqual(len(self._bindings()), 2)

    def _bindings(self):
        return self.env["integration.external.id"].search([("backend_id", "=", self.backend.id)])

    @mute_logger("odoo.addons.integration_core.models.integration_queue_mixin")
    def test_a_row_whose_outcome_cannot_be_written_is_failed_and_the_rows_before_it_redone_once(self):
        events = self._events(3, "evt_redo")
        broken = events[1]
        original = IntegrationEvent._after_outcome

        def after_outcome(event, result, error, duration_ms):
            if event.id == broken.id and event.attempts == 1:
                raise RuntimeError("the database refused the outcome")
            return original(event, result, error, duration_ms)

        with patch.object(IntegrationEvent, "_after_outcome", after_outcome):
            self._process_events()
        self.assertEqual(events.mapped("state"), ["done", "failed", "done"])
        self.assertIn("the database refused the outcome", broken.error_message)
        # The first event was processed twice (its group rolled back), written once.
        self.assertEqual(len(self._bindings()), 2)
        self.assertEqual(len(self.env["res.partner"].search([("email", "=", "g-0@example.com")])), 1)

    @responses.activate
    def test_a_message_sent_to_the_vendor_is_committed_before_the_next_one(self):
        responses.post(PUSH_URL, status=200)
        self.backend.ownership_ids.filtered(lambda line: line.domain == "customer").write(
            {"system_of_record": "odoo", "other_side_update": "apply"}
        )
        partners = self.env["res.partner"].create([{"name": f"Pushed {i}"} for i in range(3)])
        for index, partner in enumerate(partners):
            self.env["integration.external.id"]._bind(self.backend, partner, f"OUT-{index}")
        partners.write({"phone": "+32 2 555 00 00"})
        messages = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(messages), 3)
        self.assertEqual(self._commits(self._send_outbound), [1, 1, 1])
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(len(responses.calls), 3)

    def test_connector_columns_are_read_only_when_a_connector_needs_them(self):
        fields_ = self.env["integration.backend"]._fields
        self.assertIs(fields_["kind"].prefetch, True, "extended by every connector, defined by the engine")
        self.assertIs(fields_["state"].prefetch, True)
        connector_columns = [
            f for f in fields_.values() if f._modules and f._modules[0] == "integration_webhook"
        ]
        self.assertTrue(connector_columns)
        for field in connector_columns:
            if field.column_type and field.store:
                self.assertEqual(field.prefetch, "integration_backend_integration_webhook", field.name)
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.outbound_url, PUSH_URL, "a connector column still reads")

    def _read_then_sync(self, method):
        """The contact handler, after one call of `method` to the vendor (as a Salesforce
        handler reads its opportunity before it writes the order)."""
        original = type(self.backend)._generic_contact_sync

        def calling(backend, event):
            backend._api_client(f"https://{PUSH_HOST}").request(method, "/hooks/contacts/lookup")
            return original(backend, event)

        return patch.object(type(self.backend), "_generic_contact_sync", calling)

    @responses.activate
    def test_rows_that_only_read_from_the_vendor_share_a_commit(self):
        responses.get(f"https://{PUSH_HOST}/hooks/contacts/lookup", status=200)
        self.env["ir.config_parameter"].set_param("integration_core.commit_group", 4)
        events = self._events(6, "evt_reads")
        with self._read_then_sync("GET"):
            self.assertEqual(self._commits(self._process_events), [4, 2])
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(len(responses.calls), 6)
        calls = self.env["integration.audit"].search(
            [("action", "=", "outbound_call"), ("backend_id", "=", self.backend.id)]
        )
        self.assertEqual(len(calls), 6, "every read is in the audit log")

    @responses.activate
    def test_a_row_that_wrote_to_the_vendor_ends_its_group(self):
        responses.post(f"https://{PUSH_HOST}/hooks/contacts/lookup", status=200)
        self.env["ir.config_parameter"].set_param("integration_core.commit_group", 4)
        events = self._events(3, "evt_writes")
        with self._read_then_sync("POST"):
            self.assertEqual(self._commits(self._process_events), [1, 1, 1])
        self.assertEqual(set(events.mapped("state")), {"done"})

    def test_a_group_is_committed_after_its_time_limit(self):
        self.env["ir.config_parameter"].set_param("integration_core.commit_group", 20)
        self._events(3, "evt_slow")
        with patch.object(queue_mixin, "GROUP_SECONDS", -1):  # every row takes too long
            self.assertEqual(self._commits(self._process_events), [1, 1, 1])
