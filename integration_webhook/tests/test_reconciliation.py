"""Reconciliation: seeded drift is found, replayed from source, pushed or accepted; the
window overlaps the previous run; a vendor outage fails the run, not the cron."""

import json
from datetime import datetime, timedelta

import responses
from freezegun import freeze_time
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import IntegrationCaseMixin, VendorHostsMixin

LIST_HOST = "crm.example.com"
LIST_URL = f"https://{LIST_HOST}/contacts"
PUSH_URL = f"https://{LIST_HOST}/hooks/contacts"


def contact(contact_id, name, email):
    return {"id": contact_id, "name": name, "email": email, "phone": None}


@tagged("post_install", "-at_install")
class TestReconciliation(VendorHostsMixin, IntegrationCaseMixin, TransactionCase):
    VENDOR_HOSTS = (LIST_HOST,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend(reconcile_url=LIST_URL, outbound_url=PUSH_URL)
        binder = cls.env["integration.external.id"]
        partners = cls.env["res.partner"].with_context(integration_inbound=True)
        cls.same = partners.create({"name": "Same Co", "email": "same@example.com"})
        cls.renamed = partners.create({"name": "Old Name", "email": "renamed@example.com"})
        cls.odoo_only = partners.create({"name": "Odoo Only", "email": "odoo@example.com"})
        for partner, ref in ((cls.same, "C-1"), (cls.renamed, "C-2"), (cls.odoo_only, "C-4")):
            binder._bind(cls.backend, partner, ref)

    def _serve(self, *pages):
        """The vendor's list endpoint, paginated with a `next` link."""
        for index, contacts in enumerate(pages):
            last = index == len(pages) - 1
            body = {"data": contacts, "next": None if last else f"{LIST_URL}?page={index + 2}"}
            responses.add(responses.GET, LIST_URL, json=body)

    @responses.activate
    def test_seeded_drift_is_found_and_fixed_by_replay(self):
        self._serve(
            [
                contact("C-1", "Same Co", "same@example.com"),
                contact("C-2", "New Name", "renamed@example.com"),
            ],
            [contact("C-3", "Missed Ltd", "missed@example.com")],
        )
        run = self.backend.action_reconcile_now()
        run = self.env["integration.reconciliation.run"].browse(run["res_id"])
        self.assertEqual(run.state, "done")
        self.assertEqual(run.checked_count, 3)
        self.assertEqual(len(responses.calls), 2, "both pages were read")
        self.assertIn("updated_since=", responses.calls[0].request.url)
        issues = {line.external_id: line.issue for line in run.line_ids}
        self.assertEqual(issues, {"C-2": "differs", "C-3": "missing_odoo", "C-4": "missing_remote"})
        differs = run.line_ids.filtered(lambda line: line.issue == "differs")
        self.assertEqual(differs.remote_value, "New Name <renamed@example.com>")
        self.assertEqual(differs.odoo_value, "Old Name <renamed@example.com>")
        self.assertEqual(self.backend.open_drift_count, 3)

        (run.line_ids - run.line_ids.filtered(lambda line: line.issue == "missing_remote")).action_replay()
        self._process_events()
        self.assertEqual(self.renamed.name, "New Name")
        missed = self.env["integration.external.id"]._record_for(self.backend, "res.partner", "C-3")
        self.assertEqual(missed.name, "Missed Ltd")
        replays = run.line_ids.mapped("event_id")
        self.assertEqual(set(replays.mapped("state")), {"done"})
        self.assertEqual(set(replays.mapped("source")), {"reconciliation"})
        self.assertEqual(self.backend.open_drift_count, 1)

    @responses.activate
    def test_missing_remotely_is_pushed_through_the_outbound_queue(self):
        self._serve([])
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        # Nothing listed remotely: every contact Odoo changed in the window is missing there.
        self.assertEqual(set(run.line_ids.mapped("issue")), {"missing_remote"})
        self.assertEqual(set(run.line_ids.mapped("external_id")), {"C-1", "C-2", "C-4"})
        pushed = run.line_ids.filtered(lambda drift: drift.external_id == "C-4")
        pushed.action_push()
        message = self.env["integration.outbound"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(message), 1)
        self.assertEqual(json.loads(message.payload)["name"], "Odoo Only")
        self.assertEqual(pushed.state, "fixed")
        with self.assertRaises(UserError):
            pushed.action_push()  # resolved lines are not acted on twice

    @responses.activate
    def test_accept_leaves_both_sides_as_they_are(self):
        self._serve([contact("C-1", "Renamed remotely", "same@example.com")])
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        line = run.line_ids.filtered(lambda drift: drift.external_id == "C-1")
        line.action_accept()
        self.assertEqual(line.state, "accepted")
        self.assertEqual(self.same.name, "Same Co")
        self.assertFalse(self.env["integration.event"].search([("backend_id", "=", self.backend.id)]))

    @responses.activate
    def test_the_next_run_overlaps_the_previous_one(self):
        self.backend.reconcile_overlap_hours = 2
        self._serve([])
        self._serve([])
        with freeze_time("2026-11-26 02:00:00"):
            first = self.env["integration.reconciliation.run"]._start(self.backend)
        with freeze_time("2026-11-27 02:00:00"):
            second = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(first.date_from, datetime(2026, 11, 24, 0, 0))  # 2 days + 2 h back
        self.assertEqual(second.date_from, first.date_to - timedelta(hours=2))
        self.assertEqual(second.date_to, datetime(2026, 11, 27, 2, 0))

    @responses.activate
    def test_a_vendor_outage_fails_the_run_and_tells_the_managers(self):
        responses.add(responses.GET, LIST_URL, status=503, body="maintenance")
        with mute_logger("odoo.addons.integration_core.models.integration_reconciliation_run"):
            run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "failed")
        self.assertIn("503", run.error_message)
        self.assertFalse(run.line_ids)
        activity = self.backend.activity_ids.filtered(lambda a: "Reconciliation" in (a.summary or ""))
        self.assertEqual(activity.user_id, self._managers().filtered(lambda u: not u.share))

    @responses.activate
    def test_nightly_cron_runs_every_backend_that_can_compare(self):
        self._serve([contact("C-9", "Nightly", "n@example.com")])
        cannot = self._make_backend(name="No list URL")
        self._run_cron("integration.reconciliation.run", "_cron_reconcile")
        runs = self.env["integration.reconciliation.run"].search(
            [("backend_id", "in", (self.backend | cannot).ids)]
        )
        self.assertEqual(runs.backend_id, self.backend)
        self.assertEqual(runs.trigger, "cron")
        self.assertEqual(runs.line_ids.filtered(lambda d: d.external_id == "C-9").issue, "missing_odoo")

    def _managers(self):
        return self.env.ref("integration_core.group_integration_manager").user_ids
