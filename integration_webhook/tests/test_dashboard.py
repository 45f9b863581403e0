"""Operations dashboard: the figures per backend, the lists behind them, business
exceptions and their alerts."""

from datetime import timedelta

from freezegun import freeze_time
from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestDashboard(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend(name="Dashboard backend")

    def _drift(self, count):
        run = self.env["integration.reconciliation.run"].create(
            {
                "backend_id": self.backend.id,
                "date_from": "2026-11-01",
                "date_to": "2026-11-02",
                "state": "done",
            }
        )
        self.env["integration.reconciliation.line"].create(
            [{"run_id": run.id, "issue": "missing_odoo", "reference": f"C-{i}"} for i in range(count)]
        )
        return run

    def test_figures_and_the_lists_behind_them(self):
        with freeze_time(fields.Datetime.now() - timedelta(minutes=30)):
            self._ingest(self.backend, contact_event("evt_d1", "D-1"))
        self._ingest(self.backend, contact_event("evt_d2", "D-2", name=""))  # fails: no name
        self._process_events()
        self._ingest(self.backend, contact_event("evt_d3", "D-3"))  # waits
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.queue_depth, 1)
        self.assertEqual(self.backend.failed_count, 1)
        self.assertEqual(self.backend.dead_count, 0)
        self.assertEqual(self.backend.events_per_minute, 0.2)  # 1 done in the last 5 minutes
        self.assertTrue(self.backend.last_delivery_at)
        self.assertTrue(self.backend.last_success_at)
        for action, expected in (
            ("action_open_waiting", {"evt_d3"}),
            ("action_open_failed", {"evt_d2"}),
            ("action_open_recent", {"evt_d1"}),
            ("action_open_dead", set()),
        ):
            domain = getattr(self.backend, action)()["domain"]
            found = self.env["integration.event"].search(domain)
            self.assertEqual(set(found.mapped("external_event_id")), expected, action)

    def test_oldest_waiting_age(self):
        with freeze_time(fields.Datetime.now() - timedelta(minutes=42)):
            self._ingest(self.backend, contact_event("evt_old", "O-1"))
        self.backend.invalidate_recordset()
        self.assertGreaterEqual(self.backend.oldest_waiting_minutes, 42)

    def test_business_exception_alerts_once_per_crossing(self):
        exceptions = self.env["integration.business.exception"]
        exceptions._refresh(self.backend)
        row = exceptions.search([("backend_id", "=", self.backend.id), ("code", "=", "open_drift")])
        self.assertEqual((row.count, row.is_over), (0, False))
        self.assertFalse(self._alerts())

        run = self._drift(2)
        exceptions._refresh(self.backend)
        self.assertEqual((row.count, row.is_over), (2, True))
        self.assertEqual(self.backend.business_alert_count, 1)
        self.assertEqual(len(self._alerts()), self._manager_count(), "one activity per manager")
        exceptions._refresh(self.backend)
        self.assertEqual(len(self._alerts()), self._manager_count(), "still over: no second alert")

        self.assertEqual(self.env[row.res_model].search_count(row.action_open()["domain"]), 2)
        run.line_ids.action_accept()
        exceptions._refresh(self.backend)
        self.assertFalse(row.is_over)
        # Issue 16: the alert closes itself when the count falls back, and says so.
        self.assertFalse(self._alerts(), "the managers' activities are done")
        self.assertTrue(self.backend.message_ids.filtered(lambda m: "Back to 0" in (m.body or "")))
        self._drift(1)
        exceptions._refresh(self.backend)
        self.assertEqual(len(self._alerts()), self._manager_count(), "a new crossing alerts again")

    def test_email_alerts_when_settings_ask(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.alert_email", "True")
        self._drift(1)
        self.env["integration.business.exception"]._refresh(self.backend)
        message = self.backend.message_ids.filtered(lambda m: "drift" in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.env.ref("base.user_admin").partner_id, message.partner_ids)

    def test_dashboard_menu_counts_then_opens_the_cards(self):
        self._drift(1)
        action = self.env["integration.backend"]._action_open_dashboard()
        self.assertEqual(action["res_model"], "integration.backend")
        self.assertIn("kanban", action["view_mode"])
        self.assertEqual(self.backend.business_alert_count, 1)

    def _alerts(self):
        return self.backend.activity_ids.filtered(lambda a: "drift" in (a.summary or ""))

    def _manager_count(self):
        managers = self.env.ref("integration_core.group_integration_manager").user_ids
        return len(managers.filtered(lambda u: not u.share))
