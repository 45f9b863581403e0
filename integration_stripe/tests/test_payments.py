"""Payments delivered over HTTP become posted payments in the Stripe journal, reconciled
with the invoice they pay, fees booked from the balance transaction."""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import (
    CHARGE_ID,
    StripeCaseMixin,
    balance_transaction,
    charge,
    event,
    payment_intent,
)


@tagged("post_install", "-at_install")
class TestStripePayments(StripeCaseMixin, HttpCase):
    def _payments(self):
        return self.env["account.payment"].search([("journal_id", "in", self.backend.stripe_journal_ids.ids)])

    def test_payment_with_invoice_metadata_is_reconciled_and_fee_booked(self):
        invoice = self._invoice(49.00)
        self._invoice(49.00)  # same customer and amount: the metadata decides
        txn = balance_transaction("txn_pay1", 4900, 172, CHARGE_ID)
        self._mock_balance_transaction(txn)
        payload = event(
            charge(metadata={"odoo_invoice": invoice.name}, balance_transaction="txn_pay1"),
            "charge.succeeded",
            "evt_pay1",
        )
        stored = self._deliver(payload)
        self.assertEqual(stored.state, "done", stored.error_message)
        payment = stored.result_ref
        self.assertRecordValues(
            payment,
            [{"state": "paid", "amount": 49.0, "journal_id": self.journal.id, "partner_id": self.partner.id}],
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(payment.reconciled_invoice_ids, invoice)
        self.assertAlmostEqual(self._balance(self.fee_account), 1.72)
        self.assertAlmostEqual(self._stripe_balance(), 47.28, msg="Stripe journal = Stripe balance (net)")
        binder = self.env["integration.external.id"]
        self.assertEqual(binder._record_for(self.backend, "account.payment", CHARGE_ID), payment)
        self.assertTrue(binder._record_for(self.backend, "account.move", "txn_pay1"))

        # The same payment told again (replay, or its payment intent event) books nothing more.
        stored.action_replay()
        self._process_events()
        self.assertEqual(stored.state, "done")
        self.assertEqual(len(self._payments()), 1)
        self.assertAlmostEqual(self._balance(self.fee_account), 1.72)
        self.assertEqual(len(self.stripe.calls), 1, "the balance transaction is read once")

    def test_intent_then_charge_of_the_same_payment_book_once(self):
        invoice = self._invoice(10.99)
        intent = payment_intent(
            "pi_1PgafyB7WZ01zgkWSjxsAJo3",
            amount=1099,
            latest_charge="ch_of_pi",
            receipt_email="jenny@example.com",
        )
        self._mock_balance_transaction(balance_transaction("txn_pi", 1099, 62, "ch_of_pi"))
        first = self._deliver(event(intent, "payment_intent.succeeded", "evt_pi"), process=False)
        second = self._deliver(
            event(
                charge(
                    "ch_of_pi",
                    amount=1099,
                    payment_intent=intent["id"],
                    balance_transaction="txn_pi",
                    billing_details={**charge()["billing_details"], "email": "jenny@example.com"},
                ),
                "charge.succeeded",
                "evt_ch_of_pi",
            )
        )
        self.assertEqual(first.entity_key, second.entity_key, "one payment, one ordering key")
        self.assertEqual((first.state, second.state), ("done", "done"), first.error_message)
        self.assertEqual(first.result_ref, second.result_ref)
        self.assertEqual(invoice.payment_state, "paid", "matched by customer email, amount and currency")
        self.assertEqual(len(self._payments()), 1)
        self.assertAlmostEqual(self._balance(self.fee_account), 0.62)

    def test_customer_amount_and_currency_pick_the_open_invoice(self):
        other_amount = self._invoice(20.00)
        right = self._invoice(35.50)
        self.env["integration.external.id"]._bind(self.backend, self.partner, "cus_QXg1o8vcGmoR32")
        self._mock_balance_transaction(balance_transaction("txn_m", 3550, 0, "ch_match"))
        stored = self._deliver(
            event(
                charge("ch_match", amount=3550, customer="cus_QXg1o8vcGmoR32", balance_transaction="txn_m"),
                "charge.succeeded",
                "evt_match",
            )
        )
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual((right.payment_state, other_amount.payment_state), ("paid", "not_paid"))
        self.assertFalse(
            self.env["integration.external.id"]._record_for(self.backend, "account.move", "txn_m")
        )

    def test_payment_without_invoice_fails_with_what_to_do_then_resubmitted(self):
        payload = event(charge("ch_orphan", amount=1234), "charge.succeeded", "evt_orphan")
        stored = self._deliver(payload)
        self.assertEqual((stored.state, stored.error_class), ("failed", "mapping"))
        self.assertIn("Payment without invoice", stored.error_message)
        self.assertIn("12.34 USD", stored.error_message)
        self.assertIn("Match an invoice", stored.error_message)
        self.assertFalse(self._payments())
        exceptions = {e["code"]: e for e in self.backend._business_exceptions()}
        self.assertEqual(exceptions["stripe_payment_not_reconciled"]["count"], 1)
        self.assertEqual(
            self.env["integration.event"].search(
                exceptions["stripe_payment_not_reconciled"]["action"]["domain"]
            ),
            stored,
        )

        invoice = self._invoice(12.34)
        payload["data"]["object"]["metadata"] = {"odoo_invoice": invoice.name}
        payload["data"]["object"]["balance_transaction"] = {
            **balance_transaction("txn_o", 1234, 66, "ch_orphan")
        }
        stored._edit_payload(json.dumps(payload))
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertAlmostEqual(self._balance(self.fee_account), 0.66, msg="an expanded balance transaction")

    def test_payment_without_invoice_booked_on_account(self):
        payload = event(
            charge(
                "ch_on_account",
                amount=2500,
                billing_details={**charge()["billing_details"], "email": "jenny@example.com"},
            ),
            "charge.succeeded",
            "evt_on_account",
        )
        stored = self._deliver(payload)
        self.assertEqual(stored.fix_code, "stripe_payment_without_invoice")
        self.assertTrue(stored.stripe_can_book_on_account, stored.error_message)
        self.assertFalse(stored.stripe_can_choose_customer, "the payer is known: no need to choose")
        self.assertFalse(stored.stripe_can_match_invoice, "no open invoice in USD to match")
        txn_id = payload["data"]["object"]["balance_transaction"]  # the fixture's
        self._mock_balance_transaction(balance_transaction(txn_id, 2500, 103, "ch_on_account"))
        stored.action_stripe_book_on_account()
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertFalse(stored.payload_original, "the delivery stays as received: the choice is apart")
        self.assertEqual(stored.choices, {"on_account_partner_id": self.partner.id})
        self.assertIn(
            "Book on account of Jenny Rosen",
            stored.audit_ids.filtered(lambda a: a.action == "resolved").message,
        )
        self.assertFalse(stored.stripe_can_book_on_account, "not offered any more once done")
        payment = stored.result_ref
        self.assertRecordValues(
            payment, [{"amount": 25.0, "partner_id": self.partner.id, "is_reconciled": False}]
        )
        self.assertAlmostEqual(self._stripe_balance(), 25.0 - 1.03)
        # The credit waits on the customer's account; an invoice for it can use it later.
        invoice = self._invoice(25.0)
        self.assertTrue(invoice.invoice_has_outstanding)

    def test_payment_without_invoice_matched_with_the_invoice_picked(self):
        """Match an invoice: the open invoices in the payment's currency, exact amount and
        payer first; the chosen one is paid, the choice audited; other currencies not offered."""
        other_customer = self.env["res.partner"].create({"name": "Other Customer"})
        far = self._invoice(80.00)  # the payer's, far from the amount
        exact_other = self._invoice(42.42, partner=other_customer)
        close_own = self._invoice(42.00)
        self._invoice(4242, currency=self.jpy)  # another currency: never offered
        payload = event(
            charge(
                "ch_pick",
                amount=4242,
                billing_details={**charge()["billing_details"], "email": "jenny@example.com"},
            ),
            "charge.succeeded",
            "evt_pick",
        )
        stored = self._deliver(payload)
        self.assertEqual(stored.state, "failed")
        self.assertIn("Match an invoice", stored.error_message)
        self.assertNotIn("odoo_invoice", stored.error_message, "no JSON to edit for finance")
        self.assertTrue(stored.stripe_can_match_invoice)
        action = stored.action_stripe_open_match_invoice()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(
            wizard.line_ids.mapped("invoice_id"),
            exact_other | close_own | far,
            "exact amount first, then the payer's closest, then the rest; no JPY invoice",
        )
        self.assertEqual(wizard.line_ids.mapped("invoice_id")[:3].ids, [exact_other.id, close_own.id, far.id])
        self.assertEqual(wizard.line_ids.filtered("chosen").invoice_id, exact_other, "the best is ticked")
        self.assertEqual(wizard.line_ids[0].difference, 0.0)

        # Two ticked: refused with what to do
        wizard.line_ids[1].chosen = True
        with self.assertRaisesRegex(UserError, "Choose one invoice"):
            wizard.action_match()
        wizard.line_ids[0].chosen = False
        self._mock_balance_transaction(
            balance_transaction(payload["data"]["object"]["balance_transaction"], 4242, 0, "ch_pick")
        )
        wizard.action_match()
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(stored.result_ref.reconciled_invoice_ids, close_own)
        self.assertEqual(close_own.payment_state, "paid", "42.42 pays 42.00 and leaves 0.42 on account")
        self.assertEqual((far.payment_state, exact_other.payment_state), ("not_paid", "not_paid"))
        resolved = stored.audit_ids.filtered(lambda a: a.action == "resolved")
        self.assertIn(close_own.name, resolved.message)
        self.assertIn(self.env.user.name, resolved.message)
        # The payment names the Stripe charge in its chatter and leads back to its event.
        payment = stored.result_ref
        self.assertEqual(stored.display_name, "Payment 42.42 USD from jenny@example.com (ch_pick)")
        self.assertIn("ch_pick", payment.message_ids[:1].body)
        self.assertEqual(payment.integration_event_count, 1)
        self.assertEqual(
            self.env["integration.event"].search(payment.action_open_integration_events()["domain"]), stored
        )

    def test_chosen_invoice_paid_meanwhile_fails_again_with_the_picker(self):
        invoice = self._invoice(12.00)
        stored = self._deliver(event(charge("ch_late", amount=1200), "charge.succeeded", "evt_late"))
        self.assertEqual(stored.state, "failed", "an unknown payer: nothing matched by customer")
        self.assertTrue(stored.stripe_can_choose_customer)
        self.assertFalse(stored.stripe_can_book_on_account, "no payer known: booking on account would fail")
        action = stored.action_stripe_open_match_invoice()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({})
        self.assertEqual(wizard.line_ids.filtered("chosen").invoice_id, invoice)
        wizard.action_match()
        invoice.button_draft()  # someone resets the invoice before the event runs
        self._process_events()
        self.assertEqual(stored.state, "failed")
        self.assertIn("no longer open", stored.error_message)
        self.assertTrue(stored.stripe_can_choose_customer)

    def test_unknown_payer_booked_on_account_of_the_customer_chosen(self):
        payload = event(charge("ch_who", amount=1500), "charge.succeeded", "evt_who")
        txn_id = payload["data"]["object"]["balance_transaction"]
        self._mock_balance_transaction(balance_transaction(txn_id, 1500, 0, "ch_who"))
        stored = self._deliver(payload)
        self.assertEqual(stored.state, "failed")
        self.assertFalse(stored.stripe_can_match_invoice, "no open USD invoice: Match an invoice not offered")
        self.assertTrue(stored.stripe_can_choose_customer)
        with self.assertRaises(UserError):
            stored.action_stripe_book_on_account()
        action = stored.action_stripe_open_choose_customer()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"partner_id": self.partner.id})
        )
        wizard.action_book_on_account()
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertRecordValues(stored.result_ref, [{"amount": 15.0, "partner_id": self.partner.id}])
        self.assertIn("Jenny Rosen", stored.audit_ids.filtered(lambda a: a.action == "resolved").message)

    def test_business_actions_are_for_integration_users_only(self):
        stored = self._deliver(event(charge("ch_user", amount=1500), "charge.succeeded", "evt_user"))
        outsider = new_test_user(self.env, "no_integration", groups="account.group_account_invoice")
        with self.assertRaises(AccessError):
            stored.with_user(outsider).action_stripe_open_choose_customer()

    def test_zero_decimal_currency_in_its_own_journal(self):
        invoice = self._invoice(5000, currency=self.jpy)
        self._mock_balance_transaction(balance_transaction("txn_jpy", 5000, 180, "ch_jpy", currency="jpy"))
        stored = self._deliver(
            event(
                charge("ch_jpy", amount=5000, currency="jpy", metadata={"odoo_invoice": invoice.name},
                       balance_transaction="txn_jpy"),
                "charge.succeeded",
                "evt_jpy",
            )
        )  # fmt: skip
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertRecordValues(
            stored.result_ref,
            [{"amount": 5000.0, "currency_id": self.jpy.id, "journal_id": self.jpy_journal.id}],
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(self._balance(self.fee_account), 180.0, "180 yen, not 1.80")
        self.assertEqual(self._stripe_balance(self.jpy_journal), 4820.0)

    def test_three_decimal_currency_in_the_journal_without_currency(self):
        kwd = self.env.ref("base.KWD")
        kwd.active = True
        self.assertEqual(kwd.decimal_places, 3)
        invoice = self._invoice(12.345, currency=kwd)
        obj = charge("ch_kwd", amount=12345, currency="kwd", metadata={"odoo_invoice": invoice.name})
        obj["balance_transaction"] = balance_transaction("txn_kwd", 12345, 0, "ch_kwd", currency="kwd")
        stored = self._deliver(event(obj, "charge.succeeded", "evt_kwd"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertRecordValues(
            stored.result_ref, [{"amount": 12.345, "currency_id": kwd.id, "journal_id": self.journal.id}]
        )
        self.assertEqual(invoice.payment_state, "paid")

    def test_test_mode_event_on_a_production_backend_books_nothing(self):
        self.backend.environment = "production"
        invoice = self._invoice(49.00)
        payload = event(charge(metadata={"odoo_invoice": invoice.name}), "charge.succeeded", "evt_testmode")
        self.assertIs(payload["livemode"], False, "the fixture event is a test-mode event")
        stored = self._deliver(payload)
        self.assertEqual((stored.state, stored.error_class), ("failed", "permanent"))
        self.assertIn("test-mode Stripe event", stored.error_message)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_inactive_currency_says_what_to_fix(self):
        eur = self.env.ref("base.EUR")
        eur.active = False
        stored = self._deliver(event(charge("ch_eur", currency="eur"), "charge.succeeded", "evt_eur"))
        self.assertEqual(stored.error_class, "mapping")
        self.assertIn("Activate it", stored.error_message)
