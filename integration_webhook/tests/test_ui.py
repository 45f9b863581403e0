"""Odoo UI tours in Chromium: what a manager and a finance user do on the screens."""

import shutil

from odoo.tests import HttpCase, tagged

from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestUi(IntegrationCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        # Odoo skips tours quietly when no browser is found: here that is a failure.
        if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
            raise AssertionError("UI tours need Chromium: apt-get install chromium (setup/bootstrap.sh does)")
        super().setUpClass()

    def test_backend_form_tour(self):
        self.start_tour("/odoo", "integration_core_backend_tour", login="admin")
        backend = self.env["integration.backend"].search([("name", "=", "Tour backend")])
        self.assertEqual((backend.state, backend.signature_header), ("active", "X-Tour-Signature"))
        self.assertEqual(backend.webhook_secret, "tour-secret")

    def test_outbound_cancel_tour(self):
        backend = self._make_backend(name="Outbound tour backend")
        partner = self.env["res.partner"].create({"name": "Outbound Tour Contact"})
        message = self.env["integration.outbound"]._enqueue(
            backend, "contact.push", partner, {"id": partner.id}
        )
        message.write({"state": "failed", "error_message": "The contact has no email: add one, then retry."})
        self.start_tour(
            "/odoo/action-integration_core.integration_outbound_action",
            "integration_core_outbound_cancel_tour",
            login="admin",
        )
        self.assertEqual(message.state, "ignored")
        self.assertIn("Sent to the customer by hand", message.error_message)

    def test_exceptions_tour(self):
        backend = self._make_backend()
        event = self._ingest(backend, contact_event("evt_tour", "TOUR-1", name=""))
        self._process_events()
        self.assertEqual(event.state, "failed")
        self.start_tour(
            "/odoo/action-integration_core.integration_exception_action",
            "integration_core_exceptions_tour",
            login="admin",
        )
        self.assertEqual((event.state, event.ignore_reason), ("ignored", "Test contact from the vendor"))

    def test_settings_tour(self):
        self._make_backend(name="Settings tour backend")
        self.start_tour("/odoo/settings#integration_core", "integration_core_settings_tour", login="admin")
        param = self.env["ir.config_parameter"].get_param("integration_core.max_attempts")
        self.assertEqual(param, "7")

    def test_dashboard_tour(self):
        backend = self._make_backend(name="Dashboard tour backend")
        self._ingest(backend, contact_event("evt_tour_2", "TOUR-2", name=""))
        self._process_events()
        run = self.env["integration.reconciliation.run"].create(
            {"backend_id": backend.id, "date_from": "2026-11-26", "date_to": "2026-11-27", "state": "done"}
        )
        line = self.env["integration.reconciliation.line"].create(
            {"run_id": run.id, "issue": "missing_odoo", "reference": "C-77 Drifted Ltd"}
        )
        self.start_tour("/odoo", "integration_core_dashboard_tour", login="admin")
        self.assertEqual(line.state, "accepted")
