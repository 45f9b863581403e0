"""Stripe Billing: invoices copied only when Stripe owns invoices; subscription state on
the contact (the shared invoice fixture; subscriptions have no shared fixture)."""

from odoo.tests import HttpCase, tagged

from .common import StripeCaseMixin, balance_transaction, charge, event, fixture

CUSTOMER = "cus_QXg1o8vcGmoR32"  # the fixture invoice's customer


def subscription(status, sub_id="sub_1", customer=CUSTOMER):
    """No shared fixture: the subscription fields the connector reads."""
    return {"id": sub_id, "object": "subscription", "customer": customer, "status": status}


@tagged("post_install", "-at_install")
class TestStripeBilling(StripeCaseMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.env["integration.external.id"]._bind(self.backend, self.partner, CUSTOMER)
        self.stripe_invoice = fixture("object_invoice.json")

    def test_odoo_owns_invoices_by_default(self):
        moves = self.env["account.move"].search_count([])
        stored = self._deliver(
            event({**self.stripe_invoice, "status": "paid"}, "invoice.paid", "evt_inv_ignored")
        )
        self.assertEqual(stored.state, "done")
        self.assertIn("Odoo owns invoices", stored.result_note)
        self.assertEqual(self.env["account.move"].search_count([]), moves)

    def test_stripe_owned_invoice_copied_then_paid_by_its_charge(self):
        self.backend.ownership_ids.filtered(lambda line: line.domain == "invoice").system_of_record = "remote"
        finalized = {**self.stripe_invoice, "status": "open", "number": "EF4DEC0-0001"}
        stored = self._deliver(event(finalized, "invoice.finalized", "evt_inv_final"))
        self.assertEqual(stored.state, "done", stored.error_message)
        invoice = stored.result_ref
        self.assertRecordValues(
            invoice,
            [{"state": "posted", "partner_id": self.partner.id, "amount_total": 10.0, "ref": "EF4DEC0-0001"}],
        )
        self._mock_balance_transaction(balance_transaction("txn_inv", 1000, 59, "ch_inv"))
        paid = self._deliver(
            event(charge("ch_inv", amount=1000, invoice=finalized["id"], balance_transaction="txn_inv"),
                  "charge.succeeded", "evt_inv_charge"),
        )  # fmt: skip
        self.assertEqual(paid.state, "done", paid.error_message)
        self.assertEqual(invoice.payment_state, "paid", "matched through the Stripe invoice id")
        again = self._deliver(event({**finalized, "status": "paid"}, "invoice.paid", "evt_inv_paid"))
        self.assertEqual(again.result_ref, invoice, "the same invoice, not a second one")

    def test_subscription_state_on_the_contact(self):
        self._deliver(event(subscription("past_due"), "customer.subscription.updated", "evt_sub1"))
        self.assertEqual((self.partner.stripe_subscription_state, self.partner.stripe_subscription_id),
                         ("past_due", "sub_1"))  # fmt: skip
        self._deliver(event(subscription("active"), "customer.subscription.deleted", "evt_sub2"))
        self.assertEqual(self.partner.stripe_subscription_state, "canceled")
        unknown = self._deliver(
            event(subscription("active", "sub_2", "cus_unknown"), "customer.subscription.created", "evt_sub3")
        )
        self.assertEqual((unknown.state, unknown.error_class), ("failed", "mapping"))
        self.assertIn("cus_unknown", unknown.error_message)
