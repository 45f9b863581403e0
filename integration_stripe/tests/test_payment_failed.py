"""A failed payment attempt: nothing booked, the invoice says why, its link stays valid;
the customer pays with the same link afterwards, and a late copy of the failure changes
nothing."""

from odoo.tests import HttpCase, tagged

from .common import StripeCaseMixin, event, payment_intent

DECLINED = {
    "code": "card_declined",
    "decline_code": "insufficient_funds",
    "message": "Your card has insufficient funds.",
}


@tagged("post_install", "-at_install")
class TestStripePaymentFailed(StripeCaseMixin, HttpCase):
    def test_failed_attempt_shows_on_the_invoice_and_the_link_still_pays_it(self):
        invoice = self._invoice(49.00)
        link = "https://buy.stripe.com/test_failed_1"
        invoice.write({"stripe_payment_link_id": "plink_f1", "stripe_payment_link_url": link})
        failed_intent = payment_intent(
            "pi_failed_1",
            amount=4900,
            amount_received=0,
            status="requires_payment_method",
            metadata={"odoo_invoice": invoice.name},
            last_payment_error=DECLINED,
        )
        failed = self._deliver(event(failed_intent, "payment_intent.payment_failed", "evt_failed_1"))
        self.assertEqual(failed.state, "done", failed.error_message)
        self.assertEqual(failed.result_ref, invoice)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(
            invoice.stripe_payment_error, "Your card has insufficient funds. (insufficient_funds)"
        )
        self.assertEqual(invoice.stripe_payment_link_url, link, "the link stays valid")
        self.assertTrue(any("Nothing was booked" in message.body for message in invoice.message_ids))
        self.assertFalse(self.env["account.payment"].search([("journal_id", "=", self.journal.id)]))

        paid_intent = payment_intent(
            "pi_failed_1", amount=4900, latest_charge="ch_failed_1", metadata={"odoo_invoice": invoice.name}
        )
        paid = self._deliver(event(paid_intent, "payment_intent.succeeded", "evt_paid_1"))
        self.assertEqual(paid.state, "done", paid.error_message)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

        late = self._deliver(event(failed_intent, "payment_intent.payment_failed", "evt_failed_0"))
        self.assertEqual(late.state, "done", late.error_message)
        self.assertIn("already paid", late.result_note)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_failed_attempt_without_an_odoo_invoice_is_noted(self):
        intent = payment_intent(
            "pi_failed_2", amount=1000, amount_received=0, status="requires_payment_method"
        )
        failed = self._deliver(event(intent, "payment_intent.payment_failed", "evt_failed_2"))
        self.assertEqual(failed.state, "done", failed.error_message)
        self.assertIn("names no posted Odoo invoice", failed.result_note)
