"""Stripe payouts: the transfer out of the Stripe balance, checked against the balance
transactions the payout settles."""

from odoo import models

from ..lib import mapping, money


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ payouts
    def _stripe_payout(self, event, obj):
        facts = mapping.payout_facts(obj)
        payouts = self.env["integration.stripe.payout"]
        payout = payouts.search([("backend_id", "=", self.id), ("name", "=", facts.payout_id)], limit=1)
        currency = self._stripe_currency(facts.currency)
        journal = self._stripe_journal(currency)
        amount = self._stripe_amount(facts.amount, currency)
        transfer = self.stripe_payout_account_id or self.company_id.transfer_account_id
        if not transfer:
            self._stripe_required_account("stripe_payout_account_id")
        date = self._stripe_date(facts.arrival_date or event.occurred_at)
        if event.event_type == "payout.failed":
            if payout and payout.state == "paid" and payout.move_id:
                reversal = payout.move_id._reverse_moves(
                    [{"date": date, "ref": f"Stripe payout {facts.payout_id} failed"}], cancel=True
                )
                self._stripe_bind(reversal, f"{facts.payout_id}:failed", event)
                payout.state = "failed"
                return payout
            event._note_result(
                self.env._("Payout %s failed before it was booked: nothing to undo.", facts.payout_id)
            )
            return payout
        if payout:
            return payout
        move = self._stripe_entry(
            journal,
            currency,
            date,
            f"Stripe payout {facts.payout_id}",
            [(transfer, amount), (journal.default_account_id, -amount)],
        )
        self._stripe_bind(move, facts.payout_id, event)
        payout = payouts.create(
            {
                "name": facts.payout_id,
                "backend_id": self.id,
                "currency_id": currency.id,
                "amount": amount,
                "arrival_date": facts.arrival_date and facts.arrival_date.date(),
                "move_id": move.id,
                "state": "paid",
            }
        )
        if self._stripe_has_key():
            payout._check_transactions(
                self._stripe_client(event.correlation_id).list_balance_transactions(payout=facts.payout_id)
            )
        else:
            event._note_result(
                self.env._("Payout booked; its transactions were not checked (no secret key).")
            )
        return payout

    def _stripe_booked_net(self, txn):
        """What Odoo booked for one balance transaction, in minor units of its currency,
        or None when Odoo has nothing for it."""
        source = txn.get("source")
        source_obj = source if isinstance(source, dict) else {"id": source}
        source_id = source_obj.get("id")
        currency = self._stripe_currency(txn.get("currency"))
        kind = txn.get("type")
        gross = None
        if kind in ("charge", "payment"):
            payment = self._stripe_bound("account.payment", mapping.payment_key(source_obj), source_id)
            gross = payment.amount if payment else None
        elif kind in ("refund", "payment_refund"):
            payment = self._stripe_bound("account.payment", source_id)
            gross = -payment.amount if payment else None
        elif kind == "adjustment" and source_obj.get("object") == "dispute":
            move = self._stripe_bound("account.move", source_id)
            if move:
                gross = -abs(
                    sum(
                        move.line_ids.filtered(lambda line: line.amount_currency > 0).mapped(
                            "amount_currency"
                        )
                    )
                )
        if gross is None:
            return None
        fee = 0.0
        if txn.get("fee"):
            fee_move = self._stripe_bound("account.move", txn.get("id"))
            if not fee_move:
                return None
            fee = sum(
                fee_move.line_ids.filtered(lambda line: line.amount_currency > 0).mapped("amount_currency")
            )
        return money.to_minor(gross, currency.decimal_places) - money.to_minor(fee, currency.decimal_places)
