"""Stripe refunds and disputes: refund payments reconciled with credit notes, reversed when
the refund fails; disputes booked from their balance transactions (withdrawn to the dispute
account, reinstated back), lost ones moved to the loss account; inquiries book nothing."""

from odoo import fields, models
from odoo.addons.integration_core.exceptions import MappingError, RetryableError

from ..lib import mapping, schemas


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ refunds
    def _stripe_refunds(self, event, obj, stripe_event):
        if isinstance(obj, schemas.Charge):
            if not obj.refunds:
                event._note_result(self.env._("The charge lists no refund; refund events book them."))
                return None
            result = self.env["account.payment"]
            for refund in obj.refunds:
                result |= self._stripe_refund(event, refund, obj)
            return result[:1]
        if not isinstance(obj, schemas.Refund):
            raise schemas.StripePayloadError(f"{event.event_type} carries no refund")
        return self._stripe_refund(event, obj)

    def _stripe_refund(self, event, refund, charge=None):
        key = refund.payment_intent or refund.charge or (mapping.payment_key(charge) if charge else None)
        charge_id = refund.charge or (charge.id if charge else None)
        currency_code = refund.currency or (charge.currency if charge else "")
        booked = self._stripe_booked(refund.id)
        if refund.status == "failed" or refund.failure_balance_transaction:
            return self._stripe_refund_failed(event, refund, booked)
        if booked:
            return booked
        if refund.status not in ("succeeded", "pending"):
            event._note_result(
                self.env._("Refund %(id)s is %(status)s: nothing booked.", id=refund.id, status=refund.status)
            )
            return booked
        payment = self._stripe_booked(key, charge_id)
        if not payment:
            # Out of order: Stripe may deliver the refund before the charge. Wait for it.
            raise RetryableError(
                self.env._(
                    "Refund %(refund)s is for payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives; if it never does, book the payment first.",
                    refund=refund.id,
                    payment=charge_id or key,
                )
            )
        currency = self._currency_for(currency_code)
        amount = self._stripe_amount(refund.amount, currency)
        invoices = (
            payment.reconciled_invoice_ids
            if payment._name == "account.payment"
            else self._stripe_paid_invoices(payment)
        )
        credit_note = self._stripe_credit_note_for(
            payment.partner_id, invoices, currency, amount, refund.metadata.get("odoo_credit_note")
        )
        what = self._stripe_text(refund.amount, currency)
        if not credit_note:
            raise MappingError(
                self.env._(
                    "Stripe refunded %(what)s of payment %(payment)s (invoice %(invoices)s), and no open "
                    "credit note of that amount exists in Odoo. Create and post a credit note of "
                    "%(what)s for the invoice (Invoice > Credit Note), then retry this event.",
                    what=what,
                    payment=charge_id or key,
                    invoices=", ".join(invoices.mapped("name")) or "-",
                )
            )
        receivable = credit_note.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
            :1
        ].account_id
        txn = self._stripe_balance_transaction(event, refund.balance_transaction)
        refund_payment = self._stripe_book_money(
            txn,
            "outbound",
            credit_note.commercial_partner_id,
            amount,
            currency,
            receivable,
            self._stripe_date(refund.created),
            f"Stripe refund {refund.id} {credit_note.name}",
        )
        self._stripe_reconcile_documents(refund_payment, credit_note, receivable)
        self._stripe_bind(refund_payment, refund.id, event)
        self._stripe_book_fee(event, txn, refund.id, refund_payment.partner_id)
        return refund_payment

    def _stripe_paid_invoices(self, move):
        """The invoices a settlement entry is reconciled with."""
        lines = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        partials = lines.matched_debit_ids | lines.matched_credit_ids
        counterparts = partials.debit_move_id | partials.credit_move_id
        return counterparts.move_id.filtered(lambda m: m.move_type == "out_invoice")

    def _stripe_refund_failed(self, event, refund, booked):
        """A refund that failed gives the money back to the Stripe balance (its
        failure_balance_transaction): the refund's booking is reversed and its credit note is
        open again, once."""
        failure = refund.failure_balance_transaction
        failure_id = failure.id if isinstance(failure, schemas.BalanceTransaction) else failure
        reversal_key = failure_id or f"{refund.id}:failed"
        reversal = self._stripe_bound("account.move", reversal_key)
        if reversal:
            return reversal
        if not booked:
            event._note_result(
                self.env._("Refund %s failed before it was booked: nothing to undo.", refund.id)
            )
            return booked
        move = booked.move_id if booked._name == "account.payment" else booked
        credit_notes = (
            booked.reconciled_invoice_ids if booked._name == "account.payment" else self.env["account.move"]
        )
        move.line_ids.remove_move_reconcile()
        if booked._name == "account.payment":
            credit_notes.matched_payment_ids -= booked
        reversal = move._reverse_moves(
            [
                {
                    "date": fields.Date.context_today(self),
                    "ref": self.env._(
                        "Stripe refund %(refund)s failed (%(reason)s)",
                        refund=refund.id,
                        reason=refund.failure_reason or "-",
                    ),
                }
            ],
            cancel=True,
        )
        self._stripe_bind(reversal, reversal_key, event)
        event._note_result(
            self.env._(
                "Refund %(refund)s failed: its booking is reversed and credit note %(credit_notes)s is "
                "open again. Refund the customer another way.",
                refund=refund.id,
                credit_notes=", ".join(credit_notes.mapped("name")) or "-",
            )
        )
        return reversal

    def _stripe_credit_note_for(self, partner, invoices, currency, amount, reference=None):
        """The credit note a refund settles: the one named in its metadata (refunds sent from
        Odoo carry it), else an open credit note of that amount, of the paid invoice first."""
        base = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "=", "out_refund"),
            ("state", "=", "posted"),
            ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("currency_id", "=", currency.id),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if reference:
            named = self.env["account.move"].search([*base, ("name", "=", reference)], limit=1)
            if named and currency.compare_amounts(named.amount_residual, amount) >= 0:
                return named
        credit_notes = self.env["account.move"].search(base, order="invoice_date, id")
        exact = credit_notes.filtered(lambda cn: currency.compare_amounts(cn.amount_residual, amount) == 0)
        return exact.filtered(lambda cn: cn.reversed_entry_id in invoices)[:1] or exact[:1]

    # ------------------------------------------------------------------ disputes
    def _stripe_dispute(self, event, dispute, stripe_event):
        """Book what the dispute's balance transactions moved, each once: a withdrawal takes
        the amount (and the dispute fee) out of the Stripe balance to the dispute account, a
        reinstatement puts them back. Inquiries have none and book nothing. Lost: what stays
        withdrawn moves from the dispute account to the loss account."""
        key = dispute.payment_intent or dispute.charge
        payment = self._stripe_booked(key, dispute.charge)
        if not payment:
            raise RetryableError(
                self.env._(
                    "Dispute %(dispute)s is about payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives.",
                    dispute=dispute.id,
                    payment=dispute.charge or key,
                )
            )
        partner = payment.partner_id
        self._stripe_dispute_activity(payment, dispute)
        dispute_account = self._stripe_required_account("stripe_dispute_account_id")
        result = self.env["account.move"]
        for txn in dispute.balance_transactions:
            result |= self._stripe_dispute_transaction(event, dispute, txn, dispute_account, partner)
        if dispute.status == "lost":
            result |= self._stripe_dispute_lost(event, dispute, dispute_account, partner)
        if not dispute.balance_transactions:
            event._note_result(
                self.env._(
                    "Dispute %(dispute)s (%(status)s) has moved no money yet: nothing booked.",
                    dispute=dispute.id,
                    status=dispute.status,
                )
            )
        return result[-1:] or payment

    def _stripe_dispute_transaction(self, event, dispute, txn, dispute_account, partner):
        booked = self._stripe_bound("account.move", txn.id)
        if booked:
            return booked
        label = self.env._("withdrawn") if txn.amount < 0 else self.env._("reinstated")
        return self._stripe_transaction_entry(
            event, txn, dispute_account, f"Stripe dispute {dispute.id} {label} {txn.id}", partner
        )

    def _stripe_dispute_lost(self, event, dispute, dispute_account, partner):
        closing_id = f"{dispute.id}:lost"
        closed = self._stripe_bound("account.move", closing_id)
        if closed or not dispute.balance_transactions:
            return closed
        txn = dispute.balance_transactions[0]
        currency = self._currency_for(txn.currency)
        withdrawn = self._stripe_amount(-sum(t.amount for t in dispute.balance_transactions), currency)
        if currency.is_zero(withdrawn):
            return closed
        loss = self.stripe_dispute_loss_account_id or self._stripe_required_account("stripe_fee_account_id")
        closed = self._stripe_entry(
            self._stripe_journal(currency),
            fields.Date.context_today(self),
            f"Stripe dispute {dispute.id} {self.env._('lost')}",
            [(loss, withdrawn, currency), (dispute_account, -withdrawn, currency)],
            partner=partner,
        )
        self._stripe_bind(closed, closing_id, event)
        return closed

    def _stripe_dispute_activity(self, payment, dispute):
        """Finance gets one activity per dispute, due on the evidence date."""
        document = (
            payment.reconciled_invoice_ids[:1] or payment.move_id
            if payment._name == "account.payment"
            else self._stripe_paid_invoices(payment)[:1] or payment
        )
        summary = self.env._("Stripe dispute %s: submit evidence", dispute.id)
        if dispute.status in ("won", "lost", "warning_closed") or document.activity_ids.filtered(
            lambda a: a.summary == summary
        ):
            return
        finance = (
            self.env.ref("account.group_account_manager").sudo().user_ids.filtered(lambda u: not u.share)
        )
        document.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=(dispute.evidence_details.due_by or fields.Datetime.now()).date(),
            user_id=(finance[:1] or self.env.user).id,
            summary=summary,
            note=self.env._(
                "The customer disputed %(amount)s (reason: %(reason)s). Submit the evidence in the "
                "Stripe dashboard before the due date.",
                amount=self._stripe_text(dispute.amount, self._currency_for(dispute.currency)),
                reason=dispute.reason or "-",
            ),
        )
