"""The Stripe journal equals the Stripe balance (issue 14): authorisations and captures,
settlement currency, disputes by their balance transactions, failed refunds, Stripe's
minor-unit exponents, payout sign and bank line, Billing taxes and discounts, both API
shapes, Checkout Sessions, other balance transaction types; then the ledger test.

Every payload is a shared fixture (charge, payment intent, refund, invoice, event) varied;
disputes, payouts, balance transactions, invoice payments and checkout sessions have no
shared fixture and carry the fields of Stripe's API reference the connector reads."""

import time
from datetime import date, timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import (
    API,
    StripeCaseMixin,
    balance_transaction,
    charge,
    dispute,
    event,
    fixture,
    payment_intent,
    payout,
    refund,
)

NEW_API = "2025-03-31.basil"
OLD_API = "2024-06-20"


def txn(txn_id, amount, fee, source, kind="charge", currency="usd", exchange_rate=None):
    obj = balance_transaction(txn_id, amount, fee, source, kind, currency)
    obj["exchange_rate"] = exchange_rate
    return obj


def checkout_session(session_id, payment_status, amount, intent, invoice_name, currency="eur"):
    """No shared fixture: the Checkout Session fields the connector reads."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": payment_status,
        "amount_total": amount,
        "currency": currency,
        "payment_intent": intent,
        "metadata": {"odoo_invoice": invoice_name},
        "customer_details": {"email": "jenny@example.com"},
    }


@tagged("post_install", "-at_install")
class StripeBalanceCase(StripeCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        # Odoo's rate: 1 USD = 0.95 EUR, so 50.00 EUR = 52.63 USD (Stripe settles it as 54.00).
        cls.env["res.currency.rate"].create(
            {"name": date(2000, 1, 1), "currency_id": cls.eur.id, "rate": 0.95, "company_id": cls.company.id}
        )
        cls.gain = cls.company.income_currency_exchange_account_id
        cls.loss_fx = cls.company.expense_currency_exchange_account_id

    def _book(self, payload, api_version=OLD_API):
        payload["api_version"] = api_version
        stored = self._ingest(self.backend, payload)
        self._process_events()
        return stored

    def _pay(self, charge_id, amount, fee=0, currency="usd", invoice=None, settle=None, **values):
        """A captured charge of `amount` (minor) with its balance transaction expanded;
        `settle` = (amount, fee, currency, rate) when Stripe settled it in another currency."""
        invoice = invoice or self._invoice(
            amount / (1 if currency == "jpy" else 100), currency=self._cur(currency)
        )
        if settle:
            bt = txn(
                f"txn_{charge_id}",
                settle[0],
                settle[1],
                charge_id,
                currency=settle[2],
                exchange_rate=settle[3],
            )
        else:
            bt = txn(f"txn_{charge_id}", amount, fee, charge_id, currency=currency)
        obj = charge(
            charge_id,
            amount=amount,
            currency=currency,
            metadata={"odoo_invoice": invoice.name},
            balance_transaction=bt,
            created=int(time.time()),
            **values,
        )
        stored = self._book(event(obj, "charge.succeeded", f"evt_{charge_id}"))
        self.assertEqual(stored.state, "done", stored.error_message)
        return invoice, bt, stored

    def _cur(self, code):
        return {"usd": self.usd, "eur": self.eur, "jpy": self.jpy}[code]


class TestStripeCaptures(StripeBalanceCase):
    def test_authorisation_books_nothing_and_partial_capture_books_the_captured_amount(self):
        invoice = self._invoice(30.00)
        auth = fixture("object_charge.json")  # Stripe's charge: captured false, amount_captured 0
        auth.update(
            id="ch_auth", amount=3000, metadata={"odoo_invoice": invoice.name}, balance_transaction=None
        )
        stored = self._book(event(auth, "charge.succeeded", "evt_auth"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertIn("authorised", stored.result_note)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertAlmostEqual(self._stripe_balance(), 0.0)

        captured = {**auth, "captured": True, "amount_captured": 2000, "amount_refunded": 1000}
        captured["balance_transaction"] = txn("txn_cap", 2000, 88, "ch_auth")
        stored = self._book(event(captured, "charge.captured", "evt_captured"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(stored.result_ref.amount, 20.0, "the captured amount, not the authorised one")
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 10.0)
        self.assertAlmostEqual(self._stripe_balance(), 20.00 - 0.88)

    def test_intent_not_succeeded_books_nothing(self):
        invoice = self._invoice(10.99)
        intent = fixture("object_payment_intent.json")  # requires_payment_method, amount_received 0
        intent["metadata"] = {"odoo_invoice": invoice.name}
        stored = self._book(event(intent, "payment_intent.succeeded", "evt_pi_rpm"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertIn("requires_payment_method", stored.result_note)
        self.assertEqual(invoice.payment_state, "not_paid")
        processing = payment_intent("pi_proc", amount=1099, status="processing", amount_received=0)
        self.assertFalse(self._book(event(processing, "payment_intent.succeeded", "evt_pi_proc")).result_ref)


class TestStripeSettlement(StripeBalanceCase):
    def test_charge_settled_in_another_currency_books_the_balance_transaction(self):
        invoice, _bt, stored = self._pay("ch_eur", 5000, currency="eur", settle=(5400, 187, "usd", 1.08))
        self.assertEqual(invoice.payment_state, "paid")
        self.assertAlmostEqual(self._stripe_balance(), 52.13, msg="Stripe moved +54.00 - 1.87 USD")
        self.assertAlmostEqual(self._balance(self.fee_account), 1.87)
        # Odoo's rate says 50 EUR = 52.63 USD: Stripe's 54.00 leaves a 1.37 USD exchange gain.
        self.assertAlmostEqual(self._balance(self.gain), -1.37)
        entry = stored.result_ref
        self.assertEqual(entry.journal_id, self.journal)

    def test_refund_of_a_settled_charge_follows_its_balance_transaction(self):
        invoice, _bt, _stored = self._pay("ch_eur2", 5000, currency="eur", settle=(5400, 187, "usd", 1.08))
        credit_note = self._credit_note(invoice, 50.00)
        back = refund("re_eur2", 5000, charge_id="ch_eur2", currency="eur")
        back["balance_transaction"] = txn("txn_re_eur2", -5300, 0, "re_eur2", "refund", "usd", 1.06)
        stored = self._book(event(back, "refund.created", "evt_re_eur2"))
        self.assertEqual(stored.state, "done", stored.error_message)
        # Settled by an entry (not a payment): Odoo calls a credit note so settled 'reversed'.
        self.assertIn(credit_note.payment_state, ("paid", "reversed"))
        self.assertAlmostEqual(credit_note.amount_residual, 0.0)
        self.assertAlmostEqual(self._stripe_balance(), 52.13 - 53.00)


class TestStripeMinorUnits(StripeBalanceCase):
    def test_isk_is_two_decimal_and_mga_zero_decimal_at_stripe(self):
        for code, minor, expected in (("ISK", 500, 5.0), ("MGA", 5000, 5000.0)):
            currency = self.env.ref(f"base.{code}")
            currency.active = True
            invoice = self._invoice(expected, currency=currency)
            obj = charge(
                f"ch_{code}", amount=minor, currency=code.lower(), metadata={"odoo_invoice": invoice.name}
            )
            obj["balance_transaction"] = txn(f"txn_{code}", minor, 0, obj["id"], currency=code.lower())
            stored = self._book(event(obj, "charge.succeeded", f"evt_{code}"))
            self.assertEqual(stored.state, "done", stored.error_message)
            self.assertEqual((stored.result_ref.amount, invoice.payment_state), (expected, "paid"), code)


class TestStripeRefundFailures(StripeBalanceCase):
    def test_failed_refund_is_reversed_and_the_credit_note_open_again(self):
        invoice, _bt, _stored = self._pay("ch_rf", 4900, 172)
        credit_note = self._credit_note(invoice, 20.00)
        pending = refund("re_fail", 2000, charge_id="ch_rf", status="pending")
        pending["balance_transaction"] = txn("txn_re_fail", -2000, 0, "re_fail", "refund")
        self.assertEqual(self._book(event(pending, "refund.created", "evt_rf1")).state, "done")
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72 - 20.00)
        failed = {
            **pending,
            "status": "failed",
            "failure_reason": "expired_or_canceled_card",
            "failure_balance_transaction": txn("txn_re_fail_back", 2000, 0, "re_fail", "refund_failure"),
        }
        stored = self._book(event(failed, "refund.failed", "evt_rf2"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertIn("open again", stored.result_note)
        self.assertEqual(credit_note.payment_state, "not_paid")
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72)
        # charge.refund.updated tells the same failure: booked once.
        again = self._book(event(failed, "charge.refund.updated", "evt_rf3"))
        self.assertEqual(again.result_ref, stored.result_ref)
        self.assertAlmostEqual(self._stripe_balance(), 49.00 - 1.72)


class TestStripeDisputes(StripeBalanceCase):
    def test_inquiry_books_nothing_then_withdrawn_and_reinstated(self):
        invoice, _bt, _stored = self._pay("ch_dp", 1000)
        inquiry = dispute("du_inq", 1000, charge_id="ch_dp", status="warning_needs_response")
        self.assertEqual(inquiry["balance_transactions"], [])
        stored = self._book(event(inquiry, "charge.dispute.created", "evt_inq"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertIn("no money", stored.result_note)
        self.assertAlmostEqual(self._balance(self.dispute_account), 0.0)
        self.assertAlmostEqual(self._stripe_balance(), 10.00)
        self.assertTrue(invoice.activity_ids.filtered(lambda a: "du_inq" in a.summary))

        withdrawn = dispute("du_inq", 1000, charge_id="ch_dp", status="needs_response", fee=1500)
        self._book(event(withdrawn, "charge.dispute.funds_withdrawn", "evt_inq_w"))
        self.assertAlmostEqual(self._balance(self.dispute_account), 10.00)
        self.assertAlmostEqual(self._stripe_balance(), 10.00 - 10.00 - 15.00)
        won = dispute("du_inq", 1000, charge_id="ch_dp", status="won", fee=1500)
        self._book(event(won, "charge.dispute.funds_reinstated", "evt_inq_r"))
        self._book(event(won, "charge.dispute.closed", "evt_inq_c"))
        self.assertAlmostEqual(self._balance(self.dispute_account), 0.0)
        self.assertAlmostEqual(self._stripe_balance(), 10.00, msg="won: amount and fee reinstated")
        self.assertEqual(len(invoice.activity_ids.filtered(lambda a: "du_inq" in a.summary)), 1)


class TestStripePayoutsAndOthers(StripeBalanceCase):
    def setUp(self):
        super().setUp()
        self.bank = self.env["account.journal"].create({"name": "Bank", "type": "bank", "code": "BNK9"})
        self.reserve = self.env["account.account"].create(
            {"name": "Stripe reserve", "code": "119800", "account_type": "asset_current"}
        )
        self.adjust = self.env["account.account"].create(
            {"name": "Stripe adjustments", "code": "649900", "account_type": "expense"}
        )
        self.backend.write(
            {"stripe_reserve_account_id": self.reserve.id, "stripe_adjustment_account_id": self.adjust.id}
        )

    def _mock_list(self, transactions):
        self.stripe.get(f"{API}/balance_transactions", json={"data": transactions, "has_more": False})

    def _bank_line(self, amount, when=None):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank.id,
                "date": when or fields.Date.today(),
                "amount": amount,
                "payment_ref": "STRIPE PAYOUT",
            }
        )

    def test_won_dispute_reads_positive_other_types_booked_and_bank_line_matched(self):
        _invoice, charge_bt, _stored = self._pay("ch_po", 5000, 175)
        lost_w = txn("txn_dpw", -3500, 1500, {"id": "dp_w", "object": "dispute"}, "adjustment")
        back = txn("txn_dpr", 3500, -1500, {"id": "dp_w", "object": "dispute"}, "adjustment")
        won = dispute("dp_w", 3500, charge_id="ch_po", status="won", fee=1500)
        won["balance_transactions"] = [lost_w, back]
        self._book(event(won, "charge.dispute.closed", "evt_dp_w"))
        others = [
            txn("txn_fee", -200, 0, None, "stripe_fee"),
            txn("txn_res", -500, 0, None, "reserve_transaction"),
            txn("txn_adj", 125, 0, None, "adjustment"),
        ]
        net = sum(t["net"] for t in [charge_bt, lost_w, back, *others])
        bank_line = self._bank_line(net / 100)
        self._mock_list([charge_bt, lost_w, back, *others, txn("txn_po", -net, 0, "po_1", "payout")])
        stored = self._book(event(payout("po_1", net), "payout.paid", "evt_po_1"))
        self.assertEqual(stored.state, "done", stored.error_message)
        record = stored.result_ref
        self.assertRecordValues(
            record,
            [{"difference": 0.0, "missing_count": 0, "transaction_count": 6, "bank_line_id": bank_line.id}],
        )
        self.assertIn("txn_dpr adjustment dp_w: net 50.00 USD, booked 50.00 USD", record.transactions)
        self.assertAlmostEqual(self._stripe_balance(), 0.0, msg="journal = balance, paid out")
        self.assertAlmostEqual(self._balance(self.reserve), 5.00)
        self.assertAlmostEqual(self._balance(self.adjust), -1.25)
        self.assertAlmostEqual(self._balance(self.fee_account), 1.75 + 2.00)
        self.assertTrue(bank_line.is_reconciled)
        self.assertAlmostEqual(self._balance(self.company.transfer_account_id), 0.0)

    def test_bank_line_imported_after_the_payout_is_matched(self):
        _invoice, charge_bt, _stored = self._pay("ch_po2", 2000, 88)
        self._mock_list([charge_bt])
        record = self._book(event(payout("po_2", 1912), "payout.paid", "evt_po_2")).result_ref
        self.assertFalse(record.bank_line_id)
        self._bank_line(19.00)  # another amount: not this payout
        self.assertFalse(record.bank_line_id)
        line = self._bank_line(19.12, fields.Date.today() + timedelta(days=1))
        self.assertEqual(record.bank_line_id, line)
        self.assertTrue(line.is_reconciled)


class TestStripeBillingTotals(StripeBalanceCase):
    CUSTOMER = "cus_QXg1o8vcGmoR32"

    def setUp(self):
        super().setUp()
        self.env["integration.external.id"]._bind(self.backend, self.partner, self.CUSTOMER)
        self.backend.ownership_ids.filtered(lambda line: line.domain == "invoice").system_of_record = "remote"
        self.tax = self.env["account.tax"].create(
            {"name": "VAT 19%", "amount": 19, "amount_type": "percent", "type_tax_use": "sale"}
        )

    def _stripe_invoice(self, invoice_id, total, new_shape):
        obj = fixture("object_invoice.json")
        line = obj["lines"]["data"][0]
        tax = {"amount": 171, "taxable_amount": 900}
        if new_shape:
            line["taxes"] = [{**tax, "tax_behavior": "exclusive", "type": "tax_rate_details"}]
            obj["total_taxes"] = line["taxes"]
        else:
            line["tax_amounts"] = [{**tax, "inclusive": False, "tax_rate": "txr_1"}]
            obj["total_tax_amounts"] = line["tax_amounts"]
        line["discount_amounts"] = [{"amount": 100, "discount": "di_1"}]
        obj.update(id=invoice_id, status="open", number=invoice_id.upper(), total=total, subtotal=1000)
        obj["total_discount_amounts"] = line["discount_amounts"]
        return obj

    def test_tax_and_discount_copied_to_the_cent_in_both_shapes(self):
        for new_shape, api in ((False, OLD_API), (True, NEW_API)):
            obj = self._stripe_invoice(f"in_tax_{int(new_shape)}", 1071, new_shape)
            stored = self._book(event(obj, "invoice.finalized", f"evt_tax_{int(new_shape)}"), api)
            self.assertEqual(stored.state, "done", stored.error_message)
            self.assertRecordValues(
                stored.result_ref, [{"amount_untaxed": 9.0, "amount_tax": 1.71, "amount_total": 10.71}]
            )

    def test_total_that_differs_fails_with_both_totals(self):
        stored = self._book(event(self._stripe_invoice("in_diff", 1200, False), "invoice.finalized", "evt_d"))
        self.assertEqual(stored.state, "failed")
        self.assertIn("12.00 USD", stored.error_message)
        self.assertIn("10.71 USD", stored.error_message)
        self.assertFalse(
            self.env["integration.external.id"]._record_for(self.backend, "account.move", "in_diff")
        )

    def test_missing_tax_rate_says_which(self):
        self.tax.amount = 20
        stored = self._book(
            event(self._stripe_invoice("in_norate", 1071, True), "invoice.finalized", "evt_nr")
        )
        self.assertEqual(stored.error_class, "mapping")
        self.assertIn("19.0%", stored.error_message)

    def test_current_api_version_invoice_payment_names_the_invoice(self):
        obj = fixture("object_invoice.json")
        obj.update(status="open", number="NEW-0001")
        copy = self._book(event(obj, "invoice.finalized", "evt_new_inv"), NEW_API).result_ref
        self.assertEqual(copy.amount_total, 10.0)
        invoice_payment = {
            "id": "inpay_1",
            "object": "invoice_payment",
            "invoice": obj["id"],
            "amount_paid": 1000,
            "currency": "usd",
            "status": "paid",
            "payment": {"type": "payment_intent", "payment_intent": "pi_new"},
        }
        noted = self._book(event(invoice_payment, "invoice_payment.paid", "evt_inpay"), NEW_API)
        self.assertEqual((noted.state, noted.entity_key), ("done", "pi_new"), noted.error_message)
        # On current versions the charge has no `invoice` field at all.
        paid = charge("ch_new", amount=1000, payment_intent="pi_new", customer=None, balance_transaction=None)
        paid.pop("invoice", None)
        stored = self._book(event(paid, "charge.succeeded", "evt_ch_new"), NEW_API)
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(copy.payment_state, "paid")


class TestStripeCheckout(StripeBalanceCase):
    def test_delayed_payment_in_payment_then_landed(self):
        invoice = self._invoice(25.00, currency=self.eur)
        session = checkout_session("cs_sepa", "unpaid", 2500, "pi_sepa", invoice.name)
        stored = self._book(event(session, "checkout.session.completed", "evt_cs1"))
        self.assertEqual(stored.state, "done", stored.error_message)
        pending = stored.result_ref
        # 'in_payment' with Odoo's Accounting app; Invoicing alone shows such invoices as paid.
        self.assertEqual(invoice.payment_state, invoice._get_invoice_in_payment_state())
        self.assertEqual(invoice.matched_payment_ids, pending)
        self.assertAlmostEqual(self._stripe_balance(), 0.0, msg="no money in the balance yet")
        self._book(
            event(
                {**session, "payment_status": "paid"}, "checkout.session.async_payment_succeeded", "evt_cs2"
            )
        )
        landed = charge(
            "ch_sepa",
            amount=2500,
            currency="eur",
            payment_intent="pi_sepa",
            balance_transaction=txn("txn_sepa", 2660, 35, "ch_sepa", currency="usd", exchange_rate=1.064),
        )
        done = self._book(event(landed, "charge.succeeded", "evt_cs3"))
        self.assertEqual(done.state, "done", done.error_message)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(pending.state, "canceled", "replaced by the money that landed")
        self.assertEqual(done.result_ref.journal_id, self.journal, "settled in USD")
        self.assertAlmostEqual(self._stripe_balance(), 26.60 - 0.35)

    def test_delayed_payment_failed_opens_the_invoice_again(self):
        invoice = self._invoice(25.00, currency=self.eur)
        session = checkout_session("cs_fail", "unpaid", 2500, "pi_fail", invoice.name)
        pending = self._book(event(session, "checkout.session.completed", "evt_cf1")).result_ref
        self.assertEqual(invoice.payment_state, invoice._get_invoice_in_payment_state())
        stored = self._book(event(session, "checkout.session.async_payment_failed", "evt_cf2"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual((invoice.payment_state, pending.state), ("not_paid", "canceled"))
        self.assertIn("open again", stored.result_note)


class TestStripeLedger(StripeBalanceCase):
    """A month of Stripe in three currencies: the journals equal the balance transactions."""

    def test_journal_balance_equals_the_sum_of_net_to_the_cent(self):
        usd_bts, jpy_bts = [], []
        # USD, EUR settled in USD, JPY in its own journal; fees on each.
        _inv1, bt1, _s = self._pay("ch_l1", 4900, 172)
        _inv2, bt2, _s = self._pay("ch_l2", 5000, currency="eur", settle=(5437, 188, "usd", 1.0874))
        _inv3, bt3, _s = self._pay("ch_l3", 12000, 360, currency="jpy")
        usd_bts += [bt1, bt2]
        jpy_bts.append(bt3)
        # A partial capture: 30.00 authorised, 20.00 captured.
        invoice4 = self._invoice(30.00)
        auth = charge("ch_l4", amount=3000, captured=False, amount_captured=0, balance_transaction=None,
                      metadata={"odoo_invoice": invoice4.name})  # fmt: skip
        self._book(event(auth, "charge.succeeded", "evt_l4a"))
        bt4 = txn("txn_l4", 2000, 88, "ch_l4")
        self._book(event({**auth, "captured": True, "amount_captured": 2000, "balance_transaction": bt4},
                         "charge.captured", "evt_l4c"))  # fmt: skip
        usd_bts.append(bt4)
        # A refund that fails.
        self._credit_note(_inv1, 10.00)
        bt5 = txn("txn_l5", -1000, 0, "re_l5", "refund")
        bt5b = txn("txn_l5b", 1000, 0, "re_l5", "refund_failure")
        pending = refund("re_l5", 1000, charge_id="ch_l1", status="pending", balance_transaction=bt5)
        self._book(event(pending, "refund.created", "evt_l5"))
        failed = {**pending, "status": "failed", "failure_balance_transaction": bt5b}
        self._book(event(failed, "refund.failed", "evt_l5f"))
        usd_bts += [bt5, bt5b]
        # An inquiry (nothing moves), a lost and a won dispute.
        _inv6, bt6, _s = self._pay("ch_l6", 2500, 103)
        _inv7, bt7, _s = self._pay("ch_l7", 3500, 132)
        usd_bts += [bt6, bt7]
        self._book(event(dispute("du_l6", 2500, charge_id="ch_l6", status="warning_needs_response"),
                         "charge.dispute.created", "evt_l6i"))  # fmt: skip
        lost = dispute("dp_l6", 2500, charge_id="ch_l6", status="lost", fee=1500)
        won = dispute("dp_l7", 3500, charge_id="ch_l7", status="won", fee=1500)
        self._book(event(lost, "charge.dispute.closed", "evt_l6l"))
        self._book(event(won, "charge.dispute.closed", "evt_l7w"))
        usd_bts += lost["balance_transactions"] + won["balance_transactions"]
        # A Stripe fee billed apart, then the payout of the USD balance to the bank.
        fee_bt = txn("txn_l8", -300, 0, None, "stripe_fee")
        usd_bts.append(fee_bt)
        net = sum(t["net"] for t in usd_bts)
        bank = self.env["account.journal"].create({"name": "Bank", "type": "bank", "code": "BNK8"})
        bank_line = self.env["account.bank.statement.line"].create(
            {"journal_id": bank.id, "date": fields.Date.today(), "amount": net / 100, "payment_ref": "STRIPE"}
        )
        payout_bt = txn("txn_l9", -net, 0, "po_l9", "payout")
        self.stripe.get(
            f"{API}/balance_transactions", json={"data": [*usd_bts, payout_bt], "has_more": False}
        )
        stored = self._book(event(payout("po_l9", net), "payout.paid", "evt_l9"))
        self.assertEqual(stored.state, "done", stored.error_message)
        usd_bts.append(payout_bt)

        self.assertEqual(
            round(self._stripe_balance() * 100), sum(t["net"] for t in usd_bts), "USD journal = USD balance"
        )
        self.assertAlmostEqual(self._stripe_balance(), 0.0, msg="all paid out")
        self.assertEqual(
            self._stripe_balance(self.jpy_journal), sum(t["net"] for t in jpy_bts), "JPY to the yen"
        )
        record = stored.result_ref
        self.assertRecordValues(
            record, [{"difference": 0.0, "missing_count": 0, "bank_line_id": bank_line.id}]
        )
        self.assertTrue(bank_line.is_reconciled)
        failed = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("state", "!=", "done")]
        )
        self.assertFalse(failed, failed.mapped("error_message"))
        self.assertEqual(invoice4.payment_state, "partial")
        self.assertAlmostEqual(self._balance(self.dispute_account), 0.0)
        self.assertAlmostEqual(self._balance(self.loss_account), 25.00)
