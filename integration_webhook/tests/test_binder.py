from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger
from psycopg2.errors import UniqueViolation

from .common import IntegrationCaseMixin


@tagged("post_install", "-at_install")
class TestBinder(IntegrationCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls._make_backend()
        cls.other_backend = cls._make_backend(name="Other")
        cls.binder = cls.env["integration.external.id"]
        cls.partner = cls.env["res.partner"].create({"name": "Bound"})

    def test_bind_and_find_both_ways(self):
        self.binder._bind(self.backend, self.partner, "X-1")
        self.assertEqual(self.binder._record_for(self.backend, "res.partner", "X-1"), self.partner)
        self.assertEqual(self.binder._external_for(self.backend, self.partner), "X-1")
        self.assertFalse(self.binder._record_for(self.other_backend, "res.partner", "X-1"))
        self.assertIsNone(self.binder._external_for(self.other_backend, self.partner))

    @mute_logger("odoo.sql_db")
    def test_one_record_per_external_id_and_one_external_id_per_record(self):
        self.binder._bind(self.backend, self.partner, "X-2")
        other = self.env["res.partner"].create({"name": "Other"})
        with self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.binder.create(
                {
                    "backend_id": self.backend.id,
                    "model": "res.partner",
                    "res_id": other.id,
                    "external_id": "X-2",
                }
            )
        with self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.binder.create(
                {
                    "backend_id": self.backend.id,
                    "model": "res.partner",
                    "res_id": self.partner.id,
                    "external_id": "X-3",
                }
            )

    def test_archived_record_is_still_found(self):
        self.binder._bind(self.backend, self.partner, "X-4")
        self.partner.active = False
        self.assertEqual(self.binder._record_for(self.backend, "res.partner", "X-4"), self.partner)
