""" "Pay with Stripe" on customer invoices: a Payment Link created through the outbound queue."""

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import money


class AccountMove(models.Model):
    _inherit = "account.move"

    stripe_payment_link_id = fields.Char(string="Stripe Payment Link ID", readonly=True, copy=False)
    stripe_payment_link_url = fields.Char(string="Stripe Payment Link", readonly=True, copy=False)
    stripe_link_pending = fields.Boolean(compute="_compute_stripe_link_pending")

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
                "amount": money.to_minor(invoice.amount_residual, currency.decimal_places),
                "currency": currency.name.lower(),
                "description": self.env._("Invoice %s", invoice.name),
            }
            self.env["integration.outbound"]._enqueue(
                backend, "payment_link.create", invoice, payload, entity_key=invoice.name
            )
        return True
