""" "Pay with Stripe" on customer invoices: a Payment Link created through the outbound queue."""

from odoo import fields, models
from odoo.addons.integration_core.lib import money
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    stripe_payment_link_id = fields.Char(string="Stripe Payment Link ID", readonly=True, copy=False)
    stripe_payment_link_url = fields.Char(string="Stripe Payment Link", readonly=True, copy=False)
    stripe_link_pending = fields.Boolean(compute="_compute_stripe_link_pending")
    stripe_refund_id = fields.Char(string="Stripe Refund ID", readonly=True, copy=False)
    stripe_payment_error = fields.Char(
        string="Last Stripe Payment Failure", readonly=True, copy=False,
        help="Why the customer's last attempt to pay failed; the payment link stays valid.",
    )  # fmt: skip

    def _compute_stripe_link_pending(self):
        waiting = self._stripe_links_waiting()
        for move in self:
            move.stripe_link_pending = move.id in waiting

    def _stripe_links_waiting(self):
        """Ids of the invoices whose payment link is queued and not settled yet."""
        messages = self._stripe_link_messages()
        return set(
            messages.filtered(lambda m: m.state not in ("done", "failed", "dead", "ignored")).mapped("res_id")
        )

    def _stripe_link_messages(self):
        return (
            self.env["integration.outbound"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", self.ids),
                    ("operation", "=", "payment_link.create"),
                ]
            )
        )

    def action_stripe_payment_link(self):
        """Queue the Payment Link of each posted, unpaid customer invoice (once)."""
        backends = self.env["integration.backend"]
        waiting = self._stripe_links_waiting()
        for invoice in self:
            if invoice.move_type != "out_invoice" or invoice.state != "posted":
                raise UserError(self.env._("Only posted customer invoices can be paid with Stripe."))
            if invoice.payment_state not in ("not_paid", "partial"):
                raise UserError(self.env._("Invoice %s is already paid.", invoice.name))
            if invoice.stripe_payment_link_url or invoice.id in waiting:
                continue
            backend = backends.sudo()._stripe_backend_for(invoice.company_id)
            if not backend:
                raise UserError(self.env._("No active Stripe backend for %s.", invoice.company_id.name))
            currency = invoice.currency_id
            payload = {
                "invoice": invoice.name,
                "amount": money.amount_to_minor(invoice.amount_residual, currency.name, "stripe"),
                "currency": currency.name.lower(),
                "description": self.env._("Invoice %s", invoice.name),
            }
            self.env["integration.outbound"]._enqueue(
                backend, "payment_link.create", invoice, payload, entity_key=invoice.name
            )
        return True

    def _stripe_paid_by(self):
        """(backend, payment, Stripe payment key) of the Stripe payment that paid the invoice
        this credit note reverses, or None."""
        self.ensure_one()
        invoice = self.reversed_entry_id
        binder = self.env["integration.external.id"].sudo()
        for payment in invoice.matched_payment_ids | invoice._get_reconciled_payments():
            bindings = binder.search(
                [
                    ("model", "=", "account.payment"),
                    ("res_id", "=", payment.id),
                    ("backend_id.kind", "=", "stripe"),
                ]
            )
            for binding in bindings:
                if binding.external_id.startswith(("pi_", "ch_", "py_")):
                    return binding.backend_id, payment, binding.external_id
        return None

    def action_stripe_refund(self):
        """Queue a Stripe refund of this credit note on the payment that paid its invoice."""
        for credit_note in self:
            if credit_note.move_type != "out_refund" or credit_note.state != "posted":
                raise UserError(
                    self.env._("Only posted customer credit notes can be refunded through Stripe.")
                )
            if credit_note.stripe_refund_id or credit_note.payment_state not in ("not_paid", "partial"):
                raise UserError(self.env._("Credit note %s is already refunded.", credit_note.name))
            paid_by = credit_note._stripe_paid_by()
            if not paid_by:
                raise UserError(
                    self.env._(
                        "The invoice of credit note %s was not paid through Stripe: refund it another way.",
                        credit_note.name,
                    )
                )
            backend, _payment, key = paid_by
            waiting = (
                self.env["integration.outbound"]
                .sudo()
                .search_count(
                    [
                        ("res_model", "=", "account.move"),
                        ("res_id", "=", credit_note.id),
                        ("operation", "=", "refund.create"),
                        ("state", "not in", ("failed", "dead", "ignored")),
                    ]
                )
            )
            if waiting:
                continue
            currency = credit_note.currency_id
            payload = {
                "payment": key,
                "amount": money.amount_to_minor(credit_note.amount_residual, currency.name, "stripe"),
                "credit_note": credit_note.name,
            }
            self.env["integration.outbound"]._enqueue(
                backend, "refund.create", credit_note, payload, entity_key=key
            )
        return True
