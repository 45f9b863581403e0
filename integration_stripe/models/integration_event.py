"""A Stripe payment that matches no invoice: the business actions that fix it, each offered
only when it can succeed (Match an invoice, Book on account, Choose the customer)."""

from odoo import api, fields, models
from odoo.exceptions import UserError

PAYMENT_WITHOUT_INVOICE = "stripe_payment_without_invoice"


class IntegrationEvent(models.Model):
    _inherit = "integration.event"

    stripe_can_match_invoice = fields.Boolean(compute="_compute_stripe_fixes")
    stripe_can_book_on_account = fields.Boolean(compute="_compute_stripe_fixes")
    stripe_can_choose_customer = fields.Boolean(compute="_compute_stripe_fixes")

    @api.depends("state", "fix_code", "fix_facts")
    def _compute_stripe_fixes(self):
        for event in self:
            fixable = event.fix_code == PAYMENT_WITHOUT_INVOICE and event.state in ("failed", "dead")
            payer = fixable and event._stripe_payer()
            event.stripe_can_match_invoice = fixable and bool(event._stripe_open_invoices(limit=1))
            event.stripe_can_book_on_account = bool(payer)
            event.stripe_can_choose_customer = fixable and not payer

    def _stripe_payer(self):
        partner_id = (self.fix_facts or {}).get("partner_id")
        return self.env["res.partner"].browse(partner_id).exists() if partner_id else self.env["res.partner"]

    def _stripe_currency(self):
        code = (self.fix_facts or {}).get("currency")
        return self.env["res.currency"].search([("name", "=", code)], limit=1) if code else False

    def _stripe_open_invoices(self, limit=None):
        """The open customer invoices of the backend's company in the payment's currency."""
        currency = self._stripe_currency()
        if not currency or not self.env["account.move"].has_access("read"):
            return self.env["account.move"]
        return self.env["account.move"].search(
            [
                ("company_id", "=", self.backend_id.company_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("currency_id", "=", currency.id),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date desc, id desc",
            limit=limit,
        )

    def _stripe_check_fixable(self, allowed):
        self.ensure_one()
        if not allowed:
            raise UserError(self.env._("This action cannot fix this event (any more): reload the page."))

    def action_stripe_book_on_account(self):
        """Book a payment without invoice as a customer payment on the payer's account (an
        outstanding credit to match later)."""
        self._stripe_check_fixable(self.stripe_can_book_on_account)
        payer = self._stripe_payer()
        return self._resubmit_with_choice(
            "on_account_partner_id", payer.id, f"Book on account of {payer.display_name}"
        )

    def action_stripe_open_match_invoice(self):
        self._stripe_check_fixable(self.stripe_can_match_invoice)
        return self._stripe_open_picker(
            "integration.stripe.match.invoice.wizard", self.env._("Match an invoice")
        )

    def action_stripe_open_choose_customer(self):
        self._stripe_check_fixable(self.stripe_can_choose_customer)
        return self._stripe_open_picker(
            "integration.stripe.choose.customer.wizard", self.env._("Choose the customer")
        )

    def _stripe_open_picker(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_event_id": self.id},
        }
