from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import IntegrationCaseMixin, contact_event


@tagged("post_install", "-at_install")
class TestSecurity(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.backend = cls._make_backend()
        cls.backend_b = cls._make_backend(name="B backend", company_id=cls.company_b.id)
        cls.user = new_test_user(cls.env, "integ_user", groups="integration_core.group_integration_user")
        cls.manager = new_test_user(
            cls.env, "integ_manager", groups="integration_core.group_integration_manager"
        )

    def test_only_system_admins_read_secrets(self):
        backend = self.backend.with_user(self.manager)
        self.assertEqual(backend.name, "Test signed webhook")
        with self.assertRaises(AccessError):
            backend.read(["webhook_secret"])
        self.assertEqual(self.backend.webhook_secret, "test-webhook-secret")

    def test_user_reads_but_cannot_act(self):
        event = self._ingest(self.backend, contact_event("evt_sec", "S-1"))
        self.assertEqual(event.with_user(self.user).state, "pending")
        with self.assertRaises(UserError):
            event.with_user(self.user).action_retry()
        with self.assertRaises(AccessError):
            self.backend.with_user(self.user).write({"name": "renamed"})
        event.with_user(self.manager).action_replay()

    def test_company_a_never_sees_company_b(self):
        self._ingest(self.backend_b, contact_event("evt_b", "S-2"))
        events = self.env["integration.event"].with_user(self.manager).search([])
        self.assertFalse(events.filtered(lambda e: e.backend_id == self.backend_b))
        backends = self.env["integration.backend"].with_user(self.manager).search([])
        self.assertNotIn(self.backend_b, backends)

    def test_a_read_only_user_cannot_make_odoo_call_a_vendor(self):
        # Issue 19: hidden buttons were still callable over RPC by Integration Users.
        backend = self.backend.with_user(self.user)
        for action in (backend.action_reconcile_now, backend.action_pause, backend.action_activate):
            with self.assertRaises(AccessError):
                action()

    def test_contacts_a_company_backend_brings_in_stay_in_that_company(self):
        # Issue 19: partners created by company B's backend were readable by company A's users.
        event = self._ingest(self.backend_b, contact_event("evt_b_contact", "S-3", name="B Customer"))
        self._process_events()
        self.assertEqual(event.state, "done")
        partner = event.result_ref
        self.assertEqual(partner.company_id, self.company_b)
        self.assertFalse(
            self.env["res.partner"].with_user(self.manager).search([("id", "=", partner.id)]),
            "company A's users do not see it",
        )
