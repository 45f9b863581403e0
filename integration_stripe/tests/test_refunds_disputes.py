"""Refunds (partial, exact; before their charge) and disputes (won, lost) over HTTP."""

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CHARGE_ID, StripeCaseMixin, balance_transaction, charge, dispute, event, refund


@tagged("post_install", "-at_install")
class TestStripeRefundsDisputes(StripeCaseMixin, HttpCase):
    def _pay(self, amount_minor=4900, created=None):
        self.invoice = self._invoice(amount_minor / 100)
        self._mock_balance_transaction(balance_transaction("txn_ch", amount_minor, 172, CHARGE_ID))
        payload = event(
            charge(
                amount=amount_minor,
                metadata={"odoo_invoice": self.invoice.name},
                balance_transaction="txn_ch",
            ),
            "charge.succeeded",
            "evt_charge",
            created=created,
        )
        return payload

    def test_partial_refund_is_exact_and_reconciled_with_the_credit_note(self):
        self._deliver(self._pay())
        credit_note = self._credit_note(self.invoice, 19.99)
        stored = self._deliver(event(refund("re_partial", 1999), "refund.created", "evt_refund"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(stored.entity_key, CHARGE_ID, "a refund is ordered with its charge")
        self.assertRecordValues(
            stored.result_ref, [{"payment_type": "outbound", "amount": 19.99, "journal_id": self.journal.id}]
        )
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72 - 19.99)
        # charge.refunded lists the same refund: nothing more is booked.
        refunded = charge(amount_refunded=1999, refunded=False)
        refunded["refunds"]["data"] = [refund("re_partial", 1999)]
        again = self._deliver(event(refunded, "charge.refunded", "evt_charge_refunded"))
        self.assertEqual((again.state, again.result_ref), ("done", stored.result_ref))
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72 - 19.99)

    def test_refund_without_credit_note_asks_for_one(self):
        self._deliver(self._pay())
        stored = self._deliver(event(refund("re_nocn", 1000), "refund.created", "evt_refund_nocn"))
        self.assertEqual((stored.state, stored.error_class), ("failed", "mapping"))
        self.assertIn("credit note of 10.00 USD", stored.error_message)
        self.assertIn(self.invoice.name, stored.error_message)
        # Finance creates the credit note, then retries: the refund is booked.
        credit_note = self._credit_note(self.invoice, 10.00)
        stored.action_retry()
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(credit_note.payment_state, "paid")

    def test_refund_before_its_charge_waits_for_the_charge(self):
        now = int(datetime.now(UTC).timestamp())
        charge_payload = self._pay(created=now - 60)
        refund_payload = event(refund("re_early", 2000), "refund.created", "evt_refund_early", created=now)
        early = self._deliver(refund_payload)
        # Issue 19: a wait, not a failure, and it runs as soon as the charge is booked.
        self.assertEqual((early.state, early.error_class, early.attempts), ("retry", "waiting", 0))
        self.assertIn("not in Odoo yet", early.error_message)
        late = self._deliver(charge_payload)
        self.assertEqual(late.state, "done", late.error_message)
        # Woken by the charge at once (no backoff wait): it now asks for its credit note.
        self.assertEqual(early.state, "failed")
        self.assertIn("no open credit note", early.error_message)
        credit_note = self._credit_note(self.invoice, 20.00)
        early.action_retry()
        self._process_events()
        self.assertEqual(early.state, "done", early.error_message)
        self.assertEqual((self.invoice.payment_state, credit_note.payment_state), ("paid", "paid"))
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72 - 20.00)

    def test_dispute_won_gives_the_money_back(self):
        self._deliver(self._pay())
        due = int((datetime.now(UTC) + timedelta(days=7)).timestamp())
        opened = self._deliver(
            event(dispute("dp_won", 4900, due_by=due), "charge.dispute.created", "evt_dp1")
        )
        self.assertEqual(opened.state, "done", opened.error_message)
        self.assertAlmostEqual(self._balance(self.dispute_account), 49.00)
        self.assertAlmostEqual(self._stripe_balance(), -1.72)
        activity = self.invoice.activity_ids.filtered(lambda a: "dp_won" in a.summary)
        self.assertEqual(activity.date_deadline, datetime.fromtimestamp(due, UTC).date())
        closed = self._deliver(
            event(dispute("dp_won", 4900, status="won"), "charge.dispute.closed", "evt_dp2")
        )
        self.assertEqual(closed.state, "done", closed.error_message)
        self.assertAlmostEqual(self._balance(self.dispute_account), 0.0)
        self.assertAlmostEqual(self._stripe_balance(), 47.28)
        self.assertAlmostEqual(self._balance(self.loss_account), 0.0)

    def test_dispute_lost_books_the_loss(self):
        self._deliver(self._pay())
        self._deliver(event(dispute("dp_lost", 4900, fee=1500), "charge.dispute.created", "evt_dpl1"))
        updated = self._deliver(
            event(
                dispute("dp_lost", 4900, status="under_review", fee=1500),
                "charge.dispute.updated",
                "evt_dpl2",
            )
        )
        self.assertEqual(updated.state, "done", updated.error_message)
        closed = self._deliver(
            event(dispute("dp_lost", 4900, status="lost", fee=1500), "charge.dispute.closed", "evt_dpl3")
        )
        self.assertEqual(closed.state, "done", closed.error_message)
        self.assertAlmostEqual(self._balance(self.dispute_account), 0.0)
        self.assertAlmostEqual(self._balance(self.loss_account), 49.00)
        self.assertAlmostEqual(self._balance(self.fee_account), 1.72 + 15.00, msg="dispute fee booked once")
        self.assertAlmostEqual(self._stripe_balance(), -1.72 - 15.00)
        self.assertEqual(len(self.invoice.activity_ids.filtered(lambda a: "dp_lost" in a.summary)), 1)


@tagged("post_install", "-at_install")
class TestStripeRefundFromOdoo(StripeCaseMixin, HttpCase):
    def test_credit_note_refunded_through_the_outbound_queue_then_booked_on_it(self):
        invoice = self._invoice(49.00)
        self._mock_balance_transaction(balance_transaction("txn_ch", 4900, 172, CHARGE_ID))
        self._deliver(
            event(charge(metadata={"odoo_invoice": invoice.name}, balance_transaction="txn_ch"),
                  "charge.succeeded", "evt_charge"),
        )  # fmt: skip
        self._credit_note(invoice, 15.00)  # same amount, not the one refunded from Odoo
        credit_note = self._credit_note(invoice, 15.00)
        credit_note.action_stripe_refund()
        credit_note.action_stripe_refund()  # queued once
        [message] = self.env["integration.outbound"].search([("operation", "=", "refund.create")])
        sent = refund("re_from_odoo", 1500, metadata={"odoo_credit_note": credit_note.name})
        self.stripe.post("https://api.stripe.com/v1/refunds", status=502)
        self.stripe.post("https://api.stripe.com/v1/refunds", json=sent)
        self._send_outbound()
        self.assertEqual(message.state, "retry")
        with freeze_time(fields.Datetime.now() + timedelta(hours=1)):
            self._send_outbound()
        self.assertEqual(message.state, "done", message.error_message)
        self.assertEqual(credit_note.stripe_refund_id, "re_from_odoo")
        calls = [c.request for c in self.stripe.calls if c.request.url.endswith("/v1/refunds")]
        self.assertEqual(len({r.headers["Idempotency-Key"] for r in calls}), 1)
        self.assertIn(f"charge={CHARGE_ID}", calls[-1].body)
        self.assertIn("amount=1500", calls[-1].body)

        stored = self._deliver(event(sent, "refund.created", "evt_refund_from_odoo"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(credit_note.payment_state, "paid", "the credit note named in the metadata")
