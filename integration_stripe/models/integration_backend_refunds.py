"""Stripe refunds and disputes: refund payments reconciled with credit notes; disputed
amounts held on the dispute account until won or lost."""

from odoo import fields, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    RetryableError,
)

from ..lib import mapping


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ refunds
    def _stripe_refunds(self, event, obj):
        if obj.get("object") == "charge":
            refunds = mapping.refunds_of_charge(obj)
            if not refunds:
                event._note_result(self.env._("The charge lists no refund; refund events book them."))
                return None
            result = self.env["account.payment"]
            for refund in refunds:
                result |= self._stripe_refund(event, refund, obj)
            return result[:1]
        return self._stripe_refund(event, obj)

    def _stripe_refund(self, event, refund, charge=None):
        facts = mapping.refund_facts(refund, charge)
        booked = self._stripe_bound("account.payment", facts.refund_id)
        if booked:
            return booked
        if facts.status not in ("succeeded", "pending"):
            event._note_result(
                self.env._(
                    "Refund %(id)s is %(status)s: nothing booked.", id=facts.refund_id, status=facts.status
                )
            )
            return booked
        payment = self._stripe_bound("account.payment", facts.key, facts.charge_id)
        if not payment:
            # Out of order: Stripe may deliver the refund before the charge. Wait for it.
            raise RetryableError(
                self.env._(
                    "Refund %(refund)s is for payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives; if it never does, book the payment first.",
                    refund=facts.refund_id,
                    payment=facts.charge_id or facts.key,
                )
            )
        currency = self._stripe_currency(facts.currency)
        amount = self._stripe_amount(facts.amount, currency)
        invoices = payment.reconciled_invoice_ids
        credit_note = self._stripe_credit_note_for(
            payment.partner_id, invoices, currency, amount, facts.metadata.get("odoo_credit_note")
        )
        what = self._stripe_text(facts.amount, currency)
        if not credit_note:
            raise MappingError(
                self.env._(
                    "Stripe refunded %(what)s of payment %(payment)s (invoice %(invoices)s), and no open "
                    "credit note of that amount exists in Odoo. Create and post a credit note of "
                    "%(what)s for the invoice (Invoice > Credit Note), then retry this event.",
                    what=what,
                    payment=facts.charge_id or facts.key,
                    invoices=", ".join(invoices.mapped("name")) or "-",
                )
            )
        receivable = credit_note.line_ids.filtered(lambda line: line.account_type == "asset_receivable")[
            :1
        ].account_id
        refund_payment = self._stripe_post_payment(
            "outbound",
            credit_note.commercial_partner_id,
            amount,
            currency,
            payment.journal_id,
            self._stripe_date(facts.created),
            f"Stripe refund {facts.refund_id} {credit_note.name}",
            receivable,
        )
        self._stripe_reconcile_documents(refund_payment, credit_note)
        self._stripe_bind(refund_payment, facts.refund_id, event)
        self._stripe_fee(event, facts.balance_transaction, facts.refund_id, refund_payment.partner_id)
        return refund_payment

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
    def _stripe_dispute(self, event, obj):
        facts = mapping.dispute_facts(obj)
        payment = self._stripe_bound("account.payment", facts.key, facts.charge_id)
        if not payment:
            raise RetryableError(
                self.env._(
                    "Dispute %(dispute)s is about payment %(payment)s, which is not in Odoo yet. It is "
                    "retried until the payment arrives.",
                    dispute=facts.dispute_id,
                    payment=facts.charge_id or facts.key,
                )
            )
        currency = self._stripe_currency(facts.currency)
        amount = self._stripe_amount(facts.amount, currency)
        journal = self._stripe_journal(currency)
        dispute_account = self._stripe_required_account("stripe_dispute_account_id")
        date = fields.Date.context_today(self)
        opened = self._stripe_bound("account.move", facts.dispute_id)
        if not opened:
            opened = self._stripe_entry(
                journal,
                currency,
                self._stripe_date(event.occurred_at),
                f"Stripe dispute {facts.dispute_id} {facts.reason or ''}".strip(),
                [(dispute_account, amount), (journal.default_account_id, -amount)],
                partner=payment.partner_id,
            )
            self._stripe_bind(opened, facts.dispute_id, event)
            self._stripe_dispute_activity(payment, facts, amount, currency)
        for balance_transaction in obj.get("balance_transactions") or []:
            # Stripe's dispute fee (and its return when won) rides on these transactions.
            if isinstance(balance_transaction, dict):
                self._stripe_fee(event, balance_transaction, facts.dispute_id, payment.partner_id)
        if event.event_type != "charge.dispute.closed" or facts.status not in ("won", "lost"):
            return opened
        closing_id = f"{facts.dispute_id}:{facts.status}"
        closed = self._stripe_bound("account.move", closing_id)
        if closed:
            return closed
        if facts.status == "won":
            lines = [(journal.default_account_id, amount), (dispute_account, -amount)]
            label = self.env._("won")
        else:
            loss = self.stripe_dispute_loss_account_id or self._stripe_required_account(
                "stripe_fee_account_id"
            )
            lines = [(loss, amount), (dispute_account, -amount)]
            label = self.env._("lost")
        closed = self._stripe_entry(
            journal,
            currency,
            self._stripe_date(event.occurred_at) or date,
            f"Stripe dispute {facts.dispute_id} {label}",
            lines,
            partner=payment.partner_id,
        )
        self._stripe_bind(closed, closing_id, event)
        return closed

    def _stripe_dispute_activity(self, payment, facts, amount, currency):
        document = payment.reconciled_invoice_ids[:1] or payment.move_id
        finance = (
            self.env.ref("account.group_account_manager").sudo().user_ids.filtered(lambda u: not u.share)
        )
        document.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=(facts.evidence_due_by or fields.Datetime.now()).date(),
            user_id=(finance[:1] or self.env.user).id,
            summary=self.env._("Stripe dispute %s: submit evidence", facts.dispute_id),
            note=self.env._(
                "The customer disputed %(amount)s %(currency)s (reason: %(reason)s). Submit the "
                "evidence in the Stripe dashboard before the due date.",
                amount=amount,
                currency=currency.name,
                reason=facts.reason or "-",
            ),
        )
