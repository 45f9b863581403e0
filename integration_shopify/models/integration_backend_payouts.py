"""Shopify Payments payouts: read with their balance transactions, the fees and the transfer
booked, payout = sum of its transactions checked; a difference is a reconciliation drift."""

from odoo import fields, models
from odoo.addons.integration_core.exceptions import MappingError

from ..lib import schemas
from ..lib.payouts import payout_facts


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shopify_pull_payouts(self, date_from, date_to):
        """Book the paid payouts issued in the window that Odoo does not have; all the
        window's payouts (booked before or now)."""
        client = self._shopify_client()
        payouts = self.env["integration.shopify.payout"]
        found = payouts
        for node in self._shopify_call(list, client.payouts(date_from, date_to)):
            payout = schemas.Payout.model_validate(node)
            if (payout.status or "").upper() != "PAID":
                continue
            existing = payouts.search([("backend_id", "=", self.id), ("name", "=", payout.ref)], limit=1)
            if existing:
                found |= existing
                continue
            transactions = [
                schemas.BalanceTransaction.model_validate(t)
                for t in self._shopify_call(list, client.payout_transactions(payout.ref))
            ]
            found |= self._shopify_book_payout(payout_facts(payout, transactions))
        return found

    def _shopify_payout_accounts(self):
        journal = self._shopify_payment_journal("shopify_payments")
        # where the card payments of the journal wait for their money (Outstanding Receipts)
        clearing = journal.inbound_payment_method_line_ids[:1].payment_account_id or self.env[
            "account.chart.template"
        ].with_company(self.company_id).ref(
            "account_journal_payment_debit_account_id", raise_if_not_found=False
        )
        transfer = self.shopify_payout_account_id or self.company_id.transfer_account_id
        missing = [
            label
            for label, account in (
                (self.env._("Payout Transfer Account"), transfer),
                (self.env._("Shopify Payments Fee Account"), self.shopify_fee_account_id),
                (self.env._("outstanding receipts account of journal %s", journal.name), clearing),
            )
            if not account
        ]
        if missing:
            raise MappingError(
                self.env._(
                    "Shopify Payments payouts of backend %(backend)s cannot be booked: set %(missing)s "
                    "(Shopify tab), then reconcile again.",
                    backend=self.name,
                    missing=", ".join(missing),
                )
            )
        return journal, clearing, transfer

    def _shopify_book_payout(self, facts):
        """One entry per payout: the bank transfer and the fees leave the Shopify Payments
        clearing account (where the card payments were registered)."""
        currency = self._currency_for(facts.currency)
        journal, clearing, transfer = self._shopify_payout_accounts()
        date = (facts.issued_at or fields.Datetime.now()).date()
        lines = [
            (transfer, facts.amount, self.env._("Shopify payout %s", facts.ref)),
            (
                self.shopify_fee_account_id,
                facts.fees,
                self.env._("Shopify Payments fees, payout %s", facts.ref),
            ),
            (clearing, -(facts.amount + facts.fees), self.env._("Shopify payout %s", facts.ref)),
        ]
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date,
                "ref": self.env._("Shopify payout %s", facts.ref),
                "line_ids": [
                    (0, 0, self._shopify_entry_line(account, amount, label, currency, date))
                    for account, amount, label in lines
                    if amount
                ],
            }
        )
        move.action_post()
        return self.env["integration.shopify.payout"].create(
            {
                "name": facts.ref,
                "backend_id": self.id,
                "currency_id": currency.id,
                "issued_at": facts.issued_at,
                "amount": float(facts.amount),
                "gross": float(facts.gross),
                "fees": float(facts.fees),
                "transactions_net": float(facts.net),
                "transaction_count": facts.count,
                "move_id": move.id,
            }
        )

    def _shopify_entry_line(self, account, amount, label, currency, date):
        company_currency = self.company_id.currency_id
        balance = currency._convert(float(amount), company_currency, self.company_id, date)
        return {
            "account_id": account.id,
            "name": label,
            "currency_id": currency.id,
            "amount_currency": float(amount),
            "debit": balance if balance > 0 else 0.0,
            "credit": -balance if balance < 0 else 0.0,
        }

    def _shopify_payout_drifts(self, run):
        """Payouts of the run's window whose transactions do not add up to them."""
        drifts = []
        for payout in self._shopify_pull_payouts(run.date_from, run.date_to):
            if not payout.has_difference:
                continue
            places = payout.currency_id.decimal_places
            drifts.append(
                {
                    "issue": "differs",
                    "reference": self.env._(
                        "Payout %(payout)s %(amount)s %(cur)s",
                        payout=payout.name,
                        amount=f"{payout.amount:.{places}f}",
                        cur=payout.currency_id.name,
                    ),
                    "external_id": payout.name,
                    "res_model": payout._name,
                    "res_id": payout.id,
                    "remote_value": f"{payout.amount:.{places}f} {payout.currency_id.name}",
                    "odoo_value": self.env._(
                        "%(count)s transactions: %(net)s net (%(gross)s less %(fees)s fees), difference "
                        "%(difference)s",
                        count=payout.transaction_count,
                        net=f"{payout.transactions_net:.{places}f}",
                        gross=f"{payout.gross:.{places}f}",
                        fees=f"{payout.fees:.{places}f}",
                        difference=f"{payout.difference:.{places}f}",
                    ),
                }
            )
        return drifts
