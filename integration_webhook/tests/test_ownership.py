"""System of record: what a delivery may do to data the other side owns."""

from odoo.tests import TransactionCase, tagged

from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestOwnership(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend()
        cls.customer_line = cls.backend.ownership_ids.filtered(lambda line: line.domain == "customer")

    def _partner(self, external_id):
        return self.env["integration.external.id"]._record_for(self.backend, "res.partner", external_id)

    def test_the_domains_the_kind_handles_get_a_line_with_the_connector_defaults(self):
        # Issue 16: a contacts-only backend listed products, taxes and contracts too.
        self.assertEqual(self.backend.ownership_ids.mapped("domain"), ["customer"])
        self.assertRecordValues(
            self.customer_line, [{"system_of_record": "remote", "other_side_update": "apply"}]
        )

    def test_remote_owned_customers_are_applied(self):
        event = self._ingest(self.backend, contact_event("evt_own1", "O-1"))
        self._process_events()
        self.assertEqual(event.state, "done")
        self.assertTrue(self._partner("O-1"))

    def test_odoo_owned_customers_ignore_remote_updates_with_a_note(self):
        self.customer_line.write({"system_of_record": "odoo", "other_side_update": "ignore"})
        event = self._ingest(self.backend, contact_event("evt_own2", "O-2"))
        self._process_events()
        self.assertEqual(event.state, "done")
        self.assertIn("system of record", event.result_note)
        self.assertFalse(self._partner("O-2"))

    def test_odoo_owned_customers_stop_remote_updates_for_review_then_replay(self):
        self.customer_line.write({"system_of_record": "odoo", "other_side_update": "review"})
        event = self._ingest(self.backend, contact_event("evt_own3", "O-3"))
        self._process_events()
        self.assertEqual((event.state, event.error_class), ("failed", "permanent"))
        self.assertIn("Odoo is the system of record for customers", event.error_message)
        self.assertFalse(self._partner("O-3"))

        self.customer_line.other_side_update = "apply"  # reviewed: the change is right
        event.action_retry()
        self._process_events()
        self.assertEqual(event.state, "done")
        self.assertTrue(self._partner("O-3"))
