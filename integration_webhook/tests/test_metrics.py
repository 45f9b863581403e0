from datetime import timedelta

from odoo import fields
from odoo.addons.integration_core.lib.prometheus import render
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestMetrics(IntegrationCaseMixin, TransactionCase):
    def test_figures_per_backend_and_state(self):
        backend = self._make_backend(name="Metrics backend")
        self._ingest(backend, contact_event("evt_m1", "M-1"))
        self._ingest(backend, contact_event("evt_m2", "M-2", name=""))
        self._ingest(backend, contact_event("evt_m3", "M-2", name="Waits", created=1700000100))
        self._process_events()
        text = render(self.env["integration.backend"]._prometheus_metrics())
        labels = 'backend="Metrics backend",kind="generic_hmac"'
        self.assertNotIn('state="done"', text, "settled events are a rate, not a count of the whole table")
        self.assertIn(f'integration_events{{{labels},state="failed"}} 1', text)
        self.assertIn(f'integration_events{{{labels},state="pending"}} 1', text)
        self.assertIn(f"integration_events_processed_per_minute{{{labels}}} 0.2", text)
        self.assertIn(f"integration_circuit_open{{{labels}}} 0", text)


@tagged("post_install", "-at_install")
class TestHealth(IntegrationCaseMixin, HttpCase):
    def test_health_turns_503_when_due_events_are_not_moving(self):
        backend = self._make_backend(name="Health backend")
        response = self.url_open("/integration/health")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertFalse(response.json()["stalled"])
        event = self._ingest(backend, contact_event("evt_stuck", "H-1"))
        event.next_attempt_at = fields.Datetime.now() - timedelta(minutes=30)  # due, nobody took it
        self.env.flush_all()
        response = self.url_open("/integration/health")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["queues"]["integration.event"]["overdue"], 1)
        self._process_events()  # processing resumes
        self.assertEqual(self.url_open("/integration/health").status_code, 200)
