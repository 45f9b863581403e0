"""Payouts: a transfer out of the Stripe journal, checked against the payout's balance
transactions (read from the API, paginated) as Odoo booked them."""

from odoo.tests import HttpCase, tagged

from .common import API, StripeCaseMixin, balance_transaction, charge, event, payout


@tagged("post_install", "-at_install")
class TestStripePayouts(StripeCaseMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.invoice = self._invoice(49.00)
        self.charge_obj = charge(metadata={"odoo_invoice": self.invoice.name}, balance_transaction="txn_ch")
        self.charge_txn = balance_transaction("txn_ch", 4900, 172, self.charge_obj)
        self._mock_balance_transaction(self.charge_txn)
        self._deliver(event(self.charge_obj, "charge.succeeded", "evt_charge"))
        self.transfer = self.company.transfer_account_id

    def _mock_payout_transactions(self, payout_id, *pages):
        for index, page in enumerate(pages):
            self.stripe.get(
                f"{API}/balance_transactions",
                json={"object": "list", "data": page, "has_more": index < len(pages) - 1},
            )

    def test_payout_equal_to_its_transactions_empties_the_balance(self):
        payout_txn = balance_transaction("txn_po_eq", -4728, 0, "po_eq", kind="payout")
        self._mock_payout_transactions("po_eq", [self.charge_txn], [payout_txn])
        stored = self._deliver(event(payout("po_eq", 4728), "payout.paid", "evt_po_eq"))
        self.assertEqual(stored.state, "done", stored.error_message)
        record = stored.result_ref
        self.assertRecordValues(
            record,
            [{"amount": 47.28, "booked_amount": 47.28, "difference": 0.0, "has_difference": False,
              "transaction_count": 1, "missing_count": 0, "checked": True, "check_state": "matches"}],
        )  # fmt: skip
        self.assertAlmostEqual(self._stripe_balance(), 0.0, msg="payments - fees - payout = 0")
        self.assertAlmostEqual(self._balance(self.transfer), 47.28)
        listed = [call.request.url for call in self.stripe.calls if "payout=po_eq" in call.request.url]
        self.assertEqual(len(listed), 2, "both pages were read")
        self.assertIn("starting_after=txn_ch", listed[1])
        exceptions = {e["code"]: e["count"] for e in self.backend._business_exceptions()}
        self.assertEqual(exceptions["stripe_payout_difference"], 0)

    def test_payout_without_secret_key_says_not_checked_and_why(self):
        """No key, no balance transactions: the payout is booked but reads *Not checked*
        with its reason, never 'Difference 0.00' that looks reconciled."""
        self.assertFalse(self.backend.credential_warnings, "key and secret set: no banner")
        self.backend.stripe_secret_key = False
        self.backend.invalidate_recordset(["credential_warnings"])
        self.assertIn("Stripe secret key", self.backend.credential_warnings)
        self.assertIn("payouts are not checked", self.backend.credential_warnings)
        self.assertNotIn("Webhook signing secret", self.backend.credential_warnings)
        stored = self._deliver(event(payout("po_nokey", 4728), "payout.paid", "evt_po_nokey"))
        self.assertEqual(stored.state, "done", stored.error_message)
        record = stored.result_ref
        self.assertRecordValues(
            record, [{"checked": False, "check_state": "not_checked", "has_difference": False}]
        )
        self.assertIn("no Stripe secret key", record.not_checked_reason)
        self.assertIn(self.backend.name, record.not_checked_reason)
        self.assertFalse([c for c in self.stripe.calls if "payout=po_nokey" in c.request.url])

    def test_payout_unequal_shows_the_difference(self):
        unknown = charge("ch_not_in_odoo", amount=1000)
        unknown_txn = balance_transaction("txn_unknown", 1000, 59, unknown)
        self._mock_payout_transactions("po_ne", [self.charge_txn, unknown_txn])
        stored = self._deliver(event(payout("po_ne", 4728 + 941), "payout.paid", "evt_po_ne"))
        self.assertEqual(stored.state, "done", stored.error_message)
        record = stored.result_ref
        self.assertRecordValues(
            record,
            [{"amount": 56.69, "booked_amount": 47.28, "difference": 9.41, "has_difference": True,
              "transaction_count": 2, "missing_count": 1, "check_state": "difference"}],
        )  # fmt: skip
        self.assertIn("txn_unknown charge ch_not_in_odoo: net 9.41 USD, NOT IN ODOO", record.transactions)
        [exception] = [
            e for e in self.backend._business_exceptions() if e["code"] == "stripe_payout_difference"
        ]
        self.assertEqual(exception["count"], 1)
        self.assertEqual(self.env["integration.stripe.payout"].search(exception["action"]["domain"]), record)

    def test_failed_payout_is_reversed(self):
        self._mock_payout_transactions("po_f", [self.charge_txn])
        self._deliver(event(payout("po_f", 4728), "payout.paid", "evt_po_f1"))
        stored = self._deliver(event(payout("po_f", 4728, status="failed"), "payout.failed", "evt_po_f2"))
        self.assertEqual(stored.state, "done", stored.error_message)
        self.assertEqual(stored.result_ref.state, "failed")
        self.assertAlmostEqual(self._stripe_balance(), 47.28, msg="the money is back in the Stripe balance")
