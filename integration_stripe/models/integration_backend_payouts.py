"""Stripe payouts: the transfer out of the Stripe balance, checked against the balance
transactions the payout settles, and matched with the bank statement line that receives it.
Balance transactions that no Stripe event books (fees, reserves, transfers, top-ups,
adjustments) are booked to their configurable accounts."""

from datetime import timedelta

from odoo import models

from ..const import (
    OTHER_TYPE_ACCOUNTS,
    PAYMENT_TYPES,
    REFUND_FAILURE_TYPES,
    REFUND_TYPES,
)
from ..lib import schemas

# A payout reaches the bank within these days of its arrival date.
BANK_DAYS_BEFORE, BANK_DAYS_AFTER = 2, 5


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ payouts
    def _stripe_payout(self, event, payout_obj, stripe_event):
        payouts = self.env["integration.stripe.payout"]
        payout = payouts.search([("backend_id", "=", self.id), ("name", "=", payout_obj.id)], limit=1)
        currency = self._currency_for(payout_obj.currency)
        journal = self._stripe_journal(currency)
        amount = self._stripe_amount(payout_obj.amount, currency)
        transfer = self._stripe_payout_account()
        date = self._stripe_date(payout_obj.arrival_date or event.occurred_at)
        if event.event_type == "payout.failed":
            if payout and payout.state == "paid" and payout.move_id:
                payout.move_id.line_ids.remove_move_reconcile()
                reversal = payout.move_id._reverse_moves(
                    [{"date": date, "ref": f"Stripe payout {payout_obj.id} failed"}], cancel=True
                )
                self._stripe_bind(reversal, f"{payout_obj.id}:failed", event)
                payout.write({"state": "failed", "bank_line_id": False})
                return payout
            event._note_result(
                self.env._("Payout %s failed before it was booked: nothing to undo.", payout_obj.id)
            )
            return payout
        if payout:
            return payout
        move = self._stripe_entry(
            journal,
            date,
            f"Stripe payout {payout_obj.id}",
            [(transfer, amount, currency), (journal.default_account_id, -amount, currency)],
        )
        self._stripe_bind(move, payout_obj.id, event)
        payout = payouts.create(
            {
                "name": payout_obj.id,
                "backend_id": self.id,
                "currency_id": currency.id,
                "amount": amount,
                "arrival_date": date,
                "move_id": move.id,
                "state": "paid",
            }
        )
        if self._stripe_has_key():
            transactions = [
                schemas.parse(schemas.BalanceTransaction, data, "balance transaction")
                for data in self._stripe_client(event.correlation_id).list_balance_transactions(
                    payout=payout_obj.id
                )
            ]
            for txn in transactions:
                if txn.type in OTHER_TYPE_ACCOUNTS and not (
                    txn.type == "adjustment" and txn.source_kind == "dispute"
                ):
                    self._stripe_book_other(event, txn)
            payout._check_transactions(transactions)
        else:
            payout.not_checked_reason = self.env._(
                "Backend %s has no Stripe secret key, so Odoo cannot read the payout's balance "
                "transactions: what Stripe paid out is not compared with what Odoo booked. Set the "
                "key on the backend; the next payout is checked.",
                self.name,
            )
            event._note_result(
                self.env._("Payout booked; its transactions were not checked (no secret key).")
            )
        payout._match_bank_line()
        return payout

    def _stripe_payout_account(self):
        transfer = self.stripe_payout_account_id or self.company_id.transfer_account_id
        if not transfer:
            self._stripe_required_account("stripe_payout_account_id")
        return transfer

    def _stripe_bank_line_for(self, currency, amount, date):
        """The unreconciled bank statement line (outside the Stripe journals) that received
        `amount` in `currency` nearest to `date`."""
        lines = self.env["account.bank.statement.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("journal_id", "not in", self.stripe_journal_ids.ids),
                ("is_reconciled", "=", False),
                ("date", ">=", date - timedelta(days=BANK_DAYS_BEFORE)),
                ("date", "<=", date + timedelta(days=BANK_DAYS_AFTER)),
            ]
        )
        lines = lines.filtered(
            lambda line: (line.foreign_currency_id or line.currency_id) == currency
            and currency.compare_amounts(
                line.amount_currency if line.foreign_currency_id else line.amount, amount
            )
            == 0
        )
        return lines.sorted(lambda line: (abs((line.date - date).days), line.id))[:1]

    # ------------------------------------------------------------------ other transactions
    def _stripe_other_transaction(self, event, txn, stripe_event):
        """The connector's own `balance_transaction.book` event (payout check, reconciliation)."""
        if not isinstance(txn, schemas.BalanceTransaction):
            raise schemas.StripePayloadError("balance_transaction.book carries no balance transaction")
        return self._stripe_book_other(event, txn)

    def _stripe_book_other(self, event, txn):
        """A balance transaction no Stripe event books: its net to or from the account of its
        type (and its fee to the fee account), once."""
        booked = self._stripe_bound("account.move", txn.id)
        if booked:
            return booked
        field_name = OTHER_TYPE_ACCOUNTS.get(txn.type, "stripe_adjustment_account_id")
        if field_name == "stripe_transfer_account_id" and not self.stripe_transfer_account_id:
            account = self._stripe_payout_account()
        else:
            account = self._stripe_required_account(field_name)
        return self._stripe_transaction_entry(event, txn, account, f"Stripe {txn.type} {txn.id}")

    def _stripe_transaction_entry(self, event, txn, account, ref, partner=None):
        """One entry for one balance transaction, bound to it: the Stripe journal moves by its
        `net`, `account` takes its `amount`, the fee account its `fee`."""
        currency = self._currency_for(txn.currency)
        journal = self._stripe_journal(currency)
        amount, fee, net = (self._stripe_amount(v, currency) for v in (txn.amount, txn.fee, txn.net))
        lines = [(account, -amount, currency)]
        if fee:
            lines.append((self._stripe_required_account("stripe_fee_account_id"), fee, currency))
        lines.append((journal.default_account_id, net, currency))
        move = self._stripe_entry(journal, self._stripe_date(txn.created), ref, lines, partner=partner)
        self._stripe_bind(move, txn.id, event)
        return move

    def _stripe_booked_net(self, txn):
        """What Odoo moved the Stripe balance by for one balance transaction, in minor units of
        its currency, or None when Odoo has nothing for it."""
        currency = self._currency_for(txn.currency)
        source = txn.source if isinstance(txn.source, dict) else {"id": txn.source_id}
        moves = self._stripe_bound("account.move", txn.id)
        if txn.type in PAYMENT_TYPES:
            keys = (schemas.expandable_id(source.get("payment_intent")), txn.source_id)
            moves |= self._stripe_move_of(self._stripe_booked(*keys))
        elif txn.type in REFUND_TYPES:
            moves |= self._stripe_move_of(self._stripe_booked(txn.source_id))
        elif txn.type in REFUND_FAILURE_TYPES and not moves:
            moves |= self._stripe_bound("account.move", f"{txn.source_id}:failed")
        elif txn.type == "payout":
            moves |= self._stripe_bound("account.move", txn.source_id)
        if not moves:
            return None
        return self._stripe_minor(self._stripe_journal_movement(moves, currency), currency)

    def _stripe_move_of(self, record):
        return record.move_id if record._name == "account.payment" else record
