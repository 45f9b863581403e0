"""Shopify Payments payouts (GraphQL, mocked with `responses`): fees booked, each payout checked
against its balance transactions, a difference is a reconciliation drift line. The shared
fixtures hold no payout: the nodes below follow Shopify's documented GraphQL shapes."""

import json
from datetime import datetime

import responses
from freezegun import freeze_time
from odoo.tests import TransactionCase, tagged

from .common import SHOP, ShopifyApiCaseMixin

GRAPHQL = f"https://{SHOP}/admin/api/2025-07/graphql.json"
COST = {"throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}


def usd(amount):
    return {"amount": amount, "currencyCode": "USD"}


def connection(field, nodes, root="shopifyPaymentsAccount"):
    data = {field: {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}}
    return {"data": {root: data} if root else data, "extensions": {"cost": COST}}


def payout(ident, net):
    return {"id": f"gid://shopify/ShopifyPaymentsPayout/{ident}", "legacyResourceId": str(ident),
            "issuedAt": "2026-11-26T10:00:00Z", "status": "PAID", "net": usd(net)}  # fmt: skip


def txn(ident, kind, amount, fee, net):
    return {"id": f"gid://shopify/ShopifyPaymentsBalanceTransaction/{ident}", "type": kind, "test": False,
            "amount": usd(amount), "fee": usd(fee), "net": usd(net)}  # fmt: skip


@tagged("post_install", "-at_install")
class TestShopifyPayouts(ShopifyApiCaseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        account = cls.env["account.account"]
        cls.fee_account = account.create(
            {"name": "Shopify fees", "code": "626100", "account_type": "expense"}
        )
        cls.transfer = account.create(
            {
                "name": "Shopify payouts in transit",
                "code": "580100",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        cls.backend.write(
            {
                "shopify_payouts": True,
                "shopify_fee_account_id": cls.fee_account.id,
                "shopify_payout_account_id": cls.transfer.id,
            }
        )

    def _answers(self, transactions_by_payout, payouts):
        answers = [connection("orders", [], root=None), connection("payouts", payouts)]
        answers += [
            connection("balanceTransactions", transactions_by_payout[p["legacyResourceId"]]) for p in payouts
        ]
        for answer in answers:
            responses.post(GRAPHQL, json=answer)

    @responses.activate
    def test_payout_with_fees_and_an_adjustment_is_booked_and_adds_up(self):
        self._answers(
            {
                "623721858": [
                    txn(1, "CHARGE", "100.00", "3.20", "96.80"),
                    txn(2, "REFUND", "-10.00", "0.00", "-10.00"),
                    txn(3, "ADJUSTMENT", "8.46", "0.00", "8.46"),
                    txn(4, "PAYOUT", "-95.26", "0.00", "-95.26"),
                ]
            },
            [payout(623721858, "95.26")],
        )
        with freeze_time(datetime(2026, 11, 27, 12, 0)):
            run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "done", run.error_message)
        self.assertFalse(run.line_ids, "payout = its transactions: no drift")
        query = json.loads(responses.calls[2].request.body)["variables"]["query"]
        self.assertEqual(query, "payments_transfer_id:623721858")
        [booked] = self.backend.shopify_payout_ids
        self.assertEqual(
            (booked.amount, booked.fees, booked.gross, booked.transactions_net), (95.26, 3.2, 98.46, 95.26)
        )
        self.assertEqual((booked.transaction_count, booked.difference), (3, 0.0))
        move = booked.move_id
        self.assertEqual(move.state, "posted")
        by_account = {line.account_id: line.balance for line in move.line_ids}
        self.assertEqual(by_account[self.transfer], 95.26)
        self.assertEqual(by_account[self.fee_account], 3.2)
        self.assertEqual(round(sum(by_account.values()), 2), 0.0)
        self.assertEqual(len(by_account), 3, "transfer, fees, and the clearing account they leave")

        # the next run finds the same payout: not booked twice
        responses.reset()
        responses.post(GRAPHQL, json=connection("orders", [], root=None))
        responses.post(GRAPHQL, json=connection("payouts", [payout(623721858, "95.26")]))
        self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(len(self.backend.shopify_payout_ids), 1)
        self.assertEqual(self.env["account.move"].search_count([("ref", "=", "Shopify payout 623721858")]), 1)

    @responses.activate
    def test_payout_that_differs_from_its_transactions_is_a_drift_line(self):
        self._answers(
            {
                "623721859": [
                    txn(5, "CHARGE", "52.00", "1.51", "50.49"),
                    txn(6, "PAYOUT", "-50.00", "0.00", "-50.00"),
                ]
            },
            [payout(623721859, "50.00")],
        )
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "done", run.error_message)
        [line] = run.line_ids
        self.assertEqual(
            (line.issue, line.external_id, line.res_model),
            ("differs", "623721859", "integration.shopify.payout"),
        )
        self.assertEqual(line.remote_value, "50.00 USD")
        self.assertIn("50.49 net (52.00 less 1.51 fees), difference -0.49", line.odoo_value)

    @responses.activate
    def test_missing_fee_account_says_what_to_set(self):
        self.backend.shopify_fee_account_id = False
        self._answers({"1": [txn(7, "CHARGE", "10.00", "0.59", "9.41")]}, [payout(1, "9.41")])
        run = self.env["integration.reconciliation.run"]._start(self.backend)
        self.assertEqual(run.state, "failed")
        self.assertIn("Shopify Payments Fee Account", run.error_message)
