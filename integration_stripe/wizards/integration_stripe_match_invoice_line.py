from odoo import api, fields, models


class IntegrationStripeMatchInvoiceLine(models.TransientModel):
    _name = "integration.stripe.match.invoice.line"
    _description = "Open Invoice a Stripe Payment May Pay"
    _order = "rank, id"

    wizard_id = fields.Many2one("integration.stripe.match.invoice.wizard", required=True, ondelete="cascade")
    rank = fields.Integer()
    chosen = fields.Boolean(string="Pays this")
    invoice_id = fields.Many2one("account.move", required=True)
    partner_id = fields.Many2one(related="invoice_id.commercial_partner_id", string="Customer")
    invoice_date = fields.Date(related="invoice_id.invoice_date", string="Date")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount_residual = fields.Monetary(related="invoice_id.amount_residual", string="Amount Due")
    difference = fields.Monetary(
        compute="_compute_difference", help="Amount due minus the payment: 0 when the payment pays it whole."
    )

    @api.depends("amount_residual", "wizard_id.amount")
    def _compute_difference(self):
        for line in self:
            line.difference = line.amount_residual - line.wizard_id.amount
