"""Compare period: balance transactions of a created window (paginated) against Odoo."""

import json
from datetime import UTC, timedelta
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common import API, StripeCaseMixin, balance_transaction, charge, event, refund


@tagged("post_install", "-at_install")
class TestStripeReconciliation(StripeCaseMixin, TransactionCase):
    def _book(self, charge_id, amount, fee):
        invoice = self._invoice(amount / 100)
        txn = balance_transaction(f"txn_{charge_id}", amount, fee, charge_id)
        obj = charge(
            charge_id, amount=amount, metadata={"odoo_invoice": invoice.name}, balance_transaction=txn
        )
        stored = self._ingest(self.backend, event(obj, "charge.succeeded", f"evt_{charge_id}"))
        self._process_events()
        self.assertEqual(stored.state, "done", stored.error_message)
        return obj, invoice

    def test_window_finds_missing_and_unlisted_payments_and_replays_one(self):
        booked, _invoice = self._book("ch_booked", 4900, 172)
        unlisted, _other = self._book("ch_unlisted", 2000, 88)
        invoice_c = self._invoice(15.00)
        missing = charge("ch_missing", amount=1500, metadata={"odoo_invoice": invoice_c.name})
        refund_obj = refund("re_missing", 1000, charge_id="ch_booked")
        pages = [
            [
                balance_transaction(
                    "txn_ch_booked", 4900, 172, {**booked, "balance_transaction": "txn_ch_booked"}
                ),
                balance_transaction("txn_ch_missing", 1500, 74, missing),
            ],
            [balance_transaction("txn_re_missing", -1000, 0, refund_obj, kind="refund")],
        ]
        for index, page in enumerate(pages):
            self.stripe.get(f"{API}/balance_transactions", json={"data": page, "has_more": index == 0})

        run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "done", run.error_message)
        self.assertEqual(run.checked_count, 3)
        queries = [parse_qs(urlsplit(call.request.url).query) for call in self.stripe.calls]
        self.assertEqual(len(queries), 2)
        self.assertEqual(queries[1]["starting_after"], ["txn_ch_missing"])
        self.assertEqual(queries[0]["created[lte]"], [str(int(run.date_to.replace(tzinfo=UTC).timestamp()))])
        self.assertEqual(
            queries[0]["created[gte]"], [str(int(run.date_from.replace(tzinfo=UTC).timestamp()))]
        )
        lines = {line.external_id: line for line in run.line_ids}
        self.assertEqual(set(lines), {"ch_missing", "re_missing", "ch_unlisted"})
        self.assertRecordValues(
            lines["ch_missing"],
            [{"issue": "missing_odoo", "event_type": "charge.succeeded", "entity_key": "ch_missing",
              "reference": "ch_missing 15.00 USD"}],
        )  # fmt: skip
        self.assertEqual(lines["re_missing"].issue, "missing_odoo")
        self.assertEqual(lines["ch_unlisted"].issue, "missing_remote")
        self.assertEqual(json.loads(lines["ch_missing"].payload)["data"]["object"]["id"], "ch_missing")

        lines["ch_missing"].action_replay()
        self._process_events()
        self.assertEqual(invoice_c.payment_state, "paid")
        self.assertAlmostEqual(self._balance(self.fee_account), 1.72 + 0.88 + 0.74, msg="fee of the replay")

    def test_amount_that_differs(self):
        booked, _invoice = self._book("ch_diff", 4900, 0)
        listed = {**booked, "amount": 5900, "amount_captured": 5900, "balance_transaction": "txn_ch_diff"}
        self.stripe.get(
            f"{API}/balance_transactions",
            json={"data": [balance_transaction("txn_ch_diff", 5900, 0, listed)], "has_more": False},
        )
        run = self.env["integration.reconciliation.run"]._start(
            self.backend, date_to=fields.Datetime.now() + timedelta(minutes=1)
        )
        [line] = run.line_ids
        self.assertRecordValues(
            line, [{"issue": "differs", "remote_value": "59.00 USD", "odoo_value": "49.00 USD"}]
        )
