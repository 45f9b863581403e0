from odoo.addons.integration_core.lib.prometheus import render
from odoo.tests import TransactionCase, tagged

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
