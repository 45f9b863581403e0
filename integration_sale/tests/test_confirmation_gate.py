from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConfirmationGate(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partner = cls.env["res.partner"].create({"name": "Gate Customer"})
        product = cls.env["product.product"].create(
            {"name": "Gate Service", "type": "service", "list_price": 10}
        )
        cls.order = cls.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [(0, 0, {"product_id": product.id})]}
        )

    def _blocked(self, *reasons):
        return patch.object(type(self.order), "_confirmation_blockers", return_value=list(reasons))

    def test_open_gate_confirms(self):
        self.assertTrue(self.order._integration_confirm())
        self.assertEqual(self.order.state, "sale")

    def test_blocked_quotation_waits_for_connectors(self):
        with self._blocked("a signed contract is required"):
            self.assertFalse(self.order._integration_confirm())
        self.assertEqual(self.order.state, "draft")

    def test_blocked_quotation_refuses_a_person_with_the_reason(self):
        with (
            self._blocked("a signed contract is required"),
            self.assertRaisesRegex(UserError, "signed contract"),
        ):
            self.order.action_confirm()
        self.assertEqual(self.order.state, "draft")

    def test_override_context_lets_a_manager_through(self):
        with self._blocked("a signed contract is required"):
            self.order.with_context(integration_gate_overridden=True).action_confirm()
        self.assertEqual(self.order.state, "sale")
