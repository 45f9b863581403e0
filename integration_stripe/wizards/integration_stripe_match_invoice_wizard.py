"""Match an invoice: the open invoices of the payment's currency, the exact amount and the
payer's own first; the chosen one is recorded on the event, which runs again and pays it."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.matching import Candidate, rank_invoices


class IntegrationStripeMatchInvoiceWizard(models.TransientModel):
    _name = "integration.stripe.match.invoice.wizard"
    _inherit = ["integration.event.fix.mixin"]
    _description = "Match a Stripe Payment with an Invoice"

    amount = fields.Monetary(help="What Stripe received.")
    currency_id = fields.Many2one("res.currency")
    payer_id = fields.Many2one("res.partner")
    payer_email = fields.Char()
    line_ids = fields.One2many("integration.stripe.match.invoice.line", "wizard_id", string="Open invoices")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        event = self.env["integration.event"].browse(values.get("event_id"))
        if not event:
            return values
        facts = event.fix_facts or {}
        currency = event._stripe_currency()
        payer = event._stripe_payer()
        amount = Decimal(facts.get("amount") or 0)
        invoices = event._stripe_open_invoices(limit=200)
        ranked = rank_invoices(
            amount,
            payer.id,
            [
                Candidate(
                    inv.id,
                    inv.commercial_partner_id.id,
                    Decimal(str(inv.amount_residual)),
                    str(inv.invoice_date or ""),
                )
                for inv in invoices
            ],
        )
        values.update(
            amount=float(amount),
            currency_id=currency.id if currency else False,
            payer_id=payer.id,
            payer_email=facts.get("email") or False,
            line_ids=[
                (0, 0, {"rank": rank, "invoice_id": c.invoice_id, "chosen": rank == 0})
                for rank, c in enumerate(ranked)
            ],
        )
        return values

    def action_match(self):
        self.ensure_one()
        chosen = self.line_ids.filtered("chosen")
        if len(chosen) != 1:
            raise UserError(self.env._("Choose one invoice (tick it in the list)."))
        invoice = chosen.invoice_id
        self.env["account.move"].check_access("write")
        self.event_id._resubmit_with_choice(
            "invoice_id",
            invoice.id,
            f"Match an invoice: {invoice.name} ({invoice.commercial_partner_id.display_name}, "
            f"{invoice.amount_residual} {invoice.currency_id.name} due)",
        )
        return {"type": "ir.actions.act_window_close"}
